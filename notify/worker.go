package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
)

// Queue is the River queue of deliveries, apart from deployments' so that
// a slow receiver never holds a deployment's worker.
const Queue = "notifications"

// DeliverArgs is the job that sends one delivery.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind is River's name for the job.
func (DeliverArgs) Kind() string { return "webhook_deliver" }

// Attempts is how many times a delivery is tried before it is recorded
// failed: with the default backoff, over about a day.
const Attempts = 12

// InsertOpts puts deliveries on their queue.
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: Attempts}
}

// Options configures a Notifier. Zero values take the defaults shown.
type Options struct {
	// BaseURL is the console's public URL, for links in messages. Optional.
	BaseURL string
	// Timeout bounds one request, connection to last byte. Default 10s.
	Timeout time.Duration
	// RetryBase is the first retry's delay; each next one doubles, up to
	// 6 hours. Default 10s.
	RetryBase time.Duration
	// Client sends the requests; by default one that never follows
	// redirects. A given client's redirect policy is replaced.
	Client *http.Client
	Logger *slog.Logger
}

// Notifier writes and sends webhook deliveries.
type Notifier struct {
	store    *store.Store
	opts     Options
	client   *http.Client
	inserter *river.Client[pgx.Tx]
}

// New returns a Notifier on st's database, and makes st's deployment
// events enqueue deliveries through it (store.SetDeliveryEnqueuer).
func New(st *store.Store, opts Options) (*Notifier, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	client := &http.Client{}
	if opts.Client != nil {
		c := *opts.Client
		client = &c
	}
	client.Timeout = opts.Timeout
	// A receiver's redirect is not followed: the admin named one URL, and
	// a redirect could point the signed body somewhere else.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	inserter, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("notify: job queue client: %w", err)
	}
	n := &Notifier{store: st, opts: opts, client: client, inserter: inserter}
	st.SetDeliveryEnqueuer(n.enqueue)
	return n, nil
}

// enqueue inserts the jobs of deliveries ids in tx, the transaction that
// wrote them.
func (n *Notifier) enqueue(ctx context.Context, tx pgx.Tx, ids []int64) error {
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: DeliverArgs{DeliveryID: id}}
	}
	if _, err := n.inserter.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueueing webhook deliveries: %w", err)
	}
	return nil
}

// AddWorkers registers the delivery worker, for the River client that
// runs the notifications Queue (QueueConfig): the process's one worker
// client, which must know every job kind on the database (River's rescuer
// discards a job of a kind its client does not know), so deploy's
// WorkerOptions.AddWorkers.
func (n *Notifier) AddWorkers(workers *river.Workers) error {
	return river.AddWorkerSafely(workers, &deliverWorker{n: n})
}

// QueueConfig is the notifications queue's River configuration.
func QueueConfig() river.QueueConfig { return river.QueueConfig{MaxWorkers: 5} }

// deliverWorker sends one delivery per job.
type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	n *Notifier
}

// responseLimit is how much of a receiver's answer is read (and thrown
// away) so that the connection can be reused; the body is never stored.
const responseLimit = 4 << 10

// Work sends the delivery once. A delivery already delivered (a job run
// again after its console died past the send) or gone with its webhook is
// done; a failed attempt is recorded and returned for River to retry with
// backoff, the last one recorded as failed.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	d, hook, secret, err := w.n.store.DeliveryToSend(ctx, job.Args.DeliveryID)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return nil // the webhook was deleted
	}
	if err != nil {
		return err
	}
	if d.Status != store.DeliveryPending {
		return nil
	}
	code, sendErr := w.n.send(ctx, hook, secret, d)
	final := job.Attempt >= job.MaxAttempts
	a := store.DeliveryAttempt{StatusCode: code, Delivered: sendErr == nil, Final: final}
	if sendErr != nil {
		a.Error = sendErr.Error()
	}
	// Recorded even when the job's context ended, so the log is true.
	if err := w.n.store.RecordAttempt(context.WithoutCancel(ctx), d.ID, a); err != nil {
		return err
	}
	if sendErr != nil {
		w.n.opts.Logger.Warn("webhook delivery failed", "webhook_id", hook.ID, "delivery_id", d.ID,
			"url", hook.RedactedURL(), "attempt", job.Attempt, "error", sendErr.Error())
		if final {
			return river.JobCancel(sendErr)
		}
		return sendErr
	}
	return nil
}

// NextRetry backs off exponentially from RetryBase, up to 6 hours.
func (w *deliverWorker) NextRetry(job *river.Job[DeliverArgs]) time.Time {
	d := w.n.opts.RetryBase << min(job.Attempt-1, 20)
	return time.Now().Add(min(d, 6*time.Hour))
}

// Timeout bounds an attempt a little past the request's own timeout; a
// delivery whose console died is rescued with the apply jobs (deploy's
// RescueStuckJobsAfter) and sent again under the same id.
func (w *deliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.n.opts.Timeout + 5*time.Second
}

// send posts d to hook, signed; it returns the status code (0 without an
// answer) and an error unless the receiver answered 2xx.
func (n *Notifier) send(ctx context.Context, hook store.Webhook, secret string, d store.WebhookDelivery) (int, error) {
	b, err := body(hook.Format, n.opts.BaseURL, d)
	if err != nil {
		return 0, fmt.Errorf("encoding the event: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(b))
	if err != nil {
		return 0, fmt.Errorf("the URL cannot be requested: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ecsconsole-webhook/1")
	req.Header.Set(SignatureHeader, Sign(secret, time.Now(), b))
	req.Header.Set(DeliveryHeader, deliveryKey(d.ID))
	req.Header.Set("Idempotency-Key", deliveryKey(d.ID))
	req.Header.Set(EventHeader, d.Event)
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("no answer: %w", unwrapURLError(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, responseLimit))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, nil
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return resp.StatusCode, fmt.Errorf("answered %d, a redirect (not followed): give the webhook its final URL", resp.StatusCode)
	}
	return resp.StatusCode, errors.New("answered " + strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode))
}

// unwrapURLError drops *url.Error's "Post <url>:" prefix: the URL may hold
// a token, and the delivery log is on a page.
func unwrapURLError(err error) error {
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
