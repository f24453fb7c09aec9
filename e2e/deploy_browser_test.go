package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// signIn signs in as admin and lands on the overview.
func signIn(t *testing.T, ctx context.Context, c *console) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), c.AdminPassword),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#aws-identity`)),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
}

// waitStatus waits until the deployment page (refreshed by htmx) shows status.
func waitStatus(t *testing.T, ctx context.Context, status string) {
	t.Helper()
	step, cancel := within(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(step, chromedp.WaitVisible(chromedp.CSS(`#deployment-live .cards .badge.`+status))); err != nil {
		got, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#deployment-live`)))
		t.Fatalf("deployment did not reach %s: %v\n%s", status, err, got)
	}
}

// do runs actions with a time limit of their own.
func do(ctx context.Context, actions ...chromedp.Action[chromedp.Void]) error {
	step, cancel := within(ctx, 30*time.Second)
	defer cancel()
	return chromedp.Do(step, actions...)
}

func TestDeployChangeAndRollBackInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "500", "--sandbox-cert-delay", "2m", "--poll-interval", "50ms", "--dns-recheck-interval", "200ms")
	problems := watchConsole(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)

	// The deploy page starts from an example with this region's subnets; preview its plan.
	err := do(ctx,
		chromedp.Navigate(c.URL+"/deploy"),
		chromedp.Click(chromedp.CSS(`button[value=plan]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.plan table`)),
	)
	if err != nil {
		t.Fatalf("previewing the plan: %v", err)
	}
	plan, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article.plan`)))
	if !strings.Contains(plan, "create") || !strings.Contains(plan, "load balancer") {
		t.Errorf("plan = %q", plan)
	}
	screenshot(t, ctx, "plan")

	// Deploy: the page follows the deployment until it succeeds.
	err = do(ctx,
		chromedp.SendKeys(chromedp.CSS(`input[name=reason]`), "first release"),
		chromedp.Click(chromedp.CSS(`button[value=deploy]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployment-live`)),
	)
	if err != nil {
		t.Fatalf("deploying: %v", err)
	}
	firstURL, _ := chromedp.Run(ctx, chromedp.Location())
	waitStatus(t, ctx, "succeeded")
	url, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.service-url a`)))
	if url != "https://app.example.com" {
		t.Errorf("service URL = %q", url)
	}
	screenshot(t, ctx, "deployment")

	// A new image: a second deployment, whose page shows the change.
	err = do(ctx,
		chromedp.Navigate(c.URL+"/deploy"),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=spec]`)),
		chromedp.Evaluate[chromedp.Void](`(() => { const t = document.querySelector('textarea[name=spec]'); t.value = t.value.replace('php:8.3-apache', 'php:8.4-apache'); })()`),
		chromedp.Click(chromedp.CSS(`button[value=deploy]`)),
		chromedp.WaitVisible(chromedp.CSS(`#deployment-live`)),
	)
	if err != nil {
		t.Fatalf("second deployment: %v", err)
	}
	waitStatus(t, ctx, "succeeded")
	if err := do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`table.changes`))); err != nil {
		t.Fatalf("changes table: %v", err)
	}
	changes, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.changes`)))
	if !strings.Contains(changes, "php:8.4-apache") || !strings.Contains(changes, "php:8.3-apache") {
		t.Errorf("changes = %q", changes)
	}

	// Roll back to the first from its page, through the confirmation.
	err = do(ctx,
		chromedp.Navigate(firstURL),
		chromedp.WaitVisible(chromedp.CSS(`#rollback[data-checked] form button.contrast`)),
		chromedp.Click(chromedp.CSS(`#rollback form button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`#rollback.confirm #rollback-form`)),
		chromedp.SendKeys(chromedp.CSS(`#rollback.confirm input[name=reason]`), "8.4 is slow"),
		chromedp.Click(chromedp.CSS(`#rollback.confirm button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	if err != nil {
		screenshot(t, ctx, "rollback-failed")
		t.Fatalf("rolling back: %v", err)
	}
	waitStatus(t, ctx, "succeeded")
	kind, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#deployment-live .cards`)))
	if !strings.Contains(strings.ToLower(kind), "rollback") || !strings.Contains(kind, "8.4 is slow") {
		t.Errorf("rollback deployment card = %q", kind)
	}

	// The history and the services page tell the story.
	err = do(ctx, chromedp.Navigate(c.URL+"/deployments"), chromedp.WaitVisible(chromedp.CSS(`table.deployments`)))
	if err != nil {
		t.Fatal(err)
	}
	history, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`table.deployments tbody`)))
	if strings.Count(history, "succeeded") != 3 || !strings.Contains(history, "rollback to #1") {
		t.Errorf("history = %q", history)
	}
	screenshot(t, ctx, "history")
	err = do(ctx, chromedp.Navigate(c.URL+"/services"), chromedp.WaitVisible(chromedp.CSS(`article.service`)))
	if err != nil {
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
