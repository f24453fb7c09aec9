-- +goose Up
-- The audit trail's filters (who, which action) page newest first; each
-- gets an index that serves "WHERE … ORDER BY id DESC" without a sort.
-- The date range uses audit_events_at_idx.
CREATE INDEX audit_events_actor_idx ON audit_events (actor, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action text_pattern_ops, id DESC);

-- +goose Down
DROP INDEX audit_events_action_idx;
DROP INDEX audit_events_actor_idx;
