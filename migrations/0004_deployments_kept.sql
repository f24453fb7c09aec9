-- +goose Up
-- Deployments and their steps are history: the database refuses to delete
-- them, as it refuses to change the audit trail.
-- +goose StatementBegin
CREATE FUNCTION history_is_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never deleted', TG_TABLE_NAME;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER deployments_kept BEFORE DELETE OR TRUNCATE ON deployments
    FOR EACH STATEMENT EXECUTE FUNCTION history_is_kept();
CREATE TRIGGER deployment_steps_kept BEFORE DELETE OR TRUNCATE ON deployment_steps
    FOR EACH STATEMENT EXECUTE FUNCTION history_is_kept();

-- +goose Down
DROP TRIGGER deployment_steps_kept ON deployment_steps;
DROP TRIGGER deployments_kept ON deployments;
DROP FUNCTION history_is_kept();
