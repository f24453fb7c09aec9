package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

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
}

func (c *opsConfig) register(e *envFlags) {
	e.Bool(&c.FreezeAfterRollback, "freeze-after-rollback", "ECSCONSOLE_FREEZE_AFTER_ROLLBACK", false,
		"freeze a service after a person rolls it back, so that a pipeline cannot deploy over the rollback")
	e.Duration(&c.WebhookTimeout, "webhook-timeout", "ECSCONSOLE_WEBHOOK_TIMEOUT", 10*time.Second,
		"how long one webhook request may take")
	e.Duration(&c.WebhookRetry, "webhook-retry", "ECSCONSOLE_WEBHOOK_RETRY", 10*time.Second,
		"delay before a failed webhook delivery's first retry; it doubles each time, up to 6h, for 12 attempts")
}

func (c *opsConfig) check() error {
	if c.WebhookTimeout <= 0 || c.WebhookRetry <= 0 {
		return usagef("webhook durations must be positive")
	}
	return nil
}

// startNotifier makes st's deployment events enqueue webhook deliveries
// and starts the worker that sends them; stop lets a running send finish
// (briefly) and leaves: another console, or the next start, sends the rest.
func startNotifier(ctx context.Context, st *store.Store, c opsConfig, baseURL string, logger *slog.Logger) (stop func(), err error) {
	n, err := notify.New(st, notify.Options{BaseURL: baseURL, Timeout: c.WebhookTimeout, RetryBase: c.WebhookRetry,
		Logger: logger})
	if err != nil {
		return nil, err
	}
	worker, err := n.NewWorkerClient(notify.WorkerOptions{})
	if err != nil {
		return nil, err
	}
	if err := worker.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, fmt.Errorf("starting the webhook worker: %w", err)
	}
	return func() { stopWorker(worker, c.WebhookTimeout, logger) }, nil
}
