package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// onStep waits until the wizard shows step.
func onStep(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	if err := do(ctx, chromedp.WaitVisible(chromedp.CSS(`nav.wizard-steps li.current a[href$="/`+step+`"]`))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("the wizard did not reach %s (at %s): %v\n%s", step, loc, err, got)
	}
}

// next presses the step's Next button and waits for step.
func next(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	// The button is clicked from the page's script, once it is there:
	// chromedp's Click aims at the coordinates it measured, and a step's
	// script still moving the layout (hints, fields shown or hidden) made
	// that click land beside the button now and then, so that nothing was
	// submitted (a test flake, not a user's: a person clicks what they see).
	next := `.wizard-nav button[value=next]`
	if err := do(ctx, chromedp.WaitVisible(chromedp.CSS(next)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+next+`').click()`)); err != nil {
		t.Fatalf("pressing Next: %v", err)
	}
	onStep(t, ctx, step)
}

// screenshotDir is where the wizard's screenshots go: $ECSCONSOLE_SCREENSHOTS,
// or the test's own temporary directory.
func screenshotDir(t *testing.T) string {
	if dir := os.Getenv("ECSCONSOLE_SCREENSHOTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		return dir
	}
	return t.TempDir()
}

// stepShots saves the page at 1280 and 390 px wide, and fails when it
// scrolls sideways at 390.
func stepShots(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, width := range []int64{1280, 390} {
		if err := do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		sw, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width == 390 && sw > 390 {
			wide, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 391).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + (e.name || '')).join('; ')`))
			t.Errorf("%s scrolls sideways at 390 px: scrollWidth %d (widest: %s)", name, sw, wide)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Errorf("screenshot %s: %v", name, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("wizard-%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Error(err)
		}
	}
	if err := do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
}

func value(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("value of %s: %v", css, err)
	}
	return v
}

func setValue(t *testing.T, ctx context.Context, css, v string) {
	t.Helper()
	if err := do(ctx, chromedp.SetValue(chromedp.CSS(css), v)); err != nil {
		t.Fatalf("setting %s: %v", css, err)
	}
}

// deploymentCount asks the API, as the signed-in user, how many deployments exist.
func deploymentCount(t *testing.T, ctx context.Context) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch('/api/v1/deployments').then(r => r.json()).then(j => j.deployments.length)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The seed's journey through the wizard with JavaScript on: two containers
// (the Redis sidecar added with its button), a new cluster, a new security
// group for 8080, an ALB and HTTPS with a requested certificate; Back,
// refresh and signing out on the way lose nothing; Deploy lands on the
// deployment, which succeeds; Back then offers no second deploy. Then a
// change (new image) from the deployment with its diff on the review, and
// a rollback to the first.
func TestWizardJourneyInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "500", "--sandbox-cert-delay", "2m", "--poll-interval", "50ms", "--dns-recheck-interval", "200ms")
	problems := watchConsole(ctx)
	shots := screenshotDir(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)

	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy"), chromedp.WaitVisible(chromedp.CSS(`button[value=blank]`))); err != nil {
		t.Fatal(err)
	}
	stepShots(t, ctx, shots, "start")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`button[value=blank]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef")
	draftURL := strings.TrimSuffix(mustLocation(t, ctx), "/taskdef")

	// 1. Task definition: the web container typed in, the sidecar by its button.
	setValue(t, ctx, `input[name=family]`, "php-app")
	setValue(t, ctx, `input[name="c0.name"]`, "web")
	setValue(t, ctx, `input[name="c0.image"]`, "php:8.3-apache")
	setValue(t, ctx, `input[name="c0.ports"]`, "8080")
	setValue(t, ctx, `input[name="c0.logGroup"]`, "/ecs/php-app")
	if err := do(ctx,
		chromedp.Click(chromedp.CSS(`#container-0 details summary`)),
		chromedp.SetValue(chromedp.CSS(`input[name="c0.env.name"]`), "REDIS_HOST"),
		chromedp.SetValue(chromedp.CSS(`input[name="c0.env.value"]`), "localhost"),
		chromedp.Click(chromedp.CSS(`button[value=redis]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="c1.name"]`)),
	); err != nil {
		t.Fatalf("adding the sidecar: %v", err)
	}
	if got := value(t, ctx, `input[name="c1.image"]`); got != "redis:7" {
		t.Errorf("sidecar image %q", got)
	}
	if got := value(t, ctx, `input[name=execRole]`); !strings.HasSuffix(got, ":role/ecsTaskExecutionRole") {
		t.Errorf("execution role %q, want ecsTaskExecutionRole offered", got)
	}
	stepShots(t, ctx, shots, "taskdef")
	// Refresh keeps what was typed (the sidecar button saved it).
	if err := do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`input[name="c1.name"]`))); err != nil {
		t.Fatal(err)
	}
	if got := value(t, ctx, `input[name="c0.image"]`); got != "php:8.3-apache" {
		t.Errorf("after refresh the image is %q", got)
	}
	next(t, ctx, "cluster")

	// 2. A new cluster.
	if err := do(ctx, chromedp.Click(chromedp.CSS(`input[name=cluster][value=new]`))); err != nil {
		t.Fatal(err)
	}
	setValue(t, ctx, `input[name=newCluster]`, "demo")
	stepShots(t, ctx, shots, "cluster")
	next(t, ctx, "service")

	// 3. Service: names and the security group follow from step 1.
	if got := value(t, ctx, `input[name="service.name"]`); got != "php-app" {
		t.Errorf("service name %q", got)
	}
	if got := value(t, ctx, `input[name=sgPorts]`); got != "8080" {
		t.Errorf("security group ports %q, want 8080 only (the sidecar stays private)", got)
	}
	stepShots(t, ctx, shots, "service")
	// Back and the browser's own back keep the cluster; refresh keeps this step.
	if err := do(ctx, chromedp.Click(chromedp.CSS(`.wizard-nav a`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "cluster")
	if got := value(t, ctx, `input[name=newCluster]`); got != "demo" {
		t.Errorf("Back: new cluster %q", got)
	}
	next(t, ctx, "service")
	if err := do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "service")

	// Sign out and back in: the draft is on the overview and resumes.
	next(t, ctx, "loadbalancer")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`))); err != nil {
		t.Fatalf("signing out: %v", err)
	}
	signIn(t, ctx, c)
	if err := do(ctx, chromedp.Click(chromedp.CSS(`table.drafts a`))); err != nil {
		t.Fatalf("resuming the draft from the overview: %v", err)
	}
	onStep(t, ctx, "loadbalancer") // where it was left
	gotoStep(t, ctx, draftURL, "service")
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "1" {
		t.Errorf("resumed desired count %q", got)
	}
	next(t, ctx, "loadbalancer")

	// 4. Load balancer: on, two subnets, traffic to web:8080.
	if got := value(t, ctx, `select[name=target]`); got != "web:8080" {
		t.Errorf("target %q", got)
	}
	stepShots(t, ctx, shots, "loadbalancer")
	next(t, ctx, "https")

	// 5. HTTPS with a requested certificate.
	if err := do(ctx, chromedp.Click(chromedp.CSS(`input[name=httpsEnabled]`))); err != nil {
		t.Fatal(err)
	}
	setValue(t, ctx, `input[name=domain]`, "app.example.com")
	setValue(t, ctx, `input[name=altNames]`, "www.example.com")
	stepShots(t, ctx, shots, "https")
	next(t, ctx, "review")

	// 6. Review: the plan, the spec; Deploy.
	plan, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article.plan`)))
	if !strings.Contains(plan, "create") || !strings.Contains(plan, "load balancer") || !strings.Contains(plan, "certificate") {
		t.Errorf("plan = %q", plan)
	}
	stepShots(t, ctx, shots, "review")
	if deploymentCount(t, ctx) != 0 {
		t.Fatal("something was deployed before Deploy")
	}
	if err := do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=reason]`), "first release"),
		chromedp.Click(chromedp.CSS(`button.deploy`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployment-live`)),
	); err != nil {
		t.Fatalf("deploying: %v", err)
	}
	firstURL := mustLocation(t, ctx)
	if !strings.HasSuffix(firstURL, "/deployments/1") {
		t.Errorf("Deploy landed on %s", firstURL)
	}
	waitStatus(t, ctx, "succeeded")
	if url, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.service-url a`))); url != "https://app.example.com" {
		t.Errorf("service URL = %q", url)
	}
	screenshot(t, ctx, "deployment")

	// Back to the review: no second deploy.
	if err := do(ctx, chromedp.NavigateBack()); err != nil {
		t.Fatal(err)
	}
	if err := do(ctx, chromedp.Navigate(draftURL+"/review"), chromedp.WaitVisible(chromedp.CSS(`.alert.ok`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button.deploy').length`)); n != 0 {
		t.Error("a deployed draft still offers Deploy")
	}
	if n := deploymentCount(t, ctx); n != 1 {
		t.Errorf("%d deployments, want 1", n)
	}

	// Deploy a change: a new image, its diff on the review.
	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy?from=1")); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef")
	setValue(t, ctx, `input[name="c0.image"]`, "php:8.4-apache")
	next(t, ctx, "cluster")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`nav.wizard-steps button[value="goto:review"]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "review")
	changes, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.changes`)))
	if !strings.Contains(changes, "php:8.4-apache") || !strings.Contains(changes, "php:8.3-apache") {
		t.Errorf("review changes = %q", changes)
	}
	if err := do(ctx, chromedp.Click(chromedp.CSS(`button.deploy`)), chromedp.WaitVisible(chromedp.CSS(`#deployment-live`))); err != nil {
		t.Fatalf("second deployment: %v", err)
	}
	waitStatus(t, ctx, "succeeded")
	if err := do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`table.changes`))); err != nil {
		t.Fatalf("changes table: %v", err)
	}
	changes, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.changes`)))
	if !strings.Contains(changes, "php:8.4-apache") || !strings.Contains(changes, "php:8.3-apache") {
		t.Errorf("deployment changes = %q", changes)
	}

	// Roll back to the first from its page, through the confirmation.
	err := do(ctx,
		chromedp.Navigate(firstURL),
		chromedp.WaitVisible(chromedp.CSS(`#rollback[data-checked] form button.contrast`)),
		chromedp.Click(chromedp.CSS(`#rollback form button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`#rollback.confirm #rollback-form`)),
		chromedp.SendKeys(chromedp.CSS(`#rollback.confirm input[name=reason]`), "8.4 is slow"),
		chromedp.Click(chromedp.CSS(`#rollback.confirm button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	if err != nil {
		t.Fatalf("rolling back: %v", err)
	}
	waitStatus(t, ctx, "succeeded")
	kind, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#deployment-live .cards`)))
	if !strings.Contains(strings.ToLower(kind), "rollback") || !strings.Contains(kind, "8.4 is slow") {
		t.Errorf("rollback deployment card = %q", kind)
	}
	if err := do(ctx, chromedp.Navigate(c.URL+"/deployments"), chromedp.WaitVisible(chromedp.CSS(`table.deployments`))); err != nil {
		t.Fatal(err)
	}
	history, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.deployments tbody`)))
	if strings.Count(history, "succeeded") != 3 || !strings.Contains(history, "rollback to #1") {
		t.Errorf("history = %q", history)
	}
	if err := do(ctx, chromedp.Navigate(c.URL+"/services"), chromedp.WaitVisible(chromedp.CSS(`article.service`))); err != nil {
		t.Fatal(err)
	}
	services, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#services-live`)))
	if !strings.Contains(services, "us-east-1/demo/php-app") || !strings.Contains(services, "#3") {
		t.Errorf("services = %q", services)
	}
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

