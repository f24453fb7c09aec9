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

	"github.com/ecsconsole/ecsconsole/store"
)

// apiCall sends a JSON request with a bearer token (none when empty).
func (c *testConsole) apiCall(method, path, token, body string) (*http.Response, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		c.t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
	}
	return resp, out
}

func (c *testConsole) token(name string, role store.Role) string {
	c.t.Helper()
	u := c.addUser(name, role)
	_, secret, err := c.Store.CreateToken(context.Background(), u.ID, "test")
	if err != nil {
		c.t.Fatal(err)
	}
	return secret
}

func journeyBody(t *testing.T) string {
	t.Helper()
	spec, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		t.Fatal(err)
	}
	return `{"spec": ` + string(spec) + `, "reason": "test"}`
}

func TestDeploymentAPIAuth(t *testing.T) {
	c := newConsole(t)
	viewer := c.token("vic", store.RoleViewer)
	body := journeyBody(t)

	resp, out := c.apiCall(http.MethodPost, "/api/v1/deployments", "", body)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: %d %v", resp.StatusCode, out)
	}
	resp, out = c.apiCall(http.MethodPost, "/api/v1/deployments", viewer, body)
	if resp.StatusCode != http.StatusForbidden || out["error"].(map[string]any)["code"] != "forbidden" {
		t.Errorf("viewer deploy: %d %v", resp.StatusCode, out)
	}
	resp, out = c.apiCall(http.MethodPost, "/api/v1/deployments/1/rollback", viewer, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer rollback: %d %v", resp.StatusCode, out)
	}
	resp, _ = c.apiCall(http.MethodGet, "/api/v1/deployments", viewer, "")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("viewer list: %d", resp.StatusCode)
	}
}

func TestDeploymentAPIBadInput(t *testing.T) {
	c := newConsole(t)
	deployer := c.token("dee", store.RoleDeployer)
	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
		fieldPaths       []string
	}{
		{"not JSON", "/api/v1/deployments", `{"spec": `, 400, "invalid", nil},
		{"unknown top-level field", "/api/v1/deployments", `{"spec": {}, "colour": "red"}`, 400, "invalid", nil},
		{"no spec", "/api/v1/plan", `{"reason": "x"}`, 400, "invalid", []string{"spec"}},
		{"invalid spec, every problem", "/api/v1/deployments", `{"spec": {"cluster": {"name": "bad name!"}, "taskDefinition": {"family": "x", "cpu": "256", "memory": "4096", "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "containerDefinitions": [{"name": "web", "image": "nginx"}]}, "service": {"name": "s", "subnets": ["subnet-0123456789abcdef0"], "securityGroupIds": ["sg-0123456789abcdef0"]}}}`,
			422, "invalid_spec", []string{"spec.cluster.name", "spec.taskDefinition.memory"}},
		// The journey's placeholder subnets do not exist in the sandbox: refused
		// up front, naming the field, in the plan and at submission.
		{"plan names missing subnets", "/api/v1/plan", journeyBody(t), 422, "invalid_spec", []string{"spec.service.subnets[0]", "spec.service.subnets[1]"}},
		{"deploy names missing subnets", "/api/v1/deployments", journeyBody(t), 422, "invalid_spec", []string{"spec.service.subnets[0]"}},
		{"bad cursor", "/api/v1/deployments?cursor=zzz", "", 400, "invalid", []string{"cursor"}},
		{"bad status", "/api/v1/deployments?status=done", "", 400, "invalid", []string{"status"}},
		{"unknown deployment", "/api/v1/deployments/424242", "", 404, "not_found", nil},
		{"unknown rollback target", "/api/v1/deployments/424242/rollback", "", 404, "not_found", nil},
		{"NUL in a rollback's reason", "/api/v1/deployments/1/rollback", `{"reason": "a\u0000b"}`, 400, "invalid", []string{"reason"}},
		{"NUL in a deployment's reason", "/api/v1/deployments", `{"spec": {}, "reason": "a\u0000b"}`, 400, "invalid", []string{"reason"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := http.MethodPost
			if tc.body == "" && !strings.HasSuffix(tc.path, "/rollback") {
				method = http.MethodGet
			}
			resp, out := c.apiCall(method, tc.path, deployer, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %v", resp.StatusCode, tc.status, out)
			}
			e := out["error"].(map[string]any)
			if e["code"] != tc.code || e["message"] == "" {
				t.Errorf("error = %v", e)
			}
			fields, _ := e["fields"].([]any)
			for _, want := range tc.fieldPaths {
				found := false
				for _, f := range fields {
					if f.(map[string]any)["path"] == want && f.(map[string]any)["message"] != "" {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem reported at %s: %v", want, fields)
				}
			}
		})
	}
}

