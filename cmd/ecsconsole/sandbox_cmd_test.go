package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
)

// startSandbox runs `ecsconsole sandbox args...` in the background and
// returns its URL, read from the line it prints, and a function that stops
// it and returns runSandbox's error.
func startSandbox(t *testing.T, args []string, env map[string]string) (url string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	out, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandbox(ctx, args, func(k string) string { return env[k] }, outW, io.Discard)
		outW.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no startup line: %v (runSandbox: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(line, "sandbox listening on http://") {
		t.Fatalf("startup line %q", line)
	}
	return fields[3], func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("sandbox did not stop")
			return nil
		}
	}
}

func acmClient(url, region string) *acm.Client {
	return acm.NewFromConfig(aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
	})
}

func TestSandboxCommandServesAndKeepsState(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.json")
	args := []string{"--addr", "127.0.0.1:0", "--state", state, "--cert-delay", "1m"}
	env := map[string]string{"ECSCONSOLE_SANDBOX_REGION": "eu-west-1", "ECSCONSOLE_SANDBOX_ACCOUNT": "123456789012"}

	url, stop := startSandbox(t, args, env)
	out, err := acmClient(url, "eu-west-1").RequestCertificate(t.Context(), &acm.RequestCertificateInput{
		DomainName: aws.String("example.com"), ValidationMethod: acmtypes.ValidationMethodDns,
	})
	if err != nil {
		t.Fatalf("RequestCertificate: %v", err)
	}
	if arn := aws.ToString(out.CertificateArn); !strings.HasPrefix(arn, "arn:aws:acm:eu-west-1:123456789012:") {
		t.Errorf("ARN %s does not carry the configured region and account", arn)
	}
	if err := stop(); err != nil {
		t.Fatalf("sandbox stopped with %v", err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no state file after shutdown: %v", err)
	}

	url, stop = startSandbox(t, args, env)
	defer stop()
	cert, err := acmClient(url, "eu-west-1").DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: out.CertificateArn})
	if err != nil {
		t.Fatalf("certificate gone after a restart with --state: %v", err)
	}
	if cert.Certificate.Status != acmtypes.CertificateStatusIssued {
		t.Errorf("status %s, want ISSUED (saving settles pending lifecycles)", cert.Certificate.Status)
	}
}

func TestSandboxCommandRejectsBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"zero speed", []string{"--speed", "0"}, nil},
		{"negative latency", []string{"--latency", "-1s"}, nil},
		{"throttle rate above one", []string{"--throttle-rate", "1.5"}, nil},
		{"short account", []string{"--account", "123"}, nil},
		{"bad region", []string{"--region", "Mars"}, nil},
		{"unknown flag", []string{"--port", "1"}, nil},
		{"stray argument", []string{"now"}, nil},
		{"bad environment value", nil, map[string]string{"ECSCONSOLE_SANDBOX_CERT_DELAY": "soon"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runSandbox(t.Context(), tt.args, func(k string) string { return tt.env[k] }, io.Discard, io.Discard)
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("got %v, want a usage error", err)
			}
		})
	}
}

func TestSandboxCommandHelp(t *testing.T) {
	var stderr strings.Builder
	err := runSandbox(t.Context(), []string{"--help"}, func(string) string { return "" }, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("got %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-cert-delay", "ECSCONSOLE_SANDBOX_ADDR"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help does not mention %s:\n%s", want, stderr.String())
		}
	}
}

func TestSandboxCommandFlagsOverrideEnvironment(t *testing.T) {
	cfg, err := parseSandboxFlags([]string{"--speed", "30"},
		func(k string) string {
			return map[string]string{"ECSCONSOLE_SANDBOX_SPEED": "10", "ECSCONSOLE_SANDBOX_LATENCY": "50ms"}[k]
		}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.speed != 30 || cfg.latency != 50*time.Millisecond || cfg.addr != "127.0.0.1:4566" {
		t.Errorf("got speed %v latency %s addr %s; want 30 (flag), 50ms (environment), 127.0.0.1:4566 (default)", cfg.speed, cfg.latency, cfg.addr)
	}
}
