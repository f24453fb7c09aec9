package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/chromedp/chromedp"

	"github.com/ecsconsole/ecsconsole/notify"
)

// TestFreezeAndWebhookInTheBrowser freezes a deployed service from its
// Services card and unfreezes it, with a pipeline's deploy refused (423,
// the reason) in between; then adds a webhook on the Notifications page,
// copies its secret (shown once), and sends a test that a real receiver
// verifies with it.
func TestFreezeAndWebhookInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "1000", "--sandbox-cert-delay", "30s", "--poll-interval", "20ms",
		"--dns-recheck-interval", "100ms", "--webhook-retry", "1s")
	problems := watchConsole(ctx)
	token := createToken(t, c.DatabaseURL)

	// A deployed service, through the API.
	var spec map[string]any
	check(t, json.Unmarshal(journeySpec(t), &spec))
	out, err := ec2.NewFromConfig(awsConfig(c.SandboxURL)).DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{})
	check(t, err)
	var ids []string
	for _, sn := range out.Subnets {
		ids = append(ids, aws.ToString(sn.SubnetId))
	}
	slices.Sort(ids)
	spec["service"].(map[string]any)["subnets"] = ids[:2]
	spec["loadBalancer"].(map[string]any)["subnets"] = ids[:2]
	var created struct{ ID int64 }
	if code := apiCall(t, "POST", c.URL+"/api/v1/deployments", token, map[string]any{"spec": spec}, &created); code != 202 {
		t.Fatalf("deploy: %d", code)
	}
	waitUntil(t, "the deployment to succeed", func() bool {
		var d struct{ Status string }
		apiCall(t, "GET", c.URL+"/api/v1/deployments/"+strconv.FormatInt(created.ID, 10), token, nil, &d)
		return d.Status == "succeeded"
	})

	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil { // starts the browser: no time limit
		t.Fatal(err)
	}
	signIn(t, ctx, c)
	err = do(ctx,
		chromedp.Navigate(c.URL+"/services"),
		chromedp.Click(chromedp.CSS(`article.service a.freeze`)),
		chromedp.WaitVisible(chromedp.CSS(`#freeze-form`)),
		chromedp.SendKeys(chromedp.CSS(`#freeze-form input[name=reason]`), "bad release <script>alert(1)</script>"),
		chromedp.Click(chromedp.CSS(`#freeze-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.frozen`)),
	)
	if err != nil {
		t.Fatalf("freezing from the Services card: %v", err)
	}
	notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.alert.frozen`)))
	if !strings.Contains(notice, "bad release <script>") || !strings.Contains(notice, "admin") {
		t.Errorf("frozen notice = %q", notice)
	}
	var refused struct {
		Error struct{ Code, Message string }
	}
	if code := apiCall(t, "POST", c.URL+"/api/v1/deployments", token, map[string]any{"spec": spec}, &refused); code != 423 ||
		refused.Error.Code != "frozen" || !strings.Contains(refused.Error.Message, "bad release") {
		t.Errorf("deploy of the frozen service: %d %+v", code, refused)
	}
	err = do(ctx,
		chromedp.Navigate(c.URL+"/services"),
		chromedp.WaitVisible(chromedp.CSS(`article.service .alert.frozen`)),
		chromedp.Click(chromedp.CSS(`article.service a.freeze`)),
		chromedp.Click(chromedp.CSS(`#unfreeze-form button`)),
		chromedp.WaitVisible(chromedp.CSS(`#freeze-form`)),
	)
	if err != nil {
		t.Fatalf("unfreezing: %v", err)
	}

	// A webhook, its secret shown once, and a test a real receiver verifies.
	var mu sync.Mutex
	var secret string
	var verified []bool
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		verified = append(verified, notify.Verify(secret, r.Header.Get(notify.SignatureHeader), body, time.Now(), time.Minute))
	}))
	t.Cleanup(rc.Close)
	err = do(ctx,
		chromedp.Navigate(c.URL+"/notifications"),
		chromedp.SendKeys(chromedp.CSS(`#webhook-form input[name=name]`), "team channel"),
		chromedp.SendKeys(chromedp.CSS(`#webhook-form input[name=url]`), rc.URL+"/hook"),
		chromedp.Click(chromedp.CSS(`#webhook-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-secret`)),
	)
	if err != nil {
		t.Fatalf("adding a webhook: %v", err)
	}
	shown, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#new-secret`)))
	mu.Lock()
	secret = strings.TrimSpace(shown)
	mu.Unlock()
	err = do(ctx,
		chromedp.Click(chromedp.CSS(`#webhooks tbody a`)),
		chromedp.WaitVisible(chromedp.CSS(`#send-test`)),
		chromedp.Click(chromedp.CSS(`#send-test button`)),
		chromedp.WaitVisible(chromedp.CSS(`.alert.ok`)),
	)
	if err != nil {
		t.Fatalf("sending a test: %v", err)
	}
	waitUntil(t, "the test delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(verified) > 0
	})
	mu.Lock()
	if len(verified) != 1 || !verified[0] {
		t.Errorf("receiver: %v, want one request whose signature verifies with the secret shown", verified)
	}
	mu.Unlock()
	err = do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#deliveries .badge.delivery-delivered`)))
	if err != nil {
		t.Errorf("the delivery log does not show the delivery: %v", err)
	}
	page, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS(`html`)))
	if strings.Contains(page, secret) {
		t.Error("the webhook's page shows its secret again")
	}
	for _, p := range problems() {
		t.Errorf("browser console: %s", p)
	}
}
