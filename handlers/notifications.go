package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/web"
)

// deliveriesShown is how many of a webhook's latest deliveries its page
// and the API show.
const deliveriesShown = 50

func webhookRow(w store.Webhook) web.WebhookRow {
	return web.WebhookRow{ID: w.ID, Name: w.Name, URL: w.RedactedURL(), Services: w.Services, Events: w.Events,
		Format: w.Format, CreatedBy: w.CreatedBy, CreatedAt: w.CreatedAt}
}

// notificationsPage lists webhooks with the form that adds one.
func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotifications(w, r, http.StatusOK, web.NotificationsView{
		Form: web.WebhookForm(store.WebhookEvents), Flash: s.sessions.PopString(r.Context(), flashKey)})
}

func (s *Server) renderNotifications(w http.ResponseWriter, r *http.Request, status int, v web.NotificationsView) error {
	hooks, err := s.store.ListWebhooks(r.Context())
	if err != nil {
		return err
	}
	for _, h := range hooks {
		v.Webhooks = append(v.Webhooks, webhookRow(h))
	}
	v.Events = store.WebhookEvents
	if v.NewSecret != "" {
		w.Header().Set("Cache-Control", "no-store") // the secret is in this answer only
	}
	s.render(w, r, status, web.NotificationsPage(s.page(r, "Notifications", "notifications"), v))
	return nil
}

// newWebhookFrom reads the add-a-webhook fields of a form: services
// separated by spaces or commas, events as repeated checkboxes.
func newWebhookFrom(r *http.Request) store.NewWebhook {
	me, _ := userFrom(r.Context())
	return store.NewWebhook{
		Name: r.PostFormValue("name"), URL: r.PostFormValue("url"),
		Services: strings.FieldsFunc(r.PostFormValue("services"), func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }),
		Events:   r.PostForm["events"], Format: r.PostFormValue("format"),
		CreatedBy: me.Username, IP: clientIP(r),
	}
}

// createWebhookForm adds a webhook and shows its secret, once: the answer
// is the page itself, not a redirect, since the secret is not kept for
// showing again.
func (s *Server) createWebhookForm(w http.ResponseWriter, r *http.Request) error {
	form := web.WebhookForm(store.WebhookEvents)
	form.Keep(postForm(r), "name", "url", "services", "format")
	form.Values["events"] = strings.Join(r.PostForm["events"], " ")
	hook, secret, err := s.store.CreateWebhook(r.Context(), newWebhookFrom(r))
	if err != nil {
		return refuse(err, form, func(w http.ResponseWriter, r *http.Request, status int, f web.Form) error {
			return s.renderNotifications(w, r, status, web.NotificationsView{Form: f})
		})
	}
	return s.renderNotifications(w, r, http.StatusCreated, web.NotificationsView{Form: web.WebhookForm(store.WebhookEvents),
		Flash: "Added " + hook.Name + ".", NewSecret: secret, NewID: hook.ID})
}

// webhookParam loads the webhook named by the {id} URL parameter.
func (s *Server) webhookParam(r *http.Request) (store.Webhook, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return store.Webhook{}, errNotFound("There is no such webhook.")
	}
	return s.store.Webhook(r.Context(), id)
}

// webhookPage shows a webhook and its delivery log.
func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	ds, err := s.store.ListDeliveries(r.Context(), hook.ID, deliveriesShown)
	if err != nil {
		return err
	}
	v := web.WebhookView{Webhook: webhookRow(hook), Flash: s.sessions.PopString(r.Context(), flashKey)}
	for _, d := range ds {
		at := d.CreatedAt
		if d.AttemptedAt != nil {
			at = *d.AttemptedAt
		}
		v.Deliveries = append(v.Deliveries, web.DeliveryRow{ID: d.ID, Event: d.Event, DeploymentID: d.DeploymentID,
			Status: d.Status, Attempts: d.Attempts, StatusCode: d.StatusCode, LastError: d.LastError, At: at})
	}
	s.render(w, r, http.StatusOK, web.WebhookPage(s.page(r, "Webhook "+hook.Name, "notifications"), v))
	return nil
}

