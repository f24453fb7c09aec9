package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/handlers"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// deploymentReads records the statements a pool sends that read
// deployments or their steps.
type deploymentReads struct {
	mu  sync.Mutex
	sql []string
}

func (d *deploymentReads) TraceQueryStart(ctx context.Context, _ *pgx.Conn, q pgx.TraceQueryStartData) context.Context {
	if strings.Contains(q.SQL, "FROM deployment") {
		d.mu.Lock()
		d.sql = append(d.sql, q.SQL)
		d.mu.Unlock()
	}
	return ctx
}

func (d *deploymentReads) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (d *deploymentReads) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sql)
}

// TestStepWriteKeepsFinishedDeploymentPages: a step write (every few
// seconds while a deployment runs) drops the kept page of an unfinished
// deployment, which shows steps, and leaves a finished one's in memory.
func TestStepWriteKeepsFinishedDeploymentPages(t *testing.T) {
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(storetest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	reads := &deploymentReads{}
	cfg.ConnConfig.Tracer = reads
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool)
	storetest.Follow(t, st)
	c := serveConsoleWith(t, st, handlers.Options{Region: "us-east-1"})
	c.addUser("ada", store.RoleAdmin)
	insertDeployment(t, c, "web", "finished")
	var running int64
	if err := pool.QueryRow(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name, reason)
		VALUES ('us-east-1/demo/api', 'us-east-1', 'demo', 'api', '{}', 'running', 'seed', 'running') RETURNING id`).Scan(&running); err != nil {
		t.Fatal(err)
	}
	if err := st.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	b := c.browser()
	wantStatus(t, b.login("ada", testPassword), http.StatusSeeOther)
	finishedPage, runningPage := "/deployments/1", "/deployments/"+itoa(running)
	for _, p := range []string{finishedPage, runningPage, finishedPage, runningPage} {
		wantStatus(t, b.get(p), http.StatusOK)
	}
	if err := st.StartStep(ctx, running, "cluster"); err != nil {
		t.Fatal(err)
	}
	before := reads.count()
	wantStatus(t, b.get(finishedPage), http.StatusOK)
	if n := reads.count() - before; n != 0 {
		t.Errorf("a step write dropped a finished deployment's page: %d reads of deployments", n)
	}
	before = reads.count()
	wantStatus(t, b.get(runningPage), http.StatusOK)
	if reads.count() == before {
		t.Error("a step write left a running deployment's page in memory")
	}
}
