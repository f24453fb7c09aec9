package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
)

// TestFreezePage freezes and unfreezes a service from its page, as a
// browser without JavaScript does: a missing reason is refused next to its
// field, a viewer sees the freeze but no form and cannot post one, and the
// Services card shows the freeze.
func TestFreezePage(t *testing.T) {
	c := newConsole(t)
	_, err := c.Store.Pool().Exec(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at)
		VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', '{}', 'succeeded', 'old-timer', now())`)
	if err != nil {
		t.Fatal(err)
	}
	c.addUser("dee", store.RoleDeployer)
	c.addUser("vic", store.RoleViewer)
	const page = "/services/us-east-1/demo/web/freeze"

	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	d := doc(t, b.get("/services"))
	if d.Find(`article.service a.freeze[href="`+page+`"]`).Length() != 1 {
		t.Error("the Services card does not offer to freeze")
	}
	resp := b.post(page, url.Values{"reason": {"  "}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if msg := doc(t, resp).Find("#freeze-form-reason-error").Text(); !strings.Contains(msg, "Say why") {
		t.Errorf("an empty reason: field message %q", msg)
	}
	resp = b.post(page, url.Values{"reason": {"<b>bad</b> release"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != page {
		t.Errorf("after freezing: Location %q", loc)
	}
	d = doc(t, b.get(page))
	if got := d.Find(".alert.frozen").Text(); !strings.Contains(got, "<b>bad</b> release") || !strings.Contains(got, "dee") {
		t.Errorf("frozen notice = %q (the reason is shown as text, with who froze it)", got)
	}
	if d.Find("#unfreeze-form button").Length() != 1 {
		t.Error("a frozen service's page offers no unfreeze")
	}
	d = doc(t, b.get("/services"))
	if !strings.Contains(d.Find("article.service .alert.frozen").Text(), "release") ||
		!strings.Contains(d.Find("article.service a.freeze").Text(), "Unfreeze") {
		t.Error("the Services card does not show the freeze")
	}

	v := c.browser()
	wantStatus(t, v.login("vic", testPassword), http.StatusSeeOther)
	d = doc(t, v.get(page))
	if d.Find(".alert.frozen").Length() != 1 || d.Find("form").Length() != 1 { // the sign-out form only
		t.Errorf("viewer's freeze page: %d notices, %d forms", d.Find(".alert.frozen").Length(), d.Find("form").Length())
	}
	wantStatus(t, v.post("/services/us-east-1/demo/web/unfreeze", nil), http.StatusForbidden)

	wantStatus(t, b.post("/services/us-east-1/demo/web/unfreeze", nil), http.StatusSeeOther)
	d = doc(t, b.get(page))
	if d.Find(".alert.frozen").Length() != 0 || d.Find("#freeze-form").Length() != 1 {
		t.Error("after unfreezing, the page still shows the freeze or no freeze form")
	}
	// Reload of the unfreeze (a second tab, Back and resend): nothing to do, no error.
	wantStatus(t, b.post("/services/us-east-1/demo/web/unfreeze", nil), http.StatusSeeOther)
	wantStatus(t, b.get("/services/us-east-1/demo/no-such/freeze"), http.StatusOK)
	wantStatus(t, b.post("/services/us-east-1/demo/no-such/freeze", url.Values{"reason": {"x"}}), http.StatusNotFound)
	wantStatus(t, b.get("/services/mars-1/demo/web/freeze"), http.StatusNotFound)
}

// TestWizardDeployOfAFrozenService: the wizard's Deploy button on a
// frozen service answers 423 with the freeze's reason on the review step,
// stores no deployment, and leaves the draft to deploy once unfrozen.
func TestWizardDeployOfAFrozenService(t *testing.T) {
	c := newConsole(t)
	ctx := context.Background()
	_, err := c.Store.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at)
		VALUES ('us-east-1/demo/php-app', 'us-east-1', 'demo', 'php-app', '{}', 'failed', 'old-timer', now())`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store.FreezeService(ctx, store.FreezeRequest{ServiceKey: "us-east-1/demo/php-app", Reason: "incident 42", Username: "ops"}); err != nil {
		t.Fatal(err)
	}
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"
	wantRedirect(t, b.step(base+"taskdef", "next", nil), base+"cluster")
	wantRedirect(t, b.step(base+"cluster", "next", map[string][]string{"cluster": {"new"}, "newCluster": {"demo"}}), base+"service")
	wantRedirect(t, b.step(base+"service", "next", nil), base+"loadbalancer")
	wantRedirect(t, b.step(base+"loadbalancer", "next", nil), base+"https")
	wantRedirect(t, b.step(base+"https", "next", nil), base+"review")
	vals := formValues(doc(t, b.get(base+"review")), nil)
	vals.Set("op", "deploy")
	resp := b.post(base+"review", vals)
	wantStatus(t, resp, http.StatusLocked)
	refused := doc(t, resp)
	if msg := refused.Find(".alert").Text(); !strings.Contains(msg, "incident 42") || !strings.Contains(msg, "frozen by ops") {
		t.Errorf("refusal = %q, want the reason and who froze it", msg)
	}
	if _, err := c.Store.UnfreezeService(ctx, "us-east-1/demo/php-app", 0, "ops", ""); err != nil {
		t.Fatal(err)
	}
	// Deploy again from the refusal's page (it carries the draft's version).
	vals = formValues(refused, nil)
	vals.Set("op", "deploy")
	wantRedirect(t, b.post(base+"review", vals), "/deployments/2")
}
