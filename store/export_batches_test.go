package store_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// seedDeployments inserts n finished deployments of 40 services.
func seedDeployments(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, reason, finished_at)
		SELECT 'us-east-1/c/s' || (i % 40), 'us-east-1', 'c', 's' || (i % 40), '{}'::jsonb, 'succeeded', 'seed', 'release ' || i, now()
		FROM generate_series(1, $1) i`, n)
	if err != nil {
		t.Fatal(err)
	}
}

// An export holds no connection while its rows are handed out: with a
// pool of one connection, the callback (a slow client's write, here a
// query of its own) still gets one, and every row comes once, newest
// first, across the batches.
func TestEachDeploymentHoldsNoConnectionBetweenBatches(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(storetest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	const n = 2*store.MaxDeploymentPage + 57
	seedDeployments(t, pool, n)
	s := store.New(pool)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last int64
	count := 0
	err = s.EachDeployment(ctx, store.DeploymentFilter{}, func(d ecsconsole.Deployment) error {
		if last != 0 && d.ID >= last {
			t.Fatalf("row %d after %d: not newest first, or twice", d.ID, last)
		}
		last = d.ID
		count++
		if count%store.MaxDeploymentPage == 1 { // one query per batch is enough to show it
			qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			if _, err := s.Deployment(qctx, d.ID); err != nil {
				t.Fatalf("a query from inside the export (row %d): %v: the export holds the only connection", count, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Errorf("exported %d rows, want %d", count, n)
	}
}

// With every request connection taken, the system pool still pings the
// database (/readyz), sends the change probes and serves the job queue.
func TestSystemPoolIsNotStarvedByRequests(t *testing.T) {
	url := storetest.NewURL(t)
	open := func(max int32) *pgxpool.Pool {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = max
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return pool
	}
	requests, system := open(1), open(2)
	s := store.NewSplit(requests, system)
	held, err := requests.Acquire(context.Background()) // a request that never lets go
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping with every request connection taken: %v", err)
	}
	if s.Pool() != system {
		t.Error("the job queue's pool is not the system pool")
	}
	// The listener's first probe goes through the system pool: it comes
	// back, and reads are reused.
	fctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Follow(fctx, slog.New(slog.DiscardHandler)) }()
	defer func() { stop(); <-done }()
	for !s.Following() {
		if ctx.Err() != nil {
			t.Fatal("the change listener's probe did not come back with every request connection taken")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
