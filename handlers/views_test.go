package handlers_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// twoConsoles serves two consoles on one database, each with its own pool
// and store following the database's changes; the first one's statements
// are counted.
func twoConsoles(t *testing.T) (a, b *testConsole, counted *queryCounter) {
	t.Helper()
	dbURL := storetest.NewURL(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	counted = &queryCounter{}
	cfg.ConnConfig.Tracer = counted
	poolA, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poolA.Close)
	poolB, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(poolB.Close)
	stA, stB := store.New(poolA), store.New(poolB)
	storetest.Follow(t, stA)
	storetest.Follow(t, stB)
	return serveConsole(t, stA), serveConsole(t, stB), counted
}

// on is b's session sent to another console (cookies do not name ports).
func (b *browser) on(c *testConsole) *browser {
	other := *b
	other.base = c.URL
	return &other
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func insertDeployment(t *testing.T, c *testConsole, service, reason string) {
	t.Helper()
	if _, err := c.Store.Pool().Exec(context.Background(), `INSERT INTO deployments
		(service_key, region, cluster, service, spec, status, created_by_name, finished_at, reason)
		VALUES ('us-east-1/demo/' || $1, 'us-east-1', 'demo', $1, '{}', 'failed', 'seed', now(), $2)`, service, reason); err != nil {
		t.Fatal(err)
	}
}

// TestPagesServedFromMemory: a page asked again, by anyone, costs no query
// until a console on the database writes what it shows; the next view then
// shows the write.
func TestPagesServedFromMemory(t *testing.T) {
	ctx := context.Background()
	a, b, counted := twoConsoles(t)
	admin := a.addUser("ada", store.RoleAdmin)
	a.addUser("bob", store.RoleViewer)
	insertDeployment(t, b, "web", "first release")
	insertDeployment(t, b, "api", "second release")
	if err := a.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_, secret, err := a.Store.CreateToken(ctx, admin.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	ada, bob := a.browser(), a.browser()
	wantStatus(t, ada.login("ada", testPassword), http.StatusSeeOther)
	wantStatus(t, bob.login("bob", testPassword), http.StatusSeeOther)
	api := a.browser()
	api.header.Set("Authorization", "Bearer "+secret)
	for _, p := range []struct {
		who  *browser
		path string
	}{
		{ada, "/deployments"}, {ada, "/deployments?status=failed&service=web"}, {ada, "/deployments/1"},
		{ada, "/services"}, {ada, "/audit"}, {api, "/api/v1/deployments"},
		{bob, "/deployments"}, {bob, "/deployments/2"},
	} {
		// Twice: a token's first use is recorded, and read again.
		wantStatus(t, p.who.get(p.path), http.StatusOK)
		wantStatus(t, p.who.get(p.path), http.StatusOK)
		before := counted.n.Load()
		resp := p.who.get(p.path)
		wantStatus(t, resp, http.StatusOK)
		if n := counted.n.Load() - before; n != 0 {
			t.Errorf("%s asked again made %d queries, want none", p.path, n)
		}
		if p.who == bob && strings.Contains(body(t, resp), `href="/deploy"`) {
			t.Errorf("%s shows a viewer the deployer's page (New deployment)", p.path)
		}
	}

	// A filter is shown back as typed, though " web" and "web" filter alike.
	wantStatus(t, ada.get("/deployments?service=web"), http.StatusOK)
	if page := body(t, ada.get("/deployments?service=+web")); !strings.Contains(page, `value=" web"`) {
		t.Error(`a history filtered by " web" shows another page's filter (asked after "web")`)
	}

	// The other console deploys: the first one's next view reads again and
	// shows it, to everyone.
	insertDeployment(t, b, "worker", "written by the other console")
	if err := a.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before := counted.n.Load()
	if page := body(t, bob.get("/deployments")); !strings.Contains(page, "written by the other console") {
		t.Error("after another console's deployment the history does not show it")
	}
	if counted.n.Load() == before {
		t.Error("after another console's deployment the history was not read again")
	}
	if !strings.Contains(body(t, ada.get("/deployments")), "written by the other console") {
		t.Error("another viewer's history does not show the new deployment")
	}
}

// TestDisablingStopsSessionsAndTokensOnEveryConsole: a user disabled on
// one console is refused by every other as soon as the database's notice
// arrives, session and token alike; so is a session signed out elsewhere.
func TestDisablingStopsSessionsAndTokensOnEveryConsole(t *testing.T) {
	ctx := context.Background()
	a, b, _ := twoConsoles(t)
	vic := a.addUser("vic", store.RoleDeployer)
	a.addUser("sam", store.RoleViewer)
	_, secret, err := a.Store.CreateToken(ctx, vic.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	onA := a.browser()
	wantStatus(t, onA.login("vic", testPassword), http.StatusSeeOther)
	api := a.browser()
	api.header.Set("Authorization", "Bearer "+secret)
	wantStatus(t, onA.get("/deployments"), http.StatusOK)
	wantStatus(t, api.get("/api/v1/deployments"), http.StatusOK)

	// Disabled on b, without a's store knowing: a hears it from Postgres.
	disabled := time.Now()
	if err := b.Store.SetDisabled(ctx, vic.ID, true); err != nil {
		t.Fatal(err)
	}
	for onA.get("/deployments").StatusCode == http.StatusOK {
		if time.Since(disabled) > 5*time.Second {
			t.Fatal("5 s after vic was disabled on another console, this one still serves vic's session")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("a session of a user disabled on another console was refused %v later", time.Since(disabled).Round(time.Microsecond))
	wantStatus(t, onA.get("/deployments"), http.StatusSeeOther)
	wantStatus(t, api.get("/api/v1/deployments"), http.StatusUnauthorized)

	// Signed out on a: b refuses the cookie once it has heard.
	sam := a.browser()
	wantStatus(t, sam.login("sam", testPassword), http.StatusSeeOther)
	wantStatus(t, sam.on(b).get("/deployments"), http.StatusOK)
	wantStatus(t, sam.post("/logout", nil), http.StatusSeeOther)
	if err := b.Store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if resp := sam.on(b).get("/deployments"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a session signed out on another console still works here: %d", resp.StatusCode)
	}
}
