package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPreviewRefusesWhatDoesNotExistInTheBrowser: with JavaScript on, a
// spec naming a subnet that does not exist shows the problem on the
// wizard's review, linked to its step, with Deploy held back (not a 502
// nobody sees).
func TestPreviewRefusesWhatDoesNotExistInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "500")
	problems := watchConsole(ctx)
	signIn(t, ctx, c)
	if err := do(ctx, chromedp.Navigate(c.URL+"/deploy"), chromedp.Click(chromedp.CSS(`button[value=example]`))); err != nil {
		t.Fatal(err)
	}
	onStep(t, ctx, "taskdef")
	next(t, ctx, "cluster")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`input[name=cluster][value=new]`))); err != nil {
		t.Fatal(err)
	}
	setValue(t, ctx, `input[name=newCluster]`, "demo")
	next(t, ctx, "service")
	// The first subnet picked becomes one AWS does not have.
	if err := do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name=subnets]:checked').value = 'subnet-0000dead00000000a'`)); err != nil {
		t.Fatal(err)
	}
	next(t, ctx, "loadbalancer")
	next(t, ctx, "https")
	next(t, ctx, "review")
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article.problems`)))
	if !strings.Contains(text, "Subnets for the tasks") || !strings.Contains(text, "does not exist") || strings.Contains(text, "service.subnets") { // the field by its label, not a JSON path
		screenshot(t, ctx, "missing-subnet")
		t.Errorf("problems = %q", text)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('button.deploy:not([disabled])').length`)); n != 0 {
		t.Error("Deploy is offered for a spec AWS would refuse")
	}
	for _, p := range problems() {
		if !strings.Contains(p, "422") {
			t.Errorf("browser console: %s", p)
		}
	}
}
