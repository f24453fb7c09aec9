package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecsconsole/ecsconsole"
)

// Engine plans, submits and applies deployments. Submit and Rollback store a
// deployment and enqueue its apply job in one transaction; the job runs on
// any River client built with NewWorkerClient on the same database.
type Engine struct {
	store   Store
	clients ClientFactory
	opts    Options
	// queue is an insert-only River client unless Options.Queue says
	// otherwise: Submit enqueues through it, so the engine does not depend
	// on the worker client that runs the jobs.
	queue Queue
}

// Store is what the engine needs from storage: the deployments it creates
// and applies, their steps and the steps' waits. store.Store implements it
// over Postgres; the engine's tests also run on one kept in memory.
type Store interface {
	// CreateDeployment stores a queued deployment and calls enqueue in the
	// same transaction; a service with an unfinished deployment yields an
	// *ecsconsole.ActiveDeploymentError.
	CreateDeployment(ctx context.Context, nd ecsconsole.NewDeployment, enqueue ecsconsole.EnqueueFunc) (ecsconsole.Deployment, error)
	// Deployment reads one deployment (ecsconsole.ErrNotFound when none).
	Deployment(ctx context.Context, id int64) (ecsconsole.Deployment, error)
	// ServingDeployment is the service's latest successful deployment:
	// what it runs now, as far as the console knows.
	ServingDeployment(ctx context.Context, serviceKey string) (ecsconsole.Deployment, error)
	// DeploymentWithRevision is the id and status of the service's newest
	// deployment after afterID that recorded revision arn (id 0 when none).
	DeploymentWithRevision(ctx context.Context, serviceKey, arn string, afterID int64) (int64, ecsconsole.DeploymentStatus, error)
	// StartDeployment marks a queued (or resumed) deployment running.
	StartDeployment(ctx context.Context, id int64) (ecsconsole.Deployment, error)
	// SetDeploymentStatus moves an unfinished deployment between
	// unfinished statuses; FinishDeployment records its outcome once.
	SetDeploymentStatus(ctx context.Context, id int64, status ecsconsole.DeploymentStatus) error
	FinishDeployment(ctx context.Context, id int64, r ecsconsole.DeploymentResult) error
	SetDeploymentTaskDefinition(ctx context.Context, id int64, td json.RawMessage, arn string) error
	SetDeploymentOutputs(ctx context.Context, id int64, o ecsconsole.Outputs) error
	SetDNSValidation(ctx context.Context, id int64, records []ecsconsole.DNSRecord) error
	// Steps, StartStep, SetStepProgress, AddStepCalls and FinishStep keep
	// each step's record, written before and after its AWS call so that a
	// resumed apply continues from it.
	Steps(ctx context.Context, deploymentID int64) ([]ecsconsole.DeploymentStep, error)
	StartStep(ctx context.Context, deploymentID int64, name string) error
	SetStepProgress(ctx context.Context, deploymentID int64, name, progress string) error
	AddStepCalls(ctx context.Context, deploymentID int64, name string, calls, retries int) error
	FinishStep(ctx context.Context, deploymentID int64, name string, r ecsconsole.StepResult) error
	// BeginWait and SetPollInterval keep a wait's start and interval
	// across work slices.
	BeginWait(ctx context.Context, deploymentID int64, name string) (ecsconsole.StepWait, error)
	SetPollInterval(ctx context.Context, deploymentID int64, name string, d time.Duration) error
	// Pool is the database the job queue lives in: River's jobs commit in
	// the same transactions as the deployments they apply. Nil for a store
	// without one; its engine needs Options.Queue and runs no workers.
	Pool() *pgxpool.Pool
}

