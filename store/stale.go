package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// StaleError is returned (wrapping ErrConflict) when a change was prepared
// from a deployment that is no longer its service's latest: someone
// deployed the service since the page was opened.
type StaleError struct {
	// Base is the deployment the change was prepared from; Latest the
	// service's latest deployment before the refused one.
	Base, Latest int64
}

// Error names both deployments.
func (e *StaleError) Error() string {
	return fmt.Sprintf("the change was prepared from deployment %d, but the service's latest is %d", e.Base, e.Latest)
}

// Unwrap makes the error match ErrConflict.
func (e *StaleError) Unwrap() error { return ecsconsole.ErrConflict }

// RequireLatest refuses, inside CreateDeployment's transaction, a new
// deployment whose service got another deployment after base: the check
// runs where the row is written, so two tabs cannot both pass it (the
// second one's insert either conflicts with the first's active deployment
// or sees it here).
func RequireLatest(base int64) ecsconsole.EnqueueFunc {
	return func(ctx context.Context, tx pgx.Tx, d ecsconsole.Deployment) error {
		var latest int64
		err := tx.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM deployments WHERE service_key = $1 AND id <> $2`,
			d.ServiceKey, d.ID).Scan(&latest)
		if err != nil {
			return fmt.Errorf("reading the latest deployment of %s: %w", d.ServiceKey, err)
		}
		if latest != base {
			return &StaleError{Base: base, Latest: latest}
		}
		return nil
	}
}
