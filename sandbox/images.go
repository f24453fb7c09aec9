package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The sandbox's image registry: every image reference resolves to a
// stable digest, as a registry does for a tag until someone pushes under
// it again. MoveImageTag is that push. Tasks record the digest when they
// start (DescribeTasks containers[].imageDigest), so tasks started before
// a move keep the old digest.

// imageDigest is the digest image resolves to now. An image named by
// digest (name@sha256:…) resolves to that digest.
func (w *world) imageDigest(image string) string {
	if _, digest, ok := strings.Cut(image, "@"); ok {
		return digest
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s/%s#%d", w.account, image, w.tagMoves[image]))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// MoveImageTag makes image (a name:tag reference) resolve to a new digest
// in region, as pushing a new image under the same tag would, and returns
// the new digest.
func (s *Server) MoveImageTag(region, image string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	w := s.worldFor(region)
	if w.tagMoves == nil {
		w.tagMoves = map[string]int{}
	}
	w.tagMoves[image]++
	return w.imageDigest(image)
}

// ImageDigest returns the digest image resolves to now in region.
func (s *Server) ImageDigest(region, image string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.worldFor(region).imageDigest(image)
}

// controlPrefix is where the sandbox's own controls live, beside the AWS
// APIs (which are all POST /), for tests driving a sandbox in another
// process.
const controlPrefix = "/_sandbox/"

// serveControl handles the sandbox's controls:
//
//	POST /_sandbox/move-image-tag?image=NAME:TAG[&region=R] → {"image", "digest"}
//	GET  /_sandbox/image-digest?image=NAME:TAG[&region=R]   → {"image", "digest"}
func (s *Server) serveControl(rw http.ResponseWriter, r *http.Request) {
	image := r.URL.Query().Get("image")
	region := r.URL.Query().Get("region")
	if region == "" {
		region = s.opts.Region
	}
	if image == "" || len(image) > 1024 || !isRegionName(region) {
		http.Error(rw, "sandbox: give ?image=NAME:TAG (and optionally a valid &region=)", http.StatusBadRequest)
		return
	}
	var digest string
	switch {
	case r.URL.Path == controlPrefix+"move-image-tag" && r.Method == http.MethodPost:
		digest = s.MoveImageTag(region, image)
	case r.URL.Path == controlPrefix+"image-digest" && r.Method == http.MethodGet:
		digest = s.ImageDigest(region, image)
	default:
		http.Error(rw, "sandbox: unknown control", http.StatusNotFound)
		return
	}
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(map[string]string{"image": image, "digest": digest})
}

// isRegionName accepts region-shaped names (us-east-1), so a control
// cannot seed a world under an arbitrary string.
func isRegionName(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(s) > 30 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz0123456789") != "" {
			return false
		}
	}
	return true
}
