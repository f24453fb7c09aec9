package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"
)

// cli runs an ecsconsole subcommand against the console's database.
func (c *console) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(consoleBinary(t), args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+c.DatabaseURL)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ecsconsole %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// deployed submits spec through the API, waits until it succeeds and
// returns the deployment.
func deployed(a apiClient, spec map[string]any) map[string]any {
	a.t.Helper()
	return finished(a, a.deploy(spec))
}

// finished waits until deployment id succeeds and returns it.
func finished(a apiClient, id int64) map[string]any {
	a.t.Helper()
	a.waitStatus(id, "succeeded")
	return a.call(http.MethodGet, fmt.Sprintf("/api/v1/deployments/%d", id), nil)
}

// ranDigest is the image digest deployment d's tasks ran for container.
func ranDigest(d map[string]any, container string) string {
	outputs, _ := d["outputs"].(map[string]any)
	tasks, _ := outputs["tasks"].([]any)
	for _, t := range tasks {
		images, _ := t.(map[string]any)["images"].([]any)
		for _, im := range images {
			m := im.(map[string]any)
			if m["container"] == container {
				digest, _ := m["digest"].(string)
				return digest
			}
		}
	}
	return ""
}

// historySpec is the seed's spec without HTTPS (no DNS wait), in the
// sandbox's subnets, with the web container's image set.
func historySpec(t *testing.T, image string, subnets []any) map[string]any {
	t.Helper()
	var spec map[string]any
	if err := json.Unmarshal(journeySpec(t), &spec); err != nil {
		t.Fatal(err)
	}
	delete(spec["loadBalancer"].(map[string]any), "https")
	spec["loadBalancer"].(map[string]any)["subnets"] = subnets
	spec["service"].(map[string]any)["subnets"] = subnets
	for _, c := range spec["taskDefinition"].(map[string]any)["containerDefinitions"].([]any) {
		if cd := c.(map[string]any); cd["name"] == "web" {
			cd["image"] = image
		}
	}
	return spec
}

