-- +goose Up
-- Deployments are never deleted: each row is one application of a spec, kept
-- whole so that history can show it and rollback can restore it.
CREATE TABLE deployments (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_key         text        NOT NULL, -- region/cluster/service
    region              text        NOT NULL,
    cluster             text        NOT NULL,
    service             text        NOT NULL,
    kind                text        NOT NULL DEFAULT 'deploy' CHECK (kind IN ('deploy', 'rollback')),
    rollback_of         bigint REFERENCES deployments (id),
    spec                jsonb       NOT NULL,
    -- The task definition exactly as registered (RegisterTaskDefinition
    -- input JSON), so a deregistered revision can be registered again.
    task_definition     jsonb,
    task_definition_arn text        NOT NULL DEFAULT '',
    status              text        NOT NULL DEFAULT 'queued' CHECK (status IN
        ('queued', 'running', 'waiting_for_dns', 'succeeded', 'failed', 'rolled_back_by_ecs', 'interrupted')),
    created_by_id       bigint REFERENCES users (id),
    created_by_name     text        NOT NULL,
    reason              text        NOT NULL DEFAULT '',
    error_step          text        NOT NULL DEFAULT '',
    error_code          text        NOT NULL DEFAULT '',
    error_message       text        NOT NULL DEFAULT '',
    outputs             jsonb       NOT NULL DEFAULT '{}',
    dns_validation      jsonb       NOT NULL DEFAULT '[]',
    created_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT deployments_rollback_of_kind CHECK ((kind = 'rollback') = (rollback_of IS NOT NULL))
);

-- At most one unfinished deployment per service: two people cannot deploy
-- the same service at once.
CREATE UNIQUE INDEX deployments_one_active_per_service ON deployments (service_key)
    WHERE status IN ('queued', 'running', 'waiting_for_dns');

-- Keyset pagination, newest first: per service, overall, and by status.
CREATE INDEX deployments_service_key_id_idx ON deployments (service_key, id DESC);
CREATE INDEX deployments_status_id_idx ON deployments (status, id DESC);
CREATE INDEX deployments_service_key_status_id_idx ON deployments (service_key, status, id DESC);
CREATE INDEX deployments_rollback_of_idx ON deployments (rollback_of) WHERE rollback_of IS NOT NULL;

-- One row per AWS mutation or wait of a deployment, written before and after
-- the call, so a resumed apply knows what an earlier attempt finished.
CREATE TABLE deployment_steps (
    deployment_id  bigint      NOT NULL REFERENCES deployments (id),
    name           text        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    action         text        NOT NULL DEFAULT '' CHECK (action IN ('', 'create', 'reuse', 'update', 'wait')),
    resource_arn   text        NOT NULL DEFAULT '',
    aws_request_id text        NOT NULL DEFAULT '',
    error_code     text        NOT NULL DEFAULT '',
    error_message  text        NOT NULL DEFAULT '',
    runs           integer     NOT NULL DEFAULT 0, -- how many times the step was started (resumes)
    calls          integer     NOT NULL DEFAULT 0, -- AWS operations made
    retries        integer     NOT NULL DEFAULT 0, -- extra attempts the SDK's retryer made (throttling)
    detail         jsonb       NOT NULL DEFAULT '{}',
    progress       text        NOT NULL DEFAULT '', -- a wait's latest observation, e.g. "1 of 2 tasks running"
    started_at     timestamptz,
    finished_at    timestamptz,
    PRIMARY KEY (deployment_id, name)
);

-- +goose Down
DROP TABLE deployment_steps;
DROP TABLE deployments;
