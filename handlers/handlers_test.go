package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/sandbox"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// testConsole is the HTTP layer on a fresh database, served by httptest.
type testConsole struct {
	t     testing.TB
	URL   string
	Store *store.Store
	// AWS is the sandbox behind the console, for injecting faults.
	AWS *sandbox.Server
}

const testPassword = "a long test password"

func newConsole(t testing.TB) *testConsole {
	t.Helper()
	st := storetest.NewStore(t)
	return serveConsole(t, st)
}

func serveConsole(t testing.TB, st *store.Store) *testConsole {
	t.Helper()
	return serveConsoleWith(t, st, handlers.Options{Region: "us-east-1"})
}

// serveConsoleWith serves a console on st with opts.
func serveConsoleWith(t testing.TB, st *store.Store, opts handlers.Options) *testConsole {
	t.Helper()
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	sb := sandbox.New(sandbox.Options{Speed: 100})
	aws := httptest.NewServer(sb)
	t.Cleanup(aws.Close)
	awsOpts := deploy.AWSOptions{
		Endpoint:    aws.URL,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}
	engine, err := deploy.NewEngine(st, deploy.Options{Clients: deploy.NewClientFactory(awsOpts)})
	if err != nil {
		t.Fatal(err)
	}
	srv := handlers.New(opts, handlers.Deps{
		Store: st, Assets: assets, Logger: slog.New(slog.DiscardHandler),
		Identity: func(context.Context) (string, string, error) {
			return "arn:aws:iam::000000000000:user/test", "000000000000", nil
		},
		Engine:  engine,
		Catalog: catalog.New(catalog.NewClientFactory(awsOpts)),
	})
	ts := httptest.NewServer(srv.Routes())
	t.Cleanup(ts.Close)
	return &testConsole{t: t, URL: ts.URL, Store: st, AWS: sb}
}

func (c *testConsole) addUser(name string, role store.Role) store.User {
	c.t.Helper()
	u, err := c.Store.CreateUser(context.Background(), name, role, testPassword)
	if err != nil {
		c.t.Fatal(err)
	}
	return u
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t      testing.TB
	c      *http.Client
	base   string
	header http.Header
}

func (c *testConsole) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: c.t, base: c.URL, header: http.Header{}, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) do(method, path string, form url.Values) *http.Response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	for k, v := range b.header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (b *browser) get(path string) *http.Response { return b.do(http.MethodGet, path, nil) }
func (b *browser) post(path string, form url.Values) *http.Response {
	return b.do(http.MethodPost, path, form)
}

func (b *browser) login(username, password string) *http.Response {
	return b.post("/login", url.Values{"username": {username}, "password": {password}, "next": {"/"}})
}

func doc(t *testing.T, resp *http.Response) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantStatus(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: status %d, want %d\n%.500s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, b)
	}
}

func TestUnauthenticated(t *testing.T) {
	c := newConsole(t)
	b := c.browser()

	resp := b.get("/users?tab=x")
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/login?next=%2Fusers%3Ftab%3Dx" {
		t.Errorf("Location = %q", loc)
	}

	resp = b.get("/api/v1/deployments")
	wantStatus(t, resp, http.StatusUnauthorized)
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error.Code != "unauthenticated" {
		t.Errorf("API 401 body: %+v, %v", body, err)
	}

	for _, path := range []string{"/login", "/healthz", "/readyz"} {
		wantStatus(t, b.get(path), http.StatusOK)
	}
}

func TestLoginAndDashboard(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleDeployer)
	b := c.browser()

	resp := b.post("/login", url.Values{"username": {"alice"}, "password": {testPassword}, "next": {"/deployments?x=1"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/deployments?x=1" {
		t.Errorf("after login Location = %q, want the next page", loc)
	}

	resp = b.get("/")
	wantStatus(t, resp, http.StatusOK)
	d := doc(t, resp)
	if got := d.Find(".who strong").Text(); got != "alice" {
		t.Errorf("signed-in name = %q", got)
	}
	if got := d.Find(".who .badge").Text(); got != "deployer" {
		t.Errorf("role badge = %q", got)
	}
	var nav []string
	d.Find("aside nav a").Each(func(_ int, s *goquery.Selection) { nav = append(nav, s.Text()) })
	if strings.Join(nav, ",") != "Overview,Deploy,Deployments,Services" {
		t.Errorf("deployer's navigation = %v (no Users for non-admins)", nav)
	}
	if got := d.Find("#aws-identity").Text(); got != "arn:aws:iam::000000000000:user/test" {
		t.Errorf("identity = %q", got)
	}

	if doc(t, b.get("/logout")).Find(`form[action="/logout"][method=post]`).Length() != 1 {
		t.Error("GET /logout has no sign-out form")
	}
	wantStatus(t, b.post("/logout", url.Values{}), http.StatusSeeOther)
	wantStatus(t, b.get("/"), http.StatusSeeOther)
	wantStatus(t, b.get("/logout"), http.StatusSeeOther)
}

func TestLoginSessionTokenRenewed(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleViewer)
	b := c.browser()
	wantStatus(t, b.get("/login"), http.StatusOK)
	u, _ := url.Parse(c.URL)
	before := b.c.Jar.Cookies(u)
	wantStatus(t, b.login("alice", testPassword), http.StatusSeeOther)
	after := b.c.Jar.Cookies(u)
	if len(after) != 1 || (len(before) == 1 && before[0].Value == after[0].Value) {
		t.Errorf("session cookie not renewed at login: before %v after %v", before, after)
	}
}

