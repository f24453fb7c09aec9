package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// A rollback's confirmation page is bound to the service's deployment
// state: it carries the id of the service's newest deployment when it was
// shown, and is good only while that is still the newest. Once the
// confirmed rollback (or anything else) is created the page is spent, so
// a replay after Back, or a second tab, makes no second deployment.

// LatestDeploymentID returns the id of serviceKey's newest deployment, 0
// when it has none.
func (s *Store) LatestDeploymentID(ctx context.Context, serviceKey string) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM deployments WHERE service_key = $1`, serviceKey).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("reading the newest deployment of %s: %w", serviceKey, err)
	}
	return id, nil
}

// RollbackSince returns the first rollback to deployment target of
// serviceKey created after deployment afterID, 0 when there is none.
func (s *Store) RollbackSince(ctx context.Context, serviceKey string, target, afterID int64) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(min(id), 0) FROM deployments
		WHERE service_key = $1 AND rollback_of = $2 AND id > $3`, serviceKey, target, afterID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("reading rollbacks of deployment %d: %w", target, err)
	}
	return id, nil
}

// DeploymentWithRevision returns the id and status of the newest
// deployment of serviceKey after afterID that recorded task definition
// revision arn (id 0 when none): which of the console's own deployments
// set a revision the service runs.
func (s *Store) DeploymentWithRevision(ctx context.Context, serviceKey, arn string, afterID int64) (int64, ecsconsole.DeploymentStatus, error) {
	var id int64
	var status ecsconsole.DeploymentStatus
	err := s.pool.QueryRow(ctx, `SELECT id, status FROM deployments
		WHERE service_key = $1 AND id > $3 AND task_definition_arn = $2 ORDER BY id DESC LIMIT 1`, serviceKey, arn, afterID).Scan(&id, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("reading which deployment of %s set %s: %w", serviceKey, arn, err)
	}
	return id, status, nil
}
