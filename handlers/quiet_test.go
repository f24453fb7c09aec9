package handlers_test

import (
	"compress/gzip"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// databaseWrites is how many rows have been inserted, updated or deleted in
// the database at dbURL, as Postgres counts them (pg_stat_database). Stats
// reach that view when a backend flushes them, which it does at the latest
// when it exits: so the caller closes every pool on the database first and
// this waits for their backends to be gone.
func databaseWrites(t *testing.T, dbURL string) int64 {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.Database
	admin, err := pgx.Connect(ctx, storetest.Server(t).AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for i := 0; ; i++ {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if i == 200 {
			t.Fatalf("%d connections to %s are still open", n, name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var writes int64
	if err := admin.QueryRow(ctx, `SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = $1`,
		name).Scan(&writes); err != nil {
		t.Fatal(err)
	}
	return writes
}

// TestPageViewsWriteNothing: in the steady state a signed-in person's page
// views and a token's API calls write nothing to the database (measured by
// Postgres itself) and send no Set-Cookie.
func TestPageViewsWriteNothing(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.NewURL(t)
	open := func() (*pgxpool.Pool, *testConsole) {
		pool, err := pgxpool.New(ctx, dbURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool, serveConsole(t, store.New(pool))
	}

	// Setting up writes: users, a sign-in, a token's first use, deployments.
	pool, c := open()
	c.addUser("ada", store.RoleAdmin)
	for _, image := range []string{"nginx:1", "nginx:2"} {
		if _, err := pool.Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at)
			VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, 'succeeded', 'ada', now())`,
			`{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web"},"taskDefinition":{"containerDefinitions":[{"name":"web","image":"`+image+`"}]}}`); err != nil {
			t.Fatal(err)
		}
	}
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	secret := c.token("ci", store.RoleViewer)
	wantStatus(t, b.get("/deployments"), http.StatusOK)
	resp, _ := c.apiCall(http.MethodGet, "/api/v1/deployments", secret, "")
	wantStatus(t, resp, http.StatusOK)
	pool.Close()
	before := databaseWrites(t, dbURL)

	// The steady state: a second console process on the same database.
	pool, c = open()
	b.base = c.URL // the same browser, its cookie still valid
	const views = 20
	for range views {
		for _, path := range []string{"/", "/deployments", "/deployments?status=succeeded", "/deployments/2", "/services", "/audit", "/account"} {
			resp := b.get(path)
			wantStatus(t, resp, http.StatusOK)
			if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 {
				t.Fatalf("GET %s sent Set-Cookie %q; the session did not change", path, sc)
			}
		}
		for _, path := range []string{"/api/v1/deployments", "/api/v1/deployments/2", "/api/v1/me"} {
			resp, _ := c.apiCall(http.MethodGet, path, secret, "")
			wantStatus(t, resp, http.StatusOK)
		}
	}
	pool.Close()
	if writes := databaseWrites(t, dbURL) - before; writes != 0 {
		t.Errorf("%d page views and %d API calls wrote %d rows; want none", views*7, views*3, writes)
	}
}

// TestSessionEndsAtOnce: however coarse the idle clock, disabling a user
// and signing out take effect on the next request, on every console and
// for every copy of the cookie.
func TestSessionEndsAtOnce(t *testing.T) {
	c := newConsole(t)
	u := c.addUser("bob", store.RoleViewer)
	other := serveConsole(t, c.Store) // a second console on the same database

	signIn := func() (*browser, *browser) {
		b := c.browser()
		wantStatus(t, b.login("bob", testPassword), http.StatusSeeOther)
		wantStatus(t, b.get("/deployments"), http.StatusOK)
		copy := other.browser()
		u, _ := url.Parse(c.URL)
		ou, _ := url.Parse(other.URL)
		copy.c.Jar.SetCookies(ou, b.c.Jar.Cookies(u))
		wantStatus(t, copy.get("/deployments"), http.StatusOK)
		return b, copy
	}

	b, copy := signIn()
	wantStatus(t, b.post("/logout", url.Values{}), http.StatusSeeOther)
	for name, br := range map[string]*browser{"the signed-out browser": b, "a copy of its cookie on another console": copy} {
		resp := br.get("/deployments")
		wantStatus(t, resp, http.StatusSeeOther)
		if !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
			t.Errorf("%s after sign-out went to %q", name, resp.Header.Get("Location"))
		}
	}

	b, copy = signIn()
	secret := c.token("bob-ci", store.RoleViewer)
	resp, _ := c.apiCall(http.MethodGet, "/api/v1/me", secret, "")
	wantStatus(t, resp, http.StatusOK)
	ctx := context.Background()
	if err := c.Store.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	ci, err := c.Store.UserByName(ctx, "bob-ci")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Store.SetDisabled(ctx, ci.ID, true); err != nil {
		t.Fatal(err)
	}
	for name, br := range map[string]*browser{"a disabled user's browser": b, "its cookie on another console": copy} {
		if resp := br.get("/deployments"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s still gets pages after the user was disabled (status %d)", name, resp.StatusCode)
		}
	}
	resp, _ = other.apiCall(http.MethodGet, "/api/v1/me", secret, "")
	wantStatus(t, resp, http.StatusUnauthorized)
}

// TestPagesAndJSONCompressed: a browser that accepts gzip gets pages and
// API lists gzipped.
func TestPagesAndJSONCompressed(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	b.header.Set("Accept-Encoding", "gzip")
	resp := b.get("/deployments")
	wantStatus(t, resp, http.StatusOK)
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("history page: Content-Encoding %q, want gzip", resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	page, err := goquery.NewDocumentFromReader(zr)
	if err != nil || page.Find("main h1").Length() == 0 {
		t.Errorf("the gunzipped page has no heading (%v)", err)
	}

	secret := c.token("ci", store.RoleViewer)
	req, _ := http.NewRequest(http.MethodGet, c.URL+"/api/v1/deployments?limit=200", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Accept-Encoding", "gzip")
	api, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Body.Close()
	// An empty list is below the 1 KiB threshold: sent as is, still JSON.
	if api.StatusCode != http.StatusOK || !strings.HasPrefix(api.Header.Get("Content-Type"), "application/json") {
		t.Errorf("API list: %d %q", api.StatusCode, api.Header.Get("Content-Type"))
	}
}

// queryCounter counts the statements a pool sends.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
