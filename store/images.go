package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// maxImageHistory bounds how many later deployments ImagesRunSince reads.
const maxImageHistory = 100

// ImagesRunSince returns the images (with digests) that the tasks of
// serviceKey's deployments after afterID ran, newest deployment first, from
// at most the 100 newest of them: how a rollback learns that a tag has
// moved since the deployment it restores.
func (s *Store) ImagesRunSince(ctx context.Context, serviceKey string, afterID int64) ([]ecsconsole.ContainerImage, error) {
	rows, err := s.pool.Query(ctx, `SELECT outputs FROM deployments WHERE service_key = $1 AND id > $2
		ORDER BY id DESC LIMIT $3`, serviceKey, afterID, maxImageHistory)
	if err != nil {
		return nil, fmt.Errorf("reading images run by %s: %w", serviceKey, err)
	}
	outputs, err := pgx.CollectRows(rows, pgx.RowTo[ecsconsole.Outputs])
	if err != nil {
		return nil, fmt.Errorf("reading images run by %s: %w", serviceKey, err)
	}
	var out []ecsconsole.ContainerImage
	for _, o := range outputs {
		for _, t := range o.Tasks {
			out = append(out, t.Images...)
		}
	}
	return out, nil
}
