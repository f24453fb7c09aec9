package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecsconsole/ecsconsole/store"
)

// refusal is what a refused form must show: the status, the message next
// to a field (or at the form's top when field is ""), and what was typed
// still in the inputs.
type refusal struct {
	name    string
	path    string
	method  string // POST unless GET
	form    url.Values
	status  int
	formID  string
	field   string            // "" for a problem with the whole form
	message string            // part of the message shown
	kept    map[string]string // input name → value shown again
	secret  []string          // inputs shown empty again
}

// checkRefusal checks a refused form's page: the message is where the form
// says (the input's aria-describedby names it), and inputs hold what was typed.
func checkRefusal(t *testing.T, d *goquery.Document, tc refusal) {
	t.Helper()
	form := d.Find("#" + tc.formID) // the form, or the card of several forms sharing messages
	if form.Length() != 1 {
		t.Fatalf("no #%s on the page", tc.formID)
	}
	msgID := tc.formID + "-error"
	if tc.field != "" {
		msgID = tc.formID + "-" + tc.field + "-error"
		input := form.Find(`[name="` + tc.field + `"]`)
		if by, _ := input.Attr("aria-describedby"); by != msgID {
			t.Errorf("%s: input aria-describedby = %q, want %q", tc.field, by, msgID)
		}
		if inv, _ := input.Attr("aria-invalid"); inv != "true" {
			t.Errorf("%s: input not marked aria-invalid", tc.field)
		}
		if _, ok := input.Attr("autofocus"); !ok {
			t.Errorf("%s: the refused input does not take the focus", tc.field)
		}
	}
	if got := form.Find("#" + msgID).Text(); !strings.Contains(got, tc.message) {
		t.Errorf("message #%s = %q, want it to say %q", msgID, got, tc.message)
	}
	for name, want := range tc.kept {
		in := form.Find(`input[name="` + name + `"]`)
		got, _ := in.Attr("value")
		if in.Length() == 0 { // a select
			got, _ = form.Find(`select[name="` + name + `"] option[selected]`).Attr("value")
		}
		if got != want {
			t.Errorf("%s shown again as %q, want %q", name, got, want)
		}
	}
	for _, name := range tc.secret {
		if v, ok := form.Find(`input[name="` + name + `"]`).Attr("value"); ok {
			t.Errorf("secret input %s shown again with value %q", name, v)
		}
	}
}

