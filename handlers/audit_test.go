package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole/store"
)

func TestAuditTrailReadsAsSentencesWithFilters(t *testing.T) {
	c := newConsole(t)
	seedChangeable(t, c) // deb deploys php-app #1 through the API, reason "test"
	deb, err := c.Store.UserByName(t.Context(), "deb")
	if err != nil {
		t.Fatal(err)
	}
	c.addUser("ada", store.RoleAdmin)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)

	d := doc(t, b.get("/audit"))
	dep := d.Find(`ul.audit-trail li[data-action="deployment.create"]`)
	if got := strings.Join(strings.Fields(dep.Find(".sentence").Text()), " "); got != "deb deployed php-app #1:" {
		t.Errorf("deployment sentence = %q", got)
	}
	if got := dep.Find("q.reason").Text(); got != "test" {
		t.Errorf("reason = %q", got)
	}
	if href, _ := dep.Find(`a[href^="/deployments/"]`).Attr("href"); href != "/deployments/1" {
		t.Errorf("deployment link = %q", href)
	}
	if href, _ := dep.Find(`a[href^="/users/"]`).Attr("href"); href != "/users/"+itoa(deb.ID) {
		t.Errorf("user link = %q", href)
	}
	if strings.Contains(d.Find("ul.audit-trail").Text(), "{") {
		t.Error("the trail still shows raw JSON")
	}

	for _, tc := range []struct {
		name, query string
		want        []string // data-action of the rows, newest first
	}{
		{"who", "who=deb", []string{"deployment.create"}},
		{"what: a family", "action=login", []string{"login.success"}},
		{"what: one action", "action=deployment.create", []string{"deployment.create"}},
		{"when: today", "since=2000-01-01&until=2999-12-31&who=ada", []string{"login.success"}},
		{"when: nothing then", "since=2999-01-01", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := b.get("/audit?" + tc.query)
			wantStatus(t, resp, http.StatusOK)
			var got []string
			d := doc(t, resp)
			for _, n := range d.Find("ul.audit-trail li").Nodes {
				for _, a := range n.Attr {
					if a.Key == "data-action" {
						got = append(got, a.Val)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("rows %v, want %v", got, tc.want)
			}
			if tc.want == nil && !strings.Contains(d.Find("main").Text(), "No events match this filter") {
				t.Error("an empty filter result says nothing")
			}
		})
	}

	for _, tc := range []struct{ query, field string }{
		{"since=yesterday", "since"},
		{"action=drop+table", "action"},
		{"since=2026-02-01&until=2026-01-01", "since"},
	} {
		resp := b.get("/audit?" + tc.query)
		wantStatus(t, resp, http.StatusBadRequest)
		if doc(t, resp).Find("#audit-filter-"+tc.field+"-error").Length() != 1 {
			t.Errorf("%s: no message next to %s", tc.query, tc.field)
		}
	}
}