func mustLocation(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// fieldError is the text shown beside a field, waiting for it.
func fieldError(t *testing.T, ctx context.Context, field string) string {
	t.Helper()
	sel := `[id="` + field + `-error"]`
	if err := do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main`)))
		t.Fatalf("no message beside %s: %v\n%s", field, err, got)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	return msg
}

// Refusals with JavaScript on show their message beside the field and keep
// what was typed; a reload after one is the step again (no 405). A viewer
// reaches the review without Deploy, and their POST is refused.
func TestWizardRefusalsInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	problems := watchConsole(ctx)
	shots := screenshotDir(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)
	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy"), chromedp.Click(chromedp.CSS(`button[value=example]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef")

	// An invalid Fargate size through the JSON view.
	bad := `{"family": "php-app", "cpu": "256", "memory": "4096", "executionRoleArn": "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
  "containerDefinitions": [{"name": "web", "image": "php:8.3-apache", "essential": true, "portMappings": [{"containerPort": 8080}]}]}`
	if err := do(ctx,
		chromedp.Click(chromedp.CSS(`details.json-view summary`)),
		chromedp.SetValue(chromedp.CSS(`textarea[name=tdjson]`), bad),
		chromedp.Click(chromedp.CSS(`button[value=json]`)),
	); err != nil {
		t.Fatal(err)
	}
	if msg := fieldError(t, ctx, "size"); !strings.Contains(msg, "4096 is not a valid Fargate memory for 256 CPU") {
		t.Errorf("size message %q", msg)
	}
	if got := value(t, ctx, `select[name=size]`); got != "256/4096" {
		t.Errorf("the size typed in the JSON view became %q", got)
	}
	stepShots(t, ctx, shots, "refused-size")
	if err := do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef") // a reload after the refusal is the step, not a 405
	if got := value(t, ctx, `select[name=size]`); got != "256/4096" {
		t.Errorf("after reload the size is %q", got)
	}
	setValue(t, ctx, `select[name=size]`, "512/1024")
	next(t, ctx, "cluster")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`input[name=cluster][value=new]`))); err != nil {
		t.Fatal(err)
	}
	setValue(t, ctx, `input[name=newCluster]`, "demo")
	next(t, ctx, "service")

	// A 40-character service name makes names AWS refuses.
	long := strings.Repeat("a", 40)
	setValue(t, ctx, `input[name="service.name"]`, long[:39])
	// Typing the last character: the derived target group name is flagged at once.
	if err := do(ctx, chromedp.SendKeys(chromedp.CSS(`input[name="service.name"]`), "a"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=tgName] + .check-hint`))); err != nil {
		t.Fatalf("no as-you-type hint for the derived name: %v", err)
	}
	if hint, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`input[name=tgName] + .check-hint`))); !strings.Contains(hint, "40 characters") {
		t.Errorf("as-you-type hint %q", hint)
	}
	setValue(t, ctx, `input[name="service.desiredCount"]`, "3")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`.wizard-nav button[value=next]`))); err != nil {
		t.Fatal(err)
	}
	if msg := fieldError(t, ctx, "service.name"); !strings.Contains(msg, "at most 32") {
		t.Errorf("service name message %q", msg)
	}
	if msg := fieldError(t, ctx, "tgName"); !strings.Contains(msg, "at most 32") {
		t.Errorf("target group name message %q", msg)
	}
	if got := value(t, ctx, `input[name="service.name"]`); got != long {
		t.Errorf("service name kept as %q", got)
	}
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "3" {
		t.Errorf("desired count kept as %q", got)
	}
	stepShots(t, ctx, shots, "refused-name")
	setValue(t, ctx, `input[name="service.name"]`, "php-app")
	next(t, ctx, "loadbalancer")

	// A load balancer in one subnet.
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('input[name=lbSubnets]').forEach((c, i) => { c.checked = i === 0 })`),
		chromedp.Click(chromedp.CSS(`.wizard-nav button[value=next]`))); err != nil {
		t.Fatal(err)
	}
	if msg := fieldError(t, ctx, "lbSubnets"); !strings.Contains(msg, "needs at least 2") {
		t.Errorf("subnets message %q", msg)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('input[name=lbSubnets]:checked').length`)); n != 1 {
		t.Errorf("%d subnets checked after the refusal, want the 1 chosen", n)
	}
	stepShots(t, ctx, shots, "refused-subnets")
	if n := deploymentCount(t, ctx); n != 0 {
		t.Errorf("%d deployments", n)
	}

	// A viewer: the review without Deploy; a POST anyway is refused.
	err := do(ctx,
		chromedp.Navigate(c.URL+"/users"),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "vic"),
		chromedp.SetValue(chromedp.CSS(`select[name=role]`), "viewer"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "a long enough password"),
		chromedp.Click(chromedp.CSS(`article form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	if err != nil {
		t.Fatalf("adding a viewer: %v", err)
	}
	err = do(ctx,
		chromedp.Click(chromedp.CSS(`.who button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.who`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "vic"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "a long enough password"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#aws-identity`)),
	)
	if err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`body`)))
		t.Fatalf("signing in as the viewer: %v\n%s", err, got)
	}
	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy"), chromedp.Click(chromedp.CSS(`button[value=example]`))); err != nil {
		t.Fatalf("viewer starting a draft: %v", err)
	}
	onStep(t, ctx, "taskdef")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`nav.wizard-steps button[value="goto:review"]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "review")
	if err := do(ctx, chromedp.WaitVisible(chromedp.CSS(`.viewer-note`))); err != nil {
		t.Fatal(err)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button.deploy').length`)); n != 0 {
		t.Error("a viewer is offered Deploy")
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch(location.pathname, {method: 'POST', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'op=deploy'}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil || status != 403 {
		t.Errorf("a viewer's Deploy POST: %d, %v; want 403", status, err)
	}
	for _, p := range problems() {
		if !strings.Contains(p, "422") && !strings.Contains(p, "403") { // htmx logs refused responses
			t.Errorf("browser console: %s", p)
		}
	}
}

// startExample signs in and starts the example draft, on its first step;
// it returns the draft's address (without the step).
func startExample(t *testing.T, ctx context.Context, c *console) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)
	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy"), chromedp.Click(chromedp.CSS(`button[value=example]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef")
	return strings.TrimSuffix(mustLocation(t, ctx), "/taskdef")
}

