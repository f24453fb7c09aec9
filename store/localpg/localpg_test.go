package localpg

import (
	"context"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPrivateCluster starts a private cluster from the installed server
// binaries, as `make run` does on a machine where no server listens, and
// stops it.
func TestPrivateCluster(t *testing.T) {
	bin, err := findBinaries()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL server binaries are required in CI: %v", err)
		}
		t.Skip(err)
	}
	// As root the server runs as the postgres user, which must reach the directory.
	base, err := os.MkdirTemp("", "lpg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := filepath.Join(base, "pg")
	srv, err := startPrivate(ctx, bin, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("starting a private cluster: %v", err)
	}
	defer srv.Stop()
	if err := srv.CreateDatabase(ctx, "ecsconsole"); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateDatabase(ctx, "ecsconsole"); err != nil {
		t.Fatalf("creating an existing database again: %v", err)
	}
	conn, err := pgx.Connect(ctx, srv.URL("ecsconsole"))
	if err != nil {
		t.Fatalf("connecting over the socket: %v", err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Errorf("SELECT 1 = %d, %v", one, err)
	}
	conn.Close(ctx)
	if err := srv.Stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	// A second start reuses the initialised directory.
	srv, err = startPrivate(ctx, bin, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("restarting: %v", err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableParent(t *testing.T) {
	base := t.TempDir() // 0700: others cannot search it
	if got := unreachableParent(filepath.Join(base, "a", "pg")); got == "" {
		t.Errorf("a directory under %s is reported reachable", base)
	}
	if got := unreachableParent("/usr/lib/ecsconsole/pg"); got != "" {
		t.Errorf("/usr/lib is reported unreachable at %q", got)
	}
}

// TestLocalURLsSkipTLS: the server on 127.0.0.1:5432 is reached without
// TLS (sslmode=disable), as Postgres itself reports for the connection.
func TestLocalURLsSkipTLS(t *testing.T) {
	if !listening("127.0.0.1:5432") {
		if os.Getenv("CI") == "true" {
			t.Fatal("PostgreSQL on 127.0.0.1:5432 is required in CI")
		}
		t.Skip("nothing listens on 127.0.0.1:5432")
	}
	ctx := context.Background()
	srv, err := Ensure(ctx, t.TempDir(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.URL("postgres"))
	if err != nil || u.Query().Get("sslmode") != "disable" {
		t.Fatalf("URL = %v (%v), want sslmode=disable", u, err)
	}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ssl bool
	if err := conn.QueryRow(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || ssl {
		t.Errorf("the local connection uses TLS (%v, %v)", ssl, err)
	}
	if u, _ := url.Parse(DefaultURL); u.Query().Get("sslmode") != "disable" {
		t.Errorf("DefaultURL %s negotiates TLS", DefaultURL)
	}
}
