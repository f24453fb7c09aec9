package handlers_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
)

// fromAddress returns a browser whose connections come from local
// address ip (any 127.0.0.0/8 address reaches the test server).
func (c *testConsole) fromAddress(ip string) *browser {
	b := c.browser()
	jar, _ := cookiejar.New(nil)
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	b.c = &http.Client{Jar: jar, Transport: &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return b
}

func TestSignInLimiterLocksOutNoOneElse(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleAdmin)
	attacker := c.fromAddress("127.0.0.1")
	var last *http.Response
	for i := range 6 {
		last = attacker.login("alice", "guess "+string(rune('a'+i)))
	}
	wantStatus(t, last, http.StatusTooManyRequests)
	wantStatus(t, attacker.login("alice", testPassword), http.StatusTooManyRequests)

	// Alice, elsewhere, signs in.
	wantStatus(t, c.fromAddress("127.0.0.2").login("alice", testPassword), http.StatusSeeOther)

	// A second console on the same database refuses the attacker too.
	other := serveConsole(t, c.Store)
	wantStatus(t, other.fromAddress("127.0.0.1").login("alice", testPassword), http.StatusTooManyRequests)

	// Guessing at many names from one address runs out as well, before
	// the body is read.
	for i := range 20 {
		attacker.login("user"+string(rune('a'+i)), "x")
	}
	resp := attacker.post("/login", url.Values{"username": {"zed"}, "password": {strings.Repeat("x", 100)}})
	wantStatus(t, resp, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After on a refused sign-in")
	}
}

