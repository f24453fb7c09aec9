// Package metrics is the console's Prometheus metrics: deployments and
// their steps (heard from the store), AWS calls (an SDK middleware), HTTP
// requests by route pattern (heard from the handlers), the job queue's
// depth and the read caches' hits. Served by Handler on its own address.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ecsconsole/ecsconsole"
)

// strategyRolling is the only strategy the engine runs so far; the label
// is there for the blue/green, canary and linear strategies.
const strategyRolling = "rolling"

// Metrics holds the console's collectors on their own registry.
type Metrics struct {
	registry *prometheus.Registry

	deploymentsStarted  *prometheus.CounterVec
	deploymentsFinished *prometheus.CounterVec
	applyDuration       *prometheus.HistogramVec
	steps               *prometheus.CounterVec
	awsCalls            *prometheus.CounterVec
	httpRequests        *prometheus.CounterVec
	httpDuration        *prometheus.HistogramVec
	cacheLookups        *prometheus.CounterVec
}

// New returns the console's metrics; pool is read for the job queue's
// depth at each scrape.
func New(pool *pgxpool.Pool, logger *slog.Logger) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		deploymentsStarted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecsconsole_deployments_started_total",
			Help: "Deployments submitted, by kind (deploy, rollback) and strategy.",
		}, []string{"kind", "strategy"}),
		deploymentsFinished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecsconsole_deployments_finished_total",
			Help: "Deployments that ended, by outcome (succeeded, failed, rolled_back_by_ecs, superseded, interrupted) and strategy.",
		}, []string{"outcome", "strategy"}),
		applyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ecsconsole_apply_duration_seconds",
			Help:    "Time from a deployment's start to its outcome, by outcome.",
			Buckets: []float64{5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 4 * 3600},
		}, []string{"outcome"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecsconsole_deployment_steps_total",
			Help: "Deployment steps finished, by outcome (succeeded, failed, skipped).",
		}, []string{"outcome"}),
		awsCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecsconsole_aws_calls_total",
			Help: "AWS API operations called (retries included in one), by service, operation and error code (empty when it succeeded).",
		}, []string{"service", "operation", "error_code"}),
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecsconsole_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ecsconsole_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "method"}),
		cacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ecsconsole_read_cache_lookups_total",
			Help: "Lookups in the store's read caches, by result (hit, miss).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.deploymentsStarted, m.deploymentsFinished, m.applyDuration, m.steps, m.awsCalls,
		m.httpRequests, m.httpDuration, m.cacheLookups,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&queueCollector{pool: pool, logger: logger})
	return m
}

// Handler serves the metrics in Prometheus's text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// DeploymentCreated counts a submitted deployment (store.Observer).
func (m *Metrics) DeploymentCreated(d ecsconsole.Deployment) {
	m.deploymentsStarted.WithLabelValues(d.Kind, strategyRolling).Inc()
}

// DeploymentFinished counts a deployment's outcome and how long it took
// from its start (store.Observer).
func (m *Metrics) DeploymentFinished(d ecsconsole.Deployment) {
	m.deploymentsFinished.WithLabelValues(string(d.Status), strategyRolling).Inc()
	if d.StartedAt != nil && d.FinishedAt != nil {
		m.applyDuration.WithLabelValues(string(d.Status)).Observe(d.FinishedAt.Sub(*d.StartedAt).Seconds())
	}
}

// StepFinished counts a step's outcome (store.Observer).
func (m *Metrics) StepFinished(status ecsconsole.StepStatus) {
	m.steps.WithLabelValues(string(status)).Inc()
}

// CacheLookup counts a read cache's hit or miss (store.Observer).
func (m *Metrics) CacheLookup(hit bool) {
	if hit {
		m.cacheLookups.WithLabelValues("hit").Inc()
	} else {
		m.cacheLookups.WithLabelValues("miss").Inc()
	}
}

// ObserveHTTP counts a request by its route pattern (never the raw path,
// whose ids would make a series per deployment).
func (m *Metrics) ObserveHTTP(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

// AWSMiddleware counts every AWS operation: add it to the SDK's API
// options where the AWS configuration is built. It wraps the whole
// operation, so a call retried after throttling counts once, with the
// error it finally returned.
func (m *Metrics) AWSMiddleware(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ecsconsoleMetrics",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleInitialize(ctx, in)
			code := ""
			if err != nil {
				var ae smithy.APIError
				if errors.As(err, &ae) {
					code = ae.ErrorCode()
				} else {
					code = "NoAnswer" // a network error, a timeout, a cancelled context
				}
			}
			m.awsCalls.WithLabelValues(awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx), code).Inc()
			return out, md, err
		}), middleware.After)
}

// queueCollector reports River's jobs by queue and state at each scrape.
type queueCollector struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

var queueDesc = prometheus.NewDesc("ecsconsole_river_jobs",
	"River jobs not yet finished, by queue (default: deployments; notifications: webhooks) and state.",
	[]string{"queue", "state"}, nil)

// queueStates are the states reported, also when no job is in them.
var queueStates = []string{"available", "scheduled", "retryable", "running"}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rows, err := c.pool.Query(ctx, `SELECT queue, state::text, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY 1, 2`)
	if err != nil {
		c.logger.Warn("metrics: reading the job queue", "error", err.Error())
		return
	}
	counts := map[[2]string]int64{{"default", "available"}: 0, {"notifications", "available"}: 0}
	for rows.Next() {
		var queue, state string
		var n int64
		if err := rows.Scan(&queue, &state, &n); err != nil {
			c.logger.Warn("metrics: reading the job queue", "error", err.Error())
			rows.Close()
			return
		}
		counts[[2]string{queue, state}] = n
	}
	if err := rows.Err(); err != nil {
		c.logger.Warn("metrics: reading the job queue", "error", err.Error())
		return
	}
	queues := map[string]bool{}
	for k := range counts {
		queues[k[0]] = true
	}
	for q := range queues {
		for _, st := range queueStates {
			ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(counts[[2]string{q, st}]), q, st)
		}
	}
}
