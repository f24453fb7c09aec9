package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store/localpg"
)

// database is an open pool and what must happen to close it.
type database struct {
	Pool *pgxpool.Pool
	stop func() error // stops a private cluster we started; nil otherwise
}

// Close closes the pool and stops a private cluster.
func (d *database) Close() error {
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
