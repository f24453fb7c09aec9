package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// Webhook events: what a webhook can be told about a deployment.
const (
	EventStarted         = "started"            // a deploy was submitted
	EventWaitingForDNS   = "waiting_for_dns"    // parked until the certificate's CNAME records exist
	EventSucceeded       = "succeeded"          // stable, serving
	EventFailed          = "failed"             // failed, interrupted, or superseded
	EventRolledBackByECS = "rolled_back_by_ecs" // ECS's circuit breaker restored the previous revision
	EventRolledBack      = "rolled_back"        // a person rolled the service back
	// EventAwaitingApproval is kept for the blue/green strategies' approval
	// pauses: no deployment sends it yet, so forms do not offer it.
	EventAwaitingApproval = "awaiting_approval"
	// EventTest is the "Send a test" delivery.
	EventTest = "test"
)

// WebhookEvents are the events a webhook may subscribe to, in the order
// forms show them.
var WebhookEvents = []string{EventStarted, EventWaitingForDNS, EventSucceeded, EventFailed, EventRolledBackByECS, EventRolledBack}

// Webhook formats.
const (
	FormatSlack = "slack" // {"text": …, "blocks": […]}: Slack, Mattermost, Rocket.Chat, Discord's /slack
	FormatJSON  = "json"  // the event as a JSON document
)

// Webhook is where deployment events are posted. Its secret is not here:
// it is shown once when made, and only the sender reads it again
// (DeliveryToSend).
type Webhook struct {
	ID        int64
	Name      string
	URL       string
	Services  []string // service keys or names; empty: every service
	Events    []string
	Format    string
	CreatedBy string
	CreatedAt time.Time
}

// NewWebhook is what CreateWebhook needs.
type NewWebhook struct {
	Name, URL string
	Services  []string
	Events    []string
	Format    string
	CreatedBy string
	IP        string // for the audit trail
}

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // no attempts left
)

// WebhookDelivery is one event for one webhook, and how sending it went.
// Its ID is the idempotency key receivers dedupe on.
type WebhookDelivery struct {
	ID           int64
	WebhookID    int64
	Event        string
	DeploymentID int64
	Snapshot     EventSnapshot
	Status       string
	Attempts     int
	StatusCode   int
	LastError    string
	CreatedAt    time.Time
	AttemptedAt  *time.Time
	DeliveredAt  *time.Time
}

// EventSnapshot is a deployment as it was when the event happened.
type EventSnapshot struct {
	ID         int64  `json:"id"`
	Service    string `json:"service"` // region/cluster/service
	Region     string `json:"region"`
	Cluster    string `json:"cluster"`
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Status     string `json:"status"`
	CreatedBy  string `json:"createdBy"`
	Reason     string `json:"reason,omitempty"`
	RollbackOf int64  `json:"rollbackOf,omitempty"`
	URL        string `json:"url,omitempty"`
	ErrorStep  string `json:"errorStep,omitempty"`
	ErrorCode  string `json:"errorCode,omitempty"`
	ErrorText  string `json:"errorMessage,omitempty"`
}

func snapshotOf(d ecsconsole.Deployment) EventSnapshot {
	return EventSnapshot{ID: d.ID, Service: d.ServiceKey, Region: d.Region, Cluster: d.Cluster, Name: d.Service,
		Kind: d.Kind, Status: string(d.Status), CreatedBy: d.CreatedBy, Reason: d.Reason, RollbackOf: d.RollbackOf,
		URL: d.Outputs.URL, ErrorStep: d.ErrorStep, ErrorCode: d.ErrorCode, ErrorText: d.ErrorMessage}
}

// EnqueueDeliveries runs in the transaction that writes deliveries, so
// that the jobs sending them commit (or not) with them and with the
// deployment change they announce.
type EnqueueDeliveries func(ctx context.Context, tx pgx.Tx, ids []int64) error

// SetDeliveryEnqueuer makes deployment events write webhook deliveries
// and enqueue them through fn. Call it before serving; without it, no
// deliveries are written.
func (s *Store) SetDeliveryEnqueuer(fn EnqueueDeliveries) { s.enqueueDeliveries = fn }

