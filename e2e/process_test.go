package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// process is a running ecsconsole subcommand that a test may kill -9.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	logs bytes.Buffer // stderr, kept for a failing test's log
}

// freePort returns a loopback port nobody listens on, so that a process
// restarted on it keeps its address.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startProcess runs the console binary with args and env (added to the
// test's environment) and waits for its first stdout line, which it
// returns. The process is killed when the test ends.
func startProcess(t *testing.T, env []string, args ...string) (*process, string) {
	t.Helper()
	p := &process{t: t, cmd: exec.Command(consoleBinary(t), args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	stdout, _ := p.cmd.StdoutPipe()
	stderr, _ := p.cmd.StderrPipe()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.Write(sc.Bytes())
			p.logs.WriteByte('\n')
			p.mu.Unlock()
		}
	}()
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, stdout)
	}()
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("last log lines of %s:\n%s", args[0], p.tail(30))
		}
	})
	select {
	case line := <-lines:
		if line == "" {
			<-p.done
			t.Fatalf("%s exited before starting:\n%s", args[0], p.tail(30))
		}
		return p, strings.TrimSpace(line)
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start:\n%s", args[0], p.tail(30))
	}
	return nil, ""
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *process) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// tail returns the last n lines the process logged.
func (p *process) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	lines := strings.Split(strings.TrimRight(p.logs.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// sandboxEnv is what points the console's AWS clients at a standalone sandbox.
func sandboxEnv(url string) []string {
	return []string{"AWS_ENDPOINT_URL=" + url, "AWS_ACCESS_KEY_ID=sandbox", "AWS_SECRET_ACCESS_KEY=sandbox",
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE="}
}

// startStandaloneSandbox runs `ecsconsole sandbox` on port with extra flags.
func startStandaloneSandbox(t *testing.T, port int, extra ...string) *process {
	t.Helper()
	args := append([]string{"sandbox", "--addr", "127.0.0.1:" + strconv.Itoa(port)}, extra...)
	p, line := startProcess(t, nil, args...)
	if !strings.HasPrefix(line, "sandbox listening on http://127.0.0.1:"+strconv.Itoa(port)) {
		t.Fatalf("sandbox startup line %q", line)
	}
	return p
}

// awsConfig is an SDK configuration for the sandbox at url.
func awsConfig(url string) aws.Config {
	return aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("sandbox", "sandbox", "")}
}

// apiCall sends a JSON request with a bearer token and decodes the answer.
func apiCall(t *testing.T, method, url, token string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, data, err)
		}
	}
	return resp.StatusCode
}

// createToken makes an API token for the bootstrap admin with the CLI.
func createToken(t *testing.T, dbURL string) string {
	t.Helper()
	cmd := exec.Command(consoleBinary(t), "token", "create", "--username", "admin", "--name", "e2e")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dbURL)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("token create: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// journeySpec is the seed's journey spec (deploy/testdata/spec-journey.json).
func journeySpec(t *testing.T) json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("../deploy/testdata/spec-journey.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}
