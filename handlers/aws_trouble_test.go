package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/sandbox"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// silentAWS is a sandbox.Silent: an AWS that accepts connections and never
// answers.
func silentAWS(t *testing.T) string {
	t.Helper()
	silent, err := sandbox.NewSilent()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(silent.Close)
	return silent.URL()
}

// lockedBuffer is a log destination the console and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveConsoleOnAWS is serveConsole against the AWS at endpoint, with each
// request's AWS calls bounded by callTimeout and the log kept in logs.
func serveConsoleOnAWS(t *testing.T, endpoint string, callTimeout time.Duration, logs *lockedBuffer) *testConsole {
	t.Helper()
	st := storetest.NewStore(t)
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	awsOpts := deploy.AWSOptions{
		Endpoint:           endpoint,
		Credentials:        credentials.NewStaticCredentialsProvider("test", "test", ""),
		RequestCallTimeout: callTimeout,
	}
	engine, err := deploy.NewEngine(st, deploy.Options{Clients: deploy.NewClientFactory(awsOpts)})
	if err != nil {
		t.Fatal(err)
	}
	srv := handlers.New(handlers.Options{Region: "us-east-1"}, handlers.Deps{
		Store: st, Assets: assets, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Identity: func(context.Context) (string, string, error) {
			return "arn:aws:iam::000000000000:user/test", "000000000000", nil
		},
		Engine:  engine,
		Catalog: catalog.New(catalog.NewClientFactory(awsOpts)),
	})
	ts := httptest.NewServer(srv.Routes())
	t.Cleanup(ts.Close)
	return &testConsole{t: t, URL: ts.URL, Store: st}
}

// boundedAPICall is testConsole.apiCall with a client that gives up after
// a minute: an unbounded AWS call fails the test instead of hanging it.
func boundedAPICall(t *testing.T, c *testConsole, method, path, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, c.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %d, body is not JSON: %v", method, path, resp.StatusCode, err)
	}
	return resp, out
}

// With an AWS that accepts connections and never answers, the calls made
// for a request give up within their bound and say so: 504 "AWS did not
// answer (service, operation)", never the database's 503, and the Services
// page shows what the database knows and marks what AWS did not say.
func TestSilentAWSIsAWSTrouble(t *testing.T) {
	const bound = 2 * time.Second
	logs := &lockedBuffer{}
	c := serveConsoleOnAWS(t, silentAWS(t), bound, logs)
	token := c.token("dee", store.RoleDeployer)

	for _, call := range []struct{ method, path, body, operation string }{
		{"GET", "/api/v1/subnets", "", "(EC2, DescribeSubnets)"},
		{"POST", "/api/v1/plan", journeyBody(t), "AWS did not answer ("},
		{"POST", "/api/v1/deployments", journeyBody(t), "AWS did not answer ("},
	} {
		start := time.Now()
		resp, out := boundedAPICall(t, c, call.method, call.path, token, call.body)
		took := time.Since(start)
		t.Logf("%s %s with a silent AWS: %d after %s", call.method, call.path, resp.StatusCode, took.Round(time.Millisecond))
		e, _ := out["error"].(map[string]any)
		if resp.StatusCode != http.StatusGatewayTimeout || e["code"] != "aws_timeout" ||
			!strings.Contains(e["message"].(string), call.operation) {
			t.Errorf("%s %s: %d %v, want 504 aws_timeout naming %s", call.method, call.path, resp.StatusCode, out, call.operation)
		}
		// Generous: one bound per AWS call a request makes in turn, never
		// the engine's minutes of retries.
		if took > 6*bound {
			t.Errorf("%s %s took %s with calls bounded at %s", call.method, call.path, took, bound)
		}
	}
	if n, _, err := c.Store.ListDeployments(context.Background(), store.DeploymentFilter{}, "", 10); err != nil || len(n) != 0 {
		t.Errorf("deployments after a refused submit: %v, %v; want none", n, err)
	}

	// The Services page: one deployed service, whose live state AWS does
	// not give. The page answers, with the service and a word about AWS.
	_, err := c.Store.CreateDeployment(context.Background(), ecsconsole.NewDeployment{
		ServiceKey: "us-east-1/demo/web", Region: "us-east-1", Cluster: "demo", Service: "web",
		Kind: ecsconsole.KindDeploy, Spec: json.RawMessage(`{}`), CreatedBy: "dee",
	}, func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	c.addUser("vera", store.RoleViewer)
	b := c.browser()
	wantStatus(t, b.login("vera", testPassword), http.StatusSeeOther)
	start := time.Now()
	resp := b.get("/services")
	t.Logf("GET /services with a silent AWS: %d after %s", resp.StatusCode, time.Since(start).Round(time.Millisecond))
	wantStatus(t, resp, http.StatusOK)
	page := doc(t, resp).Find("main").Text()
	if !strings.Contains(page, "web") || !strings.Contains(page, "AWS could not be asked") || !strings.Contains(page, "AWS did not list the services of us-east-1/demo") {
		t.Errorf("Services page with a silent AWS says:\n%s", page)
	}
	if strings.Contains(logs.String(), "database is unavailable") || strings.Contains(logs.String(), "internal error") {
		t.Errorf("log blames the database or calls it internal:\n%s", logs.String())
	}
}

// A request its client abandons is logged as abandoned, not as a 500.
func TestAbandonedRequestIsNotAnError(t *testing.T) {
	logs := &lockedBuffer{}
	c := serveConsoleOnAWS(t, silentAWS(t), 5*time.Second, logs)
	token := c.token("dee", store.RoleDeployer)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.URL+"/api/v1/subnets", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the request was answered (%d) before the client gave up", resp.StatusCode)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "path=/api/v1/subnets status=") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	log := logs.String()
	if !strings.Contains(log, "request abandoned by the client") || !strings.Contains(log, "status=499") {
		t.Errorf("want the request logged as abandoned (499):\n%s", log)
	}
	if strings.Contains(log, "level=ERROR") || strings.Contains(log, "internal error") {
		t.Errorf("an abandoned request was logged as an error:\n%s", log)
	}
}