// eventOf is the webhook event of a deployment reaching status, "" for none.
func eventOf(status ecsconsole.DeploymentStatus) string {
	switch status {
	case ecsconsole.StatusWaitingForDNS:
		return EventWaitingForDNS
	case ecsconsole.StatusSucceeded:
		return EventSucceeded
	case ecsconsole.StatusRolledBackByECS:
		return EventRolledBackByECS
	case ecsconsole.StatusFailed, ecsconsole.StatusInterrupted, ecsconsole.StatusSuperseded:
		return EventFailed
	}
	return ""
}

// deploymentEvent writes, in the transaction that changed d, a delivery
// of event for every webhook that wants it, and enqueues their jobs.
func (s *Store) deploymentEvent(ctx context.Context, tx pgx.Tx, d ecsconsole.Deployment, event string) error {
	if s.enqueueDeliveries == nil || event == "" {
		return nil
	}
	rows, err := tx.Query(ctx, `INSERT INTO webhook_deliveries (webhook_id, event, deployment_id, snapshot)
		SELECT id, $1, $2, $3 FROM webhooks
		WHERE $1 = ANY (events) AND (cardinality(services) = 0 OR $4 = ANY (services) OR $5 = ANY (services))
		RETURNING id`, event, d.ID, snapshotOf(d), d.ServiceKey, d.Service)
	if err != nil {
		return fmt.Errorf("writing %s deliveries of deployment %d: %w", event, d.ID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("writing %s deliveries of deployment %d: %w", event, d.ID, err)
	}
	if len(ids) == 0 {
		return nil
	}
	return s.enqueueDeliveries(ctx, tx, ids)
}

// webhookSecretPrefix marks a webhook secret, so that one pasted where it
// should not be is recognisable (and found by secret scanners).
const webhookSecretPrefix = "whsec_"

// MaxWebhookServices bounds how many services one webhook names.
const MaxWebhookServices = 100

// CreateWebhook stores a webhook with a new secret, audited in the same
// transaction, and returns the secret: this is the only time it is shown.
func (s *Store) CreateWebhook(ctx context.Context, nw NewWebhook) (Webhook, string, error) {
	nw.Name = strings.TrimSpace(nw.Name)
	nw.URL = strings.TrimSpace(nw.URL)
	if fe := webhookProblems(&nw); fe != nil {
		return Webhook{}, "", fe
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Webhook{}, "", fmt.Errorf("making a webhook secret: %w", err)
	}
	secret := webhookSecretPrefix + base64.RawURLEncoding.EncodeToString(raw)
	var w Webhook
	defer s.changes.wrote(AuditEvents)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `INSERT INTO webhooks (name, url, services, events, format, secret, created_by_name)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+webhookColumns,
			nw.Name, nw.URL, nw.Services, nw.Events, nw.Format, secret, nw.CreatedBy)
		if err != nil {
			return fmt.Errorf("creating webhook: %w", err)
		}
		if w, err = pgx.CollectExactlyOneRow(rows, scanWebhook); err != nil {
			return fmt.Errorf("creating webhook: %w", err)
		}
		return auditTx(ctx, tx, AuditEvent{Actor: nw.CreatedBy, Action: "webhook.create", Target: w.Name, IP: nw.IP,
			Detail: map[string]any{"webhook_id": w.ID, "url": redactURL(w.URL), "events": w.Events, "services": w.Services}})
	})
	if err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

// webhookProblems checks and tidies nw, by form field.
func webhookProblems(nw *NewWebhook) *FieldErrors {
	fields := map[string]string{}
	switch {
	case nw.Name == "":
		fields["name"] = "Name the webhook, e.g. the channel it posts to."
	case len([]rune(nw.Name)) > 100 || textHasControl(nw.Name):
		fields["name"] = "Use at most 100 characters of plain text."
	}
	if problem := webhookURLProblem(nw.URL); problem != "" {
		fields["url"] = problem
	}
	var services []string
	for _, sv := range nw.Services {
		if sv = strings.TrimSpace(sv); sv != "" && !slices.Contains(services, sv) {
			services = append(services, sv)
		}
	}
	for _, sv := range services {
		if len(sv) > 300 || textHasControl(sv) || strings.ContainsAny(sv, " ,") {
			fields["services"] = fmt.Sprintf("%q is not a service name or region/cluster/service key.", sv)
		}
	}
	if len(services) > MaxWebhookServices {
		fields["services"] = fmt.Sprintf("Name at most %d services, or none for all.", MaxWebhookServices)
	}
	nw.Services = services
	if services == nil {
		nw.Services = []string{}
	}
	var events []string
	for _, ev := range WebhookEvents { // known events, in their order, once each
		if slices.Contains(nw.Events, ev) {
			events = append(events, ev)
		}
	}
	switch {
	case len(nw.Events) == 0:
		fields["events"] = "Choose at least one event."
	case len(events) != len(slices.Compact(slices.Sorted(slices.Values(nw.Events)))):
		fields["events"] = "Choose among: " + strings.Join(WebhookEvents, ", ") + "."
	}
	nw.Events = events
	if nw.Format != FormatSlack && nw.Format != FormatJSON {
		fields["format"] = "Choose slack or json."
	}
	if len(fields) > 0 {
		return &FieldErrors{Fields: fields}
	}
	return nil
}

// webhookURLProblem says what is wrong with a webhook's URL. A private
// address is allowed: the admin may mean it (an internal chat server).
func webhookURLProblem(raw string) string {
	if raw == "" {
		return "Give the URL the events are posted to."
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 2000 || textHasControl(raw):
		return "Give an http:// or https:// URL, e.g. https://hooks.slack.com/services/…"
	case u.User != nil:
		return "Leave the user name and password out of the URL: the requests are signed instead."
	case u.Fragment != "":
		return "Leave out the #fragment: it is never sent."
	}
	return ""
}

func textHasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\uFFFD' })
}

// redactURL is u without its path and query, which often hold a token
// (Slack's hooks.slack.com/services/T…/B…/secret): the audit trail and
// logs keep only where it points.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// RedactedURL is a webhook's URL as pages and logs show it after
// creation: scheme and host, the rest elided (it may hold a token).
func (w Webhook) RedactedURL() string { return redactURL(w.URL) }

const webhookColumns = `id, name, url, services, events, format, created_by_name, created_at`

func scanWebhook(row pgx.CollectableRow) (Webhook, error) {
	var w Webhook
	err := row.Scan(&w.ID, &w.Name, &w.URL, &w.Services, &w.Events, &w.Format, &w.CreatedBy, &w.CreatedAt)
	return w, err
}

// ListWebhooks returns every webhook, oldest first (a console has a few).
func (s *Store) ListWebhooks(ctx context.Context) ([]Webhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("listing webhooks: %w", err)
	}
	ws, err := pgx.CollectRows(rows, scanWebhook)
	if err != nil {
		return nil, fmt.Errorf("listing webhooks: %w", err)
	}
	return ws, nil
}

// Webhook returns webhook id.
func (s *Store) Webhook(ctx context.Context, id int64) (Webhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id)
	if err != nil {
		return Webhook{}, fmt.Errorf("reading webhook %d: %w", id, err)
	}
	w, err := pgx.CollectExactlyOneRow(rows, scanWebhook)
	if errors.Is(err, pgx.ErrNoRows) {
		return Webhook{}, notFound("webhook %d", id)
	}
	if err != nil {
		return Webhook{}, fmt.Errorf("reading webhook %d: %w", id, err)
	}
	return w, nil
}

// DeleteWebhook deletes a webhook and its delivery log, audited in the
// same transaction; pending deliveries are dropped (their jobs find them
// gone).
func (s *Store) DeleteWebhook(ctx context.Context, id int64, actor, ip string) error {
	defer s.changes.wrote(AuditEvents)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var name, u string
		err := tx.QueryRow(ctx, `DELETE FROM webhooks WHERE id = $1 RETURNING name, url`, id).Scan(&name, &u)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("webhook %d", id)
		}
		if err != nil {
			return fmt.Errorf("deleting webhook %d: %w", id, err)
		}
		return auditTx(ctx, tx, AuditEvent{Actor: actor, Action: "webhook.delete", Target: name, IP: ip,
			Detail: map[string]any{"webhook_id": id, "url": redactURL(u)}})
	})
}

// SendTestDelivery writes a test delivery for webhook id and enqueues it.
func (s *Store) SendTestDelivery(ctx context.Context, id int64, actor string) (int64, error) {
	if s.enqueueDeliveries == nil {
		return 0, errors.New("sending a test delivery: no job queue")
	}
	var did int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		snap := EventSnapshot{Kind: EventTest, CreatedBy: actor, Reason: "a test from the Notifications page"}
		err := tx.QueryRow(ctx, `INSERT INTO webhook_deliveries (webhook_id, event, snapshot)
			SELECT id, $2, $3 FROM webhooks WHERE id = $1 RETURNING id`, id, EventTest, snap).Scan(&did)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound("webhook %d", id)
		}
		if err != nil {
			return fmt.Errorf("writing a test delivery: %w", err)
		}
		return s.enqueueDeliveries(ctx, tx, []int64{did})
	})
	return did, err
}

const deliveryColumns = `id, webhook_id, event, COALESCE(deployment_id, 0), snapshot, status, attempts, status_code,
	last_error, created_at, attempted_at, delivered_at`

func scanDelivery(row pgx.CollectableRow) (WebhookDelivery, error) {
	var d WebhookDelivery
	var snap []byte
	err := row.Scan(&d.ID, &d.WebhookID, &d.Event, &d.DeploymentID, &snap, &d.Status, &d.Attempts, &d.StatusCode,
		&d.LastError, &d.CreatedAt, &d.AttemptedAt, &d.DeliveredAt)
	if err == nil {
		err = json.Unmarshal(snap, &d.Snapshot)
	}
	return d, err
}

// ListDeliveries returns webhook id's latest deliveries, newest first.
func (s *Store) ListDeliveries(ctx context.Context, id int64, limit int) ([]WebhookDelivery, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = $1
		ORDER BY id DESC LIMIT $2`, id, min(max(limit, 1), 200))
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of webhook %d: %w", id, err)
	}
	ds, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of webhook %d: %w", id, err)
	}
	return ds, nil
}

