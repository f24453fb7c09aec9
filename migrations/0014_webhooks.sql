-- +goose Up
-- Webhooks post deployment events to a chat channel or any receiver. The
-- secret signs every request (HMAC-SHA256), so the console must keep it
-- as it is: it is shown once when made, never again, and never logged.
CREATE TABLE webhooks (
    id              bigserial   PRIMARY KEY,
    name            text        NOT NULL CHECK (name <> '' AND length(name) <= 100),
    url             text        NOT NULL CHECK (url <> '' AND length(url) <= 2000),
    -- Service keys (region/cluster/service) or bare service names; empty: every service.
    services        text[]      NOT NULL DEFAULT '{}',
    events          text[]      NOT NULL CHECK (cardinality(events) > 0),
    format          text        NOT NULL CHECK (format IN ('slack', 'json')),
    secret          text        NOT NULL,
    created_by_name text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per event a webhook is to receive: written in the transaction
-- that changed the deployment, with the job that delivers it, and updated
-- by every attempt. Its id is the idempotency key receivers dedupe on.
CREATE TABLE webhook_deliveries (
    id            bigserial   PRIMARY KEY,
    webhook_id    bigint      NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event         text        NOT NULL,
    deployment_id bigint      REFERENCES deployments (id),
    -- What the deployment was when the event happened, so that a delivery
    -- sent late still says what happened then.
    snapshot      jsonb       NOT NULL,
    status        text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts      integer     NOT NULL DEFAULT 0,
    status_code   integer     NOT NULL DEFAULT 0,
    last_error    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    attempted_at  timestamptz,
    delivered_at  timestamptz
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id DESC);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