// TestOldSpecsStayViewable: a deployment stored under older, looser rules
// still shows its page and diff, and says why it cannot be rolled back.
func TestOldSpecsStayViewable(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	ctx := context.Background()
	for _, image := range []string{"nginx:1", "nginx:2"} {
		_, err := c.Store.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at)
			VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, 'succeeded', 'old-timer', now())`,
			`{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web"},"taskDefinition":{"containerDefinitions":[{"name":"web","image":"`+image+`"}]}}`)
		if err != nil {
			t.Fatal(err)
		}
	}
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	resp := b.get("/deployments/2")
	wantStatus(t, resp, http.StatusOK)
	d := doc(t, resp)
	if got := d.Find("table.changes").Text(); !strings.Contains(got, "nginx:2") {
		t.Errorf("changes = %q", got)
	}
	if d.Find("#deployment-live form button.contrast").Length() != 0 || !strings.Contains(d.Find("#deployment-live").Text(), "runs now") {
		t.Error("the serving deployment offers a rollback to itself, or does not say it is serving")
	}
	// Its page offers the rollback at once and asks AWS in the background…
	d = doc(t, b.get("/deployments/1"))
	if d.Find(`#rollback[hx-get="/deployments/1/rollback"][hx-trigger=load]`).Length() != 1 {
		t.Error("the rollback section does not check in the background")
	}
	// …whose answer says why it cannot work.
	b.header.Set("HX-Request", "true")
	d = doc(t, b.get("/deployments/1/rollback"))
	b.header.Del("HX-Request")
	if d.Find("form").Length() != 0 || !strings.Contains(d.Find("#rollback[data-checked]").Text(), "not possible") {
		t.Error("an unrestorable deployment offers rollback, or does not say why not")
	}
	// Without JavaScript the refusal comes when the form is sent.
	resp = b.post("/deployments/1/rollback", url.Values{})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if !strings.Contains(doc(t, resp).Find("main").Text(), "cannot be restored") {
		t.Error("a refused rollback does not say why")
	}
	resp, out := c.apiCall(http.MethodGet, "/api/v1/deployments/1/diff/2", c.token("vic", store.RoleViewer), "")
	if resp.StatusCode != http.StatusOK || len(out["changes"].([]any)) != 1 {
		t.Errorf("API diff: %d %v", resp.StatusCode, out)
	}
}

func TestDeployPageForm(t *testing.T) {
	c := newConsole(t)
	c.addUser("dee", store.RoleDeployer)
	c.addUser("vic", store.RoleViewer)

	viewer := c.browser()
	wantStatus(t, viewer.login("vic", testPassword), http.StatusSeeOther)
	wantStatus(t, viewer.get("/deploy"), http.StatusForbidden)
	if doc(t, viewer.get("/deployments")).Find(`a[href="/deploy"]`).Length() != 0 {
		t.Error("a viewer is offered the Deploy link")
	}

	b := c.browser()
	wantStatus(t, b.login("dee", testPassword), http.StatusSeeOther)
	d := doc(t, b.get("/deploy"))
	spec := d.Find(`textarea[name=spec]`).Text()
	if !strings.Contains(spec, `"subnet-`) {
		t.Errorf("the example spec has no subnets filled in:\n%s", spec)
	}

	// Bad input: every problem is listed with its path, the spec is kept.
	bad := strings.Replace(spec, `"memory": "1024"`, `"memory": "8192"`, 1)
	bad = strings.Replace(bad, `"name": "demo"`, `"name": "no spaces allowed"`, 1)
	resp := b.post("/deploy", url.Values{"spec": {bad}, "action": {"deploy"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d = doc(t, resp)
	problems := d.Find("article.problems li").Text()
	for _, path := range []string{"taskDefinition.memory", "cluster.name"} {
		if !strings.Contains(problems, path) {
			t.Errorf("no problem at %s in %q", path, problems)
		}
	}
	if d.Find(`textarea[name=spec]`).Text() != bad {
		t.Error("the submitted spec was not kept in the form")
	}
	resp = b.post("/deploy", url.Values{"spec": {"{not json"}, "action": {"plan"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)

	// A subnet that does not exist is a problem next to its field, not a 502.
	missing := strings.Replace(spec, `"subnet-`, `"subnet-0000dead`, 1)
	resp = b.post("/deploy", url.Values{"spec": {missing}, "action": {"plan"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if problems := doc(t, resp).Find("article.problems li").Text(); !strings.Contains(problems, "service.subnets[0]") || !strings.Contains(problems, "does not exist") {
		t.Errorf("a missing subnet's problem: %q", problems)
	}

	// The example plans against the sandbox: everything is new.
	resp = b.post("/deploy", url.Values{"spec": {spec}, "action": {"plan"}})
	wantStatus(t, resp, http.StatusOK)
	if n := doc(t, resp).Find(`article.plan .badge.plan-create`).Length(); n < 8 {
		t.Errorf("plan lists %d creations, want every resource", n)
	}
	if n, _ := c.Store.CountUsers(context.Background()); n != 2 {
		t.Fatal("unexpected users")
	}
	list, _, _ := c.Store.ListDeployments(context.Background(), store.DeploymentFilter{}, "", 10)
	if len(list) != 0 {
		t.Errorf("previewing or refusing a spec stored %d deployments", len(list))
	}
}

func TestAPINotFoundIsJSON(t *testing.T) {
	c := newConsole(t)
	tok := c.token("vic", store.RoleViewer)
	for _, path := range []string{"/api/v1/nope", "/api/v2/deployments"} {
		resp, out := c.apiCall(http.MethodGet, path, tok, "")
		if resp.StatusCode != http.StatusNotFound || out["error"] == nil {
			t.Errorf("%s: %d %v", path, resp.StatusCode, out)
		}
	}
	resp, out := c.apiCall(http.MethodDelete, "/api/v1/deployments", tok, "")
	if resp.StatusCode != http.StatusMethodNotAllowed || out["error"] == nil {
		t.Errorf("DELETE: %d %v", resp.StatusCode, out)
	}
}
