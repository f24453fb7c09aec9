-- +goose Up
-- A wait's limit counts from when the wait began, and its poll interval
-- keeps growing, across work slices and crashes: both are stored on the
-- step (StartStep does not touch them, so a resumed step keeps them).
ALTER TABLE deployment_steps ADD COLUMN wait_started_at timestamptz;
ALTER TABLE deployment_steps ADD COLUMN poll_interval_ms bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE deployment_steps DROP COLUMN poll_interval_ms;
ALTER TABLE deployment_steps DROP COLUMN wait_started_at;
