package deploy

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecsconsole/ecsconsole"
)

// TestApplyJobsKeepAnAttemptToRecordTheirEnd: River discards a rescued job
// with no attempts left, so a console dying during a deployment's last
// real attempt would leave it running and its service locked. The job is
// inserted with one attempt more, whose only work is to record the
// deployment as interrupted; the service then takes a new deployment.
func TestApplyJobsKeepAnAttemptToRecordTheirEnd(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	d := env.submit(env.spec(nil)) // no worker: the job waits
	ctx := context.Background()

	var maxAttempts int
	err := env.store.Pool().QueryRow(ctx, `SELECT max_attempts FROM river_job WHERE (args->>'deployment_id')::bigint = $1`, d.ID).Scan(&maxAttempts)
	check(t, err)
	if maxAttempts != applyAttempts+1 {
		t.Fatalf("apply job max_attempts = %d, want %d", maxAttempts, applyAttempts+1)
	}

	// What River's rescuer hands over after the last real attempt's console died.
	job := &river.Job[ApplyArgs]{JobRow: &rivertype.JobRow{Attempt: applyAttempts + 1, MaxAttempts: maxAttempts}, Args: ApplyArgs{DeploymentID: d.ID}}
	if err := (&ApplyWorker{engine: env.engine}).Work(ctx, job); err != nil {
		t.Fatalf("the extra attempt returned %v, want nil (nothing left to retry)", err)
	}
	got, err := env.store.Deployment(ctx, d.ID)
	check(t, err)
	if got.Status != ecsconsole.StatusInterrupted || got.ErrorMessage == "" {
		t.Fatalf("deployment is %s (%q), want interrupted with a message", got.Status, got.ErrorMessage)
	}
	if _, err := env.engine.Submit(ctx, env.spec(nil), SubmitOptions{Username: "alice", Reason: "after the crash"}); err != nil {
		t.Fatalf("a new deployment of the service after the interrupted one: %v", err)
	}
}
