package deploy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
)

// Exact images: a task definition names images by tag, and a tag can be
// moved to another image after a deployment. The task-addresses step
// records each container's digest as ECS reports it, and a rollback always
// registers the restored task definition with image@digest for every
// container recorded with one (or reuses the family's latest revision when
// it is identical), so it runs the images that ran then, not whatever the
// tag points at now, whether the old revision is ACTIVE or deregistered.

// containerImages reads a described task's containers' images and digests.
func containerImages(t ecstypes.Task) []ecsconsole.ContainerImage {
	var out []ecsconsole.ContainerImage
	for _, c := range t.Containers {
		out = append(out, ecsconsole.ContainerImage{Container: aws.ToString(c.Name), Image: aws.ToString(c.Image), Digest: aws.ToString(c.ImageDigest)})
	}
	return out
}

// RanImages is the image and digest each container of a deployment ran,
// one per container (the first task's that reported a digest).
func RanImages(o ecsconsole.Outputs) []ecsconsole.ContainerImage {
	var out []ecsconsole.ContainerImage
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

// pinImages rewrites a stored task definition (RegisterTaskDefinition input
// JSON) so that each container recorded with a digest names its image by
// that digest. It reports whether anything was pinned.
func pinImages(td json.RawMessage, ran []ecsconsole.ContainerImage) (json.RawMessage, bool, error) {
	if len(ran) == 0 || len(td) == 0 {
		return td, false, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(td, &doc); err != nil {
		return nil, false, fmt.Errorf("reading the stored task definition: %w", err)
	}
	digests := map[string]ecsconsole.ContainerImage{}
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
	out, err := ecsconsole.CanonicalJSON(doc)
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

// RollbackImage is one container's image as a rollback will run it, and
// what the console could or could not check about it.
type RollbackImage struct {
	Container string
	Image     string // as the stored task definition names it
	Runs      string // what the rollback's task definition names: image@sha256:… when pinned
	Pinned    bool   // Runs names the digest the deployment's tasks ran
	// Unchecked says why the image's existence could not be checked.
	Unchecked string
}

// RollbackImages lists, for each container of deployment d's stored task
// definition, the image a rollback to d will run.
func RollbackImages(d ecsconsole.Deployment) []RollbackImage {
	in, err := decodeTaskDefinition(d.TaskDefinition)
	if err != nil {
		return nil
	}
	digests := map[string]ecsconsole.ContainerImage{}
	for _, im := range RanImages(d.Outputs) {
		digests[im.Container] = im
	}
	var out []RollbackImage
	for _, cd := range in.ContainerDefinitions {
		ri := RollbackImage{Container: aws.ToString(cd.Name), Image: aws.ToString(cd.Image)}
		ri.Runs = ri.Image
		switch im, ok := digests[ri.Container]; {
		case strings.Contains(ri.Image, "@"):
			ri.Pinned = true // named by digest in the spec itself
		case ok && im.Image == ri.Image:
			ri.Runs, ri.Pinned = pinnedImage(ri.Image, im.Digest), true
		}
		ri.Unchecked = imageUnchecked(ri.Image)
		out = append(out, ri)
	}
	return out
}

// imageUnchecked says plainly why the console cannot check that an image
// (its digest) still exists in its registry.
func imageUnchecked(image string) string {
	host, _, _ := strings.Cut(image, "/")
	switch {
	case strings.Contains(host, ".dkr.ecr.") && strings.HasSuffix(host, ".amazonaws.com"):
		return "an Amazon ECR image: the console has no ECR client (nor does its sandbox), so it cannot ask whether this digest still exists"
	case !strings.ContainsAny(host, ".:") && host != "localhost" || !strings.Contains(image, "/"):
		return "a Docker Hub image: the console cannot ask Docker Hub whether this digest still exists"
	}
	return "the console cannot ask the registry " + host + " whether this digest still exists"
}

// RollbackNeeds lists what deployment d's task definition names besides
// images that must still exist for its tasks to start: the execution and
// task roles (ARNs) and the secrets (valueFrom ARNs or names).
func RollbackNeeds(d ecsconsole.Deployment) (roles, secrets []string) {
	in, err := decodeTaskDefinition(d.TaskDefinition)
	if err != nil {
		return nil, nil
	}
	for _, r := range []*string{in.ExecutionRoleArn, in.TaskRoleArn} {
		if v := aws.ToString(r); v != "" && !slices.Contains(roles, v) {
			roles = append(roles, v)
		}
	}
	for _, cd := range in.ContainerDefinitions {
		for _, sec := range cd.Secrets {
			if v := aws.ToString(sec.ValueFrom); v != "" && !slices.Contains(secrets, v) {
				secrets = append(secrets, v)
			}
		}
	}
	return roles, secrets
}
