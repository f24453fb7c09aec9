package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/store"
)

// formValues is what a browser would send for the page's wizard form:
// inputs, checked boxes, selected options, textareas; then set overrides
// (a nil value removes the field, e.g. an unchecked box).
func formValues(d *goquery.Document, set map[string][]string) url.Values {
	v := url.Values{}
	form := d.Find("form.wizard")
	form.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		_, disabled := s.Attr("disabled")
		if name == "" || disabled {
			return
		}
		if typ == "checkbox" || typ == "radio" {
			if _, ok := s.Attr("checked"); !ok {
				return
			}
		}
		val, _ := s.Attr("value")
		v.Add(name, val)
	})
	form.Find("textarea").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		v.Add(name, s.Text())
	})
	form.Find("select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		opt := s.Find("option[selected]").First()
		if opt.Length() == 0 {
			opt = s.Find("option").First()
		}
		if opt.Length() == 0 {
			return
		}
		val, _ := opt.Attr("value")
		v.Add(name, val)
	})
	for k, vals := range set {
		if vals == nil {
			v.Del(k)
		} else {
			v[k] = vals
		}
	}
	return v
}

// step posts the wizard form at path with overrides and returns the response.
func (b *browser) step(path string, op string, set map[string][]string) *http.Response {
	b.t.Helper()
	d := doc(b.t.(*testing.T), b.get(path))
	vals := formValues(d, set)
	vals.Set("op", op)
	return b.post(path, vals)
}

func wantRedirect(t *testing.T, resp *http.Response, to string) {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("got %d → %q, want 303 → %s\n%s", resp.StatusCode, resp.Header.Get("Location"), to, body)
	}
}

// The seed's journey through the wizard over HTTP: every step's defaults
// are sensible, Next goes on, the review plans and Deploy submits once.
func TestWizardJourney(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)

	wantStatus(t, b.get("/deploy"), http.StatusOK)
	resp := b.post("/deploy/drafts", url.Values{"start": {"example"}})
	wantRedirect(t, resp, "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"

	d := doc(t, b.get(base+"taskdef"))
	if got := d.Find(`input[name=execRole]`).AttrOr("value", ""); got != "arn:aws:iam::000000000000:role/ecsTaskExecutionRole" {
		t.Errorf("execution role prefilled with %q", got)
	}
	if n := d.Find(`select[name=size] option`).Length(); n < 40 {
		t.Errorf("size offers %d choices", n)
	}
	wantRedirect(t, b.step(base+"taskdef", "next", nil), base+"cluster")
	wantRedirect(t, b.step(base+"cluster", "next", map[string][]string{"cluster": {"new"}, "newCluster": {"demo"}}), base+"service")

	d = doc(t, b.get(base+"service"))
	if got := d.Find(`input[name=service\.name]`).AttrOr("value", ""); got != "php-app" {
		t.Errorf("service name prefilled with %q", got)
	}
	if got := d.Find(`input[name=sgPorts]`).AttrOr("value", ""); got != "8080" {
		t.Errorf("security group ports prefilled with %q, want 8080 (not the sidecar's 6379)", got)
	}
	if n := d.Find(`input[name=subnets][checked]`).Length(); n < 2 {
		t.Errorf("%d subnets preselected", n)
	}
	wantRedirect(t, b.step(base+"service", "next", nil), base+"loadbalancer")
	d = doc(t, b.get(base+"loadbalancer"))
	if got := d.Find(`select[name=target] option[selected]`).AttrOr("value", ""); got != "web:8080" {
		t.Errorf("target preselected %q", got)
	}
	wantRedirect(t, b.step(base+"loadbalancer", "next", nil), base+"https")
	wantRedirect(t, b.step(base+"https", "next", map[string][]string{"httpsEnabled": {"on"}, "domain": {"app.example.com"}, "httpsMode": {"request"}, "altNames": {"www.example.com, *.example.com"}}), base+"review")

	d = doc(t, b.get(base+"review"))
	if n := d.Find(`article.plan .badge.plan-create`).Length(); n < 8 {
		t.Errorf("plan lists %d creations:\n%s", n, d.Find("main").Text())
	}
	var spec map[string]any
	if err := json.Unmarshal([]byte(d.Find("#spec-json").Text()), &spec); err != nil {
		t.Fatalf("review spec JSON: %v", err)
	}
	dl := b.get(base + "spec.json")
	wantStatus(t, dl, http.StatusOK)
	raw, _ := io.ReadAll(dl.Body)
	parsed, err := deploy.Parse(raw)
	if err != nil {
		t.Fatalf("downloaded spec does not parse: %v\n%s", err, raw)
	}
	if parsed.LoadBalancer == nil || parsed.LoadBalancer.HTTPS == nil || parsed.LoadBalancer.HTTPS.RequestDomain != "app.example.com" ||
		len(parsed.LoadBalancer.HTTPS.AlternativeNames) != 2 || parsed.Service.NewSecurityGroup == nil || parsed.Service.NewSecurityGroup.IngressPorts[0] != 8080 || parsed.Cluster.Name != "demo" {
		t.Errorf("spec = %s", raw)
	}
	if d.Find(`button.deploy`).Length() != 1 {
		t.Fatal("no Deploy button for a deployer")
	}

	// Deploy, then the same POST again (double submit, Back): one deployment.
	vals := formValues(d, map[string][]string{"reason": {"first release"}})
	vals.Set("op", "deploy")
	resp = b.post(base+"review", vals)
	wantRedirect(t, resp, "/deployments/1")
	resp = b.post(base+"review", vals)
	wantStatus(t, resp, http.StatusConflict)
	if !strings.Contains(doc(t, resp).Find(".alert").Text(), "deployed as #1") {
		t.Error("the second submit does not say the draft was deployed")
	}
	list, _, _ := c.Store.ListDeployments(context.Background(), store.DeploymentFilter{}, "", 10)
	if len(list) != 1 || list[0].Reason != "first release" {
		t.Fatalf("deployments = %+v", list)
	}
	// Deploy a change: a new draft from the deployment, diffed on the review.
	resp = b.get("/deploy?from=1&step=review")
	wantRedirect(t, resp, "/deploy/drafts/2/review")
	wantRedirect(t, b.step("/deploy/drafts/2/taskdef", "next", map[string][]string{"c0.image": {"php:8.4-apache"}}), "/deploy/drafts/2/cluster")
	d = doc(t, b.get("/deploy/drafts/2/review"))
	changes := d.Find("table.changes").Text()
	if !strings.Contains(changes, "php:8.4-apache") || !strings.Contains(changes, "php:8.3-apache") {
		t.Errorf("changes = %q", changes)
	}
}

