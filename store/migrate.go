package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ecsconsole/ecsconsole/migrations"
)

// MigrationStatus says where the schema stands.
type MigrationStatus struct {
	Current, Latest int64 // our migrations (goose versions)
	RiverPending    bool  // River's own tables need migrating
}

// Pending reports whether anything is left to apply.
func (m MigrationStatus) Pending() bool { return m.Current < m.Latest || m.RiverPending }

// ErrSchemaOutOfDate is returned by CheckSchema when migrations are pending.
var ErrSchemaOutOfDate = fmt.Errorf("database schema is out of date")

// Migrate applies pending migrations: ours (goose, from migrations.FS) and
// River's (its own migrator), logging each to out.
func Migrate(ctx context.Context, pool *pgxpool.Pool, out io.Writer) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := newGoose(db)
	if err != nil {
		return err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("applying migrations: %w", err)
	}
	for _, r := range results {
		fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("applying job queue migrations: %w", err)
	}
	for _, v := range res.Versions {
		fmt.Fprintf(out, "applied river %03d %s\n", v.Version, v.Name)
	}
	return nil
}

// Status reports the schema's state without changing anything.
func Status(ctx context.Context, pool *pgxpool.Pool) (MigrationStatus, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := newGoose(db)
	if err != nil {
		return MigrationStatus{}, err
	}
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("reading schema version: %w", err)
	}
	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("river migrator: %w", err)
	}
	dry, err := rm.Migrate(ctx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{DryRun: true})
	if err != nil {
		return MigrationStatus{}, fmt.Errorf("reading job queue schema version: %w", err)
	}
	return MigrationStatus{Current: current, Latest: latest, RiverPending: len(dry.Versions) > 0}, nil
}

// CheckSchema returns an error wrapping ErrSchemaOutOfDate when migrations
// are pending.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	st, err := Status(ctx, pool)
	if err != nil {
		return err
	}
	if st.Pending() {
		return fmt.Errorf("%w (at version %d of %d, job queue pending: %t)", ErrSchemaOutOfDate, st.Current, st.Latest, st.RiverPending)
	}
	return nil
}

func newGoose(db *sql.DB) (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return nil, fmt.Errorf("loading migrations: %w", err)
	}
	return p, nil
}

// RiverMigrationNames lists River's migrations known to this binary, so a
// River upgrade shows as a schema change.
func RiverMigrationNames() []string {
	rm, err := rivermigrate.New(riverpgxv5.New(nil), nil)
	if err != nil {
		return nil
	}
	var names []string
	for _, m := range rm.AllVersions() {
		names = append(names, fmt.Sprintf("%d:%s", m.Version, m.Name))
	}
	return names
}
