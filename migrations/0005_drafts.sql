-- +goose Up
-- A wizard in progress: one person's deployment being put together step by
-- step, kept so that they can leave and resume. state is the wizard's form
-- state (what was typed, valid or not); deployment_id is set once, in the
-- transaction that creates the deployment, so a draft deploys at most once.
CREATE TABLE drafts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id       bigint      NOT NULL REFERENCES users (id),
    title         text        NOT NULL DEFAULT '',
    step          text        NOT NULL DEFAULT 'taskdef',
    state         jsonb       NOT NULL,
    deployment_id bigint      UNIQUE REFERENCES deployments (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX drafts_user_id_idx ON drafts (user_id, updated_at DESC);

-- A deployed draft is frozen: its state and its deployment never change.
-- +goose StatementBegin
CREATE FUNCTION drafts_freeze_deployed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.deployment_id IS NOT NULL THEN
        RAISE EXCEPTION 'draft % was deployed as deployment %', OLD.id, OLD.deployment_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'drafts_deployed_once';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER drafts_freeze_deployed BEFORE UPDATE ON drafts
    FOR EACH ROW EXECUTE FUNCTION drafts_freeze_deployed();

-- +goose Down
DROP TABLE drafts;
DROP FUNCTION drafts_freeze_deployed();
