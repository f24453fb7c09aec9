package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ecsconsole/ecsconsole/catalog"
	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/static"
	"github.com/ecsconsole/ecsconsole/store"
)

type serveConfig struct {
	Addr           string
	BaseURL        string
	SecureCookies  bool
	Migrate        bool
	Sandbox        bool
	SandboxSpeed   float64
	SandboxCert    time.Duration
	PollInterval   time.Duration
	DNSRecheck     time.Duration
	ApplySlice     time.Duration
	Region         string
	AssumeRoleARN  string
	AWSCallTimeout time.Duration
	SessionIdle    time.Duration
	SessionMaxLife time.Duration
	ShutdownGrace  time.Duration
	SSO            ssoConfig
	CacheMiB       float64
	DB             dbConfig
	Log            logConfig
	Ops            opsConfig
}

func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := flagSet("serve", "serve [flags]", stderr)
	e := &envFlags{fs: fs, getenv: getenv}
	e.String(&c.Addr, "addr", "ECSCONSOLE_ADDR", "127.0.0.1:8080", "address to listen on")
	e.String(&c.BaseURL, "base-url", "ECSCONSOLE_BASE_URL", "", "public URL of the console, e.g. https://deploy.example.com (trusted origin behind a proxy)")
	e.Bool(&c.SecureCookies, "secure-cookies", "ECSCONSOLE_SECURE_COOKIES", false, "mark the session cookie Secure (set when served over HTTPS)")
	e.Bool(&c.Migrate, "migrate", "ECSCONSOLE_MIGRATE", false, "apply pending database migrations before serving")
	e.Bool(&c.Sandbox, "sandbox", "ECSCONSOLE_SANDBOX", false, "run a local AWS in-process and point the console at it (no real AWS calls)")
	e.Float64(&c.SandboxSpeed, "sandbox-speed", "ECSCONSOLE_SANDBOX_SPEED", 10, "with --sandbox: simulated seconds per real second")
	e.Duration(&c.SandboxCert, "sandbox-cert-delay", "ECSCONSOLE_SANDBOX_CERT_DELAY", 2*time.Minute, "with --sandbox: simulated time a requested certificate waits for DNS validation")
	e.Duration(&c.PollInterval, "poll-interval", "ECSCONSOLE_POLL_INTERVAL", 2*time.Second, "first delay between polls of AWS while waiting (doubles up to 15s)")
	e.Duration(&c.DNSRecheck, "dns-recheck-interval", "ECSCONSOLE_DNS_RECHECK_INTERVAL", time.Minute, "how often a deployment waiting for DNS validation checks its certificate")
	e.Duration(&c.ApplySlice, "apply-slice", "ECSCONSOLE_APPLY_SLICE", 20*time.Second, "a deployment job hands back its worker this often; one whose console died resumes elsewhere after 2×this+5s to that plus 30s")
	e.String(&c.Region, "region", "AWS_REGION", "us-east-1", "default AWS region")
	e.String(&c.AssumeRoleARN, "assume-role-arn", "ECSCONSOLE_ASSUME_ROLE_ARN", "", "IAM role to assume for AWS calls (optional)")
	e.Duration(&c.AWSCallTimeout, "aws-request-timeout", "ECSCONSOLE_AWS_REQUEST_TIMEOUT", 10*time.Second, "bound of each AWS call made for a page or API request, retries included (past it: 504 \"AWS did not answer\")")
	e.Duration(&c.SessionIdle, "session-idle-timeout", "ECSCONSOLE_SESSION_IDLE_TIMEOUT", 2*time.Hour, "sign out after this long without activity")
	e.Duration(&c.SessionMaxLife, "session-lifetime", "ECSCONSOLE_SESSION_LIFETIME", 12*time.Hour, "sign out this long after sign-in")
	e.Duration(&c.ShutdownGrace, "shutdown-timeout", "ECSCONSOLE_SHUTDOWN_TIMEOUT", 20*time.Second, "how long to let in-flight requests finish on SIGTERM")
	c.SSO.register(e)
	e.Float64(&c.CacheMiB, "cache-mib", "ECSCONSOLE_CACHE_MIB", handlers.DefaultCacheBytes>>20, "memory, in MiB, that pages, layouts, decoded sessions and AWS's answers kept for reuse may take together")
	c.DB.register(e)
	c.Log.register(e, "json")
	c.Ops.register(e)
	if err := e.parse(args); err != nil {
		return c, err
	}
	if err := c.SSO.check(c.BaseURL); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usagef("serve takes no arguments, got %q", fs.Arg(0))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, usagef("invalid --addr %q: want host:port, e.g. 127.0.0.1:8080", c.Addr)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, usagef("invalid ECSCONSOLE_BASE_URL %q: want e.g. https://deploy.example.com", c.BaseURL)
		}
	}
	if c.CacheMiB < 1 || c.CacheMiB > 1<<20 {
		return c, usagef("invalid ECSCONSOLE_CACHE_MIB %v: want at least 1 (MiB)", c.CacheMiB)
	}
	if !deploy.IsRegion(c.Region) {
		return c, usagef("invalid AWS_REGION %q: want e.g. us-east-1", c.Region)
	}
	if c.SessionIdle <= 0 || c.SessionMaxLife <= 0 || c.PollInterval <= 0 || c.DNSRecheck <= 0 || c.ApplySlice <= 0 || c.AWSCallTimeout <= 0 {
		return c, usagef("durations must be positive")
	}
	if err := c.Ops.check(c.Addr); err != nil {
		return c, err
	}
	if c.SandboxSpeed <= 0 || c.SandboxCert <= 0 {
		return c, usagef("sandbox speed and certificate delay must be positive")
	}
	return c, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg.Log.Format, cfg.Log.Level, stderr)
	if err != nil {
		return err
	}
	started := time.Now()
	tuneGC(getenv)

	db, err := openDatabase(ctx, cfg.DB, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareSchema(ctx, db, cfg.Migrate, logger); err != nil {
		return err
	}
	if err := db.openSystemPool(ctx); err != nil {
		return err
	}
	st := store.NewSplit(db.Pool, db.System)
	st.SetFreezeAfterRollback(cfg.Ops.FreezeAfterRollback)
	// With local sign-in off nobody could sign in with a bootstrap
	// password: admins come from the provider's groups instead.
	if cfg.SSO.LocalSignIn {
		if err := bootstrapAdmin(ctx, st, logger); err != nil {
			return err
		}
	}
	// Pages reuse what they read until a console on the database writes it
	// (store.NewReadCache): this follows every console's writes.
	followCtx, stopFollowing := context.WithCancel(context.WithoutCancel(ctx))
	following := make(chan struct{})
	go func() { defer close(following); st.Follow(followCtx, logger.With("component", "changes")) }()
	defer func() { stopFollowing(); <-following }()

	awsEnv, err := newAWSEnvironment(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer awsEnv.Close()
	awsEnv.Engine.RequestCallTimeout = cfg.AWSCallTimeout
	// Metrics (--metrics-addr), before anything they count runs.
	met, stopMetrics, err := startMetrics(cfg.Ops, st, awsEnv, logger.With("component", "metrics"))
	if err != nil {
		return err
	}
	defer stopMetrics()

	engine, err := deploy.NewEngine(st, deploy.Options{
		Clients:            deploy.NewClientFactory(awsEnv.Engine),
		Logger:             logger.With("component", "engine"),
		PollInterval:       cfg.PollInterval,
		MaxPollInterval:    max(cfg.PollInterval, 15*time.Second),
		DNSRecheckInterval: cfg.DNSRecheck,
		AttemptSlice:       cfg.ApplySlice,
	})
	if err != nil {
		return err
	}
	// Webhooks (notify/): set up before any deployment can change status;
	// the worker sends their deliveries too.
	notifier, err := newNotifier(st, cfg.Ops, cfg.BaseURL, logger.With("component", "notify"))
	if err != nil {
		return err
	}
	worker, err := engine.NewWorkerClient(workerOptions(notifier))
	if err != nil {
		return err
	}
	// The worker outlives ctx so that shutdown can first let running
	// deployments reach a step boundary (stopWorker).
	if err := worker.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("starting the deployment worker: %w", err)
	}
	defer stopWorker(worker, cfg.ShutdownGrace, logger)

	assets, err := static.New()
	if err != nil {
		return err
	}
	// Expired sessions are swept by a goroutine of ours; the session store
	// (store.SessionStore, the handlers' default) only ignores them.
	go sweepSessions(ctx, st, 5*time.Minute, logger)
	srv := handlers.New(handlers.Options{
		BaseURL:            cfg.BaseURL,
		SecureCookies:      cfg.SecureCookies,
		SessionIdleTimeout: cfg.SessionIdle,
		SessionLifetime:    cfg.SessionMaxLife,
		Sandbox:            cfg.Sandbox,
		Region:             cfg.Region,
		OIDC:               cfg.SSO.options(),
		DisableLocalSignIn: !cfg.SSO.LocalSignIn,
		CacheBytes:         int64(cfg.CacheMiB * (1 << 20)),
	}, handlers.Deps{
		Store:    st,
		Assets:   assets,
		Logger:   logger,
		Identity: stsIdentity(awsEnv.Config, cfg.AWSCallTimeout),
		Engine:   engine,
		Catalog:  catalog.New(catalog.NewClientFactory(awsEnv.Engine)),
		Requests: requestObserver(met),
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	httpServer := &http.Server{
		Handler:           srv.Routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		// A request line and headers are small (a session cookie, a
		// history filter): Go's default 1 MiB let 20 hostile ones hold
		// tens of MiB before a handler ran.
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:    func(net.Listener) context.Context { return ctx },
	}
	url := "http://" + ln.Addr().String()
	logger.Info("ready", "url", url, "startup", time.Since(started).Round(time.Millisecond).String(), "sandbox", cfg.Sandbox)
	fmt.Fprintf(stdout, "ecsconsole listening on %s\n", url)

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownGrace)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return nil
}

// tuneGC collects garbage less often than Go's default unless GOGC or
// GOMEMLIMIT say otherwise. Pages are served from memory (handlers'
// views), so a request allocates little but the live heap is small too,
// and with GOGC=100 a collection ran every few hundred requests: its
// pauses and assists were the slowest 1% of page views (p99 1.3–1.5 ms
// against 0.6–0.8 ms at 400, BENCHMARKS.md). The soft limit keeps a
// console with many pages in memory from growing past 256 MiB: nearing
// it, the runtime collects as often as it must.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(256 << 20)
	}
}

