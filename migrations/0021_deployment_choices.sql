-- +goose Up
-- The diff page's "compare with" picker lists a service's latest 100
-- deployments by number, outcome, time and author. With these columns in
-- the index that orders them, the list is read from the index alone (an
-- index-only scan): at 1,000,000 deployments the service's rows lie on
-- 100 different table pages, which the picker read one by one before.
-- Every column included is short (a status, a timestamp, a username of at
-- most 63 characters), so no index entry nears the B-tree's size limit.
-- The index replaces deployments_service_key_id_idx, whose order it keeps.
CREATE INDEX deployments_service_key_id_choices_idx ON deployments (service_key, id DESC)
    INCLUDE (status, created_at, created_by_name);
DROP INDEX deployments_service_key_id_idx;

-- +goose Down
CREATE INDEX deployments_service_key_id_idx ON deployments (service_key, id DESC);
DROP INDEX deployments_service_key_id_choices_idx;
