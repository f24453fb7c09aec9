package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// Role is what a user may do. Roles are ordered: each includes the ones before it.
type Role string

// The roles, weakest first.
const (
	RoleViewer   Role = "viewer"
	RoleDeployer Role = "deployer"
	RoleAdmin    Role = "admin"
)

// Roles lists every role, weakest first.
var Roles = []Role{RoleViewer, RoleDeployer, RoleAdmin}

func (r Role) rank() int {
	for i, x := range Roles {
		if x == r {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r includes min's rights.
func (r Role) AtLeast(min Role) bool { return r.Valid() && r.rank() >= min.rank() }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q: use viewer, deployer or admin", s)
	}
	return r, nil
}

// User is a person (or pipeline) who signs in.
type User struct {
	ID        int64
	Username  string
	Role      Role
	Disabled  bool
	CreatedAt time.Time
}

// usernamePattern matches the users_username_format check constraint.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 12

// ValidateNewUser returns a message for each problem with a new user's
// fields, keyed by field name; empty when all is well.
func ValidateNewUser(username string, role Role, password string) map[string]string {
	problems := map[string]string{}
	if !usernamePattern.MatchString(username) {
		problems["username"] = "Use 1–63 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit."
	}
	if !role.Valid() {
		problems["role"] = "Choose viewer, deployer or admin."
	}
	if len([]rune(password)) < MinPasswordLength {
		problems["password"] = fmt.Sprintf("Use at least %d characters.", MinPasswordLength)
	} else if len(password) > 1024 {
		problems["password"] = "Use at most 1024 bytes."
	}
	return problems
}

// ErrInvalidCredentials is returned by Authenticate for a wrong password, an
// unknown user and a disabled user alike, so callers cannot tell them apart.
var ErrInvalidCredentials = errors.New("invalid username or password")

const userColumns = `id, username, role, disabled, created_at`

func scanUser(row pgx.Row) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Username, &u.Role, &u.Disabled, &u.CreatedAt)
	return u, err
}

// CreateUser adds a user with a hashed password. A taken username wraps ErrConflict.
func (s *Store) CreateUser(ctx context.Context, username string, role Role, password string) (User, error) {
	if problems := ValidateNewUser(username, role, password); len(problems) > 0 {
		return User{}, &FieldErrors{Fields: problems}
	}
	hash, err := hashPassword(password)
	if err != nil {
		return User{}, fmt.Errorf("hashing password: %w", err)
	}
	defer s.changes.wrote(Users)
	u, err := scanUser(s.pool.QueryRow(ctx,
		`INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) RETURNING `+userColumns,
		username, hash, role))
	if isUniqueViolation(err, "users_username_key") {
		return User{}, fmt.Errorf("username %q is taken: %w", username, ecsconsole.ErrConflict)
	}
	if err != nil {
		return User{}, fmt.Errorf("creating user: %w", err)
	}
	return u, nil
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

// CreateFirstAdmin creates an admin named username only when there are no
// users at all; it reports whether it did. It is safe for several console
// processes starting at once: the check and insert share a transaction
// serialised by an advisory lock.
func (s *Store) CreateFirstAdmin(ctx context.Context, username, password string) (bool, error) {
	hash, err := hashPassword(password)
	if err != nil {
		return false, err
	}
	created := false
	defer s.changes.wrote(Users)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('ecsconsole.bootstrap'))`); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `INSERT INTO users (username, password_hash, role)
			SELECT $1, $2, 'admin' WHERE NOT EXISTS (SELECT 1 FROM users)`, username, hash)
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("creating first admin: %w", err)
	}
	return created, nil
}

// UserByID returns the user with id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, notFound("user %d", id)
	}
	return u, err
}

// UserByName returns the user named username.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE username = $1`, username))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, notFound("user %q", username)
	}
	return u, err
}

// ListUsers returns every user, by username.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY username`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) { return scanUser(r) })
}

// Authenticate returns the enabled user whose password matches, else
// ErrInvalidCredentials. An unknown name costs the same hashing time.
func (s *Store) Authenticate(ctx context.Context, username, password string) (User, error) {
	if !usernamePattern.MatchString(username) { // no such user can exist (and NUL is no SQL text)
		checkPassword(dummyHash(), password)
		return User{}, ErrInvalidCredentials
	}
	var u User
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE username = $1`, username).
		Scan(&u.ID, &u.Username, &u.Role, &u.Disabled, &u.CreatedAt, &hash)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && hash == "") {
		// Unknown, or a user of an OpenID Connect provider: no password
		// signs them in.
		checkPassword(dummyHash(), password)
		return User{}, ErrInvalidCredentials
	}
	if err != nil {
		return User{}, fmt.Errorf("looking up user: %w", err)
	}
	ok, err := checkPassword(hash, password)
	if err != nil {
		return User{}, fmt.Errorf("checking password of %q: %w", username, err)
	}
	if !ok || u.Disabled {
		return User{}, ErrInvalidCredentials
	}
	return u, nil
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, id int64, role Role) error {
	if !role.Valid() {
		return &FieldErrors{Fields: map[string]string{"role": "Choose viewer, deployer or admin."}}
	}
	return s.updateUser(ctx, id, `UPDATE users SET role = $2, updated_at = now() WHERE id = $1`, role)
}

// SetDisabled disables or re-enables a user; a disabled user's sessions and
// tokens stop working at once (the auth middleware checks the flag).
func (s *Store) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.updateUser(ctx, id, `UPDATE users SET disabled = $2, updated_at = now() WHERE id = $1`, disabled)
}

func (s *Store) updateUser(ctx context.Context, id int64, sql string, arg any) error {
	defer s.changes.wrote(Users)
	tag, err := s.pool.Exec(ctx, sql, id, arg)
	if err != nil {
		return fmt.Errorf("updating user %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("user %d", id)
	}
	return nil
}

// FieldErrors is invalid input, with a message per field safe to show.
type FieldErrors struct {
	Fields map[string]string
}

func (e *FieldErrors) Error() string {
	return fmt.Sprintf("invalid input: %v", e.Fields)
}

// ChangePassword sets a new password after checking the current one
// (ErrInvalidCredentials when it is wrong).
func (s *Store) ChangePassword(ctx context.Context, id int64, current, password string) error {
	u, err := s.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if _, err := s.Authenticate(ctx, u.Username, current); err != nil {
		return err
	}
	if problems := ValidateNewUser(u.Username, u.Role, password); problems["password"] != "" {
		return &FieldErrors{Fields: map[string]string{"password": problems["password"]}}
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return s.updateUser(ctx, id, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, hash)
}

// DeleteExpiredSessions removes sessions past their expiry; the session
// store ignores them already, this only keeps the table small.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE expiry < now()`)
	if tag.RowsAffected() > 0 || err != nil {
		s.changes.wrote(Sessions)
	}
	if err != nil {
		return 0, fmt.Errorf("deleting expired sessions: %w", err)
	}
	return tag.RowsAffected(), nil
}
