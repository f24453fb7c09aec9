package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// scrape reads url with Prometheus's own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return mfs
}

// value sums the family's samples whose labels include want (counters,
// gauges; a histogram's sample count).
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	mf := mfs[name]
	if mf == nil {
		return 0
	}
	var sum float64
next:
	for _, m := range mf.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// TestMetricsMoveAfterADeployment scrapes /metrics on its own address
// (never on the console's) before and after a deployment, through
// Prometheus's text parser: deployments, apply duration, steps, AWS calls
// by service and operation, HTTP requests by route pattern, the job queue
// and the read caches all move.
func TestMetricsMoveAfterADeployment(t *testing.T) {
	dbURL := storetest.NewURL(t)
	base, logs, stop := startConsole(t, map[string]string{"DATABASE_URL": dbURL},
		"--migrate", "--sandbox", "--sandbox-speed", "1000", "--sandbox-cert-delay", "30s",
		"--poll-interval", "20ms", "--dns-recheck-interval", "100ms", "--log-format", "json", "--metrics-addr", "127.0.0.1:0")
	defer stop()
	var metricsURL string
	for deadline := time.Now().Add(10 * time.Second); metricsURL == ""; time.Sleep(20 * time.Millisecond) {
		if m := regexp.MustCompile(`"url":"(http://[^"]+/metrics)"`).FindStringSubmatch(logs.String()); m != nil {
			metricsURL = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics address in the log:\n%s", logs)
		}
	}
	if resp, err := http.Get(base + "/metrics"); err != nil || resp.StatusCode == http.StatusOK {
		t.Fatalf("the public address serves /metrics: %v %v", resp, err)
	}

	ctx := context.Background()
	env := map[string]string{"DATABASE_URL": dbURL}
	var out bytes.Buffer
	mustRun := func(args []string, stdin string) string {
		t.Helper()
		out.Reset()
		if err := run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, io.Discard); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	mustRun([]string{"user", "add", "--username", "ci", "--role", "deployer", "--password-stdin"}, "a long enough password\n")
	lines := strings.Split(strings.TrimSpace(mustRun([]string{"token", "create", "--username", "ci"}, "")), "\n")
	env["ECSCONSOLE_URL"], env["ECSCONSOLE_TOKEN"] = base, lines[len(lines)-1]

	before := scrape(t, metricsURL)
	spec := writeTemp(t, journeySpec(t, base, env["ECSCONSOLE_TOKEN"]))
	first := mustRun([]string{"deploy", "-f", spec, "--wait"}, "")
	id := deploymentIDFrom(t, first)
	// Two reads of its page: the second from the read cache.
	for range 2 {
		var d deploymentView
		getJSON(t, base+"/api/v1/deployments/"+itoa(id), env["ECSCONSOLE_TOKEN"], &d)
	}
	after := scrape(t, metricsURL)

	for _, c := range []struct {
		name    string
		labels  map[string]string
		atLeast float64
	}{
		{"ecsconsole_deployments_started_total", map[string]string{"kind": "deploy", "strategy": "rolling"}, 1},
		{"ecsconsole_deployments_finished_total", map[string]string{"outcome": "succeeded", "strategy": "rolling"}, 1},
		{"ecsconsole_apply_duration_seconds", map[string]string{"outcome": "succeeded"}, 1},
		{"ecsconsole_deployment_steps_total", map[string]string{"outcome": "succeeded"}, 5},
		{"ecsconsole_aws_calls_total", map[string]string{"service": "ECS", "operation": "CreateService", "error_code": ""}, 1},
		{"ecsconsole_aws_calls_total", map[string]string{"service": "Elastic Load Balancing v2", "operation": "CreateLoadBalancer"}, 1},
		{"ecsconsole_http_requests_total", map[string]string{"route": "/api/v1/deployments/{id}", "method": "GET", "status": "200"}, 2},
		{"ecsconsole_http_requests_total", map[string]string{"route": "/api/v1/deployments", "method": "POST", "status": "202"}, 1},
		{"ecsconsole_http_request_duration_seconds", map[string]string{"route": "/api/v1/deployments/{id}"}, 2},
		{"ecsconsole_read_cache_lookups_total", map[string]string{"result": "hit"}, 1},
	} {
		got := value(after, c.name, c.labels) - value(before, c.name, c.labels)
		if got < c.atLeast {
			t.Errorf("%s%v moved by %v, want at least %v", c.name, c.labels, got, c.atLeast)
		}
	}
	if mf := after["ecsconsole_http_requests_total"]; mf != nil {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && strings.Contains(l.GetValue(), "/"+itoa(id)) {
					t.Errorf("a raw path became a route label: %q", l.GetValue())
				}
			}
		}
	}
	if value(after, "ecsconsole_river_jobs", map[string]string{"queue": "default", "state": "available"}) != 0 ||
		after["ecsconsole_river_jobs"] == nil {
		t.Error("the job queue's depth is missing, or jobs are left after the deployment finished")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
