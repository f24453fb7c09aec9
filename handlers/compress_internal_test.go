package handlers

import (
	"bufio"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestCompressLeavesEventStreamsStreaming: behind the compression
// middleware an event stream is sent as is and each flushed event arrives
// while the handler is still running; a page is gzipped.
func TestCompressLeavesEventStreamsStreaming(t *testing.T) {
	got := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: first\n\n")
		http.NewResponseController(w).Flush()
		<-got // the client read the first event before this one ends
		io.WriteString(w, "data: "+strings.Repeat("x", 4000)+"\n\n")
	})
	mux.HandleFunc("/page", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!doctype html><table>"+strings.Repeat("<tr><td>row</td></tr>", 200)+"</table>")
	})
	mux.HandleFunc("/small", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	srv := &Server{}
	ts := httptest.NewServer(srv.compress(mux))
	defer ts.Close()

	get := func(path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip") // set by hand: the client does not decode then
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	resp := get("/events")
	if ce := resp.Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("event stream sent with Content-Encoding %q", ce)
	}
	first := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		first <- line
	}()
	select {
	case line := <-first:
		if line != "data: first\n" {
			t.Errorf("first event = %q", line)
		}
		close(got)
	case <-time.After(10 * time.Second):
		close(got)
		t.Fatal("the flushed event did not arrive while its handler was running")
	}

	resp = get("/page")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("page: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || !strings.HasSuffix(string(b), "</table>") {
		t.Errorf("gunzipped page ends %q, %v", b[max(0, len(b)-20):], err)
	}

	if ce := get("/small").Header.Get("Content-Encoding"); ce != "" {
		t.Errorf("an 11-byte answer was compressed (%q)", ce)
	}
}
