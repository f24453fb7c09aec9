package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// ListDeploymentChoices returns up to limit deployments of serviceKey,
// newest first, with only what a picker shows filled: ID, ServiceKey,
// Status, CreatedAt and CreatedBy. The columns are those the index on
// (service_key, id DESC) includes (migration 0021), so the query reads the
// index alone and none of the table's pages, however long the history.
func (s *Store) ListDeploymentChoices(ctx context.Context, serviceKey string, limit int) ([]ecsconsole.Deployment, error) {
	limit = min(max(limit, 1), MaxDeploymentPage)
	rows, err := s.pool.Query(ctx, `SELECT id, status, created_at, created_by_name FROM deployments
		WHERE service_key = $1 ORDER BY id DESC LIMIT $2`, serviceKey, limit)
	if err != nil {
		return nil, fmt.Errorf("listing deployments to compare with: %w", err)
	}
	ds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ecsconsole.Deployment, error) {
		d := ecsconsole.Deployment{ServiceKey: serviceKey}
		err := row.Scan(&d.ID, &d.Status, &d.CreatedAt, &d.CreatedBy)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing deployments to compare with: %w", err)
	}
	return ds, nil
}
