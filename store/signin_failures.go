package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// signInFailureRetention is how long failed sign-ins are kept; limits look
// back less far than this.
const signInFailureRetention = time.Hour

// SignInWait says how long until address (and, when username is not "",
// username from that address) has fewer than limit failed sign-ins within
// window: 0 when it has fewer already. Time is the database's, so every
// console on it agrees.
func (s *Store) SignInWait(ctx context.Context, address, username string, window time.Duration, limit int) (time.Duration, error) {
	sql := `SELECT extract(epoch FROM failed_at + $2::interval - now()) FROM signin_failures
		WHERE address = $1 AND failed_at > now() - $2::interval
		ORDER BY failed_at DESC OFFSET $3 LIMIT 1`
	address, username = storableText(address), storableText(username) // a NUL is a name nobody has
	args := []any{address, window, limit - 1}
	if username != "" {
		sql = `SELECT extract(epoch FROM failed_at + $2::interval - now()) FROM signin_failures
			WHERE username = $4 AND address = $1 AND failed_at > now() - $2::interval
			ORDER BY failed_at DESC OFFSET $3 LIMIT 1`
		args = append(args, username)
	}
	var secs float64
	err := s.pool.QueryRow(ctx, sql, args...).Scan(&secs)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading failed sign-ins: %w", err)
	}
	return max(time.Duration(secs*float64(time.Second)), time.Second), nil
}

// RecordSignInFailure records a failed sign-in, and forgets those older
// than an hour.
func (s *Store) RecordSignInFailure(ctx context.Context, address, username string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO signin_failures (address, username) VALUES ($1, $2)`, storableText(address), storableText(username)); err != nil {
			return fmt.Errorf("recording a failed sign-in: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signin_failures WHERE failed_at < now() - $1::interval`, signInFailureRetention); err != nil {
			return fmt.Errorf("forgetting old failed sign-ins: %w", err)
		}
		return nil
	})
}

// ClearSignInFailures forgets username's failures from address, after it
// signed in from there.
func (s *Store) ClearSignInFailures(ctx context.Context, address, username string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM signin_failures WHERE username = $1 AND address = $2`, storableText(username), storableText(address))
	if err != nil {
		return fmt.Errorf("clearing failed sign-ins: %w", err)
	}
	return nil
}
