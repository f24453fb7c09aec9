package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// TestSplicedGzipIsTheDocument: a fragment spliced into a layout's
// compressed head and tail decodes (with the standard library's strict
// reader: CRC and length checked) to exactly the uncompressed response.
func TestSplicedGzipIsTheDocument(t *testing.T) {
	var big strings.Builder
	for i := range 20000 { // several DEFLATE blocks
		fmt.Fprintf(&big, "<tr><td>%d</td><td>deploy %x</td></tr>\n", i, i*7919)
	}
	for _, tc := range []struct{ name, head, content, tail string }{
		{"page", "<!DOCTYPE html><main>", "<p>history</p>" + strings.Repeat("<tr><td>row</td></tr>", 100), "</main></html>"},
		{"large", "<head>", big.String(), "</body>"},
		{"bare", "", strings.Repeat(`{"id":1}`, 300), ""},
		{"tiny content", strings.Repeat("<nav>", 300), "", strings.Repeat("</nav>", 300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := &layout{head: []byte(tc.head), tail: []byte(tc.tail),
				headBlocks: deflateBlocks(nil, []byte(tc.head), false), tailBlocks: deflateBlocks(nil, []byte(tc.tail), true)}
			f, err := newFragment(context.Background(), templ.Raw(tc.content))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.head + tc.content + tc.tail
			for _, enc := range []string{"gzip, deflate, br", "identity", ""} {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.Header.Set("Accept-Encoding", enc)
				w := httptest.NewRecorder()
				writeSpliced(w, r, http.StatusOK, "text/html", l, f)
				got := w.Body.Bytes()
				if w.Header().Get("Content-Encoding") == "gzip" {
					zr, err := gzip.NewReader(bytes.NewReader(got))
					if err != nil {
						t.Fatal(err)
					}
					zr.Multistream(false)
					if got, err = io.ReadAll(zr); err != nil {
						t.Fatalf("%q: the spliced stream does not decode: %v", enc, err)
					}
				} else if strings.Contains(enc, "gzip") && len(want) >= minCompressed {
					t.Errorf("%q: %d bytes sent uncompressed", enc, len(want))
				}
				if string(got) != want {
					t.Errorf("%q: decoded %d bytes, want the %d of the document", enc, len(got), len(want))
				}
				if cl := w.Header().Get("Content-Length"); cl != fmt.Sprint(w.Body.Len()) {
					t.Errorf("%q: Content-Length %s for %d bytes", enc, cl, w.Body.Len())
				}
			}
		})
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"gzip": true, "gzip, deflate, br, zstd": true, "GZIP;q=0.5": true, "x-gzip": true, "*": true,
		"": false, "identity": false, "br": false, "gzip;q=0": false, "gzip; q=0.0, *": false,
		"*;q=0": false, "*;q=0, gzip": true, "deflate, *;q=0.1": true, "gzipx": false,
	} {
		if got := acceptsGzip([]string{header}); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}