func TestBodiesAreBounded(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.post("/login", url.Values{"username": {"alice"}, "password": {strings.Repeat("p", 1<<20)}}), http.StatusRequestEntityTooLarge)
	wantStatus(t, b.login("alice", testPassword), http.StatusSeeOther)
	wantStatus(t, b.post("/users", url.Values{"username": {"bob"}, "role": {"viewer"}, "password": {strings.Repeat("p", 5<<20)}}), http.StatusRequestEntityTooLarge)
	// A page's form is small: 100 KiB of fields is refused before parsing.
	wantStatus(t, b.post("/users", url.Values{"username": {"bob"}, "role": {"viewer"}, "x": {strings.Repeat("a&", 50<<10)}}), http.StatusRequestEntityTooLarge)
	wantStatus(t, b.post("/users", url.Values{"username": {"bob"}, "role": {"viewer"}, "password": {testPassword}}), http.StatusSeeOther)

	token := c.token("dee", store.RoleDeployer)
	resp, out := c.apiCall(http.MethodPost, "/api/v1/plan", token, `{"spec": {}, "reason": "`+strings.Repeat("r", 2<<20)+`"}`)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || out["error"].(map[string]any)["code"] != "too_large" {
		t.Errorf("2 MiB API body: %d %v", resp.StatusCode, out)
	}
	// Nesting is refused at the first level too many, whatever follows;
	// brackets inside strings do not count.
	for _, path := range []string{"/api/v1/plan", "/api/v1/deployments", "/api/v1/deployments/1/rollback"} {
		resp, out = c.apiCall(http.MethodPost, path, token, `{"spec": `+strings.Repeat("[", 1<<20-20)+`}`)
		e, _ := out["error"].(map[string]any)
		if resp.StatusCode != http.StatusBadRequest || e["code"] != "invalid" || !strings.Contains(e["message"].(string), "nests deeper than 65 levels") {
			t.Errorf("POST %s, 1 MiB of nesting: %d %v", path, resp.StatusCode, out)
		}
	}
	resp, out = c.apiCall(http.MethodPost, "/api/v1/plan", token, `{"spec": {}, "reason": "`+strings.Repeat("[{", 5000)+`"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusBadRequest ||
		strings.Contains(out["error"].(map[string]any)["message"].(string), "nests deeper") {
		t.Errorf("brackets in a string counted as nesting: %d %v", resp.StatusCode, out)
	}
}

func TestTextIsCheckedAtTheBoundary(t *testing.T) {
	c := newConsole(t)
	c.addUser("alice", store.RoleAdmin)
	b := c.browser()
	for name, form := range map[string]url.Values{
		"NUL in username":         {"username": {"a\x00b"}, "password": {"x"}},
		"invalid UTF-8 password":  {"username": {"alice"}, "password": {"\xff\xfe"}},
		"NUL in a field's name":   {"user\x00name": {"a"}},
		"invalid UTF-8 next page": {"username": {"alice"}, "password": {"x"}, "next": {"/\xc3"}},
	} {
		resp := b.post("/login", form)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: sign-in answered %d, want 400", name, resp.StatusCode)
		}
	}
	wantStatus(t, b.login("alice", testPassword), http.StatusSeeOther)
	wantStatus(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), http.StatusSeeOther) // draft 1
	for _, tc := range []struct {
		name, path string
		form       url.Values
		field      string
	}{
		{"NUL in ?service= (page)", "/deployments?service=a%00b", nil, "service"},
		{"invalid UTF-8 in ?before= (audit)", "/audit?before=%ff", nil, "before"},
		{"NUL in a token name", "/account/tokens", url.Values{"name": {"ci\x00"}}, "name"},
		{"NUL in a rollback reason", "/deployments/1/rollback", url.Values{"reason": {"oops\x00"}}, "reason"},
		{"invalid UTF-8 in a deploy reason", "/deploy/drafts/1/review", url.Values{"op": {"deploy"}, "reason": {"\xe2\x82"}}, "reason"},
		{"NUL in a new user's name", "/users", url.Values{"username": {"bo\x00b"}, "role": {"viewer"}, "password": {testPassword}}, "username"},
		{"escaped NUL in the wizard's JSON view", "/deploy/drafts/1/taskdef", url.Values{"op": {"json"}, "tdjson": {`{"family": "a\u0000"}`}}, "taskDefinition.family"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodGet
			if tc.form != nil {
				method = http.MethodPost
			}
			resp := b.do(method, tc.path, tc.form)
			if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 400 or 422", resp.StatusCode)
			}
			want := `"` + tc.field + `"` // the message quotes the field's name
			if strings.Contains(tc.field, ".") {
				want = tc.field // a path inside the spec, listed with its problem
			}
			if msg := doc(t, resp).Find("main").Text(); !strings.Contains(msg, want) {
				t.Errorf("the page does not name the field %s: %q", tc.field, msg)
			}
		})
	}

	token := c.token("dee", store.RoleDeployer)
	env := strings.Replace(journeyBody(t), `"value": "localhost"`, `"value": "local\u0000host"`, 1)
	for _, tc := range []struct{ name, method, path, body, field string }{
		{"NUL in ?service= (API)", "GET", "/api/v1/deployments?service=a%00b", "", "service"},
		{"invalid UTF-8 in a reason", "POST", "/api/v1/plan", "{\"spec\": {}, \"reason\": \"caf\xe9\"}", "reason"},
		{"NUL in an environment value", "POST", "/api/v1/deployments", env, "spec.taskDefinition.containerDefinitions[0].environment[0].value"},
		{"NUL in a label key", "POST", "/api/v1/plan", `{"spec": {"taskDefinition": {"containerDefinitions": [{"dockerLabels": {"a\u0000": "b"}}]}}}`, "spec.taskDefinition.containerDefinitions[0].dockerLabels.a\x00"},
		{"NUL in a rollback reason (API)", "POST", "/api/v1/deployments/1/rollback", `{"reason": "\u0000"}`, "reason"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, out := c.apiCall(tc.method, tc.path, token, tc.body)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %v", resp.StatusCode, out)
			}
			fields, _ := out["error"].(map[string]any)["fields"].([]any)
			if len(fields) != 1 || fields[0].(map[string]any)["path"] != tc.field {
				t.Errorf("fields %v, want one at %q", fields, tc.field)
			}
		})
	}
}

func TestAPIBodiesAreStrict(t *testing.T) {
	c := newConsole(t)
	token := c.token("dee", store.RoleDeployer)
	send := func(contentType, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, c.URL+"/api/v1/plan", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Error struct{ Code, Message string }
		}
		decodeJSON(t, resp, &out)
		return resp.StatusCode, out.Error.Message
	}
	spec := journeyBody(t)
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"no Content-Type", "", spec, 415},
		{"form Content-Type", "application/x-www-form-urlencoded", spec, 415},
		{"text/plain", "text/plain", spec, 415},
		{"JSON with charset", "application/json; charset=utf-8", `{"spec": {}} `, 422},
		{"trailing data", "application/json", spec + " x", 400},
		{"two objects", "application/json", spec + spec, 400},
		{"an array", "application/json", `[]`, 400},
		{"a string", "application/json", `"spec"`, 400},
		{"spec of the wrong kind", "application/json", `{"spec": {}, "reason": 5}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, msg := send(tc.contentType, tc.body)
			if status != tc.status {
				t.Fatalf("status %d (%s), want %d", status, msg, tc.status)
			}
			if strings.Contains(msg, "handlers.") || strings.Contains(msg, "specRequest") || strings.Contains(msg, "string") && tc.name == "an array" {
				t.Errorf("message names an internal type: %q", msg)
			}
			t.Logf("%d %s", status, msg)
		})
	}
}

func TestTokensCannotMintTokensOrChangePasswords(t *testing.T) {
	c := newConsole(t)
	token := c.token("ada", store.RoleAdmin)
	for _, path := range []string{"/account/tokens", "/account/password", "/users/1/tokens"} {
		req, _ := http.NewRequest(http.MethodPost, c.URL+path, strings.NewReader(url.Values{"name": {"more"}, "current": {testPassword}, "password": {"another long password"}, "confirm": {"another long password"}}.Encode()))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s with a token: %d, want 403", path, resp.StatusCode)
		}
	}
	u, _ := c.Store.UserByName(context.Background(), "ada")
	if tokens, _ := c.Store.ListTokens(context.Background(), u.ID); len(tokens) != 1 {
		t.Errorf("%d tokens after refused mints, want 1", len(tokens))
	}
}

func decodeJSON(t *testing.T, resp *http.Response, v any) {
	t.Helper()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", resp.Request.Method, resp.Request.URL.Path, err)
	}
}
