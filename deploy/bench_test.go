package deploy

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole"
)

// BenchmarkApply applies the whole journey (new cluster, security groups,
// ALB, target group, requested certificate, service, HTTPS and redirect)
// with 100 ms of latency on every AWS call and a fast sandbox clock, and
// reports the apply's wall time against the critical path of its step
// graph (the longest chain of dependent steps, each weighted by its own
// measured duration) and the AWS calls it made.
func BenchmarkApply(b *testing.B) {
	env := newTestEnv(b, envOptions{certValidation: time.Minute, pollInterval: 50 * time.Millisecond, maxPollInterval: 200 * time.Millisecond})
	env.sandbox.SetLatency(100*time.Millisecond, 100*time.Millisecond)
	env.startWorker("bench")
	var wall, critical time.Duration
	var calls, retries int
	i := 0
	for b.Loop() {
		i++
		spec := env.spec(renamed(i))
		d := env.waitStatus(env.submit(spec).ID, ecsconsole.StatusSucceeded)
		steps := env.steps(d.ID)
		wall += d.FinishedAt.Sub(*d.StartedAt)
		critical += criticalPath(stepGraph(spec), steps)
		for _, st := range steps {
			calls += st.Calls
			retries += st.Retries
		}
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(i), "apply-ms/op")
	b.ReportMetric(float64(critical.Milliseconds())/float64(i), "critical-path-ms/op")
	b.ReportMetric(float64(wall)/float64(critical), "wall/critical")
	b.ReportMetric(float64(calls)/float64(i), "aws-calls/op")
	b.ReportMetric(float64(retries)/float64(i), "retries/op")
}

// renamed gives every resource of the journey the suffix i, so that each
// benchmark iteration creates everything anew.
func renamed(i int) func(*ecsconsole.Spec) {
	return func(s *ecsconsole.Spec) {
		sfx := fmt.Sprint(i)
		s.Cluster.Name += sfx
		s.Service.Name += sfx
		s.Service.NewSecurityGroup.Name += sfx
		s.LoadBalancer.Name += sfx
		s.LoadBalancer.TargetGroup.Name += sfx
		s.LoadBalancer.HTTPS.RequestDomain = "app" + sfx + ".example.com"
		var td map[string]any
		if err := json.Unmarshal(s.TaskDefinition, &td); err != nil {
			panic(err)
		}
		td["family"] = td["family"].(string) + sfx
		s.TaskDefinition, _ = json.Marshal(td)
	}
}

// criticalPath is the longest chain through the graph, each step weighted
// by how long it took: the wall time a perfect scheduler would need.
func criticalPath(graph []graphNode, steps map[string]ecsconsole.DeploymentStep) time.Duration {
	finish := map[string]time.Duration{}
	var longest time.Duration
	for _, gn := range graph { // dependencies come first
		var start time.Duration
		for _, dep := range gn.deps {
			start = max(start, finish[dep])
		}
		st := steps[gn.name]
		var took time.Duration
		if st.StartedAt != nil && st.FinishedAt != nil {
			took = st.FinishedAt.Sub(*st.StartedAt)
		}
		finish[gn.name] = start + took
		longest = max(longest, finish[gn.name])
	}
	return longest
}

// TestCriticalPath checks the bound the benchmark reports on a small graph.
func TestCriticalPath(t *testing.T) {
	at := func(ms int) *time.Time { v := time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond); return &v }
	graph := []graphNode{{name: "a"}, {name: "b"}, {name: "c", deps: []string{"a", "b"}}, {name: "d", deps: []string{"a"}}}
	steps := map[string]ecsconsole.DeploymentStep{
		"a": {StartedAt: at(0), FinishedAt: at(100)},
		"b": {StartedAt: at(0), FinishedAt: at(300)},
		"c": {StartedAt: at(300), FinishedAt: at(350)},
		"d": {StartedAt: at(100), FinishedAt: at(500)},
	}
	if got, want := criticalPath(graph, steps), 500*time.Millisecond; got != want {
		t.Fatalf("critical path %v, want %v (a then d)", got, want)
	}
}
