package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ServiceSummary is one deployed service: its latest deployment, and the
// latest that succeeded (what is serving now), if any.
type ServiceSummary struct {
	Latest        Deployment
	LastSucceeded *Deployment
}

// MaxServices bounds ListServices.
const MaxServices = 500

// ListServices returns every service that has deployments, by service key,
// from the services table a trigger keeps beside deployments.
func (s *Store) ListServices(ctx context.Context) ([]ServiceSummary, error) {
	rows, err := s.pool.Query(ctx, `SELECT latest_deployment_id, serving_deployment_id FROM services
		ORDER BY service_key LIMIT $1`, MaxServices)
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	type pair struct{ latest, serving *int64 }
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		return p, r.Scan(&p.latest, &p.serving)
	})
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	ids := make([]int64, 0, 2*len(pairs))
	for _, p := range pairs {
		ids = append(ids, *p.latest)
		if p.serving != nil {
			ids = append(ids, *p.serving)
		}
	}
	byID, err := s.deploymentsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]ServiceSummary, len(pairs))
	for i, p := range pairs {
		out[i].Latest = byID[*p.latest]
		if p.serving != nil {
			d := byID[*p.serving]
			out[i].LastSucceeded = &d
		}
	}
	return out, nil
}

// deploymentsByID loads several deployments in one query, without their
// spec and task definition documents.
func (s *Store) deploymentsByID(ctx context.Context, ids []int64) (map[int64]Deployment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentListColumns+` FROM deployments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanDeployment)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]Deployment, len(list))
	for _, d := range list {
		byID[d.ID] = d
	}
	return byID, nil
}

// PreviousDeployment returns the deployment of the same service made just
// before d, for "what changed".
func (s *Store) PreviousDeployment(ctx context.Context, d Deployment) (Deployment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE service_key = $1 AND id < $2 ORDER BY id DESC LIMIT 1`, d.ServiceKey, d.ID)
	if err != nil {
		return Deployment{}, err
	}
	prev, err := pgx.CollectExactlyOneRow(rows, scanDeployment)
	if errors.Is(err, pgx.ErrNoRows) {
		return Deployment{}, notFound("deployment before %d of %s", d.ID, d.ServiceKey)
	}
	return prev, err
}
