package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// stalledAndHealthy opens two consoles on one database: the first one's
// listener has stalled without a word (it believes it follows, and hears
// nothing: store.Deafen), the second one's is fine.
func stalledAndHealthy(t *testing.T) (stalled, healthy *store.Store) {
	t.Helper()
	url := storetest.NewURL(t)
	open := func() *store.Store {
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return store.New(pool)
	}
	stalled, healthy = open(), open()
	store.Deafen(stalled)
	storetest.Follow(t, healthy)
	return stalled, healthy
}

// untilRevoked waits until at most store.RevocationBound after since and
// then requires accepted to say no: a console whose listener stalled lets
// a revoked credential in no longer than the bound.
func untilRevoked(t *testing.T, what string, since time.Time, accepted func() bool) {
	t.Helper()
	if accepted() {
		t.Logf("%s: still accepted %v after it was read, as the stalled listener did not hear of the change", what, time.Since(since).Round(time.Millisecond))
	}
	time.Sleep(time.Until(since.Add(store.RevocationBound)))
	if accepted() {
		t.Errorf("%s: a revoked credential is accepted %v after it was last read, past the %v bound", what, time.Since(since).Round(time.Millisecond), store.RevocationBound)
	}
}

func TestStalledListenerRevokesTokensWithinBound(t *testing.T) {
	ctx := context.Background()
	stalled, healthy := stalledAndHealthy(t)
	u, err := healthy.CreateUser(ctx, "ada", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := healthy.CreateToken(ctx, u.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	// Twice: the first use is recorded (a write of the stalled console's
	// own, which it counts), the second is read again and kept.
	for range 2 {
		if _, err := stalled.UserByToken(ctx, secret); err != nil {
			t.Fatalf("a live token was refused: %v", err)
		}
	}
	read := time.Now()
	if err := healthy.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := healthy.UserByToken(ctx, secret); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Errorf("the console that revoked the token still accepts it: %v", err)
	}
	untilRevoked(t, "token", read, func() bool {
		_, err := stalled.UserByToken(ctx, secret)
		return err == nil
	})
}

func TestStalledListenerEndsSessionsWithinBound(t *testing.T) {
	ctx := context.Background()
	stalled, healthy := stalledAndHealthy(t)
	mine, theirs := stalled.Sessions(time.Hour), healthy.Sessions(time.Hour)
	if err := theirs.CommitCtx(ctx, "tok", []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, found, err := mine.FindCtx(ctx, "tok"); err != nil || !found {
		t.Fatalf("a live session: found %v, %v", found, err)
	}
	read := time.Now()
	if err := theirs.DeleteCtx(ctx, "tok"); err != nil { // signed out there
		t.Fatal(err)
	}
	untilRevoked(t, "session", read, func() bool {
		_, found, err := mine.FindCtx(ctx, "tok")
		if err != nil {
			t.Fatal(err)
		}
		return found
	})
}
