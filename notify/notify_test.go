package notify_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/notify"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// received is one request a receiver got.
type received struct {
	Delivery, Event string
	Verified        bool
	Body            map[string]any
}

// receiver is a real HTTP receiver that checks every request's signature
// as the README tells receivers to, and answers with the codes queued in
// answers (200 when none are left).
type receiver struct {
	*httptest.Server
	secret  string
	mu      sync.Mutex
	got     []received
	answers []int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(body, &m)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, received{Delivery: r.Header.Get(notify.DeliveryHeader), Event: r.Header.Get(notify.EventHeader),
			Verified: notify.Verify(rc.secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), 5*time.Minute), Body: m})
		code := http.StatusOK
		if len(rc.answers) > 0 {
			code, rc.answers = rc.answers[0], rc.answers[1:]
		}
		w.WriteHeader(code)
		w.Write([]byte(strings.Repeat("a receiver's long answer, read and dropped ", 1000)))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// rig is a store with a running delivery worker.
func rig(t *testing.T) *store.Store {
	t.Helper()
	st := storetest.NewStore(t)
	n, err := notify.New(st, notify.Options{RetryBase: 50 * time.Millisecond, Timeout: 2 * time.Second, BaseURL: "https://deploy.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// The test databases hold no other jobs: a client with the delivery
	// worker only (a console adds it to its one worker client).
	workers := river.NewWorkers()
	if err := n.AddWorkers(workers); err != nil {
		t.Fatal(err)
	}
	w, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{Workers: workers,
		Queues: map[string]river.QueueConfig{notify.Queue: notify.QueueConfig()}, FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop(context.Background()) })
	return st
}

func noJob(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDeploymentEventsReachWebhooksSigned follows a deployment's status
// changes to a real receiver: each event a webhook wants arrives once,
// signed with its secret, in its format; a webhook for another service or
// other events gets nothing; a waiting_for_dns set again after a DNS
// recheck is not announced twice.
func TestDeploymentEventsReachWebhooksSigned(t *testing.T) {
	st := rig(t)
	ctx := context.Background()
	slack, plain, other := newReceiver(t), newReceiver(t), newReceiver(t)
	mk := func(rc *receiver, format string, services, events []string) {
		t.Helper()
		_, secret, err := st.CreateWebhook(ctx, store.NewWebhook{Name: "hook", URL: rc.URL + "/hook?token=abc", Format: format,
			Services: services, Events: events, CreatedBy: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		rc.secret = secret
	}
	mk(slack, store.FormatSlack, nil, store.WebhookEvents)
	mk(plain, store.FormatJSON, []string{"web"}, []string{store.EventWaitingForDNS, store.EventSucceeded})
	mk(other, store.FormatJSON, []string{"us-east-1/demo/api"}, store.WebhookEvents)

	d, err := st.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: "us-east-1/demo/web", Region: "us-east-1", Cluster: "demo",
		Service: "web", Spec: json.RawMessage(`{}`), CreatedBy: "ada", Reason: "<b>new</b> image"}, noJob)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartDeployment(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the engine sets it again after each DNS recheck
		if err := st.SetDeploymentStatus(ctx, d.ID, ecsconsole.StatusWaitingForDNS); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusFailed}); err != nil { // a no-op
		t.Fatal(err)
	}
	waitFor(t, "3 slack and 2 plain deliveries", func() bool { return len(slack.requests()) >= 3 && len(plain.requests()) >= 2 })
	time.Sleep(300 * time.Millisecond) // nothing more comes
	sr, pr := slack.requests(), plain.requests()
	if len(sr) != 3 || len(pr) != 2 || len(other.requests()) != 0 {
		t.Fatalf("got %d slack, %d plain, %d other requests; want 3, 2, 0", len(sr), len(pr), len(other.requests()))
	}
	events := map[string]bool{}
	ids := map[string]bool{}
	for _, r := range append(sr, pr...) {
		if !r.Verified {
			t.Errorf("delivery %s (%s): signature does not verify", r.Delivery, r.Event)
		}
		events[r.Event] = true
		ids[r.Delivery] = true
	}
	if len(ids) != 5 || !events["started"] || !events["waiting_for_dns"] || !events["succeeded"] {
		t.Errorf("deliveries %v, events %v", ids, events)
	}
	// Deliveries run concurrently: find each by its event.
	byEvent := func(rs []received, event string) map[string]any {
		for _, r := range rs {
			if r.Event == event {
				return r.Body
			}
		}
		t.Fatalf("no %s delivery", event)
		return nil
	}
	started := byEvent(sr, "started")
	text, _ := started["text"].(string)
	if !strings.Contains(text, "&lt;b&gt;new&lt;/b&gt; image") || started["blocks"] == nil {
		t.Errorf("slack body = %v (text with the reason escaped, and blocks)", started)
	}
	last := byEvent(pr, "succeeded")
	if last["link"] != "https://deploy.example.com/deployments/1" || last["deployment"].(map[string]any)["status"] != "succeeded" ||
		last["deployment"].(map[string]any)["service"] != "us-east-1/demo/web" || !strings.HasPrefix(last["id"].(string), "ecsconsole-delivery-") {
		t.Errorf("json body = %v", last)
	}
	// A forged body does not verify.
	if notify.Verify(plain.secret, notify.Sign(plain.secret, time.Now(), []byte(`{"a":1}`)), []byte(`{"a":2}`), time.Now(), time.Minute) {
		t.Error("a changed body verifies")
	}
	// The timestamp is signed too: a fresh t= on an old signature fails.
	old := notify.Sign(plain.secret, time.Now().Add(-time.Hour), []byte(`{}`))
	_, v1, _ := strings.Cut(old, ",")
	if notify.Verify(plain.secret, "t="+strconv.FormatInt(time.Now().Unix(), 10)+","+v1, []byte(`{}`), time.Now(), 5*time.Minute) {
		t.Error("a replayed signature with a new timestamp verifies")
	}
	if notify.Verify(plain.secret, notify.Sign(plain.secret, time.Now().Add(-time.Hour), []byte(`{}`)), []byte(`{}`), time.Now(), 5*time.Minute) {
		t.Error("an hour-old signature verifies")
	}
}

// TestDeliveryRetriesAndLog: a receiver that fails, then answers, gets the
// same delivery (same id, signed again) until it takes it; the log says
// attempts and codes; a redirect is not followed; a delivery that never
// succeeds ends failed after its attempts.
func TestDeliveryRetriesAndLog(t *testing.T) {
	st := rig(t)
	ctx := context.Background()
	rc := newReceiver(t)
	rc.answers = []int{http.StatusServiceUnavailable, http.StatusInternalServerError}
	hook, secret, err := st.CreateWebhook(ctx, store.NewWebhook{Name: "flaky", URL: rc.URL, Format: store.FormatJSON,
		Events: []string{store.EventSucceeded}, CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	rc.secret = secret
	id, err := st.SendTestDelivery(ctx, hook.ID, "ada")
	if err != nil {
		t.Fatal(err)
	}
	var ds []store.WebhookDelivery
	waitFor(t, "the delivery to be delivered", func() bool {
		ds, err = st.ListDeliveries(ctx, hook.ID, 10)
		return err == nil && len(ds) == 1 && ds[0].Status == store.DeliveryDelivered
	})
	if ds[0].ID != id || ds[0].Attempts != 3 || ds[0].StatusCode != 200 || ds[0].DeliveredAt == nil {
		t.Errorf("delivery log = %+v, want 3 attempts ending 200", ds[0])
	}
	got := rc.requests()
	if len(got) != 3 || got[0].Delivery != got[2].Delivery || !got[2].Verified || got[0].Event != "test" {
		t.Errorf("requests = %+v: want the same delivery three times, signed", got)
	}

	// A redirect is recorded, never followed.
	target := newReceiver(t)
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusFound))
	t.Cleanup(redirect.Close)
	hook2, _, err := st.CreateWebhook(ctx, store.NewWebhook{Name: "moved", URL: redirect.URL, Format: store.FormatSlack,
		Events: []string{store.EventFailed}, CreatedBy: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SendTestDelivery(ctx, hook2.ID, "ada"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed attempt", func() bool {
		ds, err = st.ListDeliveries(ctx, hook2.ID, 10)
		return err == nil && len(ds) == 1 && ds[0].Attempts >= 2
	})
	if ds[0].StatusCode != http.StatusFound || !strings.Contains(ds[0].LastError, "redirect") || len(target.requests()) != 0 {
		t.Errorf("redirect: log %+v, %d requests reached the target", ds[0], len(target.requests()))
	}
	if err := st.DeleteWebhook(ctx, hook2.ID, "ada", ""); err != nil { // its retries stop quietly
		t.Fatal(err)
	}
}
