package e2e

import (
	"context"
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