func TestRefusedFormsShowWhyAndKeepWhatWasTyped(t *testing.T) {
	c := newConsole(t)
	admin := c.addUser("ada", store.RoleAdmin)
	c.addUser("bob", store.RoleViewer)
	bob, _ := c.Store.UserByName(context.Background(), "bob")
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	long := strings.Repeat("x", 101)

	for _, tc := range []refusal{
		{name: "short password", path: "/users", form: url.Values{"username": {"carol"}, "role": {"deployer"}, "password": {"short"}},
			status: 422, formID: "new-user", field: "password", message: "at least 12", kept: map[string]string{"username": "carol", "role": "deployer"}, secret: []string{"password"}},
		{name: "taken username", path: "/users", form: url.Values{"username": {"bob"}, "role": {"admin"}, "password": {testPassword}},
			status: 409, formID: "new-user", field: "username", message: "taken", kept: map[string]string{"username": "bob", "role": "admin"}, secret: []string{"password"}},
		{name: "unknown role", path: "/users/" + itoa(bob.ID) + "/role", form: url.Values{"role": {"root"}},
			status: 422, formID: "access", field: "role", message: "Choose viewer"},
		{name: "own role", path: "/users/" + itoa(admin.ID) + "/role", form: url.Values{"role": {"viewer"}},
			status: 409, formID: "access", message: "own role"},
		{name: "disable oneself", path: "/users/" + itoa(admin.ID) + "/disable", form: url.Values{},
			status: 409, formID: "access", message: "disable yourself"},
		{name: "admin token, long name", path: "/users/" + itoa(bob.ID) + "/tokens", form: url.Values{"name": {long}},
			status: 422, formID: "token", field: "name", message: "at most 100", kept: map[string]string{"name": long}},
		{name: "own token, empty name", path: "/account/tokens", form: url.Values{"name": {"  "}},
			status: 422, formID: "token", field: "name", message: "Give the token a name"},
		{name: "wrong current password", path: "/account/password", form: url.Values{"current": {"nope"}, "password": {"a new long password"}, "confirm": {"a new long password"}},
			status: 422, formID: "password", field: "current", message: "not your current password", secret: []string{"current", "password", "confirm"}},
		{name: "short new password", path: "/account/password", form: url.Values{"current": {testPassword}, "password": {"short"}, "confirm": {"short"}},
			status: 422, formID: "password", field: "password", message: "at least 12", secret: []string{"current", "password", "confirm"}},
		{name: "filter, bad service", method: http.MethodGet, path: "/deployments?service=a/b/c/d&status=failed",
			status: 400, formID: "filter", field: "service", message: "cluster/name", kept: map[string]string{"service": "a/b/c/d", "status": "failed"}},
		{name: "filter, bad status", method: http.MethodGet, path: "/deployments?service=demo/web&status=done",
			status: 400, formID: "filter", field: "status", message: "Use queued", kept: map[string]string{"service": "demo/web"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			if tc.method == http.MethodGet {
				resp = b.get(tc.path)
			} else {
				resp = b.post(tc.path, tc.form)
			}
			wantStatus(t, resp, tc.status)
			checkRefusal(t, doc(t, resp), tc)
		})
	}
}

func TestLoginRefusalsKeepTheUsername(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleViewer)
	b := c.browser()
	for _, tc := range []refusal{
		{name: "wrong password", form: url.Values{"username": {"alice"}, "password": {"nope"}, "next": {"/users"}},
			status: 401, message: "Wrong username or password."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := b.post("/login", tc.form)
			wantStatus(t, resp, tc.status)
			tc.formID, tc.secret = "login", []string{"password"}
			tc.kept = map[string]string{"username": strings.ReplaceAll(tc.form.Get("username"), "\x00", "\uFFFD"), "next": "/users"}
			checkRefusal(t, doc(t, resp), tc)
		})
	}
	var last *http.Response
	for i := 0; i < 6; i++ {
		last = b.login("alice", "guess number "+string(rune('a'+i)))
	}
	wantStatus(t, last, http.StatusTooManyRequests)
	checkRefusal(t, doc(t, last), refusal{formID: "login", message: "Too many failed sign-ins", kept: map[string]string{"username": "alice"}})
}

// TestBadBytesInFormsNameTheField: text that is not text (NUL, invalid
// UTF-8) is refused at the boundary (input.go) before any handler, naming
// the field; browsers cannot type either, so the page is the error page.
func TestBadBytesInFormsNameTheField(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	for _, tc := range []struct {
		name, method, path, field string
		form                      url.Values
	}{
		{"NUL in a new username", http.MethodPost, "/users", "username", url.Values{"username": {"a\x00b"}, "role": {"viewer"}, "password": {testPassword}}},
		{"NUL in a token name", http.MethodPost, "/account/tokens", "name", url.Values{"name": {"ci\x00"}}},
		{"NUL in the filter", http.MethodGet, "/deployments?service=a%00/b", "service", nil},
		{"invalid UTF-8 in a rollback reason", http.MethodPost, "/deployments/1/rollback", "reason", url.Values{"reason": {"bad\xffbyte"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			if tc.method == http.MethodGet {
				resp = b.get(tc.path)
			} else {
				resp = b.post(tc.path, tc.form)
			}
			wantStatus(t, resp, http.StatusBadRequest)
			if got := doc(t, resp).Find("main").Text(); !strings.Contains(got, strconv.Quote(tc.field)) {
				t.Errorf("the refusal does not name the field %q: %q", tc.field, got)
			}
		})
	}
}

// TestFieldProblemsInFormOrder: several problems come out in the form's
// order, every time.
func TestFieldProblemsInFormOrder(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	for range 5 {
		resp := b.post("/users", url.Values{"username": {"Bad Name"}, "role": {"root"}, "password": {"short"}})
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		var ids []string
		doc(t, resp).Find("form#new-user .field-error").Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("id", "")) })
		if got := strings.Join(ids, ","); got != "new-user-username-error,new-user-role-error,new-user-password-error" {
			t.Fatalf("messages = %s, want username, role, password", got)
		}
	}
}

