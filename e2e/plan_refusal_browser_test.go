package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPreviewRefusesWhatDoesNotExistInTheBrowser: with JavaScript on
// (htmx swapping the refused form), a spec naming a subnet that does not
// exist shows the problem next to its field (a 422, not a 502 nobody sees).
func TestPreviewRefusesWhatDoesNotExistInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "500")
	problems := watchConsole(ctx)
	signIn(t, ctx, c)
	err := do(ctx,
		chromedp.Navigate(c.URL+"/deploy"),
		chromedp.WaitVisible(chromedp.CSS(`textarea[name=spec]`)),
		chromedp.Evaluate[chromedp.Void](`(() => { const t = document.querySelector('textarea[name=spec]'); t.value = t.value.replace('"subnet-', '"subnet-0000dead'); })()`),
		chromedp.Click(chromedp.CSS(`button[value=plan]`)),
		chromedp.WaitVisible(chromedp.CSS(`article.problems li`)),
	)
	if err != nil {
		screenshot(t, ctx, "missing-subnet")
		t.Fatalf("previewing a spec with a missing subnet: %v", err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article.problems`)))
	if !strings.Contains(text, "service.subnets[0]") || !strings.Contains(text, "does not exist") {
		t.Errorf("problems = %q", text)
	}
	for _, p := range problems() {
		if !strings.Contains(p, "422") { // the refused response itself
			t.Errorf("browser console: %s", p)
		}
	}
}
