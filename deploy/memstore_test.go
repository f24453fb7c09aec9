package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ecsconsole/ecsconsole"
)

// memStore keeps deployments and their steps in memory with the rules
// store.Store keeps in Postgres (one unfinished deployment per service, an
// outcome recorded once, steps upserted by name), so that the engine's
// decisions are tested without a database. Its transactions are the lock:
// a failing enqueue leaves no deployment behind.
type memStore struct {
	mu     sync.Mutex
	now    func() time.Time
	nextID int64
	deps   map[int64]*ecsconsole.Deployment
	steps  map[int64]map[string]*memStep
}

// memStep is a step's record and its wait.
type memStep struct {
	ecsconsole.DeploymentStep
	wait ecsconsole.StepWait
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{now: time.Now, deps: map[int64]*ecsconsole.Deployment{}, steps: map[int64]map[string]*memStep{}}
}

func notFoundIn(what string, id int64) error {
	return fmt.Errorf("%s %d: %w", what, id, ecsconsole.ErrNotFound)
}

// images is what the deployments.images generated column holds: the
// containers' images as the spec names them.
func images(spec json.RawMessage) []string {
	var s struct {
		TaskDefinition struct {
			ContainerDefinitions []struct{ Image string } `json:"containerDefinitions"`
		} `json:"taskDefinition"`
	}
	out := []string{}
	if json.Unmarshal(spec, &s) == nil {
		for _, c := range s.TaskDefinition.ContainerDefinitions {
			out = append(out, c.Image)
		}
	}
	return out
}

func (m *memStore) CreateDeployment(ctx context.Context, nd ecsconsole.NewDeployment, enqueue ecsconsole.EnqueueFunc) (ecsconsole.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var prev *ecsconsole.Deployment
	for _, d := range m.deps {
		if d.ServiceKey != nd.ServiceKey {
			continue
		}
		if !d.Status.Finished() {
			return ecsconsole.Deployment{}, &ecsconsole.ActiveDeploymentError{Active: *d}
		}
		if prev == nil || d.ID > prev.ID {
			prev = d
		}
	}
	var changes json.RawMessage
	if nd.Changes != nil {
		var prevID int64
		var prevSpec json.RawMessage
		if prev != nil {
			prevID, prevSpec = prev.ID, prev.Spec
		}
		var err error
		if changes, err = nd.Changes(prevID, prevSpec); err != nil {
			return ecsconsole.Deployment{}, err
		}
	}
	kind := nd.Kind
	if kind == "" {
		kind = ecsconsole.KindDeploy
	}
	now := m.now()
	d := ecsconsole.Deployment{ID: m.nextID + 1, ServiceKey: nd.ServiceKey, Region: nd.Region, Cluster: nd.Cluster,
		Service: nd.Service, Kind: kind, RollbackOf: nd.RollbackOf, Spec: nd.Spec, TaskDefinition: nd.TaskDefinition,
		TaskDefinitionARN: nd.TaskDefinitionARN, Status: ecsconsole.StatusQueued, CreatedByID: nd.CreatedByID,
		CreatedBy: nd.CreatedBy, Reason: nd.Reason, Images: images(nd.Spec), SpecChanges: changes,
		CreatedAt: now, UpdatedAt: now}
	// The enqueue runs "in the transaction": nil, as no database is there;
	// the queue given to the engine must not need one.
	if err := enqueue(ctx, nil, d); err != nil {
		return ecsconsole.Deployment{}, fmt.Errorf("creating deployment of %s: %w", nd.ServiceKey, err)
	}
	m.nextID++
	m.deps[d.ID] = &d
	return d, nil
}

func (m *memStore) Deployment(_ context.Context, id int64) (ecsconsole.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.deps[id]
	if !ok {
		return ecsconsole.Deployment{}, notFoundIn("deployment", id)
	}
	return *d, nil
}

