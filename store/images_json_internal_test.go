package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestDecodeImagesAsEncodingJSON: the direct split decodes what
// encoding/json decodes, and hands everything else (escapes, bad JSON) to
// it, so that no image name reads differently.
func TestDecodeImagesAsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`[]`, `[ ]`, `null`, `["php:8.3-apache"]`, `["php:8.3-apache", "redis:7"]`, `["a","b"]`,
		`["é/ü:1", ""]`, `["a\"b"]`, `["a\\b", "c"]`, `["\u0041"]`, `["a",]`, `["a" "b"]`, `[1]`, `["a"`, `{"a":1}`, `["a",  "b" ]`,
	} {
		got, err := decodeImages([]byte(in))
		var want []string
		wantErr := json.Unmarshal([]byte(in), &want)
		if (err != nil) != (wantErr != nil) || err == nil && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeImages(%s) = %#v, %v; encoding/json: %#v, %v", in, got, err, want, wantErr)
		}
	}
	if got, err := decodeImages(nil); got != nil || err != nil {
		t.Errorf("SQL NULL = %#v, %v", got, err)
	}
}
