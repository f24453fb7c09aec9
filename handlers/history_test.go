package handlers_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecsconsole/ecsconsole/store"
)

// seedHistory stores deployments directly: two of php-app (the second
// failed), one of another service, and a rollback of the first.
func seedHistory(t *testing.T, c *testConsole) {
	t.Helper()
	ctx := context.Background()
	for _, row := range []struct{ service, image, status, kind, by, errStep, code, msg string }{
		{"php-app", "php:8.3-apache", "succeeded", "deploy", "alice", "", "", ""},
		{"php-app", "php:8.4-apache", "failed", "deploy", "bob", "load-balancer-active", "ValidationError", "At least two subnets in two different Availability Zones must be specified"},
		{"worker", "busybox:1", "succeeded", "deploy", "alice", "", "", ""},
		{"php-app", "php:8.3-apache", "succeeded", "rollback", "bob", "", "", ""},
	} {
		rollbackOf := "NULL"
		if row.kind == "rollback" {
			rollbackOf = "1"
		}
		spec := `{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"` + row.service + `","desiredCount":2},"taskDefinition":{"family":"` + row.service + `","containerDefinitions":[{"name":"web","image":"` + row.image + `","environment":[{"name":"MODE","value":"` + row.status + `"}],"secrets":[{"name":"DB_PASSWORD","valueFrom":"arn:aws:secretsmanager:us-east-1:000000000000:secret:db-` + row.status + `"}]}]}}`
		_, err := c.Store.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, kind, rollback_of, spec, status,
			created_by_name, reason, error_step, error_code, error_message, task_definition, task_definition_arn, finished_at,
			outputs)
			VALUES ('us-east-1/demo/'||$1, 'us-east-1', 'demo', $1, $2, `+rollbackOf+`, $3, $4, $5, 'because', $6, $7, $8,
			'{"family":"x"}', 'arn:aws:ecs:us-east-1:000000000000:task-definition/'||$1||':1', now(),
			'{"url":"http://php-app-1.us-east-1.elb.amazonaws.com","loadBalancerDns":"php-app-1.us-east-1.elb.amazonaws.com"}')`,
			row.service, row.kind, spec, row.status, row.by, row.errStep, row.code, row.msg)
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestHistoryFiltersByNameUserKindAndDate(t *testing.T) {
	c := newConsole(t)
	c.addUser("vic", store.RoleViewer)
	seedHistory(t, c)
	b := c.browser()
	wantStatus(t, b.login("vic", testPassword), http.StatusSeeOther)
	for _, tc := range []struct {
		name, query string
		want        string
	}{
		{"a service's name alone", "service=php-app", "4 2 1"},
		{"cluster/name", "service=demo/php-app", "4 2 1"},
		{"the full key", "service=us-east-1/demo/worker", "3"},
		{"by user", "user=bob", "4 2"},
		{"by kind", "kind=rollback", "4"},
		{"by status", "status=failed", "2"},
		{"dates", "since=2000-01-01&until=2999-12-31&service=worker", "3"},
		{"no match", "since=2999-01-01", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := b.get("/deployments?" + tc.query)
			wantStatus(t, resp, http.StatusOK)
			var got []string
			d := doc(t, resp)
			d.Find("table.deployments tbody tr td:first-child").Each(func(_ int, s *goquery.Selection) {
				got = append(got, strings.TrimSpace(s.Text()))
			})
			if strings.Join(got, " ") != tc.want {
				t.Errorf("rows %v, want %s", got, tc.want)
			}
			// The filter is kept in the form and in the export links.
			csvLink, _ := d.Find(`a[href^="/deployments.csv"]`).Attr("href")
			if csvLink, _ = url.QueryUnescape(csvLink); !strings.Contains(csvLink, strings.Split(tc.query, "&")[0]) {
				t.Errorf("export link %q does not keep the filter", csvLink)
			}
		})
	}
	d := doc(t, b.get("/deployments?service=php-app"))
	if hint := d.Find("#service-hint").Text(); !strings.Contains(hint, "region/cluster/name") {
		t.Errorf("hint = %q", hint)
	}
	if got := d.Find("table.deployments a.restores").Text(); got != "#1" {
		t.Errorf("the rollback links %q, want #1", got)
	}
	if imgs := d.Find("table.deployments td.images").First().Text(); !strings.Contains(imgs, "php:8.3-apache") || !strings.Contains(imgs, "php-app:1") {
		t.Errorf("images cell = %q", imgs)
	}

	// Refused filters say why, with 400, never 500 — bad bytes included.
	for _, q := range []string{"service=a/b/c/d", "status=done", "kind=undo", "since=yesterday", "since=2026-02-01&until=2026-01-01",
		"service=" + url.QueryEscape("php\x00app"), "user=%ff%fe", "service=" + strings.Repeat("x", 5000)} {
		resp := b.get("/deployments?" + q)
		wantStatus(t, resp, http.StatusBadRequest)
		// Bad bytes are refused by the central check of every query, the rest by the filter.
		if msg := doc(t, resp).Find("#filter .form-error, #filter .field-error, .error-page").Text(); msg == "" {
			t.Errorf("%.60s: refused without a message", q)
		}
	}
}

func TestHistoryExportsStreamEveryRow(t *testing.T) {
	c := newConsole(t)
	c.addUser("vic", store.RoleViewer)
	seedHistory(t, c)
	b := c.browser()
	wantStatus(t, b.login("vic", testPassword), http.StatusSeeOther)

	if _, err := c.Store.Pool().Exec(context.Background(), `UPDATE deployments SET reason = '=HYPERLINK("http://evil")' WHERE id = 2`); err != nil {
		t.Fatal(err)
	}
	resp := b.get("/deployments.csv?service=php-app")
	wantStatus(t, resp, http.StatusOK)
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, ".csv") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	records, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 4 || records[0][0] != "id" || records[1][0] != "4" || records[1][3] != "1" || records[3][6] != "php:8.3-apache" {
		t.Errorf("csv = %v", records)
	}
	if records[2][8] != `'=HYPERLINK("http://evil")` {
		t.Errorf("a formula-like reason is exported as %q, not defused", records[2][8])
	}
	if !strings.Contains(records[2][11], "two subnets") {
		t.Errorf("the failed row's error = %q", records[2][11])
	}

	resp = b.get("/deployments.json?user=alice")
	wantStatus(t, resp, http.StatusOK)
	raw, _ := io.ReadAll(resp.Body)
	var list []map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatalf("json export is not JSON: %v\n%s", err, raw)
	}
	if len(list) != 2 || list[0]["id"].(float64) != 3 || list[0]["createdBy"] != "alice" {
		t.Errorf("json = %v", list)
	}
	resp = b.get("/deployments.json?user=nobody")
	raw, _ = io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &list); err != nil || len(list) != 0 {
		t.Errorf("empty export = %s (%v)", raw, err)
	}
	wantStatus(t, b.get("/deployments.csv?status=done"), http.StatusBadRequest)
	anon := c.browser()
	if resp := anon.get("/deployments.csv"); resp.StatusCode == http.StatusOK {
		t.Error("the export is served without a session")
	}
}

