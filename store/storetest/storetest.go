// Package storetest gives each test its own migrated Postgres database,
// cloned from a template that is migrated once per schema version.
package storetest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/migrations"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/localpg"
)

var (
	setupOnce sync.Once
	server    *localpg.Server
	template  string
	setupErr  error
)

// Server returns the PostgreSQL server tests use: ECSCONSOLE_TEST_POSTGRES
// (an admin URL) when set, else localpg's choice. Without one the test is
// skipped, or fails when CI=true.
func Server(t testing.TB) *localpg.Server {
	t.Helper()
	setup()
	if setupErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required in CI: %v", setupErr)
		}
		t.Skipf("no PostgreSQL for tests: %v", setupErr)
	}
	return server
}

// NewURL creates a fresh, migrated database for t, dropped when t ends,
// and returns its URL.
func NewURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, true)
}

// NewEmptyURL creates a fresh database without any schema, dropped when t
// ends, and returns its URL.
func NewEmptyURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, false)
}

func newDatabase(t testing.TB, fromTemplate bool) string {
	t.Helper()
	srv := Server(t)
	ctx := context.Background()
	name := fmt.Sprintf("test_%s", randomSuffix())
	admin, err := pgx.Connect(ctx, srv.AdminURL)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL: %v", err)
	}
	defer admin.Close(ctx)
	create := "CREATE DATABASE " + name
	if fromTemplate {
		create += " TEMPLATE " + template
	}
	if _, err := admin.Exec(ctx, create); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, srv.AdminURL)
		if err != nil {
			t.Logf("dropping %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	return srv.URL(name)
}

// NewPool returns a pool on a fresh migrated database, closed when t ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), NewURL(t))
	if err != nil {
		t.Fatalf("opening pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewStore returns a Store on a fresh migrated database, following its
// changes (store.Store.Follow) as a serving console does, so that tests
// read through the same caches.
func NewStore(t testing.TB) *store.Store {
	t.Helper()
	st := store.New(NewPool(t))
	Follow(t, st)
	return st
}

// Follow runs st.Follow until t ends, and returns once it listens.
func Follow(t testing.TB, st *store.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Follow(ctx, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; !st.Following(); i++ {
		if i == 500 {
			t.Fatal("the store did not start following its database's changes in 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func setup() {
	setupOnce.Do(func() {
		ctx := context.Background()
		if u := os.Getenv("ECSCONSOLE_TEST_POSTGRES"); u != "" {
			server = &localpg.Server{AdminURL: u}
		} else {
			dir := filepath.Join(os.TempDir(), "ecsconsole-testpg")
			server, setupErr = localpg.Ensure(ctx, dir, slog.New(slog.DiscardHandler))
			if setupErr != nil {
				return
			}
		}
		template, setupErr = ensureTemplate(ctx, server)
	})
}

// ensureTemplate creates and migrates the template database for the current
// schema once; concurrent test processes serialise on an advisory lock.
func ensureTemplate(ctx context.Context, srv *localpg.Server) (string, error) {
	name := "ecsconsole_template_" + schemaHash()
	admin, err := pgx.Connect(ctx, srv.AdminURL)
	if err != nil {
		return "", fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock(hashtext('ecsconsole.storetest'))`); err != nil {
		return "", err
	}
	defer admin.Exec(ctx, `SELECT pg_advisory_unlock(hashtext('ecsconsole.storetest'))`)
	var exists bool
	if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_building"
	admin.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", fmt.Errorf("creating template: %w", err)
	}
	pool, err := pgxpool.New(ctx, srv.URL(building))
	if err != nil {
		return "", err
	}
	err = store.Migrate(ctx, pool, io.Discard)
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrating template: %w", err)
	}
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+building+" RENAME TO "+name); err != nil {
		return "", fmt.Errorf("finishing template: %w", err)
	}
	return name, nil
}

// schemaHash identifies the schema: our migration files plus River's
// version, so a changed schema gets a new template.
func schemaHash() string {
	h := sha256.New()
	fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := migrations.FS.ReadFile(path)
			fmt.Fprintf(h, "%s\x00%s\x00", path, b)
		}
		return nil
	})
	fmt.Fprint(h, riverVersion())
	return fmt.Sprintf("%x", h.Sum(nil))[:12]
}

func riverVersion() string {
	return strings.Join(store.RiverMigrationNames(), ",")
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x", b)
}
