package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// AuditEvent is one entry of the append-only audit trail.
type AuditEvent struct {
	ID     int64
	At     time.Time
	Actor  string // username, or "system", or the name tried at a failed login
	Action string // e.g. "login.success", "user.create", "token.revoke"
	Target string
	IP     string
	Detail map[string]any
}

// Audit appends an event. The application never updates or deletes these
// rows, and the database refuses to (a trigger).
func (s *Store) Audit(ctx context.Context, e AuditEvent) error {
	defer s.changes.wrote(AuditEvents)
	return auditTx(ctx, s.pool, e)
}

// auditTx appends e through q: the pool, or the transaction of the change
// it records, so that the change and its event commit together.
func auditTx(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, e AuditEvent) error {
	detail, err := json.Marshal(e.Detail)
	if err != nil {
		return fmt.Errorf("encoding audit detail: %w", err)
	}
	if e.Detail == nil {
		detail = []byte("{}")
	}
	// Who and what come from requests (a refused sign-in's username): text
	// Postgres cannot store (NUL, invalid UTF-8) must not lose the event.
	_, err = q.Exec(ctx, `INSERT INTO audit_events (actor, action, target, ip, detail) VALUES ($1, $2, $3, $4, $5)`,
		storableText(e.Actor), e.Action, storableText(e.Target), storableText(e.IP), detail)
	if err != nil {
		return fmt.Errorf("writing audit event %s: %w", e.Action, err)
	}
	return nil
}

// ListAudit returns up to limit events older than beforeID (0: newest), newest first.
func (s *Store) ListAudit(ctx context.Context, beforeID int64, limit int) ([]AuditEvent, error) {
	// Two statements, not "$1 = 0 OR id < $1": a generic plan of that would
	// scan from the newest event down to the page asked for.
	sql := `SELECT id, at, actor, action, target, ip, detail FROM audit_events ORDER BY id DESC LIMIT $1`
	args := []any{limit}
	if beforeID > 0 {
		sql = `SELECT id, at, actor, action, target, ip, detail FROM audit_events WHERE id < $2 ORDER BY id DESC LIMIT $1`
		args = append(args, beforeID)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.IP, &e.Detail)
		return e, err
	})
}

// storableText is s as Postgres text can hold it: invalid UTF-8 and NUL
// become U+FFFD.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
