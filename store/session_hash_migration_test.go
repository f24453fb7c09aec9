package store_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/ecsconsole/ecsconsole/migrations"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestMigrationHashesExistingSessions stores a session the way consoles
// before migration 0011 did (its token in clear), migrates, and finds it
// by its cookie value: nobody is signed out by the upgrade, and the clear
// value is gone from the table.
func TestMigrationHashesExistingSessions(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, storetest.NewEmptyURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 10); err != nil {
		t.Fatal(err)
	}
	const cookie = "pR3kH0wz0uQn2g0nV9q1yqvS6o8kW2Yb1Jx7tLr4aZc"
	if _, err := pool.Exec(ctx, `INSERT INTO sessions (token, data, expiry, deadline) VALUES ($1, '\x01', now() + interval '1 hour', now() + interval '2 hours')`, cookie); err != nil {
		t.Fatal(err)
	}
	if err := store.Migrate(ctx, pool, io.Discard); err != nil {
		t.Fatal(err)
	}
	var clear int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sessions s WHERE strpos(row_to_json(s)::text, $1) > 0`, cookie).Scan(&clear); err != nil || clear != 0 {
		t.Errorf("rows holding the cookie after migrating: %d, %v", clear, err)
	}
	ss := store.New(pool).Sessions(time.Hour)
	data, found, err := ss.FindCtx(ctx, cookie)
	if err != nil || !found || string(data) != "\x01" {
		t.Errorf("the pre-migration session by its cookie: %q, %v, %v; want it found", data, found, err)
	}
	if _, found, _ := ss.FindCtx(ctx, "another"+cookie); found {
		t.Error("a different cookie found a session")
	}
}
