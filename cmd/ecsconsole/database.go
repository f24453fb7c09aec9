package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store/localpg"
)

// database is an open pool and what must happen to close it.
type database struct {
	Pool *pgxpool.Pool
	// System is the pool of the job queue, the health check and the change
	// probes (store.NewSplit); opened by openSystemPool, nil before.
	System *pgxpool.Pool
	stop   func() error // stops a private cluster we started; nil otherwise
}

// Close closes the pools and stops a private cluster.
func (d *database) Close() error {
	if d.System != nil {
		d.System.Close()
	}
	d.Pool.Close()
	if d.stop != nil {
		return d.stop()
	}
	return nil
}

// openDatabase connects to DATABASE_URL, or to the default local database
// (creating it, and starting a private cluster when no server listens).
func openDatabase(ctx context.Context, cfg dbConfig, logger *slog.Logger) (*database, error) {
	db := &database{}
	url := cfg.URL
	if url == "" {
		srv, err := localpg.Ensure(ctx, filepath.Join(cfg.DataDir, "postgres"), logger)
		if err != nil {
			return nil, err
		}
		db.stop = srv.Stop
		if err := srv.CreateDatabase(ctx, "ecsconsole"); err != nil {
			srv.Stop()
			return nil, fmt.Errorf("creating database ecsconsole: %w", err)
		}
		url = srv.URL("ecsconsole")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		if db.stop != nil {
			db.stop()
		}
		// The parser's message may echo the URL and its password: say less.
		return nil, usagef("invalid DATABASE_URL: expected postgres://user:password@host:5432/dbname")
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		// A database that stops answering must fail a request (503), not
		// hang it: bound each connect unless the URL says otherwise.
		pcfg.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	if !strings.Contains(url, "pool_max_conns") {
		pcfg.MaxConns = requestPoolSize()
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		if db.stop != nil {
			db.stop()
		}
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	db.Pool = pool
	return db, nil
}

// requestPoolSize is the request pool's size unless DATABASE_URL sets
// pool_max_conns: 4 per CPU, at least 8. pgx's default (the CPU count,
// at least 4) let four slow readers hold every connection; now no request
// holds one while its client reads (store.EachDeployment), and a machine
// with more CPUs serves more requests at once.
func requestPoolSize() int32 {
	return int32(max(8, 4*runtime.GOMAXPROCS(0)))
}

// systemPoolSize is the system pool's: River's notifier keeps one
// connection LISTENing, its producer, leader election and maintenance take
// one each for a moment, and the health check and change probes one more.
const systemPoolSize = 6

// openSystemPool opens db.System beside db.Pool, on the same database:
// the job queue, /readyz and the change probes use it, so that requests
// can never take the connections they need.
func (d *database) openSystemPool(ctx context.Context) error {
	cfg := d.Pool.Config().Copy()
	cfg.MaxConns = systemPoolSize
	cfg.MinConns = 0
	cfg.ConnConfig.RuntimeParams["application_name"] = "ecsconsole system"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connecting to the database: %w", err)
	}
	d.System = pool
	return nil
}