// Queue is what the engine needs from the job queue: an apply job
// enqueued in the transaction that stores its deployment. River's client
// implements it.
type Queue interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Options configures an Engine. Zero durations take the defaults shown.
type Options struct {
	// Clients builds the AWS clients for a spec's region (required).
	Clients ClientFactory
	// PollInterval is the first delay between polls of a wait; it doubles up
	// to MaxPollInterval. Defaults 2s and 15s.
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// StableTimeout bounds the wait for the service to become stable;
	// past it the deployment ends interrupted. Default 30 minutes.
	StableTimeout time.Duration
	// LoadBalancerTimeout bounds the wait for a new load balancer to become
	// active. Default 15 minutes.
	LoadBalancerTimeout time.Duration
	// CertificateTimeout bounds the wait for a certificate's DNS
	// validation, from the deployment's creation; past it the deployment
	// fails. Default 72 hours, ACM's own limit.
	CertificateTimeout time.Duration
	// DNSRecheckInterval is how long a deployment waiting for DNS
	// validation sleeps (its job snoozed, no worker held) between checks.
	// Default 1 minute.
	DNSRecheckInterval time.Duration
	// RetryDelay is how long a job interrupted by a stopping worker or a
	// lost connection waits before another worker resumes it. Default 5s.
	RetryDelay time.Duration
	// AttemptSlice is how long one attempt of an apply job works before it
	// hands its worker back and continues as a new attempt (slice.go). A
	// job whose console died is resumed by another console between
	// 2×AttemptSlice+5s and that plus River's 30s rescue interval after its
	// last attempt began. Default 20s: about a minute to resume.
	AttemptSlice time.Duration
	// Logger receives the engine's log lines. Default: discard.
	Logger *slog.Logger
	// Queue enqueues apply jobs. Default: an insert-only River client on
	// the store's Pool.
	Queue Queue
}

func (o *Options) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.PollInterval, 2*time.Second)
	def(&o.MaxPollInterval, 15*time.Second)
	def(&o.StableTimeout, 30*time.Minute)
	def(&o.LoadBalancerTimeout, 15*time.Minute)
	def(&o.CertificateTimeout, 72*time.Hour)
	def(&o.DNSRecheckInterval, time.Minute)
	def(&o.RetryDelay, 5*time.Second)
	def(&o.AttemptSlice, 20*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// NewEngine returns an engine storing deployments in st and enqueueing their
// jobs in st's database.
func NewEngine(st Store, opts Options) (*Engine, error) {
	if opts.Clients == nil {
		return nil, errors.New("deploy: Options.Clients is required")
	}
	opts.setDefaults()
	queue := opts.Queue
	if queue == nil {
		inserter, err := river.NewClient(riverpgxv5.New(st.Pool()), &river.Config{Logger: opts.Logger})
		if err != nil {
			return nil, fmt.Errorf("deploy: job queue client: %w", err)
		}
		queue = inserter
	}
	return &Engine{store: st, clients: opts.Clients, opts: opts, queue: queue}, nil
}

// Clients is the factory of the engine's AWS clients, for readers of AWS
// that serve pages with the engine's credentials and endpoint (livestate).
func (e *Engine) Clients() ClientFactory { return e.clients }

// WorkerOptions configures the River client that runs apply jobs.
type WorkerOptions struct {
	// ID names this client in River's tables (default: River's own).
	ID string
	// MaxWorkers is how many deployments this process applies at once;
	// default 10.
	MaxWorkers int
	// FetchPollInterval is how often idle workers look for jobs besides
	// Postgres notifications; default River's (1s).
	FetchPollInterval time.Duration
	// AddWorkers and Queues add other durable work (webhook deliveries,
	// notify.Notifier) to this client. There must be one worker client
	// per process knowing every job kind: River's maintenance (the
	// rescuer) runs on one client of the database for all queues, and
	// discards a job whose kind that client does not know.
	AddWorkers func(*river.Workers) error
	Queues     map[string]river.QueueConfig
}

// NewWorkerClient returns a River client that applies deployments. Start it
// to work, stop it to leave: a deployment cut off mid-apply is resumed by
// any client on the same database from its recorded steps.
func (e *Engine) NewWorkerClient(opts WorkerOptions) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &ApplyWorker{engine: e}); err != nil {
		return nil, fmt.Errorf("deploy: registering apply worker: %w", err)
	}
	if opts.AddWorkers != nil {
		if err := opts.AddWorkers(workers); err != nil {
			return nil, fmt.Errorf("deploy: registering other workers: %w", err)
		}
	}
	maxWorkers := opts.MaxWorkers
	if maxWorkers <= 0 {
		maxWorkers = 10
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: maxWorkers}}
	maps.Copy(queues, opts.Queues)
	client, err := river.NewClient(riverpgxv5.New(e.store.Pool()), &river.Config{
		ID:                opts.ID,
		Logger:            e.opts.Logger,
		Queues:            queues,
		Workers:           workers,
		FetchPollInterval: opts.FetchPollInterval,
		JobTimeout:        e.jobTimeout(),
		// River hands a job running longer than this to another worker,
		// assuming its worker died. A live worker's attempt never runs that
		// long: it yields at the end of its slice, and River cancels it at
		// the timeout, 5s before.
		RescueStuckJobsAfter: e.jobTimeout() + 5*time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("deploy: job queue worker client: %w", err)
	}
	return client, nil
}