func TestLoginFailureSaysTheSame(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleViewer)
	messages := map[string]string{}
	for name, creds := range map[string][2]string{
		"wrong password": {"alice", "not the password"},
		"unknown user":   {"mallory", testPassword},
	} {
		resp := c.browser().login(creds[0], creds[1])
		wantStatus(t, resp, http.StatusUnauthorized)
		messages[name] = doc(t, resp).Find(".alert.error").Text()
	}
	if messages["wrong password"] == "" || messages["wrong password"] != messages["unknown user"] {
		t.Errorf("messages differ or are empty: %q", messages)
	}
	events, _ := c.Store.ListAudit(context.Background(), 0, 10)
	if len(events) != 2 || events[0].Action != "login.failure" {
		t.Errorf("audit = %+v, want two login.failure events", events)
	}
}

func TestLoginRateLimit(t *testing.T) {
	c := newConsole(t)
	b := c.browser()
	var last *http.Response
	for i := 0; i < 6; i++ {
		last = b.login("alice", "guess number "+string(rune('a'+i)))
	}
	wantStatus(t, last, http.StatusTooManyRequests)
	if ra := last.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
}

func TestRoles(t *testing.T) {
	c := newConsole(t)
	c.addUser("vera", store.RoleViewer)
	c.addUser("ada", store.RoleAdmin)

	viewer := c.browser()
	wantStatus(t, viewer.login("vera", testPassword), http.StatusSeeOther)
	resp := viewer.get("/users")
	wantStatus(t, resp, http.StatusForbidden)
	if h := doc(t, resp).Find("h1").Text(); h != "Forbidden" {
		t.Errorf("403 page heading = %q", h)
	}
	wantStatus(t, viewer.post("/users", url.Values{"username": {"x"}}), http.StatusForbidden)
	wantStatus(t, viewer.get("/audit"), http.StatusForbidden)

	admin := c.browser()
	wantStatus(t, admin.login("ada", testPassword), http.StatusSeeOther)
	wantStatus(t, admin.get("/users"), http.StatusOK)
}

func TestCrossOriginPostRefused(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)

	b.header.Set("Origin", "https://evil.example")
	b.header.Set("Sec-Fetch-Site", "cross-site")
	resp := b.post("/users", url.Values{"username": {"eve"}, "role": {"admin"}, "password": {testPassword}})
	wantStatus(t, resp, http.StatusForbidden)
	if _, err := c.Store.UserByName(context.Background(), "eve"); err == nil {
		t.Error("the cross-origin request created a user")
	}
	wantStatus(t, b.login("ada", testPassword), http.StatusForbidden)

	b.header.Set("Sec-Fetch-Site", "same-origin")
	b.header.Set("Origin", c.URL)
	wantStatus(t, b.post("/users", url.Values{"username": {"eve"}, "role": {"viewer"}, "password": {testPassword}}), http.StatusSeeOther)
}

func TestSecurityHeaders(t *testing.T) {
	c := newConsole(t)
	assets, _ := static.New()
	b := c.browser()
	for name, path := range map[string]string{
		"page":   "/login",
		"error":  "/no/such/page",
		"static": assets.URL("app.css"),
		"probe":  "/healthz",
	} {
		resp := b.get(path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP = %q", name, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", name, h)
		}
	}
	resp := b.get(assets.URL("vendor/htmx.min.js"))
	wantStatus(t, resp, http.StatusOK)
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("static Cache-Control = %q", cc)
	}
	wantStatus(t, b.get("/static/app.css"), http.StatusNotFound)
}

func TestBearerTokens(t *testing.T) {
	c := newConsole(t)
	u := c.addUser("ci", store.RoleDeployer)
	tok, secret, err := c.Store.CreateToken(context.Background(), u.ID, "pipeline")
	if err != nil {
		t.Fatal(err)
	}
	b := c.browser()
	b.header.Set("Authorization", "Bearer "+secret)
	resp := b.get("/api/v1/me")
	wantStatus(t, resp, http.StatusOK)
	var me struct{ Username, Role string }
	json.NewDecoder(resp.Body).Decode(&me)
	if me.Username != "ci" || me.Role != "deployer" {
		t.Errorf("me = %+v", me)
	}
	wantStatus(t, b.get("/api/v1/deployments"), http.StatusOK)
	wantStatus(t, b.get("/users"), http.StatusForbidden) // a deployer token is not an admin

	if err := c.Store.RevokeToken(context.Background(), tok.ID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.get("/api/v1/me"), http.StatusUnauthorized)
}