// DeliveryToSend returns delivery id with its webhook and the webhook's
// secret, for the sender only.
func (s *Store) DeliveryToSend(ctx context.Context, id int64) (WebhookDelivery, Webhook, string, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, id)
	if err != nil {
		return WebhookDelivery{}, Webhook{}, "", fmt.Errorf("reading delivery %d: %w", id, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		return WebhookDelivery{}, Webhook{}, "", notFound("delivery %d", id)
	}
	if err != nil {
		return WebhookDelivery{}, Webhook{}, "", fmt.Errorf("reading delivery %d: %w", id, err)
	}
	var w Webhook
	var secret string
	err = s.pool.QueryRow(ctx, `SELECT `+webhookColumns+`, secret FROM webhooks WHERE id = $1`, d.WebhookID).
		Scan(&w.ID, &w.Name, &w.URL, &w.Services, &w.Events, &w.Format, &w.CreatedBy, &w.CreatedAt, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return WebhookDelivery{}, Webhook{}, "", notFound("webhook %d", d.WebhookID)
	}
	if err != nil {
		return WebhookDelivery{}, Webhook{}, "", fmt.Errorf("reading webhook %d: %w", d.WebhookID, err)
	}
	return d, w, secret, nil
}

// DeliveryAttempt is how one attempt to send a delivery went.
type DeliveryAttempt struct {
	StatusCode int    // 0 when no answer came
	Error      string // "" when delivered
	Delivered  bool
	Final      bool // no attempts left: a failure is the delivery's last word
}

// RecordAttempt counts an attempt of delivery id and its result. A
// delivery already delivered stays so.
func (s *Store) RecordAttempt(ctx context.Context, id int64, a DeliveryAttempt) error {
	status := DeliveryPending
	switch {
	case a.Delivered:
		status = DeliveryDelivered
	case a.Final:
		status = DeliveryFailed
	}
	_, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, status_code = $2, last_error = $3,
		status = $4, attempted_at = now(), delivered_at = CASE WHEN $4 = 'delivered' THEN now() END
		WHERE id = $1 AND status <> 'delivered'`, id, a.StatusCode, storableText(a.Error), status)
	if err != nil {
		return fmt.Errorf("recording attempt of delivery %d: %w", id, err)
	}
	return nil
}
