package e2e

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole/handlers/oidctest"
)

// freeAddr is a 127.0.0.1 address nothing listens on now, for a console
// whose base URL (and so its OIDC callback) must be known before it starts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startSSOConsole runs a console signing in through p, with extra flags.
func startSSOConsole(t *testing.T, p *oidctest.Provider, extra ...string) *console {
	t.Helper()
	addr := freeAddr(t)
	t.Setenv("ECSCONSOLE_OIDC_CLIENT_SECRET", p.ClientSecret())
	args := append([]string{"--addr", addr, "--base-url", "http://" + addr,
		"--oidc-issuer", p.Issuer(), "--oidc-client-id", p.ClientID(), "--oidc-provider-name", "Acme SSO",
		"--oidc-admin-groups", "ops-admins", "--oidc-deployer-groups", "ops-deploy"}, extra...)
	return startConsole(t, args...)
}

// ssoSignIn follows "Sign in with Acme SSO" on the sign-in page (reached
// from path) as u, through the provider's redirects, and returns once the
// page it ends on has loaded.
func ssoSignIn(t *testing.T, ctx context.Context, c *console, p *oidctest.Provider, path string, u oidctest.User, spoil oidctest.Spoil) {
	t.Helper()
	p.Next(u, spoil)
	err := chromedp.Do(ctx, chromedp.Navigate(c.URL+path), chromedp.WaitVisible(chromedp.CSS(`#sso`)))
	if err != nil {
		t.Fatalf("the sign-in page: %v", err)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#sso").href`))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.Navigate(href))
	}
	if err != nil {
		t.Fatalf("signing in %s through the provider: %v", u.Username, err)
	}
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func signOut(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS(`#sso`))); err != nil {
		t.Fatalf("signing out: %v", err)
	}
}

