package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/chromedp/chromedp"
)

// midWordBreaks is JavaScript that walks the page's visible text and
// lists every word drawn over two lines (Range.getClientRects of the word
// has boxes at two heights). Words are the runs between spaces, hyphens
// and slashes, where a browser may wrap. Ids and code (code, pre, .id,
// .arn) may break anywhere and are left out.
const midWordBreaks = `(() => {
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest('code, pre, .id, .arn, script, style, svg, textarea, select')) continue;
    const re = /[^\s\-\/\u2013\u2014]+/g;
    for (let m = re.exec(n.data); m; m = re.exec(n.data)) {
      if (m[0].length < 2) continue;
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set(Array.from(r.getClientRects()).filter(x => x.width > 0 && x.height > 0).map(x => Math.round(x.bottom)));
      if (tops.size > 1) bad.push(JSON.stringify(m[0]) + ' in <' + el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).replace(/ /g, '.') : '') + '>');
    }
  }
  return bad.join("\n");
})()`

// topBarExcess is how many pixels taller the top bar (the sidebar at
// phone width) is than its content.
const topBarExcess = `(() => {
  const a = document.querySelector('.shell > aside');
  if (!a) return '{"excess": 0}';
  const cs = getComputedStyle(a);
  let top = Infinity, bottom = -Infinity;
  for (const c of a.children) {
    const r = c.getBoundingClientRect();
    if (r.height === 0) continue;
    const m = getComputedStyle(c);
    top = Math.min(top, r.top - parseFloat(m.marginTop));
    bottom = Math.max(bottom, r.bottom + parseFloat(m.marginBottom));
  }
  const content = bottom - top + parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom) + parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
  return JSON.stringify({excess: Math.round(a.getBoundingClientRect().height - content), height: a.getBoundingClientRect().height, content: content});
})()`

// checkTypography screenshots the page at 1280 and 390 px into dir and
// fails on a word broken over two lines, and, at 390 px, on a top bar
// taller than its content.
func checkTypography(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	for _, width := range []int{1280, 390} {
		if err := do(ctx, chromedp.EmulateViewport(int64(width), 844), chromedp.Sleep(150*time.Millisecond)); err != nil {
			t.Fatalf("resizing for %s: %v", name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width)), png, 0o644); err != nil {
			t.Fatal(err)
		}
		// What the first screen shows, for people to look at quickly.
		top, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d-top.png", name, width)), top, 0o644); err != nil {
			t.Fatal(err)
		}
		broken, err := chromedp.Run(ctx, chromedp.Evaluate[string](midWordBreaks))
		if err != nil {
			t.Fatalf("looking for broken words on %s: %v", name, err)
		}
		for _, b := range strings.Split(broken, "\n") {
			if b == "" {
				continue
			}
			t.Errorf("%s at %d px: a word breaks over two lines: %s", name, width, b)
		}
		if width == 390 {
			raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](topBarExcess))
			if err != nil {
				t.Fatalf("measuring the top bar on %s: %v", name, err)
			}
			var bar struct{ Excess, Height, Content float64 }
			if err := json.Unmarshal([]byte(raw), &bar); err != nil {
				t.Fatalf("measuring the top bar on %s: %q: %v", name, raw, err)
			}
			if bar.Height <= 0 || bar.Content <= 0 {
				t.Fatalf("measuring the top bar on %s: %s", name, raw)
			}
			if bar.Excess > 2 {
				t.Errorf("%s at 390 px: the top bar is %.0f px tall for %.0f px of content", name, bar.Height, bar.Content)
			}
		}
	}
	if err := do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
}

var deploymentPath = regexp.MustCompile(`/deployments/(\d+)$`)

