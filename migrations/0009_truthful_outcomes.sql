-- +goose Up
-- A deployment another one took over from is "superseded" (not "rolled
-- back by ECS"), and a step can record that it refused a resource it does
-- not own.
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check CHECK (status IN
    ('queued', 'running', 'waiting_for_dns', 'succeeded', 'failed', 'rolled_back_by_ecs', 'superseded', 'interrupted'));
ALTER TABLE deployment_steps DROP CONSTRAINT deployment_steps_action_check;
ALTER TABLE deployment_steps ADD CONSTRAINT deployment_steps_action_check CHECK (action IN
    ('', 'create', 'reuse', 'update', 'refuse', 'wait'));

-- +goose Down
ALTER TABLE deployment_steps DROP CONSTRAINT deployment_steps_action_check;
ALTER TABLE deployment_steps ADD CONSTRAINT deployment_steps_action_check CHECK (action IN
    ('', 'create', 'reuse', 'update', 'wait'));
ALTER TABLE deployments DROP CONSTRAINT deployments_status_check;
ALTER TABLE deployments ADD CONSTRAINT deployments_status_check CHECK (status IN
    ('queued', 'running', 'waiting_for_dns', 'succeeded', 'failed', 'rolled_back_by_ecs', 'interrupted'));
