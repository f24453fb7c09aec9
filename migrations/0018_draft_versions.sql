-- +goose Up
-- A draft's version counts its saves, so that a form rendered from an older
-- save (the browser's Back, a page kept in the back/forward cache, a second
-- tab) cannot overwrite a newer one: the wizard posts the version it was
-- rendered at and the save only matches that version.
ALTER TABLE drafts ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE drafts DROP COLUMN version;
