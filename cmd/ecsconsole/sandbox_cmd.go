package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/sandbox"
)

const sandboxUsage = `sandbox [flags]

Serves a local AWS (ECS, ELBv2, EC2, ACM, STS, CloudWatch Logs) on one HTTP
endpoint. Point clients at it with --endpoint-url (awscli) or
AWS_ENDPOINT_URL (SDKs); any credentials are accepted.

Every flag can also be set with an environment variable named after it,
e.g. ECSCONSOLE_SANDBOX_ADDR, ECSCONSOLE_SANDBOX_CERT_DELAY; flags win.`

// sandboxEnvPrefix prefixes the environment variable of each flag.
const sandboxEnvPrefix = "ECSCONSOLE_SANDBOX_"

// sandboxShutdownGrace bounds how long in-flight requests may finish.
const sandboxShutdownGrace = 5 * time.Second

// sandboxConfig is the sandbox command's configuration.
type sandboxConfig struct {
	addr         string
	speed        float64
	latency      time.Duration
	throttleRate float64
	statePath    string
	saveEvery    time.Duration
	region       string
	account      string
	certDelay    time.Duration
	logLevel     string
}

var accountPattern = regexp.MustCompile(`^\d{12}$`)

// parseSandboxFlags reads the flags, taking defaults from the environment.
func parseSandboxFlags(args []string, getenv func(string) string, stderr io.Writer) (sandboxConfig, error) {
	var cfg sandboxConfig
	flags := flagSet("sandbox", sandboxUsage, stderr)
	flags.StringVar(&cfg.addr, "addr", "127.0.0.1:4566", "`host:port` to listen on (port 0 picks a free one)")
	flags.Float64Var(&cfg.speed, "speed", 1, "simulated seconds per real second")
	flags.DurationVar(&cfg.latency, "latency", 0, "added to every call, e.g. 100ms")
	flags.Float64Var(&cfg.throttleRate, "throttle-rate", 0, "fraction (0..1) of calls answered with the service's throttling error")
	flags.StringVar(&cfg.statePath, "state", "", "JSON `file` loaded at start (if present), saved every --save-every while serving and on shutdown")
	flags.DurationVar(&cfg.saveEvery, "save-every", time.Second, "with --state: how often the state file is rewritten while serving (a kill -9 loses at most this)")
	flags.StringVar(&cfg.region, "region", "us-east-1", "region seeded at start (others are seeded on first use)")
	flags.StringVar(&cfg.account, "account", "000000000000", "12-digit account ID in every ARN")
	flags.DurationVar(&cfg.certDelay, "cert-delay", 2*time.Minute, "simulated time an ACM certificate stays PENDING_VALIDATION")
	flags.StringVar(&cfg.logLevel, "log-level", "info", "debug logs every call; info logs failed calls")
	if err := applyEnv(flags, getenv); err != nil {
		return cfg, err
	}
	if err := parseFlags(flags, args); err != nil {
		return cfg, err
	}
	if flags.NArg() > 0 {
		return cfg, usagef("sandbox takes no arguments, got %q", flags.Args())
	}
	return cfg, cfg.validate()
}

// applyEnv sets each flag whose environment variable is set, so that the
// command line, parsed afterwards, overrides it.
func applyEnv(flags *flag.FlagSet, getenv func(string) string) error {
	var err error
	flags.VisitAll(func(f *flag.Flag) {
		name := sandboxEnvPrefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && err == nil {
			if serr := flags.Set(f.Name, v); serr != nil {
				err = usagef("invalid %s=%q: %v", name, v, serr)
			}
		}
	})
	return err
}

func (c sandboxConfig) validate() error {
	switch {
	case c.speed <= 0:
		return usagef("--speed must be positive, got %v", c.speed)
	case c.latency < 0:
		return usagef("--latency must not be negative, got %s", c.latency)
	case c.throttleRate < 0 || c.throttleRate > 1:
		return usagef("--throttle-rate must be between 0 and 1, got %v", c.throttleRate)
	case c.saveEvery <= 0:
		return usagef("--save-every must be positive, got %s", c.saveEvery)
	case c.certDelay <= 0:
		return usagef("--cert-delay must be positive, got %s", c.certDelay)
	case !deploy.IsRegion(c.region):
		return usagef("--region %q is not a region name such as us-east-1", c.region)
	case !accountPattern.MatchString(c.account):
		return usagef("--account must be 12 digits, got %q", c.account)
	}
	return nil
}

// runSandbox implements `ecsconsole sandbox`: it serves until ctx is done,
// then shuts down gracefully and, with --state, saves the state.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseSandboxFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger("text", cfg.logLevel, stderr)
	if err != nil {
		return err
	}
	srv := sandbox.New(sandbox.Options{
		AccountID:                  cfg.account,
		Region:                     cfg.region,
		Speed:                      cfg.speed,
		CertificateValidationDelay: cfg.certDelay,
		Logger:                     logger,
	})
	srv.SetLatency(cfg.latency, cfg.latency)
	srv.SetThrottleRate(cfg.throttleRate)
	if cfg.statePath != "" {
		if err := loadSandboxState(srv, cfg.statePath); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	fmt.Fprintf(stdout, "sandbox listening on http://%s (region %s, account %s)\n", ln.Addr(), cfg.region, cfg.account)
	stopSaving := func() {}
	if cfg.statePath != "" {
		saving, cancel := context.WithCancel(ctx)
		saved := make(chan struct{})
		go func() {
			defer close(saved)
			checkpointSandboxState(saving, srv, cfg.statePath, cfg.saveEvery, logger)
		}()
		stopSaving = func() { cancel(); <-saved }
	}
	err = serveUntilDone(ctx, ln, srv)
	stopSaving() // before the final save, which must be the last write
	if err != nil {
		return err
	}
	if cfg.statePath != "" {
		if err := saveSandboxState(srv, cfg.statePath); err != nil {
			return err
		}
		logger.Info("sandbox state saved", "path", cfg.statePath)
	}
	return nil
}

// serveUntilDone serves h on ln until ctx is done, then lets in-flight
// requests finish.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("sandbox: serving: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sandboxShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("sandbox: shutting down: %w", err)
	}
	return nil
}

// loadSandboxState loads path into srv; a missing file is a fresh start.
func loadSandboxState(srv *sandbox.Server, path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	defer f.Close()
	if err := srv.Load(f); err != nil {
		return fmt.Errorf("sandbox: loading %s: %w", path, err)
	}
	return nil
}

// saveSandboxState settles the state (Server.Save) and writes it to path.
func saveSandboxState(srv *sandbox.Server, path string) error {
	return writeSandboxState(path, srv.Save)
}

// checkpointSandboxState writes the state as it is (Server.Checkpoint)
// every interval until ctx ends, so that a kill -9 loses seconds, not the
// world.
func checkpointSandboxState(ctx context.Context, srv *sandbox.Server, path string, every time.Duration, logger *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := writeSandboxState(path, srv.Checkpoint); err != nil {
				logger.Error("saving sandbox state", "path", path, "error", err.Error())
			}
		}
	}
}

// writeSandboxState writes the state to a temporary file beside path,
// flushes it to disk and renames it into place, so a crash never leaves a
// truncated state file: the old one or the new one is there.
func writeSandboxState(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("sandbox: saving state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sandbox: saving state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sandbox: saving state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sandbox: saving state: %w", err)
	}
	return nil
}
