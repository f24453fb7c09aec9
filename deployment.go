package ecsconsole

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeploymentStatus is where a deployment stands. Queued, running and
// waiting_for_dns are unfinished; the rest are outcomes.
type DeploymentStatus string

// Deployment statuses (the deployments.status check constraint).
const (
	StatusQueued          DeploymentStatus = "queued"
	StatusRunning         DeploymentStatus = "running"
	StatusWaitingForDNS   DeploymentStatus = "waiting_for_dns"
	StatusSucceeded       DeploymentStatus = "succeeded"
	StatusFailed          DeploymentStatus = "failed"
	StatusRolledBackByECS DeploymentStatus = "rolled_back_by_ecs"
	// StatusSuperseded: another deployment (of ECS, by someone else) took
	// the service over before this one's revision was stable.
	StatusSuperseded  DeploymentStatus = "superseded"
	StatusInterrupted DeploymentStatus = "interrupted"
)

// Finished reports whether the status is an outcome: nothing more happens.
func (s DeploymentStatus) Finished() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusWaitingForDNS:
		return false
	}
	return true
}

// Deployment kinds.
const (
	KindDeploy   = "deploy"
	KindRollback = "rollback"
)

// Deployment is one application of a spec, stored whole and never deleted.
type Deployment struct {
	ID         int64
	ServiceKey string // region/cluster/service
	Region     string
	Cluster    string
	Service    string
	Kind       string // KindDeploy or KindRollback
	RollbackOf int64  // the deployment whose spec this rollback restored; 0 for deploys
	Spec       json.RawMessage
	// TaskDefinition is the RegisterTaskDefinition input exactly as
	// registered (nil until apply has registered or reused one).
	TaskDefinition    json.RawMessage
	TaskDefinitionARN string
	Status            DeploymentStatus
	CreatedByID       int64 // 0 when the creator is not a console user
	CreatedBy         string
	Reason            string
	// ErrorStep, ErrorCode and ErrorMessage explain a failed or interrupted
	// deployment: the step, AWS's error code and its message.
	ErrorStep     string
	ErrorCode     string
	ErrorMessage  string
	Outputs       Outputs
	DNSValidation []DNSRecord
	// Images are the containers' images as the spec names them, in order.
	Images []string
	// SpecChanges is what NewDeployment.Changes made of the spec against
	// the service's previous one when the deployment was created; nil for
	// deployments stored before it was kept, and in lists.
	SpecChanges json.RawMessage
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	UpdatedAt   time.Time
}

// NewDeployment is what storing a new deployment needs.
type NewDeployment struct {
	ServiceKey, Region, Cluster, Service string
	Kind                                 string // KindDeploy when empty
	RollbackOf                           int64
	Spec                                 json.RawMessage
	// TaskDefinition and TaskDefinitionARN are preset for a rollback: the
	// revision to reuse, or the JSON to register again.
	TaskDefinition    json.RawMessage
	TaskDefinitionARN string
	CreatedByID       int64
	CreatedBy         string
	Reason            string
	// Changes, when set, describes the spec's changes against the spec of
	// the service's latest deployment so far (nil when it has none); its
	// result is stored as the deployment's SpecChanges, so that they are
	// computed once rather than on every view.
	Changes func(previousID int64, previousSpec json.RawMessage) (json.RawMessage, error)
}

// ActiveDeploymentError is returned (wrapping ErrConflict) when a service
// already has an unfinished deployment.
type ActiveDeploymentError struct {
	Active Deployment
}

// Error names the deployment in the way.
func (e *ActiveDeploymentError) Error() string {
	return fmt.Sprintf("deployment %d of %s is %s; wait for it to finish", e.Active.ID, e.Active.ServiceKey, e.Active.Status)
}

// Unwrap makes the error match ErrConflict.
func (e *ActiveDeploymentError) Unwrap() error { return ErrConflict }

// DeploymentResult is a deployment's outcome.
type DeploymentResult struct {
	Status                             DeploymentStatus
	ErrorStep, ErrorCode, ErrorMessage string
}

// EnqueueFunc runs inside the transaction that stores a new deployment, after the row is
// written, so that the job that applies it commits (or not) with it.
type EnqueueFunc func(ctx context.Context, tx pgx.Tx, d Deployment) error