func TestSingleSignOn(t *testing.T) {
	ctx := newBrowser(t)
	p := oidctest.Start(t)
	c := startSSOConsole(t, p)
	problems := watchConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	step, cancel := within(ctx, 90*time.Second)
	defer cancel()

	// The sign-in page offers both ways.
	if got := textOf(t, step, `#sso`); got != "Sign in with Acme SSO" {
		t.Errorf("single sign-on button = %q", got)
	}
	forms, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll('input[name=password]').length`))
	if err != nil || forms != 1 {
		t.Errorf("password inputs on the sign-in page: %d, want the local form too", forms)
	}

	// A member of the admin group clicks the button and reaches the Users
	// page asked for.
	p.Next(oidctest.User{Subject: "sub-alice", Username: "alice", Groups: []string{"staff", "ops-admins"}}, oidctest.Good)
	err = chromedp.Do(step, chromedp.Navigate(c.URL+"/users"), chromedp.Click(chromedp.CSS(`#sso`)), chromedp.WaitVisible(chromedp.CSS(`.who`)))
	if err != nil {
		t.Fatalf("signing in through the provider: %v", err)
	}
	loc, _ := chromedp.Run(step, chromedp.Location())
	if !strings.HasSuffix(loc, "/users") {
		t.Errorf("after single sign-on: %s, want /users", loc)
	}
	if who, role := textOf(t, step, `.who strong`), textOf(t, step, `.who .badge`); who != "alice" || role != "admin" {
		t.Errorf("signed in as %q (%q), want alice the admin", who, role)
	}
	screenshot(t, ctx, "sso-admin")
	signOut(t, step)

	// No mapped group: a viewer, refused the Users page.
	ssoSignIn(t, step, c, p, "/", oidctest.User{Subject: "sub-bob", Username: "bob"}, oidctest.Good)
	if who, role := textOf(t, step, `.who strong`), textOf(t, step, `.who .badge`); who != "bob" || role != "viewer" {
		t.Errorf("signed in as %q (%q), want bob the viewer", who, role)
	}
	if status := httpStatusInBrowser(t, step, c.URL+"/users"); status != http.StatusForbidden {
		t.Errorf("a viewer's /users: %d, want 403", status)
	}
	signOut(t, step)

	// Groups are re-read at every sign-in: alice, out of the admin group, is a viewer.
	ssoSignIn(t, step, c, p, "/", oidctest.User{Subject: "sub-alice", Username: "alice", Groups: []string{"ops-deploy"}}, oidctest.Good)
	if who, role := textOf(t, step, `.who strong`), textOf(t, step, `.who .badge`); who != "alice" || role != "deployer" {
		t.Errorf("alice again as %q (%q), want the deployer her groups now say", who, role)
	}
	signOut(t, step)

	// The provider's "admin" is not the local admin.
	ssoSignIn(t, step, c, p, "/", oidctest.User{Subject: "sub-mallory", Username: "admin"}, oidctest.Good)
	if who, role := textOf(t, step, `.who strong`), textOf(t, step, `.who .badge`); who == "admin" || !strings.HasPrefix(who, "admin-") || role != "viewer" {
		t.Errorf("the provider's admin signed in as %q (%q), want a viewer with a suffixed name", who, role)
	}
	signOut(t, step)

	// A forged state is refused with a page that says so.
	if err := chromedp.Do(step, chromedp.Navigate(c.URL+"/login/oidc/callback?code=stolen&state=forged"), chromedp.WaitVisible(chromedp.CSS(`.login .alert`))); err != nil {
		t.Fatal(err)
	}
	if msg := refusal(t, step); !strings.Contains(msg, "not started from this browser") {
		t.Errorf("forged state: %q", msg)
	}
	wantSignedOut(t, step, c)

	// An expired ID token, and one signed with a key the provider does not publish.
	for _, spoil := range []oidctest.Spoil{oidctest.Expired, oidctest.WrongKey} {
		ssoSignIn(t, step, c, p, "/login", oidctest.User{Subject: "sub-carol", Username: "carol", Groups: []string{"ops-admins"}}, spoil)
		if msg := refusal(t, step); !strings.Contains(msg, "could not be verified") {
			t.Errorf("spoiled ID token (%d): %q", spoil, msg)
		}
		wantSignedOut(t, step, c)
	}

	// A disabled user stays out though the provider lets them in.
	db, err := pgx.Connect(step, c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if _, err := db.Exec(step, `UPDATE users SET disabled = true WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	ssoSignIn(t, step, c, p, "/login", oidctest.User{Subject: "sub-bob", Username: "bob", Groups: []string{"ops-admins"}}, oidctest.Good)
	if msg := refusal(t, step); !strings.Contains(msg, "disabled") {
		t.Errorf("disabled user: %q", msg)
	}
	wantSignedOut(t, step, c)
	var role string
	if err := db.QueryRow(step, `SELECT role FROM users WHERE username = 'bob'`).Scan(&role); err != nil || role != "viewer" {
		t.Errorf("disabled bob's role = %q (%v); a refused sign-in changes nothing", role, err)
	}

	// The audit trail names the provider.
	var named int
	if err := db.QueryRow(step, `SELECT count(*) FROM audit_events WHERE action = 'login.success' AND detail->>'provider' = 'Acme SSO'`).Scan(&named); err != nil || named != 4 {
		t.Errorf("single sign-ons audited with the provider: %d (%v), want 4", named, err)
	}

	// The client secret is in no page and no log line.
	if err := chromedp.Do(step, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	html, _ := chromedp.Run(step, chromedp.OuterHTML(chromedp.CSS("html")))
	for what, s := range map[string]string{"the sign-in page": html, "the log": c.Logs()} {
		if strings.Contains(s, p.ClientSecret()) {
			t.Errorf("%s shows the client secret", what)
		}
	}
	if !strings.Contains(c.Logs(), "login/oidc/callback") {
		t.Error("the log has no callback request: the secret check read nothing")
	}
	// Refusals are pages with a 4xx status, which Chromium notes; nothing
	// else may appear.
	for _, pr := range problems() {
		if !strings.Contains(pr, "Failed to load resource: the server responded with a status of 4") {
			t.Errorf("browser console: %s", pr)
		}
	}
}

func TestLocalSignInOff(t *testing.T) {
	ctx := newBrowser(t)
	p := oidctest.Start(t)
	c := startSSOConsole(t, p, "--local-signin=false")
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	step, cancel := within(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(step, chromedp.WaitVisible(chromedp.CSS(`#sso`))); err != nil {
		t.Fatal(err)
	}
	inputs, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll('form[action="/login"], input[name=password]').length`))
	if err != nil {
		t.Fatal(err)
	}
	if inputs != 0 {
		t.Errorf("local sign-in off, yet the page has %d form elements for it", inputs)
	}
	// The form's POST is refused even with the right password.
	resp, err := http.PostForm(c.URL+"/login", url.Values{"username": {"admin"}, "password": {c.AdminPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("local sign-in POST with the right password: %d, want 403", resp.StatusCode)
	}
	// Single sign-on still works.
	ssoSignIn(t, step, c, p, "/", oidctest.User{Subject: "sub-dora", Username: "dora", Groups: []string{"ops-deploy"}}, oidctest.Good)
	if who := textOf(t, step, `.who strong`); who != "dora" {
		t.Errorf("signed in as %q, want dora", who)
	}
}

// refusal is the sign-in page's alert, failing the test at once when the
// browser got signed in instead.
func refusal(t *testing.T, ctx context.Context) string {
	t.Helper()
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".login .alert") || {innerText: ""}).innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if msg == "" {
		who, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector(".who strong") || {innerText: "nobody"}).innerText`))
		t.Fatalf("no refusal: signed in as %s", who)
	}
	return msg
}

// wantSignedOut checks the browser is not signed in: the overview sends it
// to the sign-in page.
func wantSignedOut(t *testing.T, ctx context.Context, c *console) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#sso`))); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/login") {
		t.Errorf("signed in after a refused sign-in: %s", loc)
	}
}

// httpStatusInBrowser fetches url in the page (with its cookies) and
// returns the status.
func httpStatusInBrowser(t *testing.T, ctx context.Context, url string) int {
	t.Helper()
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch(`+"`"+url+"`"+`, {redirect: "manual"}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return status
}
