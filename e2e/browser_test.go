package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium; without it the test skips locally
// and fails in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("Chromium is required in CI (apt-get install chromium)")
	}
	t.Skip("no Chromium installed")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns a
// tab's context.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 860),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	return ctx
}

// screenshot saves a PNG under $ECSCONSOLE_SCREENSHOTS (when set) for people
// to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("ECSCONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Error(err)
	}
}

func TestSignInAndManageUsers(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t)
	problems := watchConsole(ctx)

	// The first Run starts the browser: no timeout on it.
	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/users")); err != nil {
		t.Fatal(err)
	}
	step, cancel := within(ctx, 30*time.Second)
	defer cancel()

	loc, err := chromedp.Run(step, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/login?next=%2Fusers") {
		t.Fatalf("anonymous visit landed on %q (%v), want the login page", loc, err)
	}
	screenshot(t, ctx, "login")
	err = chromedp.Do(step,
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), c.AdminPassword),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main table`)),
	)
	if err != nil {
		t.Fatalf("signing in: %v", err)
	}
	if loc, _ := chromedp.Run(step, chromedp.Location()); !strings.HasSuffix(loc, "/users") {
		t.Errorf("after sign-in: %s, want the page asked for", loc)
	}

	// Add a deployer through the form.
	err = chromedp.Do(step,
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "dora"),
		chromedp.SetValue(chromedp.CSS(`select[name=role]`), "deployer"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "a long enough password"),
		chromedp.Click(chromedp.CSS(`article form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	if err != nil {
		t.Fatalf("adding a user: %v", err)
	}
	rows, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(`main table tbody`)))
	if err != nil || !strings.Contains(rows, "dora") || !strings.Contains(rows, "deployer") {
		t.Errorf("users table = %q (%v)", rows, err)
	}
	screenshot(t, ctx, "users")

	// The overview shows the sandbox banner and who AWS says we are.
	err = chromedp.Do(step, chromedp.Navigate(c.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#aws-identity`)))
	if err != nil {
		t.Fatalf("overview: %v", err)
	}
	identity, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`#aws-identity`)))
	banner, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS(`.sandbox-banner`)))
	if !strings.HasPrefix(identity, "arn:aws:") || !strings.Contains(banner, "no real AWS calls") {
		t.Errorf("identity %q, banner %q", identity, banner)
	}
	screenshot(t, ctx, "overview")

	// Sign out.
	err = chromedp.Do(step, chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)))
	if err != nil {
		t.Fatalf("signing out: %v", err)
	}

	// No page broke the CSP or threw.
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}

// watchConsole collects console errors, exceptions and CSP reports of the
// tab from now on; the returned func lists those seen so far.
func watchConsole(ctx context.Context) func() []string {
	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == "error" || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
}
