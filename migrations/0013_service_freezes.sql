-- +goose Up
-- A frozen service refuses deploys (not rollbacks) until someone unfreezes
-- it. One row per frozen service; unfreezing deletes it, and the audit
-- trail keeps who froze and unfroze what, and why.
CREATE TABLE service_freezes (
    service_key    text        PRIMARY KEY,
    reason         text        NOT NULL CHECK (reason <> '' AND length(reason) <= 500),
    frozen_by_id   bigint      REFERENCES users (id) ON DELETE SET NULL,
    frozen_by_name text        NOT NULL,
    frozen_at      timestamptz NOT NULL DEFAULT now(),
    -- The rollback that froze the service by itself (--freeze-after-rollback).
    after_rollback bigint      REFERENCES deployments (id)
);

-- The Services page shows freezes and caches what it read until the
-- services table changes (migration 0010): a freeze announces itself as a
-- change of services.
-- +goose StatementBegin
CREATE FUNCTION service_freezes_announce() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ecsconsole_changes', 'services');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER service_freezes_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON service_freezes
    FOR EACH STATEMENT EXECUTE FUNCTION service_freezes_announce();

-- +goose Down
DROP TRIGGER service_freezes_announce ON service_freezes;
DROP FUNCTION service_freezes_announce();
DROP TABLE service_freezes;
