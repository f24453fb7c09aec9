package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// Draft is a deployment being put together in the wizard by one user: the
// wizard's form state, saved at every step so it can be resumed.
type Draft struct {
	ID     int64
	UserID int64
	// Title names the draft in lists, e.g. "php-app on demo".
	Title string
	// Step is the wizard step last saved, where resuming starts.
	Step string
	// State is the wizard's own JSON; the store does not look inside.
	State json.RawMessage
	// DeploymentID is the deployment made from this draft (0 until then).
	DeploymentID int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Deployed reports whether the draft became a deployment.
func (d Draft) Deployed() bool { return d.DeploymentID != 0 }

// ErrDraftDeployed is returned (wrapping ErrConflict) when a draft that was
// already deployed is saved or deployed again.
var ErrDraftDeployed = fmt.Errorf("the draft was already deployed: %w", ecsconsole.ErrConflict)

// MaxDraftState bounds a draft's state; the wizard's forms are far smaller.
const MaxDraftState = 512 << 10

// MaxDraftsListed bounds ListDrafts.
const MaxDraftsListed = 50

const draftColumns = `id, user_id, title, step, state, COALESCE(deployment_id, 0), created_at, updated_at`

func scanDraft(row pgx.CollectableRow) (Draft, error) {
	var d Draft
	err := row.Scan(&d.ID, &d.UserID, &d.Title, &d.Step, &d.State, &d.DeploymentID, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// CreateDraft stores a new draft of userID's.
func (s *Store) CreateDraft(ctx context.Context, userID int64, title, step string, state json.RawMessage) (Draft, error) {
	if len(state) > MaxDraftState {
		return Draft{}, fmt.Errorf("draft state is %d bytes, over %d", len(state), MaxDraftState)
	}
	rows, err := s.pool.Query(ctx, `INSERT INTO drafts (user_id, title, step, state) VALUES ($1, $2, $3, $4)
		RETURNING `+draftColumns, userID, title, step, []byte(state))
	if err != nil {
		return Draft{}, fmt.Errorf("creating draft: %w", err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDraft)
	if err != nil {
		return Draft{}, fmt.Errorf("creating draft: %w", err)
	}
	return d, nil
}

// Draft returns userID's draft id; another user's draft is not found.
func (s *Store) Draft(ctx context.Context, userID, id int64) (Draft, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+draftColumns+` FROM drafts WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return Draft{}, fmt.Errorf("reading draft %d: %w", id, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDraft)
	if errors.Is(err, pgx.ErrNoRows) {
		return Draft{}, notFound("draft %d", id)
	}
	if err != nil {
		return Draft{}, fmt.Errorf("reading draft %d: %w", id, err)
	}
	return d, nil
}

// ListDrafts returns userID's drafts not yet deployed, most recently saved
// first.
func (s *Store) ListDrafts(ctx context.Context, userID int64) ([]Draft, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+draftColumns+` FROM drafts
		WHERE user_id = $1 AND deployment_id IS NULL ORDER BY updated_at DESC, id DESC LIMIT $2`, userID, MaxDraftsListed)
	if err != nil {
		return nil, fmt.Errorf("listing drafts: %w", err)
	}
	ds, err := pgx.CollectRows(rows, scanDraft)
	if err != nil {
		return nil, fmt.Errorf("listing drafts: %w", err)
	}
	return ds, nil
}

// SaveDraft replaces the state of userID's draft id. A deployed draft is
// frozen: saving it yields ErrDraftDeployed.
func (s *Store) SaveDraft(ctx context.Context, userID, id int64, title, step string, state json.RawMessage) error {
	if len(state) > MaxDraftState {
		return fmt.Errorf("draft state is %d bytes, over %d", len(state), MaxDraftState)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE drafts SET title = $3, step = $4, state = $5, updated_at = now()
		WHERE id = $1 AND user_id = $2 AND deployment_id IS NULL`, id, userID, title, step, []byte(state))
	if err != nil {
		return fmt.Errorf("saving draft %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.draftMissingOrDeployed(ctx, userID, id)
	}
	return nil
}

// DeleteDraft discards userID's draft id.
func (s *Store) DeleteDraft(ctx context.Context, userID, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM drafts WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("discarding draft %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("draft %d", id)
	}
	return nil
}

// MarkDraftDeployed returns an EnqueueFunc that records, inside the
// transaction creating deployment d, that userID's draft id became d. The
// UPDATE only matches a draft not yet deployed and row-locks it, so of two
// concurrent submits of one draft the second finds it deployed and its
// whole transaction (deployment and job included) rolls back with
// ErrDraftDeployed.
func MarkDraftDeployed(userID, id int64) ecsconsole.EnqueueFunc {
	return func(ctx context.Context, tx pgx.Tx, d ecsconsole.Deployment) error {
		tag, err := tx.Exec(ctx, `UPDATE drafts SET deployment_id = $3, step = 'review', updated_at = now()
			WHERE id = $1 AND user_id = $2 AND deployment_id IS NULL`, id, userID, d.ID)
		if err != nil {
			return fmt.Errorf("marking draft %d deployed: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return ErrDraftDeployed
		}
		return nil
	}
}

// draftMissingOrDeployed explains why an update matched no draft.
func (s *Store) draftMissingOrDeployed(ctx context.Context, userID, id int64) error {
	d, err := s.Draft(ctx, userID, id)
	if err != nil {
		return err
	}
	if d.Deployed() {
		return ErrDraftDeployed
	}
	return fmt.Errorf("draft %d changed while saving: %w", id, ecsconsole.ErrConflict)
}
