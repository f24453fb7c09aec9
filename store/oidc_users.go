package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// OIDCIdentity is who an OpenID Connect provider says signed in, after the
// provider's ID token was verified.
type OIDCIdentity struct {
	// Issuer and Subject identify the person for good (the token's iss and
	// sub): the user is linked by them, never by name.
	Issuer, Subject string
	// Name is the username wanted on first sign-in (preferred_username or
	// email); it is made to fit the username rules, and changed when taken.
	Name string
	// Role is what the provider's groups map to, set at every sign-in.
	Role Role
}

// OIDCSignIn is the outcome of SignInOIDC.
type OIDCSignIn struct {
	User User
	// Created is true on the identity's first sign-in.
	Created bool
	// Renamed is true when the wanted name was taken (by a local user or
	// another identity) and the user got a suffixed one instead.
	Renamed bool
}

// SignInOIDC returns the user linked to id's issuer and subject, creating
// it on first sign-in, and sets its role to id.Role (the provider's groups
// are re-read at every sign-in). A disabled user is returned unchanged and
// still disabled: the caller refuses it. A local user with the same name is
// never taken over: the new user gets the name with a suffix derived from
// the identity.
func (s *Store) SignInOIDC(ctx context.Context, id OIDCIdentity) (OIDCSignIn, error) {
	if id.Issuer == "" || id.Subject == "" || !id.Role.Valid() {
		return OIDCSignIn{}, fmt.Errorf("signing in %q from %q: incomplete identity", id.Subject, id.Issuer)
	}
	var out OIDCSignIn
	defer s.changes.wrote(Users)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// Two first sign-ins of one identity at once create one user.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ecsconsole.oidc:' || $1 || ' ' || $2))`, id.Issuer, id.Subject); err != nil {
			return err
		}
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE oidc_issuer = $1 AND oidc_subject = $2`, id.Issuer, id.Subject))
		switch {
		case err == nil:
			if !u.Disabled && u.Role != id.Role {
				if _, err := tx.Exec(ctx, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, u.ID, id.Role); err != nil {
					return err
				}
				u.Role = id.Role
			}
			out.User = u
			return nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		name := OIDCUsername(id.Name, id.Subject)
		for i, candidate := range []string{name, suffixed(name, id)} {
			u, err := scanUser(tx.QueryRow(ctx, `INSERT INTO users (username, password_hash, role, oidc_issuer, oidc_subject)
				VALUES ($1, '', $2, $3, $4) ON CONFLICT (username) DO NOTHING RETURNING `+userColumns,
				candidate, id.Role, id.Issuer, id.Subject))
			if errors.Is(err, pgx.ErrNoRows) {
				continue // taken
			}
			if err != nil {
				return err
			}
			out = OIDCSignIn{User: u, Created: true, Renamed: i > 0}
			return nil
		}
		return fmt.Errorf("usernames %q and %q are both taken: %w", name, suffixed(name, id), ecsconsole.ErrConflict)
	})
	if err != nil {
		return OIDCSignIn{}, fmt.Errorf("signing in %q from %s: %w", id.Subject, id.Issuer, err)
	}
	return out, nil
}

// OIDCUsername turns what a provider calls someone into a username that
// fits the users_username_format rule, leaving room for a suffix: lowercase,
// other characters as dashes, at most 56 characters. An empty or unusable
// name falls back to the subject.
func OIDCUsername(name, subject string) string {
	for _, s := range []string{name, subject, "user"} {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
				b.WriteRune(r)
			default:
				b.WriteByte('-')
			}
		}
		u := strings.TrimLeft(b.String(), "._-")
		if len(u) > 56 {
			u = u[:56]
		}
		if u != "" {
			return u
		}
	}
	return "user"
}

// suffixed is name with a suffix only this identity gets, for when name is
// taken: stable, so the same person always gets the same fallback.
func suffixed(name string, id OIDCIdentity) string {
	h := sha256.Sum256([]byte(id.Issuer + "\x00" + id.Subject))
	return name + "-" + hex.EncodeToString(h[:3])
}
