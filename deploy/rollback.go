package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
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

// RunsNowError refuses a rollback to deployment Target whose spec and
// images are what the service runs now (deployment Serving): it would
// change nothing. SubmitOptions.Force rolls back anyway.
type RunsNowError struct {
	Target, Serving int64
}

func (e *RunsNowError) Error() string {
	if e.Target == e.Serving {
		return fmt.Sprintf("deployment %d is what the service runs now", e.Target)
	}
	return fmt.Sprintf("deployment %d's spec and images are what the service runs now (deployment %d)", e.Target, e.Serving)
}

// Rollback submits a new deployment (kind rollback) restoring deployment
// id: its spec, and its task definition with each image pinned to the
// digest its tasks ran (image@sha256:…), so that the rollback runs exactly
// what ran then whether the revision is still ACTIVE, deregistered, or its
// tags have moved. It fails with a *NotRollbackableError when CheckRollback
// says no, with a *RunsNowError when the service runs that spec and those
// images now (unless opts.Force), and like Submit when the service is busy.
func (e *Engine) Rollback(ctx context.Context, id int64, opts SubmitOptions) (ecsconsole.Deployment, error) {
	ok, why, err := e.CheckRollback(ctx, id)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	if !ok {
		return ecsconsole.Deployment{}, &NotRollbackableError{ID: id, Why: why}
	}
	target, err := e.store.Deployment(ctx, id)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	if !opts.Force {
		serving, runs, err := e.RunsNow(ctx, target)
		if err != nil {
			return ecsconsole.Deployment{}, err
		}
		if runs {
			return ecsconsole.Deployment{}, &RunsNowError{Target: id, Serving: serving}
		}
	}
	td, arn, err := restoredTaskDefinition(target)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	return e.create(ctx, ecsconsole.NewDeployment{
		ServiceKey: target.ServiceKey, Region: target.Region, Cluster: target.Cluster, Service: target.Service,
		Kind: ecsconsole.KindRollback, RollbackOf: target.ID, Spec: target.Spec,
		TaskDefinition: td, TaskDefinitionARN: arn,
		CreatedByID: opts.UserID, CreatedBy: opts.Username, Reason: opts.Reason,
	}, opts.InTx)
}

// restoredTaskDefinition is the task definition a rollback to target
// registers or reuses: target's stored one with every image its tasks ran
// pinned to the digest they ran (the revision ARN is then dropped: the
// task-definition step reuses an identical revision or registers one), or,
// when nothing needed pinning, target's own revision.
func restoredTaskDefinition(target ecsconsole.Deployment) (json.RawMessage, string, error) {
	pinned, ok, err := pinImages(target.TaskDefinition, RanImages(target.Outputs))
	if err != nil {
		return nil, "", err
	}
	if ok {
		return pinned, "", nil
	}
	return target.TaskDefinition, target.TaskDefinitionARN, nil
}

// RunsNow reports whether what a rollback to target would run is what
// target's service runs now, as far as the console knows: the serving
// deployment is target, or has the same spec and ran the same image
// digests. It returns the serving deployment's id.
func (e *Engine) RunsNow(ctx context.Context, target ecsconsole.Deployment) (int64, bool, error) {
	serving, err := e.store.ServingDeployment(ctx, target.ServiceKey)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if serving.ID == target.ID {
		return serving.ID, true, nil
	}
	if !sameJSON(serving.Spec, target.Spec) {
		return serving.ID, false, nil
	}
	return serving.ID, sameImages(RanImages(serving.Outputs), RanImages(target.Outputs)), nil
}

// sameJSON reports whether two JSON documents hold the same values.
func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// sameImages reports whether two deployments ran the same digest in each
// container (both recorded nothing counts as the same).
func sameImages(a, b []ecsconsole.ContainerImage) bool {
	digest := func(ims []ecsconsole.ContainerImage) map[string]string {
		m := map[string]string{}
		for _, im := range ims {
			m[im.Container] = im.Digest
		}
		return m
	}
	return maps.Equal(digest(a), digest(b))
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
	if d.Status != ecsconsole.StatusSucceeded {
		return false, fmt.Sprintf("deployment %d ended %s; only a deployment that succeeded can be restored", id, d.Status), nil
	}
	if len(d.TaskDefinition) == 0 {
		return false, fmt.Sprintf("deployment %d has no recorded task definition", id), nil
	}
	spec, err := Parse(d.Spec)
	if err != nil {
		var ve *ecsconsole.ValidationError
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
	if _, pinned, err := pinImages(d.TaskDefinition, RanImages(d.Outputs)); err == nil && pinned {
		revision = "its task definition will be registered with each image pinned to the digest that ran then (image@sha256:…), or an identical revision reused"
	}
	return true, revision, nil
}

// rollbackRevision says whether and how the restored task definition will
// be obtained: the revision reused, or the stored JSON registered again.
func rollbackRevision(ctx context.Context, l lookup, d ecsconsole.Deployment) (bool, string, error) {
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
