package e2e

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/notify"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestWebhookDeliverySurvivesKill9 enqueues a webhook delivery whose
// receiver is not up yet, kill -9s the console once the first attempt has
// failed, starts the receiver and a new console on the same database, and
// checks that the delivery arrives exactly once, signed, and is logged as
// delivered.
func TestWebhookDeliverySurvivesKill9(t *testing.T) {
	dbURL := storetest.NewURL(t)
	start := func() (*process, string) {
		p, line := startProcess(t, []string{"DATABASE_URL=" + dbURL}, "serve", "--addr", "127.0.0.1:0", "--migrate",
			"--sandbox", "--log-format", "json", "--webhook-retry", "2s", "--webhook-timeout", "2s")
		url, ok := strings.CutPrefix(line, "ecsconsole listening on ")
		if !ok {
			t.Fatalf("console startup line %q", line)
		}
		return p, url
	}
	console, base := start()
	token := createToken(t, dbURL)

	// The receiver's address, not listening yet: the first attempt fails.
	port := freePort(t)
	var hook struct {
		ID     int64
		Secret string
	}
	if code := apiCall(t, "POST", base+"/api/v1/webhooks", token, map[string]any{"name": "ops", "format": "json",
		"url": "http://127.0.0.1:" + strconv.Itoa(port) + "/hook", "events": []string{"succeeded"}}, &hook); code != 201 || hook.Secret == "" {
		t.Fatalf("POST /api/v1/webhooks: %d %+v", code, hook)
	}
	var queued struct{ DeliveryID int64 }
	if code := apiCall(t, "POST", base+"/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10)+"/test", token, nil, &queued); code != 202 {
		t.Fatalf("send a test: %d", code)
	}
	type delivery struct {
		ID        int64
		Status    string
		Attempts  int
		LastError string
	}
	deliveryNow := func(base string) delivery {
		var w struct{ Deliveries []delivery }
		if code := apiCall(t, "GET", base+"/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10), token, nil, &w); code != 200 || len(w.Deliveries) != 1 {
			t.Fatalf("GET webhook: %d %+v", code, w)
		}
		return w.Deliveries[0]
	}
	waitUntil(t, "the first attempt to fail", func() bool { d := deliveryNow(base); return d.Attempts == 1 })
	console.kill()

	var mu sync.Mutex
	var got []string
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ok := notify.Verify(hook.Secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute)
		mu.Lock()
		got = append(got, r.Header.Get(notify.DeliveryHeader)+" verified="+strconv.FormatBool(ok))
		mu.Unlock()
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	_, base = start()
	waitUntil(t, "the delivery after the restart", func() bool { return deliveryNow(base).Status == "delivered" })
	time.Sleep(3 * time.Second) // a second send would come within a retry delay
	d := deliveryNow(base)
	mu.Lock()
	defer mu.Unlock()
	want := "ecsconsole-delivery-" + strconv.FormatInt(queued.DeliveryID, 10) + " verified=true"
	if len(got) != 1 || got[0] != want {
		t.Errorf("receiver got %q, want exactly [%q]", got, want)
	}
	if d.Attempts != 2 || d.ID != queued.DeliveryID {
		t.Errorf("delivery log = %+v, want delivered at the second attempt", d)
	}
}

// waitUntil polls cond for up to a minute.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
