package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
)

// TestDeploymentPageShowsStoredChanges: a deployment's page lists the
// changes stored when it was created, without comparing specs again.
func TestDeploymentPageShowsStoredChanges(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleViewer)
	ctx := context.Background()
	spec := `{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web"},"taskDefinition":{"containerDefinitions":[{"name":"web","image":"nginx:1"}]}}`
	for _, changes := range []any{nil, `{"previous":1,"changes":[{"path":"service.stored","kind":"changed","old":"\"a\"","new":"\"from-the-column\""}]}`} {
		if _, err := c.Store.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at, spec_changes)
			VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, 'succeeded', 'ada', now(), $2)`, spec, changes); err != nil {
			t.Fatal(err)
		}
	}
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	resp := b.get("/deployments/2")
	wantStatus(t, resp, http.StatusOK)
	if got := doc(t, resp).Find("table.changes").Text(); !strings.Contains(got, "from-the-column") || !strings.Contains(got, "service.stored") {
		t.Errorf("changes = %q, want the stored ones (the specs are the same)", got)
	}
}
