package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole/store"
)

// ErrNotRollbackable is matched (errors.Is) by every
// *NotRollbackableError.
var ErrNotRollbackable = errors.New("cannot roll back")

// NotRollbackableError says that deployment ID cannot be restored, and Why
// in a sentence for the user.
type NotRollbackableError struct {
	ID  int64
	Why string
}

func (e *NotRollbackableError) Error() string {
	return fmt.Sprintf("cannot roll back to deployment %d: %s", e.ID, e.Why)
}

// Is makes the error match ErrNotRollbackable.
func (e *NotRollbackableError) Is(target error) bool { return target == ErrNotRollbackable }

// Rollback submits a new deployment (kind rollback) restoring the spec of
// deployment id: its task definition revision while ACTIVE, else its stored
// task definition registered again. It fails with a *NotRollbackableError when
// CheckRollback says no, and like Submit when the service is busy.
func (e *Engine) Rollback(ctx context.Context, id int64, opts SubmitOptions) (store.Deployment, error) {
	ok, why, err := e.CheckRollback(ctx, id)
	if err != nil {
		return store.Deployment{}, err
	}
	if !ok {
		return store.Deployment{}, &NotRollbackableError{ID: id, Why: why}
	}
	target, err := e.store.Deployment(ctx, id)
	if err != nil {
		return store.Deployment{}, err
	}
	td, arn := target.TaskDefinition, target.TaskDefinitionARN
	moved, err := e.movedImages(ctx, target)
	if err != nil {
		return store.Deployment{}, err
	}
	if pinned, ok, err := pinImages(td, moved); err == nil && ok {
		td, arn = pinned, "" // registered with image@digest (apply reuses an identical revision)
	}
	return e.create(ctx, store.NewDeployment{
		ServiceKey: target.ServiceKey, Region: target.Region, Cluster: target.Cluster, Service: target.Service,
		Kind: store.KindRollback, RollbackOf: target.ID, Spec: target.Spec,
		TaskDefinition: td, TaskDefinitionARN: arn,
		CreatedByID: opts.UserID, CreatedBy: opts.Username, Reason: opts.Reason,
	}, opts.InTx)
}

// CheckRollback says whether deployment id can be restored, and why (not)
// in a sentence for the user: it must have succeeded with a recorded task
// definition that is still ACTIVE or can be registered again, and its
// cluster and target group must still exist.
func (e *Engine) CheckRollback(ctx context.Context, id int64) (ok bool, why string, err error) {
	d, err := e.store.Deployment(ctx, id)
	if err != nil {
		return false, "", err
	}
	if d.Status != store.StatusSucceeded {
		return false, fmt.Sprintf("deployment %d ended %s; only a deployment that succeeded can be restored", id, d.Status), nil
	}
	if len(d.TaskDefinition) == 0 {
		return false, fmt.Sprintf("deployment %d has no recorded task definition", id), nil
	}
	spec, err := Parse(d.Spec)
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) && len(ve.Problems) > 0 {
			return false, fmt.Sprintf("deployment %d's spec no longer passes today's checks: %s", id, ve.Problems[0]), nil
		}
		return false, fmt.Sprintf("deployment %d's stored spec can no longer be read", id), nil
	}
	clients, err := e.clients(ctx, spec.Region)
	if err != nil {
		return false, "", err
	}
	l := lookup{clients}
	ok, revision, err := rollbackRevision(ctx, l, d)
	if err != nil || !ok {
		return false, revision, err
	}
	if c, err := l.cluster(ctx, spec.Cluster.Name); err != nil || c == nil {
		return false, fmt.Sprintf("cluster %s no longer exists", spec.Cluster.Name), err
	}
	if lb := spec.LoadBalancer; lb != nil {
		if tg, err := l.targetGroup(ctx, lb.TargetGroup.Name); err != nil || tg == nil {
			return false, fmt.Sprintf("target group %s no longer exists", lb.TargetGroup.Name), err
		}
	}
	moved, err := e.movedImages(ctx, d)
	if err != nil {
		return false, "", err
	}
	if _, pinned, err := pinImages(d.TaskDefinition, moved); err == nil && pinned {
		names := make([]string, len(moved))
		for i, im := range moved {
			names[i] = im.Image
		}
		revision = fmt.Sprintf("the tag of %s has moved since, so its task definition will be registered again with each image pinned to the digest that ran then (image@sha256:…)",
			strings.Join(names, ", "))
	}
	return true, revision, nil
}

// rollbackRevision says whether and how the restored task definition will
// be obtained: the revision reused, or the stored JSON registered again.
func rollbackRevision(ctx context.Context, l lookup, d store.Deployment) (bool, string, error) {
	td, _, err := l.taskDefinition(ctx, d.TaskDefinitionARN)
	if err != nil {
		return false, "", err
	}
	if td != nil && td.Status == ecstypes.TaskDefinitionStatusActive {
		return true, fmt.Sprintf("revision %d of %s is active and will be reused", td.Revision, aws.ToString(td.Family)), nil
	}
	if _, err := decodeTaskDefinition(d.TaskDefinition); err != nil {
		return false, fmt.Sprintf("revision %s was deregistered and the stored task definition can no longer be read as a task definition",
			revisionOf(d.TaskDefinitionARN)), nil
	}
	return true, fmt.Sprintf("revision %s was deregistered; its stored task definition will be registered again as a new revision",
		revisionOf(d.TaskDefinitionARN)), nil
}
