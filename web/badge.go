package web

import (
	"bytes"
	"context"
	"io"

	"github.com/a-h/templ"
)

// badgeStatuses are the deployment statuses (store.Status*) whose badges
// are rendered once; any other still renders, only slower.
var badgeStatuses = []string{"queued", "running", "waiting_for_dns", "succeeded", "failed", "rolled_back_by_ecs", "superseded", "interrupted"}

// badges maps a status to its badge's HTML, rendered once at start: templ's
// handling of a computed class attribute (sanitising and joining class
// names on every call) was about 8% of a history page's CPU.
var badges = func() map[string]string {
	m := make(map[string]string, len(badgeStatuses))
	for _, s := range badgeStatuses {
		var b bytes.Buffer
		if err := renderBadge(s).Render(context.Background(), &b); err != nil {
			panic(err) // a constant template on a constant input
		}
		m[s] = b.String()
	}
	return m
}()

// prerenderedBadge writes a known status's badge as rendered at start, and
// renders any other.
func prerenderedBadge(status string) templ.Component {
	if html, ok := badges[status]; ok {
		return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
			_, err := io.WriteString(w, html)
			return err
		})
	}
	return renderBadge(status)
}
