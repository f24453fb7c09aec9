-- +goose Up
-- Failed sign-ins, by address and username, so that every console on the
-- database limits sign-in attempts alike (handlers/ratelimit.go). Rows
-- older than an hour are deleted as new ones arrive.
CREATE TABLE signin_failures (
    id        bigserial   PRIMARY KEY,
    address   text        NOT NULL,
    username  text        NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_failures_address ON signin_failures (address, failed_at);
CREATE INDEX signin_failures_username_address ON signin_failures (username, address, failed_at);
CREATE INDEX signin_failures_failed_at ON signin_failures (failed_at);

-- +goose Down
DROP TABLE signin_failures;
