-- Seeds a benchmark database: :n deployments over :services services (50
-- clusters), all finished, each with the journey spec, a URL and its (empty)
-- changes against the deployment of its service before it.
--   psql URL -v spec="$(jq -c . deploy/testdata/spec-journey.json)" -v n=1000000 -v services=1000 -f e2e/bench-seed.sql
INSERT INTO users (username, password_hash, role) VALUES ('seed', 'x', 'viewer');
INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, outputs, finished_at, reason, spec_changes)
SELECT 'us-east-1/c' || (i % 50) || '/s' || (i % :services), 'us-east-1', 'c' || (i % 50), 's' || (i % :services), :'spec'::jsonb,
       (ARRAY['succeeded', 'failed', 'rolled_back_by_ecs', 'interrupted'])[1 + (i % 4)], 'seed',
       '{"url": "https://app.example.com"}', now(), 'release ' || i,
       jsonb_build_object('previous', CASE WHEN i > :services THEN i - :services ELSE 0 END, 'changes', '[]'::jsonb)
FROM generate_series(1, :n) i;
ANALYZE deployments;
-- An audit trail of 100,000 events for the audit page.
INSERT INTO audit_events (actor, action, target, ip, detail)
SELECT 'seed', 'deployment.create', 'us-east-1/c' || (i % 50) || '/s' || (i % :services), '127.0.0.1', jsonb_build_object('deployment_id', i)
FROM generate_series(1, 100000) i;
ANALYZE audit_events;
