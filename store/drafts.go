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
	// Step is the wizard step the user was last on, where resuming starts.
	Step string
	// Version counts the draft's saves: a save names the version it was
	// made from and is refused (ErrDraftStale) when the draft moved on.
	Version int64
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

// ErrDraftStale is returned (wrapping ErrConflict) when a save names a
// version of the draft that a later save replaced.
var ErrDraftStale = fmt.Errorf("the draft was saved since this form was shown: %w", ecsconsole.ErrConflict)

// MaxDraftState bounds a draft's state; the wizard's forms are far smaller.
const MaxDraftState = 512 << 10

// MaxDraftsListed bounds ListDrafts.
const MaxDraftsListed = 50

const draftColumns = `id, user_id, title, step, version, state, COALESCE(deployment_id, 0), created_at, updated_at`

func scanDraft(row pgx.CollectableRow) (Draft, error) {
	var d Draft
	err := row.Scan(&d.ID, &d.UserID, &d.Title, &d.Step, &d.Version, &d.State, &d.DeploymentID, &d.CreatedAt, &d.UpdatedAt)
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

// SaveDraft replaces the state of userID's draft id, whatever its version,
// and returns the new version. A deployed draft is frozen: saving it
// yields ErrDraftDeployed.
func (s *Store) SaveDraft(ctx context.Context, userID, id int64, title, step string, state json.RawMessage) (int64, error) {
	return s.SaveDraftAt(ctx, userID, id, 0, title, step, state)
}

// SaveDraftAt is SaveDraft for a form rendered at version: when the draft
// was saved since (its version is not version), nothing is written and
// the error is ErrDraftStale. Version 0 saves whatever the version.
func (s *Store) SaveDraftAt(ctx context.Context, userID, id, version int64, title, step string, state json.RawMessage) (int64, error) {
	if len(state) > MaxDraftState {
		return 0, fmt.Errorf("draft state is %d bytes, over %d", len(state), MaxDraftState)
	}
	var next int64
	err := s.pool.QueryRow(ctx, `UPDATE drafts SET title = $3, step = $4, state = $5, version = version + 1, updated_at = now()
		WHERE id = $1 AND user_id = $2 AND deployment_id IS NULL AND ($6 = 0 OR version = $6)
		RETURNING version`, id, userID, title, step, []byte(state), version).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, s.draftMissingOrDeployed(ctx, userID, id)
	}
	if err != nil {
		return 0, fmt.Errorf("saving draft %d: %w", id, err)
	}
	return next, nil
}

// SetDraftStep records the step userID is on in draft id, where resuming
// starts; it is not a save (the version stays). A deployed draft keeps
// its step.
func (s *Store) SetDraftStep(ctx context.Context, userID, id int64, step string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE drafts SET step = $3
		WHERE id = $1 AND user_id = $2 AND deployment_id IS NULL AND step <> $3`, id, userID, step); err != nil {
		return fmt.Errorf("recording the step of draft %d: %w", id, err)
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
	return ErrDraftStale
}