// Refused steps: 422 with the message beside its field, what was typed
// kept, and nothing deployed.
func TestWizardRefusals(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"

	for _, tc := range []struct {
		name, step string
		set        map[string][]string
		field      string // the data of the field-error's id
		message    string
	}{
		{"invalid Fargate size through the JSON view", "taskdef", map[string][]string{"tdjson": {`{"family":"php-app","cpu":"256","memory":"4096","containerDefinitions":[{"name":"web","image":"nginx","essential":true}]}`}}, "size", "4096 is not a valid Fargate memory for 256 CPU"},
		{"JSON view syntax error", "taskdef", map[string][]string{"tdjson": {"{\n  \"family\": \"x\",,\n}"}}, "tdjson", "line 2"},
		{"container without image", "taskdef", map[string][]string{"c0.image": {""}}, "c0.image", "is required"},
		{"bad port", "taskdef", map[string][]string{"c0.ports": {"80a"}}, "c0.ports", "is not a port"},
		{"one-subnet ALB", "loadbalancer", map[string][]string{"lbSubnets": nil, "lbSubnetsTyped": {"subnet-0123456789abcdef0"}}, "lbSubnets", "needs at least 2"},
		{"40-character service name", "service", map[string][]string{"service.name": {strings.Repeat("s", 40)}}, "service.name", "at most 32"},
		{"desired count not a number", "service", map[string][]string{"service.desiredCount": {"two"}}, "service.desiredCount", "not a whole number"},
		{"NUL byte", "service", map[string][]string{"service.name": {"web\x00"}}, "service.name", "not text"},
		{"invalid UTF-8", "cluster", map[string][]string{"newCluster": {"demo\xff"}}, "cluster", "not text"},
		{"bad extra name", "https", map[string][]string{"httpsEnabled": {"on"}, "domain": {"app.example.com"}, "altNames": {"www.example.com, bad name"}}, "altNames", "not a full domain name"},
		{"bad domain", "https", map[string][]string{"httpsEnabled": {"on"}, "domain": {"not a domain"}}, "domain", "not a full domain name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := "next"
			if _, ok := tc.set["tdjson"]; ok {
				op = "json"
			}
			resp := b.step(base+tc.step, op, tc.set)
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			if got := resp.Header.Get("HX-Replace-Url"); got != base+tc.step {
				t.Errorf("HX-Replace-Url = %q", got)
			}
			d := doc(t, resp)
			msg := d.Find("#" + strings.ReplaceAll(tc.field, ".", `\.`) + "-error").Text()
			if !strings.Contains(msg, tc.message) {
				t.Errorf("message beside %s = %q, want %q\nproblems: %s", tc.field, msg, tc.message, d.Find("article.problems").Text())
			}
			// What was typed is kept, in the re-rendered form and after a reload.
			for k, vals := range tc.set {
				if vals == nil || tc.message == "not text" || k == "tdjson" && op == "json" && tc.field == "size" {
					continue
				}
				for _, page := range []*goquery.Document{d, doc(t, b.get(base+tc.step))} {
					got := formValues(page, nil)[k]
					if len(got) == 0 || got[0] != vals[0] {
						t.Errorf("%s after the refusal = %q, want %q", k, got, vals[0])
					}
				}
			}
		})
	}
	// The size from the JSON view is shown as chosen, marked invalid.
	d := doc(t, b.get(base+"taskdef"))
	if got := d.Find(`select[name=size] option[selected]`).AttrOr("value", ""); got != "256/4096" {
		t.Errorf("size after the JSON view = %q", got)
	}
	list, _, _ := c.Store.ListDeployments(context.Background(), store.DeploymentFilter{}, "", 10)
	if len(list) != 0 {
		t.Errorf("refusals stored %d deployments", len(list))
	}
}

