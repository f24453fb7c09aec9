// Package localpg finds or starts a PostgreSQL server for `make run` and for
// tests on a machine where nobody configured one: the server on
// 127.0.0.1:5432 when one listens there, else a private cluster under a data
// directory, started from the installed server binaries on a Unix socket.
package localpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the database used when DATABASE_URL is unset. Local
// connections skip TLS negotiation (sslmode=disable): on loopback or a Unix
// socket it protects nothing and costs a round trip and CPU per connection.
const DefaultURL = "postgres://127.0.0.1:5432/ecsconsole?sslmode=disable"

// Server is a reachable PostgreSQL server.
type Server struct {
	// AdminURL connects to the server's maintenance database "postgres".
	AdminURL string
	stop     func() error
}

// Stop stops a private cluster this package started; for a server it found
// already running it does nothing.
func (s *Server) Stop() error {
	if s.stop == nil {
		return nil
	}
	return s.stop()
}

// URL returns the URL of database name on this server.
func (s *Server) URL(name string) string {
	u, err := url.Parse(s.AdminURL)
	if err != nil { // AdminURL is built by this package
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// ErrNoPostgres means nothing listens on 127.0.0.1:5432 and no server
// binaries are installed.
var ErrNoPostgres = errors.New("no PostgreSQL: nothing listens on 127.0.0.1:5432 and the server binaries (initdb, pg_ctl) are not installed; install the postgresql package or set DATABASE_URL")

// Ensure returns the server on 127.0.0.1:5432 if one answers, else starts a
// private cluster in dataDir (created on first use) and returns it.
func Ensure(ctx context.Context, dataDir string, logger *slog.Logger) (*Server, error) {
	if listening("127.0.0.1:5432") {
		return &Server{AdminURL: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"}, nil
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	return startPrivate(ctx, bin, dataDir, logger)
}

// CreateDatabase creates database name on the server unless it exists.
func (s *Server) CreateDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, s.AdminURL)
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr interface{ SQLState() string }
	if errors.As(err, &pgErr) && pgErr.SQLState() == "42P04" { // created meanwhile by another process
		return nil
	}
	return err
}

func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// findBinaries returns the directory holding initdb and pg_ctl.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- { // newest version first
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	return "", ErrNoPostgres
}

// startPrivate starts (initialising on first use) a cluster in dataDir
// listening only on a Unix socket in the same directory. initdb and postgres
// refuse to run as root, so as root they run as the "postgres" system user,
// which then owns the directory.
func startPrivate(ctx context.Context, bin, dataDir string, logger *slog.Logger) (*Server, error) {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, err
	}
	if len(dataDir) > 90 { // a Unix socket path must fit in 107 bytes
		return nil, fmt.Errorf("data directory path %s is too long for a Unix socket; choose a shorter ECSCONSOLE_DATA_DIR", dataDir)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	if cred != nil {
		if dir := unreachableParent(dataDir); dir != "" {
			return nil, fmt.Errorf("the postgres user cannot reach %s (no search permission for others on %s); set ECSCONSOLE_DATA_DIR to a directory it can reach, e.g. /var/tmp/ecsconsole, or set DATABASE_URL", dataDir, dir)
		}
		if err := os.Chown(dataDir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Dir = "/"
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); err != nil {
		logger.Info("initialising a private PostgreSQL cluster", "dir", dataDir)
		if err := run("initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-instructions"); err != nil {
			return nil, err
		}
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s", dataDir)
	if err := run("pg_ctl", "-D", dataDir, "-o", opts, "-l", filepath.Join(dataDir, "server.log"), "-w", "-t", "30", "start"); err != nil {
		return nil, err
	}
	logger.Info("started private PostgreSQL", "dir", dataDir)
	stop := func() error {
		return run("pg_ctl", "-D", dataDir, "-m", "fast", "-w", "stop")
	}
	admin := fmt.Sprintf("postgres://postgres@/postgres?host=%s&sslmode=disable", url.QueryEscape(dataDir))
	return &Server{AdminURL: admin, stop: stop}, nil
}

// unreachableParent returns the first parent of dir that other users cannot
// search, or "".
func unreachableParent(dir string) string {
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
			return p
		}
		if p == filepath.Dir(p) {
			return ""
		}
	}
}

// serverCredential returns who initdb and postgres run as: nil (ourselves)
// unless we are root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root and there is no 'postgres' system user to run PostgreSQL as; install the postgresql package or set DATABASE_URL")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