// jobTimeout bounds one attempt of an apply job: its slice, then as long
// again for a step already calling AWS to finish.
func (e *Engine) jobTimeout() time.Duration { return 2 * e.opts.AttemptSlice }

// SubmitOptions says who asks for a deployment and why.
type SubmitOptions struct {
	UserID   int64 // 0 when not a console user
	Username string
	Reason   string
	// InTx, when set, runs in the transaction that stores the deployment,
	// after its job is enqueued: an error rolls back both (the wizard marks
	// its draft deployed this way, so a draft deploys once).
	InTx ecsconsole.EnqueueFunc
	// Force, for a rollback, restores a deployment even when what it
	// restores is what the service runs now (see RunsNowError).
	Force bool
}

// Submit plans spec, then stores a queued deployment of it and enqueues
// its apply job in the same transaction. A spec naming resources that do
// not exist, or whose plan refuses a resource, yields a *ValidationError
// naming the field; a service with an unfinished deployment a
// *ecsconsole.ActiveDeploymentError (wrapping ecsconsole.ErrConflict).
func (e *Engine) Submit(ctx context.Context, spec *ecsconsole.Spec, opts SubmitOptions) (ecsconsole.Deployment, error) {
	plan, err := e.Plan(ctx, spec)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	if refused := plan.Refused(); len(refused) > 0 {
		var ps problems
		for _, it := range refused {
			ps.add(stepField(it.Step), "%s", it.Reason)
		}
		return ecsconsole.Deployment{}, ps.err()
	}
	return e.create(ctx, ecsconsole.NewDeployment{
		ServiceKey: spec.ServiceKey(), Region: spec.Region, Cluster: spec.Cluster.Name, Service: spec.Service.Name,
		Kind: ecsconsole.KindDeploy, Spec: spec.JSON(),
		CreatedByID: opts.UserID, CreatedBy: opts.Username, Reason: opts.Reason,
	}, opts.InTx)
}

// create stores nd and enqueues its job; also (nil entries skipped) runs in
// the same transaction afterwards.
func (e *Engine) create(ctx context.Context, nd ecsconsole.NewDeployment, also ...ecsconsole.EnqueueFunc) (ecsconsole.Deployment, error) {
	nd.Changes = storedChanges(nd.Spec)
	return e.store.CreateDeployment(ctx, nd, func(ctx context.Context, tx pgx.Tx, d ecsconsole.Deployment) error {
		_, err := e.queue.InsertTx(ctx, tx, ApplyArgs{DeploymentID: d.ID}, nil)
		if err != nil {
			return fmt.Errorf("enqueueing apply of deployment %d: %w", d.ID, err)
		}
		for _, fn := range also {
			if fn != nil {
				if err := fn(ctx, tx, d); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