func TestReadyzWithoutDatabase(t *testing.T) {
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	c := serveConsole(t, store.New(pool))
	resp := c.browser().get("/readyz")
	wantStatus(t, resp, http.StatusServiceUnavailable)
	var body map[string]string
	json.NewDecoder(resp.Body).Decode(&body)
	if body["status"] != "unavailable" {
		t.Errorf("readyz body = %v", body)
	}
	wantStatus(t, c.browser().get("/healthz"), http.StatusOK)
}

func TestUsersAdmin(t *testing.T) {
	c := newConsole(t)
	admin := c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)

	resp := b.post("/users", url.Values{"username": {"Bob"}, "role": {"deployer"}, "password": {testPassword}})
	wantStatus(t, resp, http.StatusSeeOther)
	d := doc(t, b.get("/users"))
	if got := d.Find(".alert.ok").Text(); got != "Added bob." {
		t.Errorf("flash = %q", got)
	}
	if d.Find("tbody tr").Length() != 2 {
		t.Errorf("users listed: %d", d.Find("tbody tr").Length())
	}

	resp = b.post("/users", url.Values{"username": {"bob"}, "role": {"viewer"}, "password": {"short"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	if d.Find("#new-user-password-error").Text() == "" {
		t.Error("no message next to the password field")
	}

	resp = b.post("/users", url.Values{"username": {"bob"}, "role": {"viewer"}, "password": {testPassword}})
	wantStatus(t, resp, http.StatusConflict)
	if got := doc(t, resp).Find("#new-user-username-error").Text(); got != "That username is taken." {
		t.Errorf("duplicate username message = %q", got)
	}

	bob, _ := c.Store.UserByName(context.Background(), "bob")
	path := "/users/" + itoa(bob.ID)
	wantStatus(t, b.post(path+"/role", url.Values{"role": {"viewer"}}), http.StatusSeeOther)
	resp = b.post(path+"/tokens", url.Values{"name": {"laptop"}})
	wantStatus(t, resp, http.StatusCreated)
	secret := strings.TrimSpace(doc(t, resp).Find("#new-token").Text())
	if !strings.HasPrefix(secret, "ecsc_") {
		t.Fatalf("token secret shown = %q", secret)
	}
	if d := doc(t, b.get(path)); strings.Contains(d.Text(), secret) {
		t.Error("the token secret is shown again")
	}
	wantStatus(t, b.post(path+"/disable", url.Values{}), http.StatusSeeOther)
	if _, err := c.Store.UserByToken(context.Background(), secret); err == nil {
		t.Error("a disabled user's token still works")
	}
	wantStatus(t, b.post("/users/"+itoa(admin.ID)+"/disable", url.Values{}), http.StatusConflict)

	events, _ := c.Store.ListAudit(context.Background(), 0, 20)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if got := strings.Join(actions, ","); got != "user.disable,token.create,user.set_role,user.create,login.success" {
		t.Errorf("audit actions = %s", got)
	}
	d = doc(t, b.get("/audit"))
	if rows := d.Find("ul.audit-trail li"); rows.Length() != 5 || rows.First().AttrOr("data-action", "") != "user.disable" || !strings.Contains(rows.First().Text(), " disabled ") {
		t.Errorf("audit page rows = %d, first %q", rows.Length(), rows.First().Text())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAccountPasswordAndOwnTokens(t *testing.T) {
	c := newConsole(t)
	c.addUser("vera", store.RoleViewer)
	b := c.browser()
	wantStatus(t, b.login("vera", testPassword), http.StatusSeeOther)

	for name, tc := range map[string]struct {
		form  url.Values
		field string
	}{
		"wrong current": {url.Values{"current": {"nope"}, "password": {"a new long password"}, "confirm": {"a new long password"}}, "#password-current-error"},
		"mismatch":      {url.Values{"current": {testPassword}, "password": {"a new long password"}, "confirm": {"another one entirely"}}, "#password-confirm-error"},
		"too short":     {url.Values{"current": {testPassword}, "password": {"short"}, "confirm": {"short"}}, "#password-password-error"},
	} {
		resp := b.post("/account/password", tc.form)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if doc(t, resp).Find(tc.field).Text() == "" {
			t.Errorf("%s: no message at %s", name, tc.field)
		}
	}
	wantStatus(t, b.post("/account/password", url.Values{"current": {testPassword}, "password": {"a new long password"}, "confirm": {"a new long password"}}), http.StatusSeeOther)
	wantStatus(t, c.browser().login("vera", testPassword), http.StatusUnauthorized)
	wantStatus(t, c.browser().login("vera", "a new long password"), http.StatusSeeOther)

	resp := b.post("/account/tokens", url.Values{"name": {"cli"}})
	wantStatus(t, resp, http.StatusCreated)
	if secret := doc(t, resp).Find("#new-token").Text(); !strings.HasPrefix(secret, "ecsc_") {
		t.Errorf("own token secret = %q", secret)
	}
	// Someone else's token cannot be revoked through one's own account.
	other := c.addUser("otto", store.RoleViewer)
	tok, _, _ := c.Store.CreateToken(context.Background(), other.ID, "x")
	wantStatus(t, b.post("/account/tokens/"+itoa(tok.ID)+"/revoke", url.Values{}), http.StatusNotFound)
}
