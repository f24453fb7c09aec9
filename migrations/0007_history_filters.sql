-- +goose Up
-- The history filters by service name (in any cluster or region), by who
-- deployed, by kind and by date; each keeps keyset pagination on id cheap.
CREATE INDEX deployments_service_id_idx ON deployments (service, id DESC);
CREATE INDEX deployments_created_by_name_id_idx ON deployments (created_by_name, id DESC);
CREATE INDEX deployments_kind_id_idx ON deployments (kind, id DESC);
-- A date range becomes an id range through this index (see store.ListDeployments).
CREATE INDEX deployments_created_at_idx ON deployments (created_at);

-- +goose Down
DROP INDEX deployments_created_at_idx;
DROP INDEX deployments_kind_id_idx;
DROP INDEX deployments_created_by_name_id_idx;
DROP INDEX deployments_service_id_idx;
