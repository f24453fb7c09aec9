package deploy

import (
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
)

func TestPinImagesNamesEachRecordedImageByDigest(t *testing.T) {
	td := []byte(`{"family":"php-app","containerDefinitions":[{"name":"web","image":"registry.example.com:5000/team/php:8.3-apache"},{"name":"redis","image":"redis:7"},{"name":"side","image":"busybox@sha256:1111"}]}`)
	ran := RanImages(ecsconsole.Outputs{Tasks: []ecsconsole.TaskAddress{
		{TaskARN: "t1", Images: []ecsconsole.ContainerImage{{Container: "web", Image: "registry.example.com:5000/team/php:8.3-apache", Digest: "sha256:aaaa"}, {Container: "redis", Image: "redis:6", Digest: "sha256:bbbb"}}},
		{TaskARN: "t2", Images: []ecsconsole.ContainerImage{{Container: "web", Image: "registry.example.com:5000/team/php:8.3-apache", Digest: "sha256:cccc"}}},
	}})
	if len(ran) != 2 || ran[0].Digest != "sha256:aaaa" {
		t.Fatalf("RanImages = %+v", ran)
	}
	out, pinned, err := pinImages(td, ran)
	if err != nil || !pinned {
		t.Fatalf("pinImages: %v %v", pinned, err)
	}
	got := string(out)
	for _, want := range []string{`"image":"registry.example.com:5000/team/php@sha256:aaaa"`, `"image":"redis:7"`, `"image":"busybox@sha256:1111"`} {
		if !strings.Contains(got, want) {
			t.Errorf("pinned task definition lacks %s:\n%s", want, got)
		}
	}
	if _, pinned, _ := pinImages(td, nil); pinned {
		t.Error("nothing recorded, yet something was pinned")
	}
}
