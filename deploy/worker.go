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

// ApplyWorker runs apply jobs. Build it through Engine.NewWorkerClient.
type ApplyWorker struct {
	river.WorkerDefaults[ApplyArgs]
	engine *Engine
}

// Work applies the deployment, resuming from its recorded steps. A
// deployment waiting for DNS validation snoozes the job instead of holding
// a worker; an interruption (the worker stopping, a lost connection) returns
// the error so that River retries the job, and the last allowed attempt ends
// the deployment as interrupted.
func (w *ApplyWorker) Work(ctx context.Context, job *river.Job[ApplyArgs]) error {
	err := w.engine.apply(ctx, job.Args.DeploymentID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errWaitingForDNS):
		return river.JobSnooze(w.engine.opts.DNSRecheckInterval)
	case job.Attempt >= job.MaxAttempts:
		w.engine.interrupt(context.WithoutCancel(ctx), job.Args.DeploymentID, err)
	}
	return err
}

// NextRetry resumes an interrupted apply soon: its steps are recorded, and
// River's default backoff (attempt⁴ seconds) would leave a deployment
// looking stuck.
func (w *ApplyWorker) NextRetry(*river.Job[ApplyArgs]) time.Time {
	return time.Now().Add(w.engine.opts.RetryDelay)
}

// Timeout disables River's per-job timeout (one minute by default): every
// wait inside apply has its own bound.
func (w *ApplyWorker) Timeout(*river.Job[ApplyArgs]) time.Duration { return -1 }
