-- +goose Up
-- A user who signs in through an OpenID Connect provider is linked to the
-- provider's issuer and the subject it names them by, never by username:
-- a provider's "alice" does not become the local user alice. Such a user
-- has no password (an empty hash, which no password matches).
ALTER TABLE users ADD COLUMN oidc_issuer text;
ALTER TABLE users ADD COLUMN oidc_subject text;
ALTER TABLE users ADD CONSTRAINT users_oidc_identity_whole
    CHECK ((oidc_issuer IS NULL) = (oidc_subject IS NULL));
ALTER TABLE users ADD CONSTRAINT users_password_or_oidc
    CHECK (password_hash <> '' OR oidc_subject IS NOT NULL);
CREATE UNIQUE INDEX users_oidc_identity_key ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL;

-- +goose Down
DROP INDEX users_oidc_identity_key;
ALTER TABLE users DROP CONSTRAINT users_password_or_oidc;
ALTER TABLE users DROP CONSTRAINT users_oidc_identity_whole;
ALTER TABLE users DROP COLUMN oidc_subject;
ALTER TABLE users DROP COLUMN oidc_issuer;
