package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// Freeze says that a service refuses deploys, and why: after a bad
// release a team freezes the service so that a pipeline cannot deploy over
// the rollback. A rollback is still allowed.
type Freeze struct {
	ServiceKey string
	Reason     string
	FrozenByID int64 // 0 when the user is gone
	FrozenBy   string
	FrozenAt   time.Time
	// AfterRollback is the rollback that froze the service by itself
	// (SetFreezeAfterRollback); 0 when a person froze it.
	AfterRollback int64
}

// MaxFreezeReason bounds a freeze's reason, in characters (the column's
// check constraint).
const MaxFreezeReason = 500

// ErrFrozen is matched (errors.Is) by every *FrozenError.
var ErrFrozen = errors.New("service is frozen")

// FrozenError refuses a deploy of a frozen service.
type FrozenError struct {
	Freeze Freeze
}

// Error names the freeze: why, by whom, since when.
func (e *FrozenError) Error() string {
	return fmt.Sprintf("%s is frozen since %s by %s: %s", e.Freeze.ServiceKey,
		e.Freeze.FrozenAt.UTC().Format(time.RFC3339), e.Freeze.FrozenBy, e.Freeze.Reason)
}

// Unwrap makes the error match ErrFrozen.
func (e *FrozenError) Unwrap() error { return ErrFrozen }

// SetFreezeAfterRollback makes every rollback created by a console user
// freeze its service in the same transaction (unless it is frozen
// already), as Render disables auto-deploy after a dashboard rollback.
// Call it before serving; it is off by default.
func (s *Store) SetFreezeAfterRollback(on bool) { s.freezeAfterRollback = on }

// FreezeRequest is who freezes a service, and why.
type FreezeRequest struct {
	ServiceKey string
	Reason     string
	UserID     int64
	Username   string
	IP         string // for the audit trail
}

// FreezeService freezes a service that has deployments, replacing the
// reason of an earlier freeze, and audits it in the same transaction. A
// deployment already queued or running goes on; later deploys are refused
// with a *FrozenError until UnfreezeService.
func (s *Store) FreezeService(ctx context.Context, req FreezeRequest) (Freeze, error) {
	reason := strings.TrimSpace(req.Reason)
	switch {
	case reason == "":
		return Freeze{}, &FieldErrors{Fields: map[string]string{"reason": "Say why the service is frozen: the people it stops read it."}}
	case len([]rune(reason)) > MaxFreezeReason:
		return Freeze{}, &FieldErrors{Fields: map[string]string{"reason": fmt.Sprintf("Keep the reason under %d characters.", MaxFreezeReason)}}
	}
	var f Freeze
	defer s.changes.wrote(Services, AuditEvents)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockServiceFreeze(ctx, tx, req.ServiceKey); err != nil {
			return err
		}
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM services WHERE service_key = $1)`, req.ServiceKey).Scan(&known); err != nil {
			return fmt.Errorf("looking up service %s: %w", req.ServiceKey, err)
		}
		if !known {
			return notFound("service %s", req.ServiceKey)
		}
		rows, err := tx.Query(ctx, `INSERT INTO service_freezes (service_key, reason, frozen_by_id, frozen_by_name)
			VALUES ($1, $2, NULLIF($3, 0), $4)
			ON CONFLICT (service_key) DO UPDATE SET reason = EXCLUDED.reason, frozen_by_id = EXCLUDED.frozen_by_id,
				frozen_by_name = EXCLUDED.frozen_by_name, frozen_at = now(), after_rollback = NULL
			RETURNING `+freezeColumns, req.ServiceKey, storableText(reason), req.UserID, req.Username)
		if err != nil {
			return fmt.Errorf("freezing %s: %w", req.ServiceKey, err)
		}
		if f, err = pgx.CollectExactlyOneRow(rows, scanFreeze); err != nil {
			return fmt.Errorf("freezing %s: %w", req.ServiceKey, err)
		}
		return auditTx(ctx, tx, AuditEvent{Actor: req.Username, Action: "service.freeze", Target: req.ServiceKey,
			IP: req.IP, Detail: map[string]any{"reason": f.Reason}})
	})
	return f, err
}

// UnfreezeService lets a service deploy again and audits it. It reports
// whether the service was frozen; unfreezing one that is not changes and
// audits nothing.
func (s *Store) UnfreezeService(ctx context.Context, serviceKey string, userID int64, username, ip string) (bool, error) {
	var was bool
	defer s.changes.wrote(Services, AuditEvents)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockServiceFreeze(ctx, tx, serviceKey); err != nil {
			return err
		}
		var reason string
		err := tx.QueryRow(ctx, `DELETE FROM service_freezes WHERE service_key = $1 RETURNING reason`, serviceKey).Scan(&reason)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("unfreezing %s: %w", serviceKey, err)
		}
		was = true
		return auditTx(ctx, tx, AuditEvent{Actor: username, Action: "service.unfreeze", Target: serviceKey,
			IP: ip, Detail: map[string]any{"reason": reason}})
	})
	return was, err
}

// ServiceFreeze returns the freeze of serviceKey, or an error wrapping
// ErrNotFound when it is not frozen.
func (s *Store) ServiceFreeze(ctx context.Context, serviceKey string) (Freeze, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+freezeColumns+` FROM service_freezes WHERE service_key = $1`, serviceKey)
	if err != nil {
		return Freeze{}, fmt.Errorf("reading freeze of %s: %w", serviceKey, err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFreeze)
	if errors.Is(err, pgx.ErrNoRows) {
		return Freeze{}, notFound("freeze of %s", serviceKey)
	}
	if err != nil {
		return Freeze{}, fmt.Errorf("reading freeze of %s: %w", serviceKey, err)
	}
	return f, nil
}

// Freezes returns the freezes of those of keys that are frozen, by key:
// one query for a page of services.
func (s *Store) Freezes(ctx context.Context, keys []string) (map[string]Freeze, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+freezeColumns+` FROM service_freezes WHERE service_key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("reading freezes: %w", err)
	}
	fs, err := pgx.CollectRows(rows, scanFreeze)
	if err != nil {
		return nil, fmt.Errorf("reading freezes: %w", err)
	}
	out := make(map[string]Freeze, len(fs))
	for _, f := range fs {
		out[f.ServiceKey] = f
	}
	return out, nil
}

