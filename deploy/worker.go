package deploy

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
)

// ApplyArgs is the job that applies one deployment.
type ApplyArgs struct {
	DeploymentID int64 `json:"deployment_id"`
}

// Kind is River's name for the job.
func (ApplyArgs) Kind() string { return "deploy_apply" }

// applyAttempts is how many attempts a deployment gets (each crash or
// error uses one; slices and DNS snoozes do not).
const applyAttempts = 25

// InsertOpts allows one attempt past applyAttempts: when a console dies
// during the last real attempt, River's rescuer would discard a job with no
// attempts left, leaving its deployment running and the service locked for
// ever; with one more, the rescued job's only work is to record the
// deployment as interrupted.
func (ApplyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: applyAttempts + 1}
}

// ApplyWorker runs apply jobs. Build it through Engine.NewWorkerClient.
type ApplyWorker struct {
	river.WorkerDefaults[ApplyArgs]
	engine *Engine
}

// Work applies the deployment, resuming from its recorded steps, for at
// most one slice (slice.go): an attempt whose slice ends snoozes the job for
// no time, so that it continues at once on any console, while a job whose
// worker died is rescued by River within about a minute. A deployment
// waiting for DNS validation snoozes the job instead of holding a worker;
// an interruption (the worker stopping, a lost connection) returns the
// error so that River retries the job, and the last allowed attempt ends
// the deployment as interrupted.
func (w *ApplyWorker) Work(ctx context.Context, job *river.Job[ApplyArgs]) error {
	if job.Attempt > applyAttempts { // the last attempt's console died
		w.engine.interrupt(ctx, job.Args.DeploymentID, errors.New("the console running its last allowed attempt stopped"))
		return nil
	}
	ctx = withSlice(ctx, time.Now().Add(w.engine.opts.AttemptSlice))
	if job.Attempt >= applyAttempts {
		ctx = withLastAttempt(ctx)
	}
	if yieldedAttempt(job.Metadata) == job.Attempt {
		ctx = withContinuation(ctx)
	}
	err := w.engine.apply(ctx, job.Args.DeploymentID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errYield):
		if err := river.MetadataSet(ctx, yieldedAttemptKey, job.Attempt); err != nil {
			return err
		}
		return river.JobSnooze(0)
	case errors.Is(err, errWaitingForDNS):
		return river.JobSnooze(w.engine.opts.DNSRecheckInterval)
	case job.Attempt >= applyAttempts:
		w.engine.interrupt(context.WithoutCancel(ctx), job.Args.DeploymentID, err)
		return river.JobCancel(err) // recorded: no attempt past the last
	}
	return err
}

// NextRetry resumes an interrupted apply soon: its steps are recorded, and
// River's default backoff (attempt⁴ seconds) would leave a deployment
// looking stuck. River's rescuer uses it too, for a job whose worker died.
func (w *ApplyWorker) NextRetry(*river.Job[ApplyArgs]) time.Time {
	return time.Now().Add(w.engine.opts.RetryDelay)
}

// Timeout is twice the slice: an attempt yields at the end of its slice, a
// step already calling AWS then may finish, and past the timeout River
// cancels the attempt. Because the timeout is finite, River's rescuer
// retries a job still running after it (see jobTimeout): its worker died.
func (w *ApplyWorker) Timeout(*river.Job[ApplyArgs]) time.Duration { return w.engine.jobTimeout() }