// The JSON view reads describe-task-definition output, and the form and
// the JSON view round-trip.
func TestWizardJSONViewRoundTrip(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"blank"}}), "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"
	described, err := os.ReadFile("../deploy/testdata/describe-task-definition.json")
	if err != nil {
		t.Fatal(err)
	}
	wantRedirect(t, b.step(base+"taskdef", "json", map[string][]string{"tdjson": {string(described)}}), base+"taskdef")
	d := doc(t, b.get(base+"taskdef"))
	first := d.Find("textarea[name=tdjson]").Text()
	if d.Find(`input[name=c1\.name]`).AttrOr("value", "") != "redis" || !strings.Contains(first, `"dependsOn"`) || strings.Contains(first, "revision") {
		t.Fatalf("describe output not loaded:\n%s", first)
	}
	// Form → JSON → form → JSON: the same.
	wantRedirect(t, b.step(base+"taskdef", "json", map[string][]string{"tdjson": {first}}), base+"taskdef")
	again := doc(t, b.get(base+"taskdef")).Find("textarea[name=tdjson]").Text()
	if again != first {
		t.Errorf("JSON view does not round-trip:\n%s\nvs\n%s", first, again)
	}
	wantRedirect(t, b.step(base+"taskdef", "next", nil), base+"cluster")
	if got := doc(t, b.get(base+"taskdef")).Find("textarea[name=tdjson]").Text(); got != first {
		t.Errorf("saving the form changed the task definition:\n%s\nvs\n%s", first, got)
	}
	// Containers: add, reorder, remove.
	wantRedirect(t, b.step(base+"taskdef", "add", nil), base+"taskdef")
	wantRedirect(t, b.step(base+"taskdef", "up:1", nil), base+"taskdef")
	d = doc(t, b.get(base+"taskdef"))
	if d.Find(`input[name=c0\.name]`).AttrOr("value", "") != "redis" || d.Find(`input[name=containers]`).AttrOr("value", "") != "3" {
		t.Errorf("after add and up: c0 = %q, %s containers", d.Find(`input[name=c0\.name]`).AttrOr("value", ""), d.Find(`input[name=containers]`).AttrOr("value", ""))
	}
	wantRedirect(t, b.step(base+"taskdef", "remove:2", nil), base+"taskdef")
	if n := doc(t, b.get(base+"taskdef")).Find("fieldset.container").Length(); n != 2 {
		t.Errorf("%d containers after remove", n)
	}
}

