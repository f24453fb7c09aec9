-- +goose Up
-- Sessions keep their absolute deadline beside the idle expiry, so that the
-- idle clock can be recorded coarsely (store.SessionStore) instead of on
-- every request.
ALTER TABLE sessions ADD COLUMN deadline timestamptz;
-- The signed-in user, so that a request reads its session and user in one
-- query. Not a foreign key: a session whose user_id is NULL (stored before)
-- or names no user is read as before, its user looked up by id.
ALTER TABLE sessions ADD COLUMN user_id bigint;

-- A deployment's changes against the one before it on the same service,
-- computed once when it is created (deploy.Diff) instead of on every view.
-- NULL for deployments stored before this column: computed on view.
ALTER TABLE deployments ADD COLUMN spec_changes jsonb;

-- +goose Down
ALTER TABLE deployments DROP COLUMN spec_changes;
ALTER TABLE sessions DROP COLUMN user_id;
ALTER TABLE sessions DROP COLUMN deadline;