func (m *memStore) ServingDeployment(_ context.Context, serviceKey string) (ecsconsole.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var serving *ecsconsole.Deployment
	for _, d := range m.deps {
		if d.ServiceKey == serviceKey && d.Status == ecsconsole.StatusSucceeded && (serving == nil || d.ID > serving.ID) {
			serving = d
		}
	}
	if serving == nil {
		return ecsconsole.Deployment{}, fmt.Errorf("serving deployment of %s: %w", serviceKey, ecsconsole.ErrNotFound)
	}
	return *serving, nil
}

func (m *memStore) DeploymentWithRevision(_ context.Context, serviceKey, arn string, afterID int64) (int64, ecsconsole.DeploymentStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var id int64
	var status ecsconsole.DeploymentStatus
	for _, d := range m.deps {
		if d.ServiceKey == serviceKey && d.ID > afterID && d.TaskDefinitionARN == arn && d.ID > id {
			id, status = d.ID, d.Status
		}
	}
	return id, status, nil
}

func (m *memStore) StartDeployment(_ context.Context, id int64) (ecsconsole.Deployment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.deps[id]
	if !ok {
		return ecsconsole.Deployment{}, notFoundIn("deployment", id)
	}
	if d.Status == ecsconsole.StatusQueued {
		d.Status = ecsconsole.StatusRunning
	}
	if d.StartedAt == nil {
		now := m.now()
		d.StartedAt = &now
	}
	d.UpdatedAt = m.now()
	return *d, nil
}

// update changes deployment id under the lock; unfinished limits it to
// unfinished deployments, as the store's WHERE clauses do.
func (m *memStore) update(id int64, unfinished bool, fn func(*ecsconsole.Deployment)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.deps[id]
	if !ok || unfinished && d.Status.Finished() {
		return notFoundIn("unfinished deployment", id)
	}
	fn(d)
	d.UpdatedAt = m.now()
	return nil
}

func (m *memStore) SetDeploymentStatus(_ context.Context, id int64, status ecsconsole.DeploymentStatus) error {
	if status.Finished() {
		return fmt.Errorf("setting status %s: use FinishDeployment", status)
	}
	return m.update(id, true, func(d *ecsconsole.Deployment) { d.Status = status })
}

func (m *memStore) FinishDeployment(_ context.Context, id int64, r ecsconsole.DeploymentResult) error {
	if !r.Status.Finished() {
		return fmt.Errorf("finishing deployment %d with unfinished status %s", id, r.Status)
	}
	// Finishing a finished (or missing) deployment is a no-op, as the
	// store's UPDATE … WHERE status IN (unfinished) is.
	_ = m.update(id, true, func(d *ecsconsole.Deployment) {
		now := m.now()
		d.Status, d.ErrorStep, d.ErrorCode, d.ErrorMessage, d.FinishedAt = r.Status, r.ErrorStep, r.ErrorCode, r.ErrorMessage, &now
	})
	return nil
}

func (m *memStore) SetDeploymentTaskDefinition(_ context.Context, id int64, td json.RawMessage, arn string) error {
	return m.update(id, false, func(d *ecsconsole.Deployment) { d.TaskDefinition, d.TaskDefinitionARN = td, arn })
}

func (m *memStore) SetDeploymentOutputs(_ context.Context, id int64, o ecsconsole.Outputs) error {
	// Stored as JSON and read back: the copy shares nothing with the caller's.
	raw, err := json.Marshal(o)
	if err != nil {
		return err
	}
	var stored ecsconsole.Outputs
	if err := json.Unmarshal(raw, &stored); err != nil {
		return err
	}
	return m.update(id, false, func(d *ecsconsole.Deployment) { d.Outputs = stored })
}

func (m *memStore) SetDNSValidation(_ context.Context, id int64, records []ecsconsole.DNSRecord) error {
	return m.update(id, false, func(d *ecsconsole.Deployment) {
		d.DNSValidation = append([]ecsconsole.DNSRecord{}, records...)
	})
}