// Viewers reach the review without a Deploy button; their POST is refused.
// Drafts are their owner's.
func TestWizardViewerAndOwnership(t *testing.T) {
	c := newConsole(t)
	c.addUser("vic", store.RoleViewer)
	c.addUser("dee", store.RoleDeployer)
	viewer := c.browser()
	wantStatus(t, viewer.login("vic", testPassword), http.StatusSeeOther)
	if doc(t, viewer.get("/deployments")).Find(`a[href="/deploy"]`).Length() != 0 {
		t.Error("a viewer is offered the Deploy link")
	}
	wantRedirect(t, viewer.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	d := doc(t, viewer.get("/deploy/drafts/1/review"))
	if d.Find(`button.deploy`).Length() != 0 || d.Find(".viewer-note").Length() != 1 {
		t.Error("a viewer is offered Deploy")
	}
	wantStatus(t, viewer.post("/deploy/drafts/1/review", url.Values{"op": {"deploy"}}), http.StatusForbidden)

	dee := c.browser()
	wantStatus(t, dee.login("dee", testPassword), http.StatusSeeOther)
	wantStatus(t, dee.get("/deploy/drafts/1/taskdef"), http.StatusNotFound)
	wantStatus(t, dee.post("/deploy/drafts/1/review", url.Values{"op": {"deploy"}}), http.StatusNotFound)
	wantStatus(t, dee.get("/deploy/drafts/1/nope"), http.StatusNotFound)
	list, _, _ := c.Store.ListDeployments(context.Background(), store.DeploymentFilter{}, "", 10)
	if len(list) != 0 {
		t.Errorf("%d deployments", len(list))
	}
	// The overview lists the viewer's draft with discard.
	home := doc(t, viewer.get("/"))
	if home.Find(`table.drafts a[href="/deploy/drafts/1/review"]`).Length() != 1 {
		t.Error("the overview does not list the draft where its owner left it (the review)")
	}
	wantRedirect(t, viewer.post("/deploy/drafts/1/discard", url.Values{"from": {"home"}}), "/")
	wantStatus(t, viewer.get("/deploy/drafts/1/taskdef"), http.StatusNotFound)
}

// What only AWS knows (a subnet that does not exist) shows on the review
// as a problem of its step, not a 502, and Deploy is refused with it.
func TestWizardReviewShowsPreflightProblems(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"
	wantRedirect(t, b.step(base+"taskdef", "next", nil), base+"cluster")
	wantRedirect(t, b.step(base+"cluster", "next", map[string][]string{"newCluster": {"demo"}}), base+"service")
	wantRedirect(t, b.step(base+"service", "next", map[string][]string{"subnets": nil, "subnetsTyped": {"subnet-0000dead00000000a"}}), base+"loadbalancer")
	wantRedirect(t, b.step(base+"loadbalancer", "next", map[string][]string{"lbEnabled": nil}), base+"https")
	d := doc(t, b.get(base+"review"))
	problems := d.Find("article.problems").Text()
	if !strings.Contains(problems, "Subnets for the tasks") || !strings.Contains(problems, "does not exist") || !strings.Contains(problems, "Service") || strings.Contains(problems, "service.subnets") {
		t.Errorf("review problems = %q", problems)
	}
	if d.Find(`button.deploy[disabled]`).Length() != 1 {
		t.Error("Deploy is offered for a spec AWS would refuse")
	}
	resp := b.post(base+"review", url.Values{"op": {"deploy"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if !strings.Contains(doc(t, resp).Find("article.problems").Text(), "Subnets for the tasks: ") {
		t.Error("the refused Deploy does not say why")
	}
}

// A list AWS will not give says so beside its field, and the value can be
// typed instead.
func TestWizardFailingLookupsLetYouType(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"blank"}}), "/deploy/drafts/1/taskdef")
	base := "/deploy/drafts/1/"

	c.AWS.FailCall("ListRoles", 1, "AccessDenied", "User is not authorized to perform: iam:ListRoles")
	d := doc(t, b.get(base+"taskdef"))
	if msg := d.Find("small.field-error").First().Text(); !strings.Contains(msg, "Could not list IAM roles") || !strings.Contains(msg, "AccessDenied") || !strings.Contains(msg, "type the value") {
		t.Errorf("roles lookup failure says %q", msg)
	}
	role := "arn:aws:iam::000000000000:role/typed-by-hand"
	wantStatus(t, b.post(base+"taskdef", url.Values{"family": {"web"}, "size": {"256/512"}, "execRole": {role}, "containers": {"1"},
		"c0.name": {"web"}, "c0.image": {"nginx"}, "c0.essential": {"on"}, "c0.ports": {"80"}, "op": {"next"}}), http.StatusSeeOther)
	if got := doc(t, b.get(base+"taskdef")).Find(`input[name=execRole]`).AttrOr("value", ""); got != role {
		t.Errorf("typed role = %q", got)
	}

	c.AWS.FailCall("DescribeSubnets", 1, "UnauthorizedOperation", "You are not authorized to perform this operation.")
	d = doc(t, b.get(base+"service"))
	if !strings.Contains(d.Find("fieldset").Text(), "Could not list subnets") || d.Find(`input[name=subnetsTyped]`).Length() != 1 {
		t.Errorf("subnet lookup failure: %q", d.Find("fieldset").First().Text())
	}
}

// "Refresh lists" forgets the cached lists and shows the step again.
func TestWizardRefreshLists(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	wantRedirect(t, b.post("/deploy/drafts", url.Values{"start": {"example"}}), "/deploy/drafts/1/taskdef")
	d := doc(t, b.get("/deploy/drafts/1/cluster"))
	href := d.Find(`a[href$="?refresh=1"]`).AttrOr("href", "")
	if href != "/deploy/drafts/1/cluster?refresh=1" {
		t.Fatalf("refresh link %q", href)
	}
	wantRedirect(t, b.get(href), "/deploy/drafts/1/cluster")
}
