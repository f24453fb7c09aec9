package notify

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ecsconsole/ecsconsole/store"
)

// Event is the plain JSON format's body.
type Event struct {
	// ID is the delivery's id: the same for every attempt (the
	// idempotency key, also in DeliveryHeader).
	ID         string              `json:"id"`
	Event      string              `json:"event"`
	At         time.Time           `json:"at"`
	Deployment store.EventSnapshot `json:"deployment"`
	// Link is the deployment's page when the console's base URL is known.
	Link string `json:"link,omitempty"`
}

// body renders delivery d for a webhook of format, linking to baseURL.
func body(format, baseURL string, d store.WebhookDelivery) ([]byte, error) {
	link := ""
	if baseURL != "" && d.DeploymentID != 0 {
		link = baseURL + "/deployments/" + strconv.FormatInt(d.DeploymentID, 10)
	}
	if format == store.FormatJSON {
		return json.Marshal(Event{ID: deliveryKey(d.ID), Event: d.Event, At: d.CreatedAt.UTC(), Deployment: d.Snapshot, Link: link})
	}
	text := slackEscape.Replace(sentence(d)) // names and reasons are users' text
	if link != "" {
		text += " <" + link + "|Open deployment #" + strconv.FormatInt(d.DeploymentID, 10) + ">"
	}
	return json.Marshal(map[string]any{
		"text": text,
		"blocks": []any{map[string]any{
			"type": "section",
			"text": map[string]string{"type": "mrkdwn", "text": text},
		}},
	})
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// deliveryKey is the idempotency key of delivery id.
func deliveryKey(id int64) string { return "ecsconsole-delivery-" + strconv.FormatInt(id, 10) }

// sentence says what happened, for chat.
func sentence(d store.WebhookDelivery) string {
	s := d.Snapshot
	what := fmt.Sprintf("%s (%s)", s.Name, s.Service)
	switch d.Event {
	case store.EventTest:
		return fmt.Sprintf("Test from ecsconsole, sent by %s: this webhook works.", s.CreatedBy)
	case store.EventStarted:
		return fmt.Sprintf("Deploying %s: deployment #%d by %s%s.", what, s.ID, s.CreatedBy, because(s.Reason))
	case store.EventRolledBack:
		return fmt.Sprintf("%s rolled %s back to deployment #%d (rollback #%d)%s.", s.CreatedBy, what, s.RollbackOf, s.ID, because(s.Reason))
	case store.EventWaitingForDNS:
		return fmt.Sprintf("Deployment #%d of %s waits for DNS validation of its certificate: add the CNAME records shown on its page.", s.ID, what)
	case store.EventSucceeded:
		if s.URL != "" {
			return fmt.Sprintf("Deployment #%d of %s succeeded: %s", s.ID, what, s.URL)
		}
		return fmt.Sprintf("Deployment #%d of %s succeeded.", s.ID, what)
	case store.EventRolledBackByECS:
		return fmt.Sprintf("Deployment #%d of %s was rolled back by ECS (circuit breaker): the new tasks did not become healthy.", s.ID, what)
	case store.EventFailed:
		msg := fmt.Sprintf("Deployment #%d of %s ended %s", s.ID, what, s.Status)
		if s.ErrorStep != "" || s.ErrorCode != "" {
			msg += fmt.Sprintf(" at %s: %s %s", s.ErrorStep, s.ErrorCode, s.ErrorText)
		}
		return msg + "."
	}
	return fmt.Sprintf("Deployment #%d of %s: %s.", s.ID, what, d.Event)
}

func because(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}