func TestDeployAChangeInThreeClicksAndTypographyInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "500", "--poll-interval", "50ms")
	problems := watchConsole(ctx)
	api := apiClient{t: t, base: c.URL, token: createToken(t, c.DatabaseURL)}
	sn := api.call(http.MethodGet, "/api/v1/subnets", nil)
	var subnets []any
	for _, s := range sn["subnets"].([]any)[:2] {
		subnets = append(subnets, s.(map[string]any)["id"])
	}
	first := deployed(api, historySpec(t, "php:8.3-apache", subnets))
	firstID := int64(first["id"].(float64))
	signIn(t, ctx, c)

	// From the Services page to the new deployment's page, counting clicks
	// (typing is not one).
	clicks := 0
	click := func(sel string) chromedp.Action[chromedp.Void] {
		clicks++
		return chromedp.Click(chromedp.CSS(sel))
	}
	if err := do(ctx, chromedp.Navigate(c.URL+"/services"), chromedp.WaitVisible(chromedp.CSS(`article.service a.deploy-change`))); err != nil {
		t.Fatal(err)
	}
	if err := do(ctx, click(`article.service a.deploy-change`), chromedp.WaitVisible(chromedp.CSS(`input[name="c0.image"]`))); err != nil {
		t.Fatalf("Deploy a change: %v", err)
	}
	if err := do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.querySelector('input[name="c0.image"]').value = ""`),
		chromedp.SendKeys(chromedp.CSS(`input[name="c0.image"]`), "php:8.4-apache"),
		// As one types, htmx refreshes the diff beside the form.
		chromedp.WaitVisible(chromedp.CSS(`#change-preview table.changes`))); err != nil {
		t.Fatalf("typing the image: %v", err)
	}
	if diff := text(t, ctx, `#change-preview table.changes`); !strings.Contains(diff, "php:8.4-apache") {
		t.Errorf("the live diff = %q", diff)
	}
	checkWidths(t, ctx, "change")
	if err := do(ctx, click(`#deploy-change`), chromedp.WaitVisible(chromedp.CSS(`#deployment-live`))); err != nil {
		t.Fatalf("Deploy: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	m := deploymentPath.FindStringSubmatch(loc)
	if m == nil || m[1] == fmt.Sprint(firstID) {
		t.Fatalf("after Deploy the browser is at %s, not a new deployment's page", loc)
	}
	if clicks > 3 {
		t.Errorf("%d clicks from the Services page to the deployment, want at most 3", clicks)
	}
	t.Logf("Services page → deployment #%s in %d clicks", m[1], clicks)
	waitStatus(t, ctx, "succeeded")

	// What was true while it ran goes when it is over.
	if err := do(ctx, chromedp.WaitNotPresent(chromedp.CSS(`#deployment-live .alert.ok`)), chromedp.WaitVisible(chromedp.CSS(`#service-events ul.events`))); err != nil {
		t.Errorf("after success the page still says it started, or shows no events: %v", err)
	}
	if page := text(t, ctx, `main`); strings.Contains(page, "Deployment started.") || strings.Contains(page, "ECS does not know this service") {
		t.Errorf("the finished deployment's page still says what is no longer true:\n%s", page)
	}
	if ev := text(t, ctx, `#service-events`); strings.Contains(ev, "None of ECS's events fall within") {
		t.Errorf("no ECS event falls in the deployment's period: %s", ev)
	}

	// The sandbox runs the new image.
	cl := ecs.NewFromConfig(awsConfig(c.SandboxURL))
	list, err := cl.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("demo"), ServiceName: aws.String("php-app")})
	if err != nil || len(list.TaskArns) == 0 {
		t.Fatalf("ListTasks: %v %v", list, err)
	}
	tasks, err := cl.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("demo"), Tasks: list.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, task := range tasks.Tasks {
		if aws.ToString(task.LastStatus) != "RUNNING" {
			continue
		}
		for _, ct := range task.Containers {
			if aws.ToString(ct.Name) == "web" {
				running++
				if img := aws.ToString(ct.Image); img != "php:8.4-apache" {
					t.Errorf("task %s runs %s", aws.ToString(task.TaskArn), img)
				}
			}
		}
	}
	if running == 0 {
		t.Error("no running task of php-app")
	}

	// No word breaks inside, and a top bar that fits, on every step of
	// the wizard and on the deployment page.
	dir := os.Getenv("ECSCONSOLE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	checkTypography(t, ctx, dir, "deployment")
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deploy?from=%s", c.URL, m[1])), chromedp.WaitVisible(chromedp.CSS(`form.wizard`))); err != nil {
		t.Fatal(err)
	}
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	draft, _, _ := strings.Cut(loc, "/taskdef")
	for _, step := range []string{"taskdef", "cluster", "service", "loadbalancer", "https", "review"} {
		if err := do(ctx, chromedp.Navigate(draft+"/"+step), chromedp.WaitVisible(chromedp.CSS(`form.wizard`))); err != nil {
			t.Fatalf("wizard step %s: %v", step, err)
		}
		checkTypography(t, ctx, dir, "wizard-"+step)
	}
	for _, page := range []string{"/services", "/audit", "/deployments", fmt.Sprintf("/deployments/%d/change", firstID)} {
		if err := do(ctx, chromedp.Navigate(c.URL+page), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
			t.Fatal(err)
		}
		checkTypography(t, ctx, dir, strings.NewReplacer("/", "-").Replace(strings.Trim(page, "/")))
	}
	for _, p := range unexpected(problems()) {
		t.Errorf("browser console: %s", p)
	}
}
