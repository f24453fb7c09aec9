package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// consoleBinary builds ./cmd/ecsconsole once per test process.
func consoleBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ecsconsole-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "ecsconsole")
		out, err := exec.Command("go", "build", "-o", binary, "../cmd/ecsconsole").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// console is an ecsconsole process serving on a free port.
type console struct {
	URL           string
	AdminPassword string
	// DatabaseURL is the console's database, for its CLI subcommands.
	DatabaseURL string
	// SandboxURL is the in-process sandbox's endpoint, for SDK clients and
	// the sandbox's controls.
	SandboxURL string
	// Logs returns what the console logged so far.
	Logs func() string
	// PID is the console process's, for reading its memory (/proc).
	PID int
}

// startConsole runs `ecsconsole serve --sandbox [extra...]` on a fresh database and
// waits until it is listening; the process is stopped (SIGTERM) at the end
// of the test.
func startConsole(t *testing.T, extra ...string) *console {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--migrate", "--sandbox", "--log-format", "json"}, extra...)
	cmd := exec.Command(consoleBinary(t), args...)
	dbURL := storetest.NewURL(t)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 1)
	endpoint := make(chan string, 1)
	var logMu sync.Mutex
	var logged strings.Builder
	go func() {
		var password string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logged.Write(sc.Bytes())
			logged.WriteByte('\n')
			logMu.Unlock()
			var rec struct{ Msg, Password, Endpoint string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && strings.HasPrefix(rec.Msg, "sandbox: local AWS") {
				endpoint <- rec.Endpoint
			}
			if json.Unmarshal(sc.Bytes(), &rec) == nil && strings.Contains(rec.Msg, "bootstrap admin") {
				password = rec.Password
				logs <- password
			}
		}
		if password == "" {
			close(logs)
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("console did not stop on SIGINT")
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("console did not start: %v", err)
	}
	go io.Copy(io.Discard, stdout)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "ecsconsole listening on ")
	if !ok {
		t.Fatalf("unexpected first line %q", line)
	}
	var password string
	select {
	case password = <-logs:
	case <-time.After(10 * time.Second):
	}
	if password == "" {
		t.Fatal("no bootstrap admin password in the log")
	}
	sandboxURL := ""
	select {
	case sandboxURL = <-endpoint:
	case <-time.After(5 * time.Second):
		t.Fatal("no sandbox endpoint in the log")
	}
	readLogs := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return logged.String()
	}
	return &console{URL: url, AdminPassword: password, DatabaseURL: dbURL, SandboxURL: sandboxURL, Logs: readLogs, PID: cmd.Process.Pid}
}

// within bounds one step of a browser test.
func within(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}