// testWebhookForm sends a test delivery ("Send a test").
func (s *Server) testWebhookForm(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	id, err := s.store.SendTestDelivery(r.Context(), hook.ID, me.Username)
	if err != nil {
		return err
	}
	s.sessions.Put(r.Context(), flashKey, "Test delivery #"+strconv.FormatInt(id, 10)+" queued: reload to see how it went.")
	http.Redirect(w, r, "/notifications/"+strconv.FormatInt(hook.ID, 10), http.StatusSeeOther)
	return nil
}

// deleteWebhookForm deletes a webhook (audited).
func (s *Server) deleteWebhookForm(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	if err := s.store.DeleteWebhook(r.Context(), hook.ID, me.Username, clientIP(r)); err != nil {
		return err
	}
	s.sessions.Put(r.Context(), flashKey, "Deleted "+hook.Name+".")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

// webhookJSON is a webhook in the API; Secret only in the answer that
// made it.
type webhookJSON struct {
	ID         int64          `json:"id"`
	Name       string         `json:"name"`
	URL        string         `json:"url"` // scheme and host only
	Services   []string       `json:"services"`
	Events     []string       `json:"events"`
	Format     string         `json:"format"`
	CreatedBy  string         `json:"createdBy"`
	CreatedAt  time.Time      `json:"createdAt"`
	Secret     string         `json:"secret,omitempty"`
	Deliveries []deliveryJSON `json:"deliveries,omitempty"`
}

type deliveryJSON struct {
	ID           int64      `json:"id"`
	Event        string     `json:"event"`
	DeploymentID int64      `json:"deploymentId,omitempty"`
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	StatusCode   int        `json:"statusCode,omitempty"`
	LastError    string     `json:"lastError,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	AttemptedAt  *time.Time `json:"attemptedAt,omitempty"`
}

func webhookBody(h store.Webhook) webhookJSON {
	return webhookJSON{ID: h.ID, Name: h.Name, URL: h.RedactedURL(), Services: h.Services, Events: h.Events,
		Format: h.Format, CreatedBy: h.CreatedBy, CreatedAt: h.CreatedAt.UTC()}
}

// apiWebhooks lists webhooks.
func (s *Server) apiWebhooks(w http.ResponseWriter, r *http.Request) error {
	hooks, err := s.store.ListWebhooks(r.Context())
	if err != nil {
		return err
	}
	out := make([]webhookJSON, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, webhookBody(h))
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

// apiCreateWebhook adds a webhook; the answer holds its secret, once.
func (s *Server) apiCreateWebhook(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name     string   `json:"name"`
		URL      string   `json:"url"`
		Services []string `json:"services"`
		Events   []string `json:"events"`
		Format   string   `json:"format"`
	}
	if err := readJSON(r, &req, 64<<10, false, `{"name": "...", "url": "https://...", "events": ["succeeded"], "format": "slack"}`); err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	hook, secret, err := s.store.CreateWebhook(r.Context(), store.NewWebhook{Name: req.Name, URL: req.URL,
		Services: req.Services, Events: req.Events, Format: req.Format, CreatedBy: me.Username, IP: clientIP(r)})
	if err != nil {
		return err
	}
	body := webhookBody(hook)
	body.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, body)
	return nil
}

// apiWebhook is one webhook with its latest deliveries.
func (s *Server) apiWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	ds, err := s.store.ListDeliveries(r.Context(), hook.ID, deliveriesShown)
	if err != nil {
		return err
	}
	body := webhookBody(hook)
	for _, d := range ds {
		body.Deliveries = append(body.Deliveries, deliveryJSON{ID: d.ID, Event: d.Event, DeploymentID: d.DeploymentID,
			Status: d.Status, Attempts: d.Attempts, StatusCode: d.StatusCode, LastError: d.LastError,
			CreatedAt: d.CreatedAt.UTC(), AttemptedAt: d.AttemptedAt})
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// apiTestWebhook queues a test delivery.
func (s *Server) apiTestWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	id, err := s.store.SendTestDelivery(r.Context(), hook.ID, me.Username)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"deliveryId": id})
	return nil
}

// apiDeleteWebhook deletes a webhook.
func (s *Server) apiDeleteWebhook(w http.ResponseWriter, r *http.Request) error {
	hook, err := s.webhookParam(r)
	if err != nil {
		return err
	}
	me, _ := userFrom(r.Context())
	if err := s.store.DeleteWebhook(r.Context(), hook.ID, me.Username, clientIP(r)); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
