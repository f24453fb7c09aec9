package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The refusal tests: with JavaScript on (htmx boosts every form), a refused
// form shows its message next to the field, keeps what was typed (never a
// password), and reloading afterwards shows the page again, not a 405.

// field is what a refused input must look like.
type field struct {
	input   string // CSS selector of the input
	message string // part of the message it names with aria-describedby
	value   string // what it must still hold
}

// fieldState is what the page says about an input.
type fieldState struct {
	Value, Message string
	InView         bool
}

// readField reads an input's value and the message its aria-describedby
// names, and whether that message is visible in the viewport.
func readField(ctx context.Context, input string) (fieldState, error) {
	js := fmt.Sprintf(`JSON.stringify((() => {
		const input = document.querySelector(%q);
		if (!input) return {Value: "", Message: "(no input)", InView: false};
		const msg = document.getElementById(input.getAttribute("aria-describedby") || "");
		if (!msg) return {Value: input.value, Message: "(no element named by aria-describedby)", InView: false};
		const r = msg.getBoundingClientRect();
		return {Value: input.value, Message: msg.textContent.trim(),
			InView: r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight};
	})())`, input)
	step, cancel := within(ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.Run(step, chromedp.Evaluate[string](js))
	var st fieldState
	if err == nil {
		err = json.Unmarshal([]byte(res), &st)
	}
	return st, err
}

// checkField checks that a refused input names a message in view that says
// what it should, and holds what it should.
func checkField(t *testing.T, ctx context.Context, f field) {
	t.Helper()
	got, err := readField(ctx, f.input)
	if err != nil {
		t.Fatalf("%s: %v", f.input, err)
	}
	if !strings.Contains(got.Message, f.message) || !got.InView {
		t.Errorf("%s: message %q (in view: %v), want it to say %q", f.input, got.Message, got.InView, f.message)
	}
	if got.Value != f.value {
		t.Errorf("%s holds %q, want %q", f.input, got.Value, f.value)
	}
}

// checkValue checks what an input or select holds.
func checkValue(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	step, cancel := within(ctx, 10*time.Second)
	defer cancel()
	got, err := chromedp.Run(step, chromedp.Value(chromedp.CSS(sel)))
	if err != nil || got != want {
		t.Errorf("%s holds %q (%v), want %q", sel, got, err, want)
	}
}

// submitRefused clicks a form's submit button and waits until the form
// comes back refused (its message at sel is in a page newer than the one
// clicked: the old one is marked first).
func submitRefused(t *testing.T, ctx context.Context, button, sel string) {
	t.Helper()
	err := do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".field-error, .form-error").forEach(e => e.dataset.old = "1")`),
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.CSS(sel+":not([data-old])")),
		// Settled: htmx has boosted the new page's forms, so the next
		// click is htmx's too.
		chromedp.WaitReady(chromedp.CSS(`body:not(.htmx-settling):not(.htmx-swapping)`)),
	)
	if err != nil {
		body, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("clicking %s: no %s: %v\nat %s:\n%.3000s", button, sel, err, loc, body)
	}
}

// checkReload reloads the page and checks it answers with status and title,
// not "405 Method Not Allowed".
func checkReload(t *testing.T, ctx context.Context, status int, title string) {
	t.Helper()
	step, cancel := within(ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(step, chromedp.Reload())
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	got, _ := chromedp.Run(step, chromedp.Title())
	if int(resp.Status) != status || got != title {
		t.Errorf("reloading %s: %d %q, want %d %q", resp.URL, resp.Status, got, status, title)
	}
}

// checkNarrow shows the page 390 px wide, saves a screenshot, checks that
// nothing scrolls sideways, and goes back to 1280 px (ResetViewport would
// keep the mobile emulation's width).
func checkNarrow(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	screenshot(t, ctx, name+"-1280")
	if err := do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, name+"-390")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || width > 390 {
		t.Errorf("%s at 390 px: scrollWidth %d (%v): the page scrolls sideways", name, width, err)
	}
	if err := do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
}

// unexpected leaves out of the console's problems the browser's own notes
// of refused requests ("the server responded with a status of 422"): a
// refused form is an answer, and the page shows it.
func unexpected(problems []string) []string {
	var out []string
	for _, p := range problems {
		if !strings.Contains(p, "the server responded with a status of 4") {
			out = append(out, p)
		}
	}
	return out
}

func TestRefusedFormsInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	problems := watchConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)

	// Users → Add user with a short password: the message is next to the
	// password, the username and role are kept, the password is cleared.
	err := do(ctx,
		chromedp.Navigate(c.URL+"/users"),
		chromedp.SendKeys(chromedp.CSS(`#new-user input[name=username]`), "carol"),
		chromedp.SetValue(chromedp.CSS(`#new-user select[name=role]`), "deployer"),
		chromedp.SendKeys(chromedp.CSS(`#new-user input[name=password]`), "short"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#new-user button[type=submit]`, `#new-user-password-error`)
	checkField(t, ctx, field{input: `#new-user input[name=password]`, message: "at least 12", value: ""})
	checkValue(t, ctx, `#new-user input[name=username]`, "carol")
	checkValue(t, ctx, `#new-user select[name=role]`, "deployer")
	checkNarrow(t, ctx, "users-refused")
	checkReload(t, ctx, http.StatusOK, "Users · ecsconsole")

	// A username that is taken (409).
	err = do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#new-user input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#new-user input[name=password]`), "a long enough password"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#new-user button[type=submit]`, `#new-user-username-error`)
	checkField(t, ctx, field{input: `#new-user input[name=username]`, message: "taken", value: "admin"})
	checkValue(t, ctx, `#new-user input[name=password]`, "")

	// Account → change password with a wrong current password, then with
	// a short new one; every password field is cleared.
	err = do(ctx,
		chromedp.Navigate(c.URL+"/account"),
		chromedp.SendKeys(chromedp.CSS(`#password input[name=current]`), "not my password"),
		chromedp.SendKeys(chromedp.CSS(`#password input[name=password]`), "a new long password"),
		chromedp.SendKeys(chromedp.CSS(`#password input[name=confirm]`), "a new long password"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#password button[type=submit]`, `#password-current-error`)
	checkField(t, ctx, field{input: `#password input[name=current]`, message: "not your current password", value: ""})
	checkValue(t, ctx, `#password input[name=password]`, "")
	checkNarrow(t, ctx, "account-refused")
	checkReload(t, ctx, http.StatusOK, "Your account · ecsconsole")
	err = do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#password input[name=current]`), c.AdminPassword),
		chromedp.SendKeys(chromedp.CSS(`#password input[name=password]`), "short"),
		chromedp.SendKeys(chromedp.CSS(`#password input[name=confirm]`), "short"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#password button[type=submit]`, `#password-password-error`)
	checkField(t, ctx, field{input: `#password input[name=password]`, message: "at least 12", value: ""})
	checkReload(t, ctx, http.StatusOK, "Your account · ecsconsole")

	// Account → a token with an empty name (spaces get past `required`),
	// then with a NUL in it (set by script: nobody can type one).
	if err := do(ctx, chromedp.SendKeys(chromedp.CSS(`#token input[name=name]`), "   ")); err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#token button[type=submit]`, `#token-name-error`)
	checkField(t, ctx, field{input: `#token input[name=name]`, message: "Give the token a name", value: "   "})
	err = do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#token input[name=name]").value = "ci\u0000bot"`))
	if err != nil {
		t.Fatal(err)
	}
	// Bad bytes are refused at the boundary, before the form's handler
	// (handlers/input.go): the page says which field.
	err = do(ctx,
		chromedp.Click(chromedp.CSS(`#token button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.error-page`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	refusedText, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("section.error-page").textContent`))
	if !strings.Contains(refusedText, `The field "name" contains a NUL byte.`) {
		t.Errorf("a NUL in the token name: the page says %q", refusedText)
	}
	checkReload(t, ctx, http.StatusOK, "Your account · ecsconsole")

	// The Deployments filter (a GET form) with a service that is not one (a
	// bare name is one: it matches that service in every cluster).
	err = do(ctx,
		chromedp.Navigate(c.URL+"/deployments"),
		chromedp.SendKeys(chromedp.CSS(`#filter input[name=service]`), "a/b/c/d"),
		chromedp.SetValue(chromedp.CSS(`#filter select[name=status]`), "failed"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#filter button[type=submit]`, `#filter-service-error`)
	checkField(t, ctx, field{input: `#filter input[name=service]`, message: "cluster/name", value: "a/b/c/d"})
	checkValue(t, ctx, `#filter select[name=status]`, "failed")
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.Contains(loc, "service=a%2Fb%2Fc%2Fd") {
		t.Errorf("the filter's address is %s, want the filter in it (to reload or share)", loc)
	}
	checkReload(t, ctx, http.StatusBadRequest, "Deployments · ecsconsole")
	checkField(t, ctx, field{input: `#filter input[name=service]`, message: "cluster/name", value: "a/b/c/d"})

	for _, p := range unexpected(problems()) {
		t.Errorf("browser console: %s", p)
	}
}

func TestRefusedSignInInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	problems := watchConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/users")); err != nil {
		t.Fatal(err)
	}
	err := do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#login input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`#login input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`#login input[name=password]`), "wrong password"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#login button[type=submit]`, `#login-error`)
	checkField(t, ctx, field{input: `#login input[name=password]`, message: "Wrong username or password", value: ""})
	checkValue(t, ctx, `#login input[name=username]`, "admin")
	checkReload(t, ctx, http.StatusOK, "Sign in · ecsconsole")

	// Guess on until the rate limit answers (429). (The reload showed the
	// blank form.)
	if err := do(ctx, chromedp.SendKeys(chromedp.CSS(`#login input[name=username]`), "admin")); err != nil {
		t.Fatal(err)
	}
	var msg string
	for i := 0; i < 8 && !strings.Contains(msg, "Too many"); i++ {
		err := do(ctx, chromedp.SendKeys(chromedp.CSS(`#login input[name=password]`), fmt.Sprintf("guess %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		submitRefused(t, ctx, `#login button[type=submit]`, `#login-error`)
		st, err := readField(ctx, `#login input[name=password]`)
		if err != nil {
			t.Fatal(err)
		}
		msg = st.Message
	}
	checkField(t, ctx, field{input: `#login input[name=password]`, message: "Too many failed sign-ins", value: ""})
	checkValue(t, ctx, `#login input[name=username]`, "admin")
	screenshot(t, ctx, "login-rate-limited")

	for _, p := range unexpected(problems()) {
		t.Errorf("browser console: %s", p)
	}
}

// TestRefusedFormWithoutJavaScript: the same form works with scripts off:
// a real POST, a 422 page with the message next to the field, the username
// kept.
func TestRefusedFormWithoutJavaScript(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	err := do(ctx,
		chromedp.Navigate(c.URL+"/users"),
		chromedp.SendKeys(chromedp.CSS(`#new-user input[name=username]`), "dora"),
		chromedp.SendKeys(chromedp.CSS(`#new-user input[name=password]`), "short"),
	)
	if err != nil {
		t.Fatal(err)
	}
	step, cancel := within(ctx, 20*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(step, chromedp.Click(chromedp.CSS(`#new-user button[type=submit]`)))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusUnprocessableEntity {
		t.Errorf("refused without JavaScript: status %d, want 422", resp.Status)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!window.htmx`)); v {
		t.Error("scripts ran: this test does not test the page without JavaScript")
	}
	checkField(t, ctx, field{input: `#new-user input[name=password]`, message: "at least 12", value: ""})
	checkValue(t, ctx, `#new-user input[name=username]`, "dora")
}

// TestRefusedRollbackInTheBrowser: rolling back while another deployment
// of the service runs is refused (409) on the deployment's page, with a
// link to the one running and the reason kept.
func TestRefusedRollbackInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	// The certificate never issues: a deployment with HTTPS stays unfinished.
	c := startConsole(t, "--sandbox-speed", "500", "--sandbox-cert-delay", "100000h", "--poll-interval", "50ms")
	problems := watchConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)

	// An API token, from the account page.
	err := do(ctx,
		chromedp.Navigate(c.URL+"/account"),
		chromedp.SendKeys(chromedp.CSS(`#token input[name=name]`), "e2e"),
		chromedp.Click(chromedp.CSS(`#token button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-token`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#new-token`)))
	checkReload(t, ctx, http.StatusOK, "Your account · ecsconsole")

	// Two deployments without a load balancer that succeed, then one with
	// HTTPS that waits for DNS for ever.
	raw, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		t.Fatal(err)
	}
	api := apiClient{t: t, base: c.URL, token: strings.TrimSpace(token)}
	var subnets []any // this sandbox's: the journey's file has other ids
	for _, sn := range api.call(http.MethodGet, "/api/v1/subnets", nil)["subnets"].([]any)[:2] {
		subnets = append(subnets, sn.(map[string]any)["id"])
	}
	journey := func() map[string]any {
		var spec map[string]any
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		spec["service"].(map[string]any)["subnets"] = subnets
		spec["loadBalancer"].(map[string]any)["subnets"] = subnets
		return spec
	}
	for i, image := range []string{"php:8.3-apache", "php:8.4-apache"} {
		spec := journey()
		delete(spec, "loadBalancer")
		td := spec["taskDefinition"].(map[string]any)
		td["containerDefinitions"].([]any)[0].(map[string]any)["image"] = image
		id := api.deploy(spec)
		if id != int64(i+1) {
			t.Fatalf("deployment id %d, want %d", id, i+1)
		}
		api.waitStatus(id, "succeeded")
	}
	running := api.deploy(journey())

	err = do(ctx,
		chromedp.Navigate(c.URL+"/deployments/1"),
		// The checked section is swapped in by htmx; it boosts its form
		// once settled (before that a click would post without htmx).
		chromedp.WaitVisible(chromedp.CSS(`#rollback[data-checked]:not(.htmx-added):not(.htmx-settling) form button.contrast`)),
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.SendKeys(chromedp.CSS(`#rollback input[name=reason]`), "8.4 is slow"),
	)
	if err != nil {
		t.Fatal(err)
	}
	submitRefused(t, ctx, `#rollback form button.contrast`, `#rollback-form-error`)
	checkField(t, ctx, field{input: `#rollback input[name=reason]`, message: fmt.Sprintf("Deployment #%d", running), value: "8.4 is slow"})
	href, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#rollback-form-error a").getAttribute("href")`))
	if want := fmt.Sprintf("/deployments/%d", running); href != want {
		t.Errorf("the refusal links to %q, want the deployment running (%s)", href, want)
	}
	screenshot(t, ctx, "rollback-refused")
	checkReload(t, ctx, http.StatusOK, "Deployment #1 · ecsconsole")
	for _, p := range unexpected(problems()) {
		t.Errorf("browser console: %s", p)
	}
}

// apiClient calls the console's JSON API with a bearer token.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func (a apiClient) call(method, path string, body any) map[string]any {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+a.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
		a.t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, out, err)
	}
	return out
}

// deploy submits spec and returns the deployment's id.
func (a apiClient) deploy(spec map[string]any) int64 {
	a.t.Helper()
	out := a.call(http.MethodPost, "/api/v1/deployments", map[string]any{"spec": spec, "reason": "e2e"})
	return int64(out["id"].(float64))
}

// waitStatus polls the API until deployment id has status.
func (a apiClient) waitStatus(id int64, status string) {
	a.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		out := a.call(http.MethodGet, fmt.Sprintf("/api/v1/deployments/%d", id), nil)
		if out["status"] == status {
			return
		}
		if st := out["status"]; st == "failed" || st == "interrupted" || st == "rolled_back_by_ecs" || time.Now().After(deadline) {
			a.t.Fatalf("deployment %d is %v, want %s: %v", id, out["status"], status, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