// checkWidths screenshots the current page at 1280 and 390 px wide and
// fails when the page scrolls sideways at 390 px.
func checkWidths(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	screenshot(t, ctx, name+"-1280")
	if err := do(ctx, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	if err := do(ctx, chromedp.Sleep(150*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > 390 {
		t.Errorf("%s: the page is %d px wide at 390 px: it scrolls sideways", name, width)
	}
	screenshot(t, ctx, name+"-390")
	if err := do(ctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	step, cancel := within(ctx, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

func TestHistoryDiffRollbackAndServicesInTheBrowser(t *testing.T) {
	ctx := newBrowser(t)
	c := startConsole(t, "--sandbox-speed", "500", "--poll-interval", "50ms")
	problems := watchConsole(ctx)
	api := apiClient{t: t, base: c.URL, token: createToken(t, c.DatabaseURL)}

	// Deploy twice through the API, in two of the sandbox's subnets.
	sn := api.call(http.MethodGet, "/api/v1/subnets", nil)
	var subnets []any
	for _, s := range sn["subnets"].([]any)[:2] {
		subnets = append(subnets, s.(map[string]any)["id"])
	}
	first := deployed(api, historySpec(t, "php:8.3-apache", subnets))
	second := deployed(api, historySpec(t, "php:8.4-apache", subnets))
	if first["status"] != "succeeded" || second["status"] != "succeeded" {
		t.Fatalf("deployments ended %v and %v: %v", first["status"], second["status"], first["error"])
	}
	id1, id2 := int64(first["id"].(float64)), int64(second["id"].(float64))
	digest1 := ranDigest(first, "web")
	if !strings.HasPrefix(digest1, "sha256:") {
		t.Fatalf("no image digest recorded for the first deployment: %v", first["outputs"])
	}

	if err := chromedp.Do(ctx, chromedp.Navigate(c.URL+"/login")); err != nil {
		t.Fatal(err)
	}
	signIn(t, ctx, c)
	checkWidths(t, ctx, "overview")

	// Both are in the history; a service name alone filters it.
	if err := do(ctx, chromedp.Navigate(c.URL+"/deployments?service=php-app"), chromedp.WaitVisible(chromedp.CSS(`table.deployments`))); err != nil {
		t.Fatal(err)
	}
	history := text(t, ctx, `table.deployments tbody`)
	if !strings.Contains(history, "php:8.4-apache") || !strings.Contains(history, "php:8.3-apache") || strings.Count(history, "succeeded") != 2 {
		t.Errorf("history = %q", history)
	}
	checkWidths(t, ctx, "history")

	// A refused filter says why, with JavaScript on.
	if err := do(ctx,
		chromedp.SetValue(chromedp.CSS(`#filter input[name=service]`), "a/b/c/d"),
		chromedp.Submit(chromedp.CSS(`#filter`)),
		chromedp.WaitVisible(chromedp.CSS(`#filter-service-error`))); err != nil {
		t.Fatalf("a refused filter shows no message: %v", err)
	}
	if msg := text(t, ctx, `#filter-service-error`); !strings.Contains(msg, "cluster/name") {
		t.Errorf("filter refusal = %q", msg)
	}

	// The diff page.
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d/diff/%d", c.URL, id1, id2)), chromedp.WaitVisible(chromedp.CSS(`table.changes`))); err != nil {
		t.Fatal(err)
	}
	if diff := text(t, ctx, `table.changes`); !strings.Contains(diff, "Container web") || !strings.Contains(diff, "php:8.4-apache") {
		t.Errorf("diff = %q", diff)
	}
	checkWidths(t, ctx, "diff")

	// The second deployment's page: summary, steps in words, resources.
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d", c.URL, id2)), chromedp.WaitVisible(chromedp.CSS(`#deployment-live .cards .badge.succeeded`)),
		chromedp.WaitVisible(chromedp.CSS(`#service-events ul.events, #service-events p`))); err != nil {
		t.Fatal(err)
	}
	live := text(t, ctx, `#deployment-live`)
	for _, want := range []string{"this is what the service runs now", "Load balancer active", "Service stable", "HTTP listener (port 80)", "Deploy a change"} {
		if !strings.Contains(live, want) {
			t.Errorf("deployment page lacks %q:\n%s", want, live)
		}
	}
	if strings.Contains(live, "load-balancer-active") {
		t.Error("a step is shown by its internal name")
	}
	checkWidths(t, ctx, "deployment")

	// Roll back to the first from its page, through the confirmation.
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d", c.URL, id1)),
		chromedp.WaitVisible(chromedp.CSS(`#rollback[data-checked] form button.contrast`)),
		chromedp.Click(chromedp.CSS(`#rollback form button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`#rollback.confirm #rollback-form`))); err != nil {
		t.Fatalf("opening the rollback confirmation: %v", err)
	}
	if confirm := text(t, ctx, `main`); !strings.Contains(confirm, "php@"+digest1) || !strings.Contains(confirm, "pinned to the digest") ||
		!strings.Contains(confirm, "Not checked: Image php@"+digest1) || !strings.Contains(confirm, "Docker Hub") {
		t.Errorf("confirmation does not name the digest that will run, or what it cannot check: %q", confirm)
	}
	checkWidths(t, ctx, "rollback-confirm")
	if err := do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#rollback.confirm input[name=reason]`), "8.4 is slow"),
		chromedp.Click(chromedp.CSS(`#rollback.confirm button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`.summary .restored`))); err != nil {
		t.Fatalf("rolling back: %v", err)
	}
	waitStatus(t, ctx, "succeeded")
	if restored := text(t, ctx, `.summary .restored`); restored != fmt.Sprintf("Restored #%d", id1) {
		t.Errorf("rollback page says %q", restored)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	id3, _ := strconv.ParseInt(loc[strings.LastIndex(loc, "/")+1:], 10, 64)
	third := finished(api, id3)
	if got := ranDigest(third, "web"); got != digest1 {
		t.Errorf("the rollback runs %s, want the first deployment's %s", got, digest1)
	}

	// Back to the confirmation, confirm again: the confirmation is spent,
	// nothing new starts, and the page links to the rollback it made.
	if err := do(ctx, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`#rollback.confirm button.contrast`)),
		chromedp.Click(chromedp.CSS(`#rollback.confirm button.contrast`)),
		chromedp.WaitVisible(chromedp.CSS(`#rollback-form-error`))); err != nil {
		t.Fatalf("replaying the confirmation: %v", err)
	}
	if msg := text(t, ctx, `#rollback-form`); !strings.Contains(msg, fmt.Sprintf("already used: it made rollback #%d", id3)) {
		t.Errorf("a replayed confirmation says %q", msg)
	}
	if href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#rollback-form a[href^="/deployments/"]`), "href")); err != nil || href.Value != fmt.Sprintf("/deployments/%d", id3) {
		t.Errorf("the refusal links to %q (%v), want rollback #%d", href.Value, err, id3)
	}
	if list := api.call(http.MethodGet, "/api/v1/deployments?service=us-east-1/demo/php-app", nil); len(list["deployments"].([]any)) != 3 {
		t.Errorf("after the replay the service has %d deployments, want 3", len(list["deployments"].([]any)))
	}

	// The API refuses a rollback to what runs now, naming it, unless forced.
	for _, target := range []int64{id1, id3} {
		status, out := api.answer(http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/rollback", target), map[string]any{"reason": "again"})
		if msg := errorMessage(out); status != http.StatusConflict || !strings.Contains(msg, fmt.Sprintf("#%d", target)) || !strings.Contains(msg, `"force": true`) {
			t.Errorf("a rollback to #%d, which runs now: %d %v", target, status, out)
		}
	}
	if list := api.call(http.MethodGet, "/api/v1/deployments?service=us-east-1/demo/php-app", nil); len(list["deployments"].([]any)) != 3 {
		t.Errorf("after the refused API rollbacks the service has %d deployments, want 3", len(list["deployments"].([]any)))
	}
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d", c.URL, id1)), chromedp.WaitVisible(chromedp.CSS(`.restored-by`))); err != nil {
		t.Fatal(err)
	}
	if by := text(t, ctx, `.restored-by`); !strings.Contains(by, fmt.Sprintf("#%d", id3)) {
		t.Errorf("restored-by = %q", by)
	}
	if err := do(ctx, chromedp.Navigate(c.URL+"/deployments"), chromedp.WaitVisible(chromedp.CSS(`table.deployments`))); err != nil {
		t.Fatal(err)
	}
	if history := text(t, ctx, `table.deployments tbody`); !strings.Contains(history, fmt.Sprintf("rollback to #%d", id1)) {
		t.Errorf("history does not link the rollback: %q", history)
	}

	// Someone pushes a new php:8.3-apache and deploys it (with a new
	// setting): the tag has moved. Rolling back to #1 runs #1's exact image.
	resp, err := http.Post(c.SandboxURL+"/_sandbox/move-image-tag?image=php:8.3-apache", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("moving the tag: %v %v", resp, err)
	}
	resp.Body.Close()
	moved := historySpec(t, "php:8.3-apache", subnets)
	web := moved["taskDefinition"].(map[string]any)["containerDefinitions"].([]any)[0].(map[string]any)
	web["environment"] = append(web["environment"].([]any), map[string]any{"name": "BUILD", "value": "2"})
	if d := deployed(api, moved); ranDigest(d, "web") == digest1 || ranDigest(d, "web") == "" {
		t.Fatalf("after the tag moved, a new deployment still ran %s", ranDigest(d, "web"))
	}
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d/rollback", c.URL, id1)), chromedp.WaitVisible(chromedp.CSS(`#rollback.confirm #rollback-form`))); err != nil {
		t.Fatal(err)
	}
	if how := text(t, ctx, `.how`); !strings.Contains(how, "pinned to the digest") {
		t.Errorf("the confirmation does not say the image is pinned: %q", how)
	}
	if imgs := text(t, ctx, `table.rollback-images`); !strings.Contains(imgs, "php@"+digest1) {
		t.Errorf("the confirmation does not name the digest that will run: %q", imgs)
	}
	rb := api.call(http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/rollback", id1), map[string]any{"reason": "tag moved"})
	fifth := finished(api, int64(rb["id"].(float64)))
	if fifth["status"] != "succeeded" || ranDigest(fifth, "web") != digest1 {
		t.Errorf("after the tag moved the rollback ran %s (%v), want %s", ranDigest(fifth, "web"), fifth["status"], digest1)
	}

	// Deregister the revisions it used, deploy 8.4 again, roll back: it succeeds.
	ecsClient := ecs.New(ecs.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.SandboxURL),
		Credentials: credentials.NewStaticCredentialsProvider("sandbox", "sandbox", "")})
	for _, arn := range []any{first["taskDefinitionArn"], fifth["taskDefinitionArn"]} {
		if _, err := ecsClient.DeregisterTaskDefinition(context.Background(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn.(string))}); err != nil {
			t.Fatalf("deregistering %v: %v", arn, err)
		}
	}
	deployed(api, historySpec(t, "php:8.4-apache", subnets))
	rb = api.call(http.MethodPost, fmt.Sprintf("/api/v1/deployments/%d/rollback", id1), map[string]any{"reason": "deregistered"})
	last := finished(api, int64(rb["id"].(float64)))
	if last["status"] != "succeeded" || ranDigest(last, "web") != digest1 {
		t.Errorf("rollback to a deregistered revision: %v, digest %s", last["status"], ranDigest(last, "web"))
	}

	// A service in the same cluster that the console did not deploy.
	_, err = ecsClient.CreateService(context.Background(), &ecs.CreateServiceInput{Cluster: aws.String("demo"), ServiceName: aws.String("legacy-worker"),
		TaskDefinition: aws.String(second["taskDefinitionArn"].(string)), DesiredCount: aws.Int32(1), LaunchType: ecstypes.LaunchTypeFargate,
		NetworkConfiguration: &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{Subnets: []string{subnets[0].(string)}}}})
	if err != nil {
		t.Fatalf("creating an unmanaged service: %v", err)
	}

	// The Services page: 2/2 running, healthy targets; then drift after a change made outside.
	if err := do(ctx, chromedp.Navigate(c.URL+"/services"), chromedp.WaitVisible(chromedp.CSS(`article.service .counts`))); err != nil {
		t.Fatal(err)
	}
	svc := text(t, ctx, `article.service`)
	if !strings.Contains(svc, "2/2 running") || !strings.Contains(svc, "2 of 2 healthy") {
		t.Errorf("services = %q", svc)
	}
	if unmanaged := text(t, ctx, `#services-live`); !strings.Contains(unmanaged, "us-east-1/demo/legacy-worker") {
		t.Errorf("the unmanaged service is not listed: %q", unmanaged)
	}
	if strings.Contains(svc, "Drift") {
		t.Errorf("drift before anything changed outside the console: %q", svc)
	}
	checkWidths(t, ctx, "services")
	if _, err := ecsClient.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("demo"), Service: aws.String("php-app"), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	// The page refreshes itself; the AWS cache holds for 5 s.
	step, cancel := within(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(step, chromedp.WaitVisible(chromedp.CSS(`article.service .drift`))); err != nil {
		t.Fatal(err)
	}
	if drift := text(t, ctx, `article.service .drift`); !strings.Contains(drift, "desired count: deployed 2, now 3") {
		t.Errorf("drift = %q", drift)
	}
	screenshot(t, ctx, "services-drift")

	// A deployment waiting for DNS, and one whose certificate was issued,
	// stored as the engine leaves them: the records and the last step fit a phone.
	db, err := pgx.Connect(context.Background(), c.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	var waitingID, issuedID int64
	err = db.QueryRow(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, outputs, dns_validation)
		VALUES ('us-east-1/demo/dns-demo', 'us-east-1', 'demo', 'dns-demo', '{}', 'waiting_for_dns', 'admin',
		'{"url":"http://dns-demo-1234567890.us-east-1.elb.amazonaws.com","loadBalancerDns":"dns-demo-1234567890.us-east-1.elb.amazonaws.com"}',
		'[{"domainName":"app.example.com","name":"_3f1c2b7d9e8a4f6b5c4d3e2f1a0b9c8d.app.example.com.","type":"CNAME","value":"_8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b.zfyfvmchrl.acm-validations.aws.","status":"PENDING_VALIDATION"}]')
		RETURNING id`).Scan(&waitingID)
	if err != nil {
		t.Fatal(err)
	}
	err = db.QueryRow(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, outputs, finished_at)
		VALUES ('us-east-1/demo/tls-demo', 'us-east-1', 'demo', 'tls-demo', '{}', 'succeeded', 'admin',
		'{"url":"https://app.example.com","loadBalancerDns":"tls-demo-1234567890.us-east-1.elb.amazonaws.com"}', now())
		RETURNING id`).Scan(&issuedID)
	if err != nil {
		t.Fatal(err)
	}
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d", c.URL, waitingID)), chromedp.WaitVisible(chromedp.CSS(`article.dns .dns-record`))); err != nil {
		t.Fatal(err)
	}
	if dns := text(t, ctx, `article.dns`); !strings.Contains(dns, "CNAME") || !strings.Contains(dns, "acm-validations.aws") || !strings.Contains(dns, "Copy") {
		t.Errorf("DNS card = %q", dns)
	}
	checkWidths(t, ctx, "waiting-for-dns")
	if err := do(ctx, chromedp.Navigate(fmt.Sprintf("%s/deployments/%d", c.URL, issuedID)), chromedp.WaitVisible(chromedp.CSS(`article.last-step`))); err != nil {
		t.Fatal(err)
	}
	if last := text(t, ctx, `article.last-step`); !strings.Contains(last, "app.example.com") || !strings.Contains(last, "tls-demo-1234567890.us-east-1.elb.amazonaws.com") || !strings.Contains(last, "ALIAS") {
		t.Errorf("last step = %q", last)
	}
	checkWidths(t, ctx, "https-last-step")

	// The other pages at phone width.
	for _, page := range []string{"/users", "/audit", "/account"} {
		if err := do(ctx, chromedp.Navigate(c.URL+page), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
			t.Fatal(err)
		}
		checkWidths(t, ctx, strings.TrimPrefix(page, "/"))
	}

	// A viewer sees no Rollback and is refused the POST.
	c.cli(t, "a long viewer password\n", "user", "add", "--username", "vic", "--role", "viewer", "--password-stdin")
	if err := do(ctx, chromedp.Click(chromedp.CSS(`.who button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=password]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "vic"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "a long viewer password"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#aws-identity`)),
		chromedp.Navigate(fmt.Sprintf("%s/deployments/%d", c.URL, id2)),
		chromedp.WaitVisible(chromedp.CSS(`#deployment-live`))); err != nil {
		t.Fatalf("viewer: %v", err)
	}
	buttons, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#rollback, .deploy-change').length`))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`fetch('/deployments/%d/rollback', {method: 'POST', body: new URLSearchParams({reason: 'x'})}).then(r => r.status)`, id1), chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if buttons != 0 || status != http.StatusForbidden {
		t.Errorf("viewer: %d rollback/deploy controls, POST answered %d", buttons, status)
	}
	for _, p := range problems() {
		// The refused filter (400), the replayed confirmation (409) and the
		// viewer's refused POST (403) are logged by the browser; nothing
		// else may be.
		if !strings.Contains(p, "status of 400") && !strings.Contains(p, "status of 403") && !strings.Contains(p, "status of 409") {
			t.Errorf("browser console: %s", p)
		}
	}
}
