package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ecsconsole/ecsconsole"
)

// BeginWait returns step name's stored wait, recording now as its start
// the first time the wait begins. A resumed step (after a slice ended or a
// console died) gets the start and interval it had.
func (s *Store) BeginWait(ctx context.Context, deploymentID int64, name string) (ecsconsole.StepWait, error) {
	var w ecsconsole.StepWait
	var ms int64
	err := s.pool.QueryRow(ctx, `UPDATE deployment_steps SET wait_started_at = COALESCE(wait_started_at, now())
		WHERE deployment_id = $1 AND name = $2 RETURNING wait_started_at, poll_interval_ms`, deploymentID, name).Scan(&w.StartedAt, &ms)
	if err != nil {
		return ecsconsole.StepWait{}, fmt.Errorf("beginning the wait of step %s of deployment %d: %w", name, deploymentID, err)
	}
	w.PollInterval = time.Duration(ms) * time.Millisecond
	return w, nil
}

// SetPollInterval records the interval step name's wait has grown to.
func (s *Store) SetPollInterval(ctx context.Context, deploymentID int64, name string, d time.Duration) error {
	_, err := s.pool.Exec(ctx, `UPDATE deployment_steps SET poll_interval_ms = $3 WHERE deployment_id = $1 AND name = $2`,
		deploymentID, name, d.Milliseconds())
	if err != nil {
		return fmt.Errorf("recording the poll interval of step %s of deployment %d: %w", name, deploymentID, err)
	}
	return nil
}

// AddStepCalls adds the AWS calls and retries a step made in a work slice
// that ended before the step did, so that its totals count every slice.
func (s *Store) AddStepCalls(ctx context.Context, deploymentID int64, name string, calls, retries int) error {
	if calls == 0 && retries == 0 {
		return nil
	}
	defer s.changes.wrote(DeploymentSteps)
	_, err := s.pool.Exec(ctx, `UPDATE deployment_steps SET calls = calls + $3, retries = retries + $4
		WHERE deployment_id = $1 AND name = $2`, deploymentID, name, calls, retries)
	if err != nil {
		return fmt.Errorf("counting the calls of step %s of deployment %d: %w", name, deploymentID, err)
	}
	return nil
}
