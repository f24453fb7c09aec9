package sandbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestImageDigestsAreStableUntilTheTagMoves(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	control := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Digest string }
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Digest
	}
	_, first := control("GET", "/_sandbox/image-digest?image=php:8.3-apache")
	_, again := control("GET", "/_sandbox/image-digest?image=php:8.3-apache")
	_, other := control("GET", "/_sandbox/image-digest?image=php:8.4-apache")
	if !strings.HasPrefix(first, "sha256:") || len(first) != 71 || first != again || first == other {
		t.Fatalf("digests: %q %q %q", first, again, other)
	}
	code, moved := control("POST", "/_sandbox/move-image-tag?image=php:8.3-apache")
	if code != 200 || moved == first {
		t.Fatalf("moving the tag: %d %q", code, moved)
	}
	if _, now := control("GET", "/_sandbox/image-digest?image=php:8.3-apache"); now != moved {
		t.Errorf("after the move the tag resolves to %q, want %q", now, moved)
	}
	if got := s.ImageDigest("us-east-1", "php@"+first); got != first {
		t.Errorf("an image named by digest resolves to %q", got)
	}
	for _, bad := range []string{"/_sandbox/move-image-tag", "/_sandbox/move-image-tag?image=x&region=../../etc", "/_sandbox/nope?image=x"} {
		if code, _ := control("POST", bad); code != 400 && code != 404 {
			t.Errorf("POST %s: %d", bad, code)
		}
	}
}
