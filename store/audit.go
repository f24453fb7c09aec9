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
	// Read with the event by ListAuditFiltered: the actor's user id (0 if
	// none has the name) and the deployment the event is about.
	ActorID    int64
	TargetID   int64 // the user named by Target, 0 if none
	Deployment *AuditDeployment
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

// AuditFilter narrows ListAuditFiltered; zero fields match everything.
type AuditFilter struct {
	Actor string // the username, exactly
	// Action is an action ("login.success") or a family of them
	// ("deployment", matching every "deployment.…").
	Action string
	// Since and Until bound at: Since <= at < Until.
	Since, Until time.Time
}

// AuditDeployment is what an event about a deployment names of it, read
// with the event so the trail can say "dora deployed php-app #7: bump PHP".
type AuditDeployment struct {
	ID      int64
	Service string
	Kind    string
	Reason  string
}

// AuditReads are the tables ListAudit depends on.
const AuditReads = Reads(1 << AuditEvents)

// ListAudit returns up to limit events older than beforeID (0: newest), newest first.
func (s *Store) ListAudit(ctx context.Context, beforeID int64, limit int) ([]AuditEvent, error) {
	return s.ListAuditFiltered(ctx, AuditFilter{}, beforeID, limit)
}

// ListAuditFiltered returns up to limit events matching f older than
// beforeID (0: newest), newest first, each with the actor's user id (0 when
// no user has that name) and the deployment it is about, if any.
func (s *Store) ListAuditFiltered(ctx context.Context, f AuditFilter, beforeID int64, limit int) ([]AuditEvent, error) {
	// Only the conditions in use go into the statement (not "$1 = 0 OR
	// id < $1"): a generic plan of that would scan from the newest event
	// down to the page asked for.
	args := []any{limit}
	var where []string
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if beforeID > 0 {
		add("a.id < $%d", beforeID)
	}
	if f.Actor != "" {
		add("a.actor = $%d", f.Actor)
	}
	switch {
	case strings.Contains(f.Action, "."):
		add("a.action = $%d", f.Action)
	case f.Action != "":
		add("a.action LIKE $%d", f.Action+".%")
	}
	if !f.Since.IsZero() {
		add("a.at >= $%d", f.Since)
	}
	if !f.Until.IsZero() {
		add("a.at < $%d", f.Until)
	}
	// The deployment is joined by its primary key, cast to bigint only
	// when the detail holds a plain id (events are written by this code,
	// but a cast that can fail must not make the whole trail unreadable).
	sql := `SELECT a.id, a.at, a.actor, a.action, a.target, a.ip, a.detail, COALESCE(u.id, 0), COALESCE(t.id, 0),
			COALESCE(d.id, 0), COALESCE(d.service, ''), COALESCE(d.kind, ''), COALESCE(d.reason, '')
		FROM audit_events a
		LEFT JOIN users u ON u.username = a.actor
		LEFT JOIN users t ON t.username = a.target
		LEFT JOIN deployments d ON d.id = CASE WHEN (a.detail->>'deployment_id') ~ '^[0-9]{1,18}$'
			THEN (a.detail->>'deployment_id')::bigint END`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY a.id DESC LIMIT $1"
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit events: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		var dep AuditDeployment
		err := r.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.Target, &e.IP, &e.Detail, &e.ActorID, &e.TargetID,
			&dep.ID, &dep.Service, &dep.Kind, &dep.Reason)
		if dep.ID != 0 {
			e.Deployment = &dep
		}
		return e, err
	})
}

// storableText is s as Postgres text can hold it: invalid UTF-8 and NUL
// become U+FFFD.
func storableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