// draftValue reads a field as the server has it saved, without leaving
// the page.
func draftValue(t *testing.T, ctx context.Context, draft, step, field string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`fetch(`+strconvQuote(draft+"/"+step)+`).then(r => r.text()).then(html => {
		const doc = new DOMParser().parseFromString(html, 'text/html');
		const el = doc.querySelector('[name="`+field+`"]');
		return el ? el.value : '(no field)';
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func strconvQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// gotoStep opens a step by its address and waits for it.
func gotoStep(t *testing.T, ctx context.Context, draft, step string) {
	t.Helper()
	if err := do(ctx, chromedp.Navigate(draft+"/"+step)); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, step)
}

// The browser's Back after Next shows what was saved, not the page as
// first rendered, so Next from there keeps the saved value; a stale form
// from a second tab is refused with the saved values shown and the
// difference named.
func TestWizardBackAndSecondTabKeepTheSavedValue(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	problems := watchConsole(ctx)
	draft := startExample(t, ctx, c)
	next(t, ctx, "cluster")
	next(t, ctx, "service")
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "2" {
		t.Fatalf("the example's desired count is %q", got)
	}
	setValue(t, ctx, `input[name="service.desiredCount"]`, "4")
	next(t, ctx, "loadbalancer")
	if err := do(ctx, chromedp.NavigateBack()); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "service")
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "4" {
		t.Errorf("after Back the desired count shows %q, want the saved 4", got)
	}
	next(t, ctx, "loadbalancer")
	gotoStep(t, ctx, draft, "service")
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "4" {
		t.Errorf("after Back then Next the saved desired count is %q, want 4", got)
	}

	// Another tab saves 5 (its request is made here, from this page's own
	// form, as a second tab's Next would send it); this page, still showing
	// 4, then submits 6.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const body = new URLSearchParams(new FormData(document.querySelector('form.wizard')));
		body.set('service.desiredCount', '5');
		body.set('op', 'next');
		return fetch(document.querySelector('form.wizard').action, {method: 'POST', body: body, redirect: 'manual'}).then(r => r.status);
	})()`, chromedp.EvalAwaitPromise))
	if err != nil || (status != 0 && status != 303) {
		t.Fatalf("the other tab's save: %d, %v", status, err)
	}
	setValue(t, ctx, `input[name="service.desiredCount"]`, "6")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`.wizard-nav button[value=next]`)), chromedp.WaitVisible(chromedp.CSS(`#form-error`))); err != nil {
		t.Fatalf("the stale submit was not refused: %v", err)
	}
	onStep(t, ctx, "service")
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "5" {
		t.Errorf("the refused form shows desired count %q, want the saved 5", got)
	}
	msg, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#form-error`)))
	if !strings.Contains(msg, `Desired count (you sent "6", saved: "5")`) || !strings.Contains(msg, "nothing was overwritten") {
		t.Errorf("the refusal says %q", msg)
	}
	if got := draftValue(t, ctx, draft, "service", "service.desiredCount"); got != "5" {
		t.Errorf("the stale submit overwrote the draft: desired count %q", got)
	}
	// Submitted again from the refusal (now at the current version), it saves.
	setValue(t, ctx, `input[name="service.desiredCount"]`, "6")
	next(t, ctx, "loadbalancer")
	gotoStep(t, ctx, draft, "service")
	if got := value(t, ctx, `input[name="service.desiredCount"]`); got != "6" {
		t.Errorf("resubmitted, the desired count is %q, want 6", got)
	}
	for _, p := range problems() {
		if !strings.Contains(p, "409") {
			t.Errorf("browser console: %s", p)
		}
	}
}

