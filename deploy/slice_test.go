package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole"
)

// A deployment longer than many slices succeeds, continuing each wait
// where the last attempt left it: every step runs once, and the job was
// snoozed between slices rather than retried.
func TestSlicedApplyContinuesItsSteps(t *testing.T) {
	env := newTestEnv(t, envOptions{speed: 100, attemptSlice: 150 * time.Millisecond})
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
	for name, st := range env.steps(d.ID) {
		if st.Runs != 1 {
			t.Errorf("step %s ran %d times; a continued step must not count as resumed", name, st.Runs)
		}
	}
	var snoozes, attempt int
	err := env.store.Pool().QueryRow(context.Background(),
		`SELECT coalesce((metadata->>'snoozes')::int, 0), attempt FROM river_job WHERE (args->>'deployment_id')::bigint = $1`, d.ID).Scan(&snoozes, &attempt)
	check(t, err)
	if snoozes < 2 || attempt != 1 {
		t.Fatalf("job snoozed %d times, attempt %d: want several slices of attempt 1", snoozes, attempt)
	}
	if c := env.count(); c.LoadBalancers != 1 || c.Services != 1 || c.TargetGroups != 1 || c.Revisions != 1 {
		t.Fatalf("resources after a sliced apply: %+v", c)
	}
	t.Logf("%d slices", snoozes+1)
}

// A wait's timeout counts from the step's first start, not from the start
// of the slice that continues it.
func TestWaitTimeoutSpansSlices(t *testing.T) {
	env := newTestEnv(t, envOptions{speed: 1, stableTimeout: 800 * time.Millisecond, attemptSlice: 100 * time.Millisecond})
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(func(s *ecsconsole.Spec) { s.LoadBalancer = nil })).ID, ecsconsole.StatusInterrupted)
	if d.ErrorStep != stepServiceStable || d.ErrorCode != "Timeout" || !strings.Contains(d.ErrorMessage, "tasks running") {
		t.Fatalf("interrupted at %q with %q: %q", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
	}
}
