package main

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/notify"
)

// hookReceiver is a real webhook receiver counting events by name,
// refusing (401) any request whose signature does not verify.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	events   map[string]int
	seen     map[string]bool
	repeated int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{events: map[string]int{}, seen: map[string]bool{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if !notify.Verify(h.secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		id := r.Header.Get(notify.DeliveryHeader)
		if h.seen[id] {
			h.repeated++
		}
		h.seen[id] = true
		h.events[r.Header.Get(notify.EventHeader)]++
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) setSecret(s string) {
	h.mu.Lock()
	h.secret = s
	h.mu.Unlock()
}

// waitFor waits until the receiver has counted want, and no more.
func (h *hookReceiver) waitFor(t *testing.T, want map[string]int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.mu.Lock()
		got, repeated := maps.Clone(h.events), h.repeated
		h.mu.Unlock()
		if maps.Equal(got, want) && repeated == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook events = %v (%d repeated), want %v", got, repeated, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// postJSON posts body with a bearer token and decodes the answer.
func postJSON(t *testing.T, url, token string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}
