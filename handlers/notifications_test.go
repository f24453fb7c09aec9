package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/notify"
	"github.com/ecsconsole/ecsconsole/store"
)

// TestNotificationsPage adds a webhook through the form as a browser
// without JavaScript does: refusals name their field and keep what was
// typed, the secret is shown once (never on a reload, the list or the
// webhook's page, and never the URL's token), Send a test logs a
// delivery, and only admins get in.
func TestNotificationsPage(t *testing.T) {
	c := newConsole(t)
	if _, err := notify.New(c.Store, notify.Options{}); err != nil { // deliveries enqueue; no worker sends them
		t.Fatal(err)
	}
	c.addUser("ada", store.RoleAdmin)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)

	resp := b.post("/notifications", url.Values{"name": {"deploys"}, "url": {"ftp://chat.example.com"}, "services": {"php-app"}, "format": {"slack"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	if !strings.Contains(d.Find("#webhook-form-url-error").Text(), "http") || !strings.Contains(d.Find("#webhook-form-events-error").Text(), "at least one") {
		t.Errorf("refusal: url %q, events %q", d.Find("#webhook-form-url-error").Text(), d.Find("#webhook-form-events-error").Text())
	}
	if v, _ := d.Find(`input[name=services]`).Attr("value"); v != "php-app" {
		t.Errorf("services kept as %q", v)
	}

	const slackToken = "T000/B000/XXXXsecretpath"
	resp = b.post("/notifications", url.Values{"name": {"deploys"}, "url": {"https://hooks.example.com/services/" + slackToken},
		"services": {"php-app, us-east-1/demo/api"}, "events": {"succeeded", "failed"}, "format": {"slack"}})
	wantStatus(t, resp, http.StatusCreated)
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("the page with the secret may be cached")
	}
	d = doc(t, resp)
	secret := strings.TrimSpace(d.Find("#new-secret").Text())
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret shown = %q", secret)
	}
	if row := d.Find("#webhooks tbody tr").Text(); !strings.Contains(row, "php-app, us-east-1/demo/api") || !strings.Contains(row, "succeeded, failed") {
		t.Errorf("list row = %q", row)
	}
	href, _ := d.Find("#webhooks tbody tr a").Attr("href")
	for _, path := range []string{"/notifications", href} {
		body := readAll(t, b.get(path))
		if strings.Contains(body, secret) || strings.Contains(body, slackToken) {
			t.Errorf("%s shows the secret or the URL's token again", path)
		}
	}

	wantStatus(t, b.post(href+"/test", nil), http.StatusSeeOther)
	d = doc(t, b.get(href))
	if got := d.Find("#deliveries tbody tr").Text(); !strings.Contains(got, "test") || !strings.Contains(got, "pending") {
		t.Errorf("delivery log after Send a test: %q", got)
	}

	dee := c.browser()
	wantStatus(t, dee.login("dee", testPassword), http.StatusSeeOther)
	wantStatus(t, dee.get("/notifications"), http.StatusForbidden)
	wantStatus(t, dee.post(href+"/test", nil), http.StatusForbidden)
	resp, _ = c.apiCall(http.MethodGet, "/api/v1/webhooks", c.token("dora", store.RoleDeployer), "")
	wantStatus(t, resp, http.StatusForbidden)

	wantStatus(t, b.post(href+"/delete", nil), http.StatusSeeOther)
	wantStatus(t, b.get(href), http.StatusNotFound)
	wantStatus(t, b.post(href+"/delete", nil), http.StatusNotFound) // a second tab's delete
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
