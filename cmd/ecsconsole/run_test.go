package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/store/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// syncBuffer is a bytes.Buffer safe for the program's logger and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startConsole runs `ecsconsole serve` through run() on a free port and
// returns its URL, its log, and a function that stops it.
func startConsole(t *testing.T, env map[string]string, args ...string) (string, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	logs := &syncBuffer{}
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), outW, logs)
		outW.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("console did not start: %v\n%s", <-done, logs)
	}
	go io.Copy(io.Discard, out)
	u, ok := strings.CutPrefix(strings.TrimSpace(line), "ecsconsole listening on ")
	if !ok {
		t.Fatalf("startup line %q", line)
	}
	stop := func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("console did not stop")
			return nil
		}
	}
	return u, logs, stop
}

// bootstrapPassword finds the one-time admin password in a JSON log.
func bootstrapPassword(t *testing.T, logs string) (string, bool) {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var rec struct {
			Msg, Username, Password string
		}
		if json.Unmarshal([]byte(line), &rec) == nil && strings.Contains(rec.Msg, "bootstrap admin") {
			return rec.Password, true
		}
	}
	return "", false
}

func TestServeBootstrapsAdminOnceAndSignsIn(t *testing.T) {
	env := map[string]string{"DATABASE_URL": storetest.NewURL(t)}

	base, logs, stop := startConsole(t, env, "--migrate", "--sandbox")
	password, ok := bootstrapPassword(t, logs.String())
	if !ok || len(password) < 16 {
		t.Fatalf("no bootstrap password in the log:\n%s", logs)
	}

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" || !strings.Contains(string(body), "Overview") {
		t.Fatalf("after sign-in: %d %s\n%.300s", resp.StatusCode, resp.Request.URL, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}

	// A restart finds the admin and creates no other.
	base, logs, stop = startConsole(t, env, "--sandbox")
	defer stop()
	if _, again := bootstrapPassword(t, logs.String()); again {
		t.Error("a second bootstrap admin was created on restart")
	}
	resp, err = client.PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" {
		t.Errorf("the bootstrap password stopped working after restart: ended at %s", resp.Request.URL)
	}
}

func TestServeRefusesOldSchema(t *testing.T) {
	env := map[string]string{"DATABASE_URL": storetest.NewURL(t)}
	ctx := context.Background()
	if err := run(ctx, []string{"migrate", "status"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate status on a migrated database: %v", err)
	}
	env["DATABASE_URL"] = storetest.NewEmptyURL(t)
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ecsconsole migrate up") || !strings.Contains(err.Error(), "--migrate") {
		t.Errorf("serve on an empty database: %v, want a message saying how to migrate", err)
	}
	err = run(ctx, []string{"migrate", "status"}, func(k string) string { return env[k] }, nil, io.Discard, io.Discard)
	if exitCode(err) != 3 {
		t.Errorf("migrate status on an empty database: %v (exit %d), want exit 3", err, exitCode(err))
	}
}

func TestUserAndTokenCommands(t *testing.T) {
	env := map[string]string{"DATABASE_URL": storetest.NewURL(t)}
	getenv := func(k string) string { return env[k] }
	ctx := context.Background()
	var out bytes.Buffer

	err := run(ctx, []string{"user", "add", "--username", "ci", "--role", "deployer", "--password-stdin"}, getenv, strings.NewReader("pipeline password 1\n"), &out, io.Discard)
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	err = run(ctx, []string{"user", "add", "--username", "ci", "--role", "deployer", "--password-stdin"}, getenv, strings.NewReader("pipeline password 1\n"), io.Discard, io.Discard)
	if err == nil || exitCode(err) != 1 {
		t.Errorf("duplicate user add: %v (exit %d)", err, exitCode(err))
	}
	err = run(ctx, []string{"user", "add", "--username", "x", "--role", "root", "--password-stdin"}, getenv, strings.NewReader("pipeline password 1\n"), io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Errorf("bad role: %v (exit %d), want exit 2", err, exitCode(err))
	}

	out.Reset()
	if err := run(ctx, []string{"token", "create", "--username", "ci", "--name", "gha"}, getenv, nil, &out, io.Discard); err != nil {
		t.Fatalf("token create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, "ecsc_") || strings.Contains(secret, " ") {
		t.Fatalf("last line of token create = %q, want the token alone", secret)
	}

	out.Reset()
	if err := run(ctx, []string{"token", "list", "--username", "ci"}, getenv, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "gha") {
		t.Errorf("token list: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"token", "revoke", "1"}, getenv, nil, io.Discard, io.Discard); err != nil {
		t.Errorf("token revoke: %v", err)
	}
	for _, args := range [][]string{
		{"user", "set-role", "--username", "ci", "--role", "viewer"},
		{"user", "disable", "--username", "ci"},
		{"user", "list"},
	} {
		out.Reset()
		if err := run(ctx, args, getenv, nil, &out, io.Discard); err != nil {
			t.Errorf("%v: %v", args, err)
		}
	}
	if !strings.Contains(out.String(), "ci") || !strings.Contains(out.String(), "disabled") || !strings.Contains(out.String(), "viewer") {
		t.Errorf("user list after changes:\n%s", out.String())
	}
}

func TestConfigErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"unknown command", []string{"launch"}, nil},
		{"bad addr", []string{"serve", "--addr", "nonsense"}, nil},
		{"bad log format", []string{"serve", "--log-format", "xml"}, nil},
		{"bad bool env", []string{"serve"}, map[string]string{"ECSCONSOLE_SECURE_COOKIES": "maybe"}},
		{"bad base url", []string{"serve"}, map[string]string{"ECSCONSOLE_BASE_URL": "ftp://x"}},
		{"bad region", []string{"serve"}, map[string]string{"AWS_REGION": "mars"}},
		{"bad database url", []string{"migrate", "status"}, map[string]string{"DATABASE_URL": "postgres://%zz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, nil, io.Discard, io.Discard)
			if code := exitCode(err); code != 2 {
				t.Errorf("exit code %d (%v), want 2", code, err)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("message is not one line: %q", err)
			}
		})
	}
}

// TestServeWithoutLocalSignInMakesNoBootstrapAdmin: with single sign-on
// only, a bootstrap password could sign no one in, so none is made or
// logged; admins come from the provider's groups.
func TestServeWithoutLocalSignInMakesNoBootstrapAdmin(t *testing.T) {
	dbURL := storetest.NewURL(t)
	env := map[string]string{"DATABASE_URL": dbURL, "ECSCONSOLE_OIDC_CLIENT_SECRET": "not-shown"}
	_, logs, stop := startConsole(t, env, "--migrate", "--sandbox", "--local-signin=false",
		"--oidc-issuer", "http://127.0.0.1:1/realms/none", "--oidc-client-id", "ecsconsole", "--base-url", "http://127.0.0.1:8080")
	defer stop()
	if _, made := bootstrapPassword(t, logs.String()); made {
		t.Errorf("a bootstrap admin was made with local sign-in off:\n%s", logs)
	}
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var users int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&users); err != nil {
		t.Fatal(err)
	}
	if users != 0 {
		t.Errorf("%d users after the first start with local sign-in off, want 0", users)
	}
}