func TestDeploymentPageSummaryDiffAndFailure(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	c.addUser("vic", store.RoleViewer)
	seedHistory(t, c)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)

	// The failed deployment: in words, no URL, Fix and retry at the load balancer step.
	d := doc(t, b.get("/deployments/2"))
	live := d.Find("#deployment-live").Text()
	if strings.Contains(live, "Serving at") || !strings.Contains(live, "Failed") || !strings.Contains(live, "Load balancer active failed") ||
		!strings.Contains(live, "AWS said (ValidationError)") {
		t.Errorf("failed deployment page:\n%s", live)
	}
	if href, _ := d.Find("a.fix").Attr("href"); href != "/deploy?from=2&step=loadbalancer" {
		t.Errorf("Fix and retry = %q", href)
	}
	if href, _ := d.Find("a.deploy-change").Attr("href"); href != "/deployments/2/change" {
		t.Errorf("Deploy a change = %q", href)
	}
	// Its diff from #1, in words; a secret by name only.
	diff := d.Find("table.changes").Text()
	if !strings.Contains(diff, "Container web") || !strings.Contains(diff, "php:8.4-apache") || !strings.Contains(diff, "secret DB_PASSWORD") ||
		strings.Contains(diff, "secretsmanager") {
		t.Errorf("diff:\n%s", diff)
	}
	// The rollback says what it restored; the restored one says by what.
	if got := doc(t, b.get("/deployments/4")).Find(".summary .restored").Text(); got != "Restored #1" {
		t.Errorf("rollback summary = %q", got)
	}
	d = doc(t, b.get("/deployments/1"))
	if got := d.Find(".restored-by").Text(); !strings.Contains(got, "#4") {
		t.Errorf("restored-by = %q", got)
	}
	// #4 runs #1's spec: #1 offers no rollback to itself.
	if d.Find("#rollback").Length() != 0 || !strings.Contains(d.Find("#deployment-live").Text(), "same spec now") {
		t.Error("a deployment whose spec runs now offers a rollback")
	}

	// The diff page and its picker.
	resp := b.get("/deployments/1/diff/2")
	wantStatus(t, resp, http.StatusOK)
	d = doc(t, resp)
	if !strings.Contains(d.Find("table.changes").Text(), "php:8.4-apache") || d.Find(`select[name=with] option`).Length() != 2 {
		t.Errorf("diff page: %q, %d choices", d.Find("table.changes").Text(), d.Find(`select[name=with] option`).Length())
	}
	resp = b.get("/deployments/2/diff?with=4")
	if wantStatus(t, resp, http.StatusSeeOther); resp.Header.Get("Location") != "/deployments/4/diff/2" {
		t.Errorf("picker redirects to %q", resp.Header.Get("Location"))
	}
	wantStatus(t, b.get("/deployments/2/diff?with=x"), http.StatusBadRequest)
	wantStatus(t, b.get("/deployments/1/diff/999"), http.StatusNotFound)

	// Snapshot downloads.
	resp = b.get("/deployments/2/spec.json")
	wantStatus(t, resp, http.StatusOK)
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "deployment-2-spec.json") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	var spec map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&spec); err != nil || spec["service"] == nil {
		t.Errorf("spec download: %v %v", spec, err)
	}
	wantStatus(t, b.get("/deployments/2/task-definition.json"), http.StatusOK)

	// The confirmation page shows what changes; a viewer may neither see it nor post.
	resp = b.get("/deployments/3/rollback")
	wantStatus(t, resp, http.StatusOK)
	if d := doc(t, resp); d.Find("#rollback-confirm").Length() != 0 || !strings.Contains(d.Find("main").Text(), "cannot be restored") {
		t.Error("an unrestorable deployment's confirmation offers the rollback, or does not say why")
	}
	viewer := c.browser()
	wantStatus(t, viewer.login("vic", testPassword), http.StatusSeeOther)
	wantStatus(t, viewer.get("/deployments/1/rollback"), http.StatusForbidden)
	wantStatus(t, viewer.post("/deployments/1/rollback", url.Values{"reason": {"x"}}), http.StatusForbidden)
	if d := doc(t, viewer.get("/deployments/2")); d.Find("a.fix, a.deploy-change, #rollback").Length() != 0 {
		t.Error("a viewer is offered Fix and retry, Deploy a change or Rollback")
	}
}
