package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// With the database gone, pages and the API answer 503 with Retry-After,
// never 500, and recover by themselves when it is back.
func TestDatabaseOutageAnswers503(t *testing.T) {
	proxy := storetest.NewProxy(t)
	pool, err := pgxpool.New(context.Background(), proxy.URL(storetest.NewURL(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c := serveConsole(t, store.New(pool))
	c.addUser("alice", store.RoleAdmin)
	token := c.token("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("alice", testPassword), http.StatusSeeOther)
	wantStatus(t, b.get("/deployments"), http.StatusOK)

	proxy.Cut()
	for _, path := range []string{"/deployments", "/", "/login"} {
		resp := b.get(path)
		wantStatus(t, resp, http.StatusServiceUnavailable)
		if resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s: 503 without Retry-After", path)
		}
		if msg := doc(t, resp).Find("main").Text(); !strings.Contains(msg, "database is unavailable") {
			t.Errorf("GET %s: page says %q", path, msg)
		}
	}
	wantStatus(t, c.browser().login("alice", testPassword), http.StatusServiceUnavailable)
	for _, call := range [][2]string{{"GET", "/api/v1/deployments"}, {"POST", "/api/v1/deployments"}} {
		resp, out := c.apiCall(call[0], call[1], token, journeyBody(t))
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
			out["error"].(map[string]any)["code"] != "unavailable" {
			t.Errorf("%s %s during the outage: %d %v (Retry-After %q)", call[0], call[1], resp.StatusCode, out, resp.Header.Get("Retry-After"))
		}
	}
	wantStatus(t, b.get("/readyz"), http.StatusServiceUnavailable)

	proxy.Restore()
	wantStatus(t, b.get("/deployments"), http.StatusOK)
	resp, _ := c.apiCall("GET", "/api/v1/deployments", token, "")
	wantStatus(t, resp, http.StatusOK)
}
