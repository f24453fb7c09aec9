-- +goose Up
-- One row per deployed service: its latest deployment and the latest that
-- succeeded (what runs now). Kept by a trigger on deployments, so the
-- services page reads one short table however long the history grows.
CREATE TABLE services (
    service_key           text   PRIMARY KEY,
    latest_deployment_id  bigint NOT NULL REFERENCES deployments (id),
    serving_deployment_id bigint REFERENCES deployments (id)
);

INSERT INTO services (service_key, latest_deployment_id, serving_deployment_id)
SELECT service_key, max(id), max(id) FILTER (WHERE status = 'succeeded')
FROM deployments GROUP BY service_key;

-- +goose StatementBegin
CREATE FUNCTION deployments_track_service() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO services AS s (service_key, latest_deployment_id, serving_deployment_id)
    VALUES (NEW.service_key, NEW.id, CASE WHEN NEW.status = 'succeeded' THEN NEW.id END)
    ON CONFLICT (service_key) DO UPDATE SET
        latest_deployment_id  = greatest(s.latest_deployment_id, EXCLUDED.latest_deployment_id),
        serving_deployment_id = CASE
            WHEN EXCLUDED.serving_deployment_id IS NULL THEN s.serving_deployment_id
            ELSE greatest(s.serving_deployment_id, EXCLUDED.serving_deployment_id)
        END;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER deployments_track_service
    AFTER INSERT OR UPDATE OF status ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_track_service();

-- +goose Down
DROP TRIGGER deployments_track_service ON deployments;
DROP FUNCTION deployments_track_service();
DROP TABLE services;
