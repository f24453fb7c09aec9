-- +goose Up
-- A session is found by the SHA-256 of its cookie value, never by the value
-- itself: a copy of this table (a backup, a replica, a support dump) signs
-- no one in. Sessions signed in before this migration are kept: their
-- tokens are hashed here exactly as store.SessionStore hashes a cookie
-- (sha256 of the token's UTF-8 bytes), so nobody is signed out, and the
-- clear column is dropped.
ALTER TABLE sessions ADD COLUMN token_hash bytea;
UPDATE sessions SET token_hash = sha256(convert_to(token, 'UTF8'));
ALTER TABLE sessions DROP COLUMN token;
ALTER TABLE sessions ALTER COLUMN token_hash SET NOT NULL;
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (token_hash);
ALTER TABLE sessions ADD CONSTRAINT sessions_token_hash_length CHECK (octet_length(token_hash) = 32);

-- +goose Down
-- A hash cannot be turned back into a cookie: going down ends every session.
DELETE FROM sessions;
ALTER TABLE sessions DROP CONSTRAINT sessions_token_hash_length;
ALTER TABLE sessions DROP CONSTRAINT sessions_pkey;
ALTER TABLE sessions DROP COLUMN token_hash;
ALTER TABLE sessions ADD COLUMN token text PRIMARY KEY;
