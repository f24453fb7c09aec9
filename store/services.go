package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// ServiceSummary is one deployed service: its latest deployment, and the
// latest that succeeded (what is serving now), if any.
type ServiceSummary struct {
	Latest        ecsconsole.Deployment
	LastSucceeded *ecsconsole.Deployment
}

// MaxServices bounds ListServices' limit.
const MaxServices = 200

// ServiceReads are the tables ListServices, ServingDeployment and
// DeployedServices depend on: the services table and the deployments it
// points to.
const ServiceReads = Reads(1<<Services | 1<<Deployments)

// ListServices returns up to limit services that have deployments, by
// service key, starting after cursor (a service key; "" for the first
// page), and the cursor of the next page ("" when there is none). It reads
// the services table a trigger keeps beside deployments, by keyset, so a
// page costs the same however many services there are.
func (s *Store) ListServices(ctx context.Context, cursor string, limit int) ([]ServiceSummary, string, error) {
	limit = min(max(limit, 1), MaxServices)
	rows, err := s.pool.Query(ctx, `SELECT service_key, latest_deployment_id, serving_deployment_id FROM services
		WHERE service_key > $1 ORDER BY service_key LIMIT $2`, cursor, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("listing services: %w", err)
	}
	type pair struct {
		key             string
		latest, serving *int64
	}
	pairs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		return p, r.Scan(&p.key, &p.latest, &p.serving)
	})
	if err != nil {
		return nil, "", fmt.Errorf("listing services: %w", err)
	}
	next := ""
	if len(pairs) > limit {
		pairs = pairs[:limit]
		next = pairs[limit-1].key
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
		return nil, "", err
	}
	out := make([]ServiceSummary, len(pairs))
	for i, p := range pairs {
		out[i].Latest = byID[*p.latest]
		if p.serving != nil {
			d := byID[*p.serving]
			out[i].LastSucceeded = &d
		}
	}
	return out, next, nil
}

// ServingDeployment returns the latest successful deployment of
// serviceKey, with its documents: what the service runs now, as far as
// the console knows.
func (s *Store) ServingDeployment(ctx context.Context, serviceKey string) (ecsconsole.Deployment, error) {
	d, err := s.queryDeployment(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE id = (SELECT serving_deployment_id FROM services WHERE service_key = $1)`, serviceKey)
	if errors.Is(err, ecsconsole.ErrNotFound) {
		return ecsconsole.Deployment{}, notFound("serving deployment of %s", serviceKey)
	}
	return d, err
}

// deploymentsByID loads several deployments in one query, without their
// spec and task definition documents.
func (s *Store) deploymentsByID(ctx context.Context, ids []int64) (map[int64]ecsconsole.Deployment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentListColumns+` FROM deployments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, scanDeployment)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]ecsconsole.Deployment, len(list))
	for _, d := range list {
		byID[d.ID] = d
	}
	return byID, nil
}

// PreviousDeployment returns the deployment of the same service made just
// before d, for "what changed".
func (s *Store) PreviousDeployment(ctx context.Context, d ecsconsole.Deployment) (ecsconsole.Deployment, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+deploymentColumns+` FROM deployments
		WHERE service_key = $1 AND id < $2 ORDER BY id DESC LIMIT 1`, d.ServiceKey, d.ID)
	if err != nil {
		return ecsconsole.Deployment{}, err
	}
	prev, err := pgx.CollectExactlyOneRow(rows, scanDeployment)
	if errors.Is(err, pgx.ErrNoRows) {
		return ecsconsole.Deployment{}, notFound("deployment before %d of %s", d.ID, d.ServiceKey)
	}
	return prev, err
}

// Specs returns the specs of the deployments with ids, by id: the
// Services page compares what runs with what was deployed.
func (s *Store) Specs(ctx context.Context, ids []int64) (map[int64][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, spec FROM deployments WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("reading specs: %w", err)
	}
	out := map[int64][]byte{}
	var id int64
	var spec []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &spec}, func() error {
		out[id] = append([]byte(nil), spec...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading specs: %w", err)
	}
	return out, nil
}

// DeployedServices reports which of serviceKeys the console has deployed.
func (s *Store) DeployedServices(ctx context.Context, serviceKeys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(serviceKeys) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT service_key FROM services WHERE service_key = ANY($1)`, serviceKeys)
	if err != nil {
		return nil, fmt.Errorf("looking up services: %w", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("looking up services: %w", err)
	}
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}