func (m *memStore) Steps(_ context.Context, deploymentID int64) ([]ecsconsole.DeploymentStep, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ecsconsole.DeploymentStep
	for _, st := range m.steps[deploymentID] {
		out = append(out, st.DeploymentStep)
	}
	// ORDER BY started_at NULLS LAST, finished_at, name.
	slices.SortFunc(out, func(a, b ecsconsole.DeploymentStep) int {
		if c := compareTimes(a.StartedAt, b.StartedAt); c != 0 {
			return c
		}
		if c := compareTimes(a.FinishedAt, b.FinishedAt); c != 0 {
			return c
		}
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out, nil
}

// compareTimes orders times with nil last, as Postgres orders NULLs.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// step returns step name of a deployment, created when create is set.
func (m *memStore) step(deploymentID int64, name string, create bool) *memStep {
	if m.steps[deploymentID] == nil {
		m.steps[deploymentID] = map[string]*memStep{}
	}
	st := m.steps[deploymentID][name]
	if st == nil && create {
		st = &memStep{DeploymentStep: ecsconsole.DeploymentStep{DeploymentID: deploymentID, Name: name, Status: ecsconsole.StepPending}}
		m.steps[deploymentID][name] = st
	}
	return st
}

func (m *memStore) StartStep(_ context.Context, deploymentID int64, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.step(deploymentID, name, true)
	now := m.now()
	st.Status, st.Runs, st.ErrorCode, st.ErrorMessage, st.Progress = ecsconsole.StepRunning, st.Runs+1, "", "", ""
	st.StartedAt, st.FinishedAt = &now, nil
	return nil
}

func (m *memStore) SetStepProgress(_ context.Context, deploymentID int64, name, progress string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st := m.step(deploymentID, name, false); st != nil {
		st.Progress = progress
	}
	return nil
}

func (m *memStore) AddStepCalls(_ context.Context, deploymentID int64, name string, calls, retries int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st := m.step(deploymentID, name, false); st != nil {
		st.Calls += calls
		st.Retries += retries
	}
	return nil
}

func (m *memStore) FinishStep(_ context.Context, deploymentID int64, name string, r ecsconsole.StepResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.step(deploymentID, name, true)
	detail := r.Detail
	if len(detail) == 0 {
		detail = json.RawMessage("{}")
	}
	now := m.now()
	st.Status, st.Action, st.ResourceARN, st.AWSRequestID = r.Status, r.Action, r.ResourceARN, r.AWSRequestID
	st.ErrorCode, st.ErrorMessage, st.Detail, st.FinishedAt = r.ErrorCode, r.ErrorMessage, append(json.RawMessage{}, detail...), &now
	st.Calls += r.Calls
	st.Retries += r.Retries
	return nil
}

func (m *memStore) BeginWait(_ context.Context, deploymentID int64, name string) (ecsconsole.StepWait, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.step(deploymentID, name, false)
	if st == nil {
		return ecsconsole.StepWait{}, fmt.Errorf("beginning the wait of step %s of deployment %d: no such step", name, deploymentID)
	}
	if st.wait.StartedAt.IsZero() {
		st.wait.StartedAt = m.now()
	}
	return st.wait, nil
}

func (m *memStore) SetPollInterval(_ context.Context, deploymentID int64, name string, d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st := m.step(deploymentID, name, false); st != nil {
		st.wait.PollInterval = d.Truncate(time.Millisecond)
	}
	return nil
}

// Pool is nil: no database, so the engine gets a memQueue.
func (m *memStore) Pool() *pgxpool.Pool { return nil }

// memQueue records the apply jobs the engine enqueues; a test runs them by
// calling the engine's apply.
type memQueue struct {
	mu   sync.Mutex
	jobs []ApplyArgs
}

func (q *memQueue) InsertTx(_ context.Context, _ pgx.Tx, args river.JobArgs, _ *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	a, ok := args.(ApplyArgs)
	if !ok {
		return nil, fmt.Errorf("memQueue: unexpected job %T", args)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.jobs = append(q.jobs, a)
	return &rivertype.JobInsertResult{Job: &rivertype.JobRow{ID: int64(len(q.jobs)), Kind: a.Kind()}}, nil
}