// The step pills save the step as Next does; the JSON view shows the form
// as it stands and Apply JSON keeps what was typed in the form; a draft
// resumes on the step its owner was on.
func TestWizardPillsJSONViewAndResumeKeepEdits(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	problems := watchConsole(ctx)
	draft := startExample(t, ctx, c)

	// A new image, then the Review pill: saved, and the review shows it.
	setValue(t, ctx, `input[name="c0.image"]`, "php:8.4-apache")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`nav.wizard-steps button[value="goto:review"]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "review")
	spec, _ := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(`#spec-json`)))
	if !strings.Contains(spec, "php:8.4-apache") {
		t.Errorf("the review's spec lost the image typed before the pill:\n%s", spec)
	}
	gotoStep(t, ctx, draft, "taskdef")
	if got := value(t, ctx, `input[name="c0.image"]`); got != "php:8.4-apache" {
		t.Errorf("after the pill the image is %q", got)
	}

	// A variable typed in the form, the JSON view opened: it shows the
	// variable; Apply JSON keeps it.
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const names = document.querySelectorAll('input[name="c0.env.name"]'), values = document.querySelectorAll('input[name="c0.env.value"]');
		names[1].value = "APP_ENV"; values[1].value = "production";
		names[1].dispatchEvent(new Event("input", {bubbles: true}));
	})()`)); err != nil {
		t.Fatal(err)
	}
	if err := do(ctx, chromedp.Click(chromedp.CSS(`details.json-view summary`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('textarea[name=tdjson]').value.includes('APP_ENV')`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`textarea[name=tdjson]`)))
		t.Fatalf("the JSON view does not show the form as it stands: %v\n%s", err, text)
	}
	// The form is marked so that the page the Apply brings is told from it.
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('form.wizard').dataset.old = "1"`),
		chromedp.Click(chromedp.CSS(`button[value=json]`)),
		chromedp.WaitReady(chromedp.CSS(`form.wizard:not([data-old])`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef")
	envs, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('input[name="c0.env.name"]')].map(e => e.value).join(",")`))
	if !strings.Contains(envs, "APP_ENV") || !strings.Contains(envs, "REDIS_HOST") {
		t.Errorf("after Apply JSON the variables are %q", envs)
	}

	// Without the JSON view's refresh (JavaScript's), a form edit and a
	// JSON edit together: nothing is dropped, the refusal says so.
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('details.json-view').open = false`)); err != nil {
		t.Fatal(err)
	}
	setValue(t, ctx, `input[name="c0.image"]`, "php:8.5-apache")
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const area = document.querySelector('textarea[name=tdjson]');
		area.value = area.value.replace('"family": "php-app"', '"family": "php-json"');
		document.querySelector('details.json-view').open = true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	if err := do(ctx, chromedp.Click(chromedp.CSS(`button[value=json]`)), chromedp.WaitVisible(chromedp.CSS(`#tdjson-error`))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('input[name="c0.image"]').value + " | " + document.querySelector('input[name=family]').value + " | " + (document.querySelector('.problems, .alert') || {}).textContent`))
		t.Fatalf("a form edit and a JSON edit together were not refused: %v\n%s", err, got)
	}
	if got := value(t, ctx, `input[name="c0.image"]`); got != "php:8.5-apache" {
		t.Errorf("the form's edit was dropped: image %q", got)
	}
	if text := value(t, ctx, `textarea[name=tdjson]`); !strings.Contains(text, "php-json") {
		t.Errorf("the JSON view's edit was dropped:\n%s", text)
	}

	// Resume: on the HTTPS step, then the drafts list opens it there.
	next(t, ctx, "cluster")
	gotoStep(t, ctx, draft, "https")
	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy"), chromedp.Click(chromedp.CSS(`table.drafts td a`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "https")
	for _, p := range problems() {
		if !strings.Contains(p, "422") {
			t.Errorf("browser console: %s", p)
		}
	}
}
