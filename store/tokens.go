package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// APIToken is a bearer token's record. The secret itself is never stored:
// only its SHA-256 (tokens are 256 random bits, so a fast hash is enough).
type APIToken struct {
	ID         int64
	UserID     int64
	Username   string
	Name       string
	Prefix     string // the first characters, to recognise a token in lists
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// tokenPrefix marks ecsconsole tokens so secret scanners can find leaked ones.
const tokenPrefix = "ecsc_"

// newTokenSecret returns a fresh random token.
func newTokenSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// MaxTokenNameLength bounds a token's label.
const MaxTokenNameLength = 100

// tokenNameProblem says what is wrong with a token's label, "" if nothing.
func tokenNameProblem(name string) string {
	switch {
	case name == "":
		return "Give the token a name, e.g. github-actions."
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "Use letters, digits, spaces and punctuation: no control characters."
	case utf8.RuneCountInString(name) > MaxTokenNameLength:
		return fmt.Sprintf("Use at most %d characters.", MaxTokenNameLength)
	}
	return ""
}

// CreateToken makes a token for userID and returns its record and its
// secret, which is shown once and never again.
func (s *Store) CreateToken(ctx context.Context, userID int64, name string) (APIToken, string, error) {
	name = strings.TrimSpace(name)
	if problem := tokenNameProblem(name); problem != "" {
		return APIToken{}, "", &FieldErrors{Fields: map[string]string{"name": problem}}
	}
	secret, err := newTokenSecret()
	if err != nil {
		return APIToken{}, "", err
	}
	var t APIToken
	defer s.changes.wrote(APITokens)
	err = s.pool.QueryRow(ctx, `
		INSERT INTO api_tokens (user_id, name, token_hash, prefix)
		SELECT id, $2, $3, $4 FROM users WHERE id = $1
		RETURNING id, user_id, (SELECT username FROM users WHERE id = $1), name, prefix, created_at`,
		userID, name, hashToken(secret), secret[:len(tokenPrefix)+6]).
		Scan(&t.ID, &t.UserID, &t.Username, &t.Name, &t.Prefix, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return APIToken{}, "", notFound("user %d", userID)
	}
	if err != nil {
		return APIToken{}, "", fmt.Errorf("creating token: %w", err)
	}
	return t, secret, nil
}

const tokenColumns = `t.id, t.user_id, u.username, t.name, t.prefix, t.created_at, t.last_used_at, t.revoked_at`

func scanToken(row pgx.Row) (APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.UserID, &t.Username, &t.Name, &t.Prefix, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	return t, err
}

// ListTokens returns a user's tokens, newest first, revoked ones included.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]APIToken, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.user_id = $1 ORDER BY t.id DESC`, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIToken, error) { return scanToken(r) })
}

// TokenByID returns one token's record.
func (s *Store) TokenByID(ctx context.Context, id int64) (APIToken, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return APIToken{}, notFound("token %d", id)
	}
	return t, err
}

// RevokeToken revokes a token; revoking twice is harmless.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	defer s.changes.wrote(APITokens)
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("revoking token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("token %d", id)
	}
	return nil
}

// TokenUseResolution is how coarsely a token's last use is recorded: at
// most one write per token per 5 minutes, so that API calls and a
// pipeline's polling do not write on every request. last_used_at only
// informs people ("last used"); whether a token works is decided on every
// request from revoked_at and the user's disabled flag, as last written
// (see UserByToken).
const TokenUseResolution = 5 * time.Minute

// tokenUse is a live token as read: its enabled user and last recorded use.
type tokenUse struct {
	user     User
	tokenID  int64
	lastUsed *time.Time
}

// UserByToken returns the enabled user a live token belongs to and records
// the use (coarsely, see TokenUseResolution), or ErrInvalidCredentials.
// The token is read again after a console writes a token or a user
// (NewReadCache), and at least every RevocationBound: revoking it or
// disabling its user takes effect at once here, on every other console as
// soon as Postgres delivers the notice, and within RevocationBound however
// late the notice is.
func (s *Store) UserByToken(ctx context.Context, secret string) (User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return User{}, ErrInvalidCredentials
	}
	hash := hashToken(secret)
	t, err := s.tokens.Get(ctx, string(hash), func(ctx context.Context) (tokenUse, error) {
		var t tokenUse
		err := s.pool.QueryRow(ctx, `
			SELECT u.id, u.username, u.role, u.disabled, u.created_at, t.id, t.last_used_at
			FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled`, hash).
			Scan(&t.user.ID, &t.user.Username, &t.user.Role, &t.user.Disabled, &t.user.CreatedAt, &t.tokenID, &t.lastUsed)
		return t, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("looking up token: %w", err)
	}
	if t.lastUsed == nil || t.lastUsed.Before(time.Now().Add(-TokenUseResolution)) {
		defer s.changes.wrote(APITokens)
		if _, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, t.tokenID); err != nil {
			return User{}, fmt.Errorf("recording token use: %w", err)
		}
	}
	return t.user, nil
}
