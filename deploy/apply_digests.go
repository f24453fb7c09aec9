package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole/store"
)

// Exact images: a task definition names images by tag, and a tag can be
// moved to another image after a deployment. The task-addresses step
// records each container's digest as ECS reports it, and a rollback
// registers the restored task definition with image@digest when a tag has
// moved since, so it runs the images that ran then, not whatever the tag
// points at now. A tag is known to have moved when a later deployment of
// the service ran the same image reference under another digest; without
// that evidence an ACTIVE revision is reused as it is.

// containerImages reads a described task's containers' images and digests.
func containerImages(t ecstypes.Task) []store.ContainerImage {
	var out []store.ContainerImage
	for _, c := range t.Containers {
		out = append(out, store.ContainerImage{Container: aws.ToString(c.Name), Image: aws.ToString(c.Image), Digest: aws.ToString(c.ImageDigest)})
	}
	return out
}

// RanImages is the image and digest each container of a deployment ran,
// one per container (the first task's that reported a digest).
func RanImages(o store.Outputs) []store.ContainerImage {
	var out []store.ContainerImage
	seen := map[string]bool{}
	for _, t := range o.Tasks {
		for _, im := range t.Images {
			if !seen[im.Container] && im.Digest != "" {
				seen[im.Container] = true
				out = append(out, im)
			}
		}
	}
	return out
}

// movedImages returns, of the images deployment d ran, those whose tag a
// later deployment of the service saw resolve to another digest.
func (e *Engine) movedImages(ctx context.Context, d store.Deployment) ([]store.ContainerImage, error) {
	ran := RanImages(d.Outputs)
	if len(ran) == 0 {
		return nil, nil
	}
	later, err := e.store.ImagesRunSince(ctx, d.ServiceKey, d.ID)
	if err != nil {
		return nil, err
	}
	var moved []store.ContainerImage
	for _, im := range ran {
		for _, l := range later {
			if l.Image == im.Image && l.Digest != "" && l.Digest != im.Digest {
				moved = append(moved, im)
				break
			}
		}
	}
	return moved, nil
}

// pinImages rewrites a stored task definition (RegisterTaskDefinition input
// JSON) so that each container recorded with a digest names its image by
// that digest. It reports whether anything was pinned.
func pinImages(td json.RawMessage, ran []store.ContainerImage) (json.RawMessage, bool, error) {
	if len(ran) == 0 || len(td) == 0 {
		return td, false, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(td, &doc); err != nil {
		return nil, false, fmt.Errorf("reading the stored task definition: %w", err)
	}
	digests := map[string]store.ContainerImage{}
	for _, im := range ran {
		digests[im.Container] = im
	}
	pinned := false
	containers, _ := doc["containerDefinitions"].([]any)
	for _, c := range containers {
		cd, ok := c.(map[string]any)
		if !ok {
			continue
		}
		name, _ := cd["name"].(string)
		image, _ := cd["image"].(string)
		im, ok := digests[name]
		if !ok || image == "" || strings.Contains(image, "@") || im.Image != image {
			continue
		}
		cd["image"] = pinnedImage(image, im.Digest)
		pinned = true
	}
	if !pinned {
		return td, false, nil
	}
	out, err := marshalCanonical(doc)
	return out, true, err
}

// pinnedImage is repository@digest for repository:tag (the tag dropped:
// ECS accepts either, and the digest alone says what runs).
func pinnedImage(image, digest string) string {
	repo := image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		repo = image[:i]
	}
	return repo + "@" + digest
}