const freezeColumns = `service_key, reason, COALESCE(frozen_by_id, 0), frozen_by_name, frozen_at, COALESCE(after_rollback, 0)`

func scanFreeze(row pgx.CollectableRow) (Freeze, error) {
	var f Freeze
	err := row.Scan(&f.ServiceKey, &f.Reason, &f.FrozenByID, &f.FrozenBy, &f.FrozenAt, &f.AfterRollback)
	return f, err
}

// lockServiceFreeze serializes, per service, freezing and creating a
// deployment: each takes this lock before reading or writing the freeze,
// so a deploy racing a freeze either commits before it or sees it. (A row
// lock would not do: there is no row to lock before the first freeze.)
func lockServiceFreeze(ctx context.Context, tx pgx.Tx, serviceKey string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('service_freeze:' || $1, 0))`, serviceKey); err != nil {
		return fmt.Errorf("locking the freeze of %s: %w", serviceKey, err)
	}
	return nil
}

// checkFreeze runs in the transaction that creates nd: a deploy of a
// frozen service is refused with a *FrozenError; a rollback goes on, and
// with freezeAfterRollback, a rollback by a console user freezes the
// service (audited in the same transaction).
func (s *Store) checkFreeze(ctx context.Context, tx pgx.Tx, nd ecsconsole.NewDeployment) error {
	if err := lockServiceFreeze(ctx, tx, nd.ServiceKey); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT `+freezeColumns+` FROM service_freezes WHERE service_key = $1`, nd.ServiceKey)
	if err != nil {
		return fmt.Errorf("reading freeze of %s: %w", nd.ServiceKey, err)
	}
	f, err := pgx.CollectExactlyOneRow(rows, scanFreeze)
	switch {
	case err == nil && nd.Kind != ecsconsole.KindRollback:
		return &FrozenError{Freeze: f}
	case err != nil && !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("reading freeze of %s: %w", nd.ServiceKey, err)
	}
	return nil
}

// freezeAfter freezes the service of rollback d when SetFreezeAfterRollback
// is on and a console user asked for it; a service already frozen keeps
// its freeze and reason.
func (s *Store) freezeAfter(ctx context.Context, tx pgx.Tx, d ecsconsole.Deployment) error {
	if !s.freezeAfterRollback || d.Kind != ecsconsole.KindRollback || d.CreatedByID == 0 {
		return nil
	}
	reason := fmt.Sprintf("Frozen automatically after %s rolled back to deployment #%d (rollback #%d).", d.CreatedBy, d.RollbackOf, d.ID)
	tag, err := tx.Exec(ctx, `INSERT INTO service_freezes (service_key, reason, frozen_by_id, frozen_by_name, after_rollback)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service_key) DO NOTHING`,
		d.ServiceKey, reason, d.CreatedByID, d.CreatedBy, d.ID)
	if err != nil {
		return fmt.Errorf("freezing %s after rollback %d: %w", d.ServiceKey, d.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return nil
	}
	return auditTx(ctx, tx, AuditEvent{Actor: d.CreatedBy, Action: "service.freeze", Target: d.ServiceKey,
		Detail: map[string]any{"reason": reason, "automatic": true, "deployment_id": d.ID}})
}
