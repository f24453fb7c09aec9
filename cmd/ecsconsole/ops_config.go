package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/metrics"
	"github.com/ecsconsole/ecsconsole/notify"
	"github.com/ecsconsole/ecsconsole/store"
)

// opsConfig is the configuration of freezes, notifications and metrics:
// its flags in one block.
type opsConfig struct {
	// FreezeAfterRollback freezes a service after a person rolls it back.
	FreezeAfterRollback bool
	// WebhookTimeout bounds one webhook request; WebhookRetry is the first
	// retry's delay (doubling).
	WebhookTimeout time.Duration
	WebhookRetry   time.Duration
	// MetricsAddr is where /metrics is served; "" (the default): nowhere.
	MetricsAddr string
}

func (c *opsConfig) register(e *envFlags) {
	e.Bool(&c.FreezeAfterRollback, "freeze-after-rollback", "ECSCONSOLE_FREEZE_AFTER_ROLLBACK", false,
		"freeze a service after a person rolls it back, so that a pipeline cannot deploy over the rollback")
	e.Duration(&c.WebhookTimeout, "webhook-timeout", "ECSCONSOLE_WEBHOOK_TIMEOUT", 10*time.Second,
		"how long one webhook request may take")
	e.Duration(&c.WebhookRetry, "webhook-retry", "ECSCONSOLE_WEBHOOK_RETRY", 10*time.Second,
		"delay before a failed webhook delivery's first retry; it doubles each time, up to 6h, for 12 attempts")
	e.String(&c.MetricsAddr, "metrics-addr", "ECSCONSOLE_METRICS_ADDR", "",
		"serve Prometheus metrics at /metrics on this address, e.g. 127.0.0.1:9090 (never on --addr); off when empty")
}

func (c *opsConfig) check(addr string) error {
	if c.WebhookTimeout <= 0 || c.WebhookRetry <= 0 {
		return usagef("webhook durations must be positive")
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return usagef("invalid --metrics-addr %q: want host:port, e.g. 127.0.0.1:9090", c.MetricsAddr)
		}
		if c.MetricsAddr == addr && !strings.HasSuffix(addr, ":0") {
			return usagef("--metrics-addr must differ from --addr: metrics are never served on the public address")
		}
	}
	return nil
}

// startMetrics serves /metrics on c.MetricsAddr, its own listener, and
// returns the metrics to observe the console with; nil when off. It tells
// st and the AWS clients to report to them.
func startMetrics(c opsConfig, st *store.Store, aws *awsEnvironment, logger *slog.Logger) (*metrics.Metrics, func(), error) {
	if c.MetricsAddr == "" {
		return nil, func() {}, nil
	}
	m := metrics.New(st.Pool(), logger)
	st.SetObserver(m)
	aws.Engine.Middleware = append(aws.Engine.Middleware, m.AWSMiddleware)
	aws.Config.APIOptions = append(aws.Config.APIOptions, m.AWSMiddleware)
	ln, err := net.Listen("tcp", c.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listening on --metrics-addr %s: %w", c.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go srv.Serve(ln)
	logger.Info("metrics listening", "url", "http://"+ln.Addr().String()+"/metrics")
	return m, func() { srv.Close() }, nil
}

// requestObserver is m as the handlers' observer: a nil interface (not a
// nil *Metrics) when metrics are off.
func requestObserver(m *metrics.Metrics) handlers.RequestObserver {
	if m == nil {
		return nil
	}
	return m
}

// newNotifier makes st's deployment events enqueue webhook deliveries; the
// deployment worker client sends them too (workerOptions), so that one
// client knows every job kind.
func newNotifier(st *store.Store, c opsConfig, baseURL string, logger *slog.Logger) (*notify.Notifier, error) {
	return notify.New(st, notify.Options{BaseURL: baseURL, Timeout: c.WebhookTimeout, RetryBase: c.WebhookRetry, Logger: logger})
}

// workerOptions adds n's deliveries to the deployment worker client.
func workerOptions(n *notify.Notifier) deploy.WorkerOptions {
	return deploy.WorkerOptions{AddWorkers: n.AddWorkers, Queues: map[string]river.QueueConfig{notify.Queue: notify.QueueConfig()}}
}
