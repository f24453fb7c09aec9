-- +goose Up
-- The history filters by service name (in any cluster or region), by who
-- deployed, by kind and by date; each keeps keyset pagination on id cheap.
CREATE INDEX deployments_service_id_idx ON deployments (service, id DESC);
CREATE INDEX deployments_created_by_name_id_idx ON deployments (created_by_name, id DESC);
CREATE INDEX deployments_kind_id_idx ON deployments (kind, id DESC);
-- A date range becomes an id range through this index (see store.ListDeployments).
CREATE INDEX deployments_created_at_idx ON deployments (created_at);

-- The images a deployment runs, for history rows, which do not read the spec.
ALTER TABLE deployments ADD COLUMN images jsonb
    GENERATED ALWAYS AS (COALESCE(jsonb_path_query_array(spec, '$.taskDefinition.containerDefinitions[*].image'), '[]')) STORED;

-- +goose Down
ALTER TABLE deployments DROP COLUMN images;
DROP INDEX deployments_created_at_idx;
DROP INDEX deployments_kind_id_idx;
DROP INDEX deployments_created_by_name_id_idx;
DROP INDEX deployments_service_id_idx;