// sweepSessions deletes expired sessions every interval until ctx ends.
func sweepSessions(ctx context.Context, st *store.Store, interval time.Duration, logger *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := st.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("sweeping expired sessions", "error", err.Error())
			}
		}
	}
}

// stopWorker stops the deployment worker: running applies get grace to
// finish, then are cancelled; an interrupted apply is resumed from its
// recorded steps by the next worker on the database.
func stopWorker(worker *river.Client[pgx.Tx], grace time.Duration, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := worker.Stop(ctx); err != nil {
		logger.Warn("deployments still running at shutdown: cancelling them; another console resumes them", "error", err.Error())
		cancelCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		worker.StopAndCancel(cancelCtx)
	}
}

// prepareSchema applies migrations when asked; otherwise it refuses an
// out-of-date schema with a message saying how to fix it.
func prepareSchema(ctx context.Context, db *database, migrate bool, logger *slog.Logger) error {
	if migrate {
		return store.Migrate(ctx, db.Pool, logWriter{logger})
	}
	err := store.CheckSchema(ctx, db.Pool)
	if errors.Is(err, store.ErrSchemaOutOfDate) {
		return fmt.Errorf("%w: run `ecsconsole migrate up`, or start with `ecsconsole serve --migrate`", err)
	}
	return err
}

// bootstrapAdmin creates the first admin, with a random password printed
// once to the log, when there are no users at all.
func bootstrapAdmin(ctx context.Context, st *store.Store, logger *slog.Logger) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := randomPassword()
	created, err := st.CreateFirstAdmin(ctx, "admin", password)
	if err != nil {
		return err
	}
	if created {
		logger.Warn("created the bootstrap admin: sign in and change the password; it is shown only this once",
			"username", "admin", "password", password)
	}
	return nil
}

func randomPassword() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// stsIdentity asks STS who the console's credentials belong to.
func stsIdentity(cfg aws.Config, timeout time.Duration) handlers.Identity {
	// Asked for the Overview page: bounded as every request's AWS call is
	// (deploy.ForRequest), a few attempts within timeout.
	client := sts.NewFromConfig(cfg, func(o *sts.Options) { o.RetryMaxAttempts = 3 })
	return func(ctx context.Context) (string, string, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return "", "", err
		}
		return aws.ToString(out.Arn), aws.ToString(out.Account), nil
	}
}

// logWriter turns lines written to it into info log records.
type logWriter struct{ logger *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.logger.Info(string(bytes.TrimRight(p, "\r\n")))
	return len(p), nil
}