// TestBoostedFormAnswersKeepTheAddress: htmx pushes a boosted form's action
// into history unless told not to; a page answering a POST is the page the
// form is on, so it says HX-Push-Url: false (reloading then GETs that page,
// not a POST-only address), and a refused form is scrolled into view.
func TestBoostedFormAnswersKeepTheAddress(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	b.header.Set("HX-Request", "true")
	b.header.Set("HX-Boosted", "true")
	b.header.Set("HX-Current-URL", c.URL+"/account")

	resp := b.post("/account/password", url.Values{"current": {"nope"}, "password": {"x"}, "confirm": {"x"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if got := resp.Header.Get("HX-Push-Url"); got != "false" {
		t.Errorf("refused: HX-Push-Url = %q, want false", got)
	}
	if got := resp.Header.Get("HX-Reswap"); got != "innerHTML show:#password:top" {
		t.Errorf("refused: HX-Reswap = %q", got)
	}
	resp = b.post("/account/tokens", url.Values{"name": {"cli"}})
	wantStatus(t, resp, http.StatusCreated)
	if got := resp.Header.Get("HX-Push-Url"); got != "false" {
		t.Errorf("token created: HX-Push-Url = %q, want false", got)
	}
	if doc(t, resp).Find(`[hx-history=false] #new-token`).Length() != 1 {
		t.Error("the page with a token's secret may be kept in htmx's history cache")
	}
	// A GET (the filter) and a redirect's page are addresses to push.
	resp = b.get("/deployments?service=a/b/c/d")
	wantStatus(t, resp, http.StatusBadRequest)
	if got := resp.Header.Get("HX-Push-Url"); got != "" {
		t.Errorf("GET: HX-Push-Url = %q, want none", got)
	}
	if got := b.post("/users", url.Values{"username": {"carl"}, "role": {"viewer"}, "password": {testPassword}}).Header.Get("HX-Push-Url"); got != "" {
		t.Errorf("redirect: HX-Push-Url = %q, want none", got)
	}
}

func TestRefusedRollbackForm(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	ctx := context.Background()
	for _, status := range []string{"succeeded", "succeeded", "running"} {
		_, err := c.Store.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at)
			VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, $2, 'old-timer', CASE WHEN $2 = 'running' THEN NULL ELSE now() END)`,
			`{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web"},"taskDefinition":{"containerDefinitions":[{"name":"web","image":"nginx"}]}}`, status)
		if err != nil {
			t.Fatal(err)
		}
	}
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)

	long := strings.Repeat("é", 501)
	resp := b.post("/deployments/1/rollback", url.Values{"reason": {long}})
	wantStatus(t, resp, http.StatusBadRequest)
	checkRefusal(t, doc(t, resp), refusal{formID: "rollback-form", field: "reason", message: "at most 500", kept: map[string]string{"reason": long}})

	// Deployment 1 cannot be restored (nothing recorded of its task
	// definition): the form says so at its top, keeping the reason.
	resp = b.post("/deployments/1/rollback", url.Values{"reason": {"8.4 is slow"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	checkRefusal(t, d, refusal{formID: "rollback-form", message: "cannot be restored", kept: map[string]string{"reason": "8.4 is slow"}})
	if d.Find("#rollback[hx-trigger]").Length() != 0 {
		t.Error("a refused rollback asks AWS again in the background, which would replace the refusal")
	}
}
