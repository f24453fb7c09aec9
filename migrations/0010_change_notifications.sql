-- +goose Up
-- Every write to a table that pages show is announced on the channel
-- ecsconsole_changes, its payload the table's name, to every console on
-- the database (store.Store.Follow). A console keeps what it read until the
-- table changes, so that a page view does not have to ask Postgres again.
-- The notice is sent when the writing transaction commits, and once per
-- transaction and table however many rows it wrote.
-- +goose StatementBegin
CREATE FUNCTION ecsconsole_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ecsconsole_changes', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER deployments_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deployments
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();
CREATE TRIGGER deployment_steps_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deployment_steps
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();
CREATE TRIGGER services_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();
CREATE TRIGGER users_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();
CREATE TRIGGER sessions_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();
CREATE TRIGGER api_tokens_announce AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();
CREATE TRIGGER audit_events_announce AFTER INSERT OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION ecsconsole_announce_change();

-- +goose Down
DROP TRIGGER audit_events_announce ON audit_events;
DROP TRIGGER api_tokens_announce ON api_tokens;
DROP TRIGGER sessions_announce ON sessions;
DROP TRIGGER users_announce ON users;
DROP TRIGGER services_announce ON services;
DROP TRIGGER deployment_steps_announce ON deployment_steps;
DROP TRIGGER deployments_announce ON deployments;
DROP FUNCTION ecsconsole_announce_change();
