package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
)

// Over HTTP: pages behind a session are not cached; a form posted at an
// older version is refused (409) and changes nothing; the example reaches
// the review whole; the Redis button adds one sidecar; a domain typed with
// HTTPS off is refused with a sentence beside the field (red border and
// aria-invalid), the summary naming it by its label.
func TestWizardStaleFormsAndPolish(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"
	for _, path := range []string{base + "taskdef", "/deployments", "/"} {
		if got := b.get(path).Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", path, got)
		}
	}

	// The Redis button, twice: one sidecar.
	wantRedirect(t, b.step(base+"taskdef", "redis", nil), base+"taskdef")
	if n := doc(t, b.get(base+"taskdef")).Find(`input[name$=".image"][value^="redis"]`).Length(); n != 1 {
		t.Errorf("%d Redis containers after pressing the button on the example", n)
	}

	// The example goes through every step without a refusal.
	wantRedirect(t, b.step(base+"taskdef", "next", nil), base+"cluster")
	wantRedirect(t, b.step(base+"cluster", "next", nil), base+"service")
	d := doc(t, b.get(base+"service"))
	old := formValues(d, map[string][]string{"service.desiredCount": {"7"}, "op": {"next"}})
	wantRedirect(t, b.step(base+"service", "next", map[string][]string{"service.desiredCount": {"3"}}), base+"loadbalancer")
	resp := b.post(base+"service", old) // the page as first shown: Back, or a second tab
	wantStatus(t, resp, http.StatusConflict)
	d = doc(t, resp)
	if got := d.Find(`input[name="service.desiredCount"]`).AttrOr("value", ""); got != "3" {
		t.Errorf("the refused form shows desired count %q, want the saved 3", got)
	}
	if msg := d.Find("#form-error").Text(); !strings.Contains(msg, `Desired count (you sent "7", saved: "3")`) {
		t.Errorf("the refusal says %q", msg)
	}
	if got := doc(t, b.get(base+"service")).Find(`input[name="service.desiredCount"]`).AttrOr("value", ""); got != "3" {
		t.Errorf("the stale form overwrote the draft: desired count %q", got)
	}
	wantRedirect(t, b.step(base+"service", "next", nil), base+"loadbalancer")
	wantRedirect(t, b.step(base+"loadbalancer", "next", nil), base+"https")

	// A domain typed with HTTPS off.
	resp = b.step(base+"https", "next", map[string][]string{"httpsEnabled": nil, "domain": {"app.example.com"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	input := d.Find(`input[name=domain]`)
	if input.AttrOr("aria-invalid", "") != "true" || input.AttrOr("aria-describedby", "") != "domain-error" {
		t.Errorf("the domain field is not marked invalid: aria-invalid=%q", input.AttrOr("aria-invalid", ""))
	}
	if msg := d.Find(`#domain-error`).Text(); !strings.Contains(msg, "Serve HTTPS is not ticked") {
		t.Errorf("beside the domain: %q", msg)
	}
	summary := d.Find("article.problems li").Text()
	if strings.Contains(summary, "loadBalancer.") || !strings.HasPrefix(strings.TrimSpace(summary), "The domain") {
		t.Errorf("the summary speaks %q", summary)
	}
	wantRedirect(t, b.step(base+"https", "next", map[string][]string{"httpsEnabled": nil, "domain": {""}, "altNames": {""}}), base+"review")
	d = doc(t, b.get(base+"review"))
	if d.Find("article.problems").Length() != 0 || d.Find("button.deploy:not([disabled])").Length() != 1 {
		t.Errorf("the example does not reach a whole review: %s", d.Find("article.problems").Text())
	}
}

// A message that goes on from its field gets the field's label; every one
// is a sentence.
func TestWizardMessagesAreSentences(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"blank"}}), "/deploy/drafts/1/taskdef")
	resp := b.step("/deploy/drafts/1/taskdef", "next", map[string][]string{"c0.name": {"web"}, "family": {"web"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	if msg := d.Find(`#c0\.image-error`).Text(); !strings.HasPrefix(msg, "Container 1 image is required;") || !strings.HasSuffix(msg, ".") {
		t.Errorf("beside the image: %q", msg)
	}
	if !strings.Contains(d.Find("article.problems").Text(), "Container 1 image is required;") || strings.Contains(d.Find("article.problems").Text(), "taskDefinition.") {
		t.Errorf("summary: %q", d.Find("article.problems").Text())
	}
}

// Apply JSON with both the form and the JSON view edited applies neither
// over the other: the form's edit is saved, the JSON view keeps its text,
// and the message says what a second Apply would do.
func TestWizardApplyJSONKeepsBothEdits(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	path := "/deploy/drafts/1/taskdef"
	d := doc(t, b.get(path))
	text := strings.Replace(d.Find("textarea[name=tdjson]").Text(), `"family": "php-app"`, `"family": "php-json"`, 1)
	if !strings.Contains(text, "php-json") {
		t.Fatalf("the JSON view has no family to edit:\n%s", text)
	}
	resp := b.post(path, formValues(d, map[string][]string{"c0.image": {"php:8.5-apache"}, "tdjson": {text}, "op": {"json"}}))
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	if msg := d.Find("#tdjson-error").Text(); !strings.Contains(msg, "both edited") {
		t.Errorf("beside the JSON view: %q", msg)
	}
	if got := d.Find(`input[name="c0.image"]`).AttrOr("value", ""); got != "php:8.5-apache" {
		t.Errorf("the form's edit was dropped: image %q", got)
	}
	if !strings.Contains(d.Find("textarea[name=tdjson]").Text(), "php-json") {
		t.Error("the JSON view's edit was dropped")
	}
	// Applied again, the JSON replaces the form, as the message said.
	wantRedirect(t, b.step(path, "json", nil), path)
	if got := doc(t, b.get(path)).Find(`input[name=family]`).AttrOr("value", ""); got != "php-json" {
		t.Errorf("the second Apply left family %q", got)
	}
}
