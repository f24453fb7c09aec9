package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
)

// seedDeployments inserts deployments of us-east-1/demo/web with the given
// statuses (kind rollback of #1 when marked so) and returns nothing: ids
// run from 1 in order.
func seedDeployments(t *testing.T, c *testConsole, rows ...[2]string) {
	t.Helper()
	for _, r := range rows {
		status, kind := r[0], r[1]
		_, err := c.Store.Pool().Exec(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, spec, status, kind, rollback_of, created_by_name, finished_at)
			VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, $2, $3, CASE WHEN $3 = 'rollback' THEN 1 END, 'old-timer',
			CASE WHEN $2 IN ('running', 'queued') THEN NULL ELSE now() END)`,
			`{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web"},"taskDefinition":{"containerDefinitions":[{"name":"web","image":"nginx"}]}}`, status, kind)
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A confirmation is good once: it carries the service's newest deployment
// when it was shown, and a confirmation made before a newer deployment
// starts nothing — linking to the rollback it already made, or to the
// deployment made since.
func TestRollbackConfirmationIsGoodOnce(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	seedDeployments(t, c, [2]string{"succeeded", "deploy"}, [2]string{"succeeded", "deploy"})
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	count := func() (n int) {
		okOrFatal(t, c.Store.Pool().QueryRow(context.Background(), `SELECT count(*) FROM deployments`).Scan(&n))
		return n
	}

	// A confirmation without the token: refused, nothing started; the
	// page shown again carries the newest deployment, #2.
	resp := b.post("/deployments/1/rollback", url.Values{"confirmed": {"yes"}, "reason": {"r"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	d := doc(t, resp)
	checkRefusal(t, d, refusal{formID: "rollback-form", message: "incomplete", kept: map[string]string{"reason": "r"}})
	if v, _ := d.Find(`#rollback-form input[name=after]`).Attr("value"); v != "2" {
		t.Fatalf("the confirmation carries after=%q, want 2", v)
	}

	// A deployment made since the page was shown: refused, linking to it.
	seedDeployments(t, c, [2]string{"failed", "deploy"})
	resp = b.post("/deployments/1/rollback", url.Values{"confirmed": {"yes"}, "after": {"2"}, "reason": {"r"}})
	wantStatus(t, resp, http.StatusConflict)
	d = doc(t, resp)
	checkRefusal(t, d, refusal{formID: "rollback-form", message: "Deployment #3 of this service was made since this page was shown"})
	if d.Find(`#rollback-form a[href="/deployments/3"]`).Length() != 1 {
		t.Error("the refusal does not link to the deployment made since")
	}
	if v, _ := d.Find(`#rollback-form input[name=after]`).Attr("value"); v != "3" {
		t.Errorf("the refused page's form carries after=%q, want the newest, 3", v)
	}

	// The rollback this confirmation made (#4, a rollback to #1): replayed,
	// it says so and links to it.
	seedDeployments(t, c, [2]string{"succeeded", "rollback"})
	before := count()
	resp = b.post("/deployments/1/rollback", url.Values{"confirmed": {"yes"}, "after": {"3"}, "reason": {"r"}})
	wantStatus(t, resp, http.StatusConflict)
	d = doc(t, resp)
	checkRefusal(t, d, refusal{formID: "rollback-form", message: "already used: it made rollback #4"})
	if d.Find(`#rollback-form a[href="/deployments/4"]`).Length() != 1 {
		t.Error("the replay's refusal does not link to the rollback already made")
	}
	if after := count(); after != before {
		t.Errorf("a replayed confirmation stored %d deployments", after-before)
	}

	// A current confirmation goes through to the engine (which refuses #1:
	// nothing of its task definition was recorded).
	resp = b.post("/deployments/1/rollback", url.Values{"confirmed": {"yes"}, "after": {"4"}, "reason": {"r"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	checkRefusal(t, doc(t, resp), refusal{formID: "rollback-form", message: "cannot be restored"})
}

// The engine's own codes are shown in the console's words; AWS's as what
// AWS said. The API carries each step's progress.
func TestEngineCodesAndStepProgress(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	seedDeployments(t, c, [2]string{"running", "deploy"})
	ctx := context.Background()
	okOrFatal(t, c.Store.StartStep(ctx, 1, "service-stable"))
	okOrFatal(t, c.Store.SetStepProgress(ctx, 1, "service-stable", "1 of 2 tasks running, 2 deployments"))
	okOrFatal(t, c.Store.StartStep(ctx, 1, "target-group"))
	okOrFatal(t, c.Store.FinishStep(ctx, 1, "target-group", ecsconsole.StepResult{Status: ecsconsole.StepFailed, ErrorCode: "AccessDeniedException", ErrorMessage: "not allowed"}))

	token := c.token("api", store.RoleDeployer)
	_, out := c.apiCall(http.MethodGet, "/api/v1/deployments/1", token, "")
	progress := map[string]any{}
	for _, st := range out["steps"].([]any) {
		m := st.(map[string]any)
		progress[m["name"].(string)] = m["progress"]
	}
	if progress["service-stable"] != "1 of 2 tasks running, 2 deployments" {
		t.Errorf("the API's steps carry progress %v", progress)
	}

	okOrFatal(t, c.Store.FinishStep(ctx, 1, "service-stable", ecsconsole.StepResult{Status: ecsconsole.StepFailed, ErrorCode: "Timeout", ErrorMessage: "not done after 30m0s: 1 of 2 tasks running"}))
	okOrFatal(t, c.Store.FinishDeployment(ctx, 1, ecsconsole.DeploymentResult{Status: ecsconsole.StatusInterrupted, ErrorStep: "service-stable", ErrorCode: "Timeout", ErrorMessage: "not done after 30m0s: 1 of 2 tasks running"}))
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	page := doc(t, b.get("/deployments/1")).Find("main").Text()
	if strings.Contains(page, "AWS said (Timeout)") || !strings.Contains(page, "not done after 30m0s") {
		t.Errorf("the engine's own timeout is shown as AWS's words, or not at all:\n%s", page)
	}
	if !strings.Contains(page, "AWS said (AccessDeniedException)") {
		t.Errorf("AWS's own error is not shown as AWS's:\n%s", page)
	}
}

func okOrFatal(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The confirmation names the digests that will run, what the console
// checked (IAM roles) and, plainly, what it cannot check (Docker Hub,
// secrets).
func TestRollbackConfirmationSaysWhatRunsAndWhatWasChecked(t *testing.T) {
	c := newConsole(t)
	c.addUser("ada", store.RoleAdmin)
	td := `{"family":"web","executionRoleArn":"arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
		"taskRoleArn":"arn:aws:iam::000000000000:role/gone-role",
		"containerDefinitions":[{"name":"web","image":"php:8.3-apache","secrets":[{"name":"DB","valueFrom":"arn:aws:secretsmanager:us-east-1:000000000000:secret:db"}]},
		{"name":"side","image":"registry.example.com/team/side:1"}]}`
	outputs := `{"tasks":[{"taskArn":"t1","images":[{"container":"web","image":"php:8.3-apache","digest":"sha256:0123abcd"}]}]}`
	_, err := c.Store.Pool().Exec(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, finished_at, task_definition, outputs)
		VALUES ('us-east-1/demo/web', 'us-east-1', 'demo', 'web', $1, 'succeeded', 'old-timer', now(), $2, $3)`,
		`{"region":"us-east-1","cluster":{"name":"demo"},"service":{"name":"web"},"taskDefinition":{"containerDefinitions":[{"name":"web","image":"php:8.3-apache"}]}}`, td, outputs)
	okOrFatal(t, err)
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	d := doc(t, b.get("/deployments/1/rollback"))
	images := d.Find("table.rollback-images").Text()
	if !strings.Contains(images, "php@sha256:0123abcd") || !strings.Contains(images, "registry.example.com/team/side:1") || !strings.Contains(images, "no digest was recorded") {
		t.Errorf("images that will run: %q", images)
	}
	checks := d.Find("ul.rollback-checks").Text()
	for _, want := range []string{
		"IAM role arn:aws:iam::000000000000:role/ecsTaskExecutionRole still exists.",
		"IAM role arn:aws:iam::000000000000:role/gone-role no longer exists",
		"Not checked: Image php@sha256:0123abcd (web): a Docker Hub image",
		"Not checked: Image registry.example.com/team/side:1 (side): the console cannot ask the registry registry.example.com",
		"Not checked: Secret arn:aws:secretsmanager:us-east-1:000000000000:secret:db",
	} {
		if !strings.Contains(checks, want) {
			t.Errorf("the confirmation's checks lack %q:\n%s", want, checks)
		}
	}
	if strings.Contains(checks, "gone-role still exists") {
		t.Error("a role IAM does not know is said to exist")
	}
}
