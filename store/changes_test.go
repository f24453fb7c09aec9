package store_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// counting is a ReadCache load that counts its calls.
type counting struct{ n atomic.Int64 }

func (c *counting) load(context.Context) (int64, error) { return c.n.Add(1), nil }

func TestReadCacheReusesUntilAnyoneWrites(t *testing.T) {
	ctx := context.Background()
	url := storetest.NewURL(t)
	open := func() *store.Store {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		st := store.New(pool)
		storetest.Follow(t, st)
		return st
	}
	mine, other := open(), open()
	cache := store.NewReadCache(mine, store.ReadCacheOptions[string, int64]{Budget: 1 << 20, Reads: store.Of(store.Users)})
	var loads counting
	get := func() int64 {
		t.Helper()
		v, err := cache.Get(ctx, "k", loads.load)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for range 3 {
		get()
	}
	if n := loads.n.Load(); n != 1 {
		t.Fatalf("three reads loaded %d times, want once", n)
	}
	// A write through this store is seen at once.
	if _, err := mine.CreateUser(ctx, "ada", store.RoleViewer, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if v := get(); v != 2 {
		t.Fatalf("after this store's write the read was reused (load %d)", v)
	}
	// Another console's write, once heard.
	if _, err := other.CreateUser(ctx, "bob", store.RoleViewer, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := mine.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v := get(); v != 3 {
		t.Fatalf("after another console's write the read was reused (load %d)", v)
	}
	// A write to a table the read does not depend on changes nothing.
	if err := other.Audit(ctx, store.AuditEvent{Actor: "system", Action: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := mine.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v := get(); v != 3 {
		t.Fatalf("an audit event made a read of users load again (load %d)", v)
	}
	// Plain SQL from any client is heard too (the tables' triggers).
	if _, err := other.Pool().Exec(ctx, `UPDATE users SET role = 'admin' WHERE username = 'bob'`); err != nil {
		t.Fatal(err)
	}
	if err := mine.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if v := get(); v != 4 {
		t.Fatalf("after an UPDATE by plain SQL the read was reused (load %d)", v)
	}
	// Errors are not kept.
	fails := 0
	for range 2 {
		if _, err := cache.Get(ctx, "bad", func(context.Context) (int64, error) { fails++; return 0, context.Canceled }); err == nil {
			t.Fatal("a failed load returned no error")
		}
	}
	if fails != 2 {
		t.Errorf("a failed load was kept: %d loads for two reads", fails)
	}
}

func TestReadCacheReusesNothingWithoutFollowing(t *testing.T) {
	st := store.New(storetest.NewPool(t)) // not following
	cache := store.NewReadCache(st, store.ReadCacheOptions[string, int64]{Budget: 1 << 20, Reads: store.Of(store.Users)})
	var loads counting
	for range 3 {
		if _, err := cache.Get(context.Background(), "k", loads.load); err != nil {
			t.Fatal(err)
		}
	}
	if loads.n.Load() != 3 {
		t.Errorf("a store that does not follow the database reused reads: %d loads for 3 reads", loads.n.Load())
	}
	if err := st.Sync(context.Background()); err != nil {
		t.Errorf("Sync without following: %v", err)
	}
}

// TestFollowForgetsWhatItReadWhenItsConnectionDies: notices sent while the
// listening connection is down are lost, so reads from before are not
// reused after it; meanwhile every read goes to the database.
func TestFollowForgetsWhatItReadWhenItsConnectionDies(t *testing.T) {
	ctx := context.Background()
	st := storetest.NewStore(t)
	cache := store.NewReadCache(st, store.ReadCacheOptions[string, int64]{Budget: 1 << 20, Reads: store.Of(store.Users)})
	var loads counting
	get := func() int64 {
		v, err := cache.Get(ctx, "k", loads.load)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	get()
	if get() != 1 {
		t.Fatal("not reused while following")
	}
	var killed int
	if err := st.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'ecsconsole changes' AND datname = current_database()`).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminating the listening connection: %d, %v", killed, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for st.Following() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	// Down or back already: either way the old read is gone.
	if v := get(); v == 1 {
		t.Fatal("a read from before the connection died was reused")
	}
	for !st.Following() {
		if time.Now().After(deadline) {
			t.Fatal("the store did not listen again within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := get()
	if get() != n {
		t.Error("reads are not reused once the store listens again")
	}
}

// TestReadCacheLoadsOnceForConcurrentMisses: requests missing the same key
// at once share one load.
func TestReadCacheLoadsOnceForConcurrentMisses(t *testing.T) {
	st := storetest.NewStore(t)
	cache := store.NewReadCache(st, store.ReadCacheOptions[string, int64]{Budget: 1 << 20, Reads: store.Of(store.Users)})
	var loads atomic.Int64
	release := make(chan struct{})
	slow := func(context.Context) (int64, error) {
		<-release
		return loads.Add(1), nil
	}
	results := make(chan int64, 20)
	for range 20 {
		go func() {
			v, err := cache.Get(context.Background(), "k", slow)
			if err != nil {
				t.Error(err)
			}
			results <- v
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all miss
	close(release)
	for range 20 {
		if v := <-results; v != 1 {
			t.Errorf("a request got load %d, want the first", v)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Errorf("20 concurrent misses loaded %d times, want once", n)
	}
}

// TestOwnWritesCountAtOnce: every write method counts its tables when it
// returns, before (and without) the database's notice, so that a request
// after a write on the same console never sees what it replaced.
func TestOwnWritesCountAtOnce(t *testing.T) {
	ctx := context.Background()
	st := store.New(storetest.NewPool(t))
	store.Deafen(st)
	u, err := st.CreateUser(ctx, "ada", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := st.CreateToken(ctx, u.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	dep, err := st.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: "us-east-1/demo/web", Region: "us-east-1",
		Cluster: "demo", Service: "web", Spec: []byte(`{}`), CreatedBy: "ada"}, func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	sessions := st.Sessions(time.Hour)
	for _, w := range []struct {
		name  string
		table store.Table
		write func() error
	}{
		{"CreateUser", store.Users, func() error {
			_, err := st.CreateUser(ctx, "bob", store.RoleViewer, "correct horse battery")
			return err
		}},
		{"SetRole", store.Users, func() error { return st.SetRole(ctx, u.ID, store.RoleAdmin) }},
		{"SetDisabled", store.Users, func() error { return st.SetDisabled(ctx, u.ID, false) }},
		{"CreateToken", store.APITokens, func() error { _, _, err := st.CreateToken(ctx, u.ID, "other"); return err }},
		{"RevokeToken", store.APITokens, func() error { return st.RevokeToken(ctx, tok.ID) }},
		{"session commit", store.Sessions, func() error { return sessions.CommitCtx(ctx, "tok", []byte("x"), time.Now().Add(time.Hour)) }},
		{"session delete", store.Sessions, func() error { return sessions.DeleteCtx(ctx, "tok") }},
		{"Audit", store.AuditEvents, func() error { return st.Audit(ctx, store.AuditEvent{Actor: "ada", Action: "test"}) }},
		{"CreateDeployment", store.Deployments, func() error {
			_, err := st.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: "us-east-1/demo/api", Region: "us-east-1",
				Cluster: "demo", Service: "api", Spec: []byte(`{}`), CreatedBy: "ada"}, func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
			return err
		}},
		{"CreateDeployment (services)", store.Services, func() error {
			_, err := st.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: "us-east-1/demo/jobs", Region: "us-east-1",
				Cluster: "demo", Service: "jobs", Spec: []byte(`{}`), CreatedBy: "ada"}, func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
			return err
		}},
		{"StartDeployment", store.Deployments, func() error { _, err := st.StartDeployment(ctx, dep.ID); return err }},
		{"SetDeploymentOutputs", store.Deployments, func() error { return st.SetDeploymentOutputs(ctx, dep.ID, ecsconsole.Outputs{URL: "https://x"}) }},
		{"StartStep", store.DeploymentSteps, func() error { return st.StartStep(ctx, dep.ID, "cluster") }},
		{"SetStepProgress", store.DeploymentSteps, func() error { return st.SetStepProgress(ctx, dep.ID, "cluster", "1 of 2") }},
		{"FinishStep", store.DeploymentSteps, func() error {
			return st.FinishStep(ctx, dep.ID, "cluster", ecsconsole.StepResult{Status: ecsconsole.StepSucceeded})
		}},
		{"FinishDeployment", store.Deployments, func() error {
			return st.FinishDeployment(ctx, dep.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded})
		}},
		{"FinishDeployment (services)", store.Services, func() error {
			return st.FinishDeployment(ctx, dep.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded})
		}},
	} {
		cache := store.NewReadCache(st, store.ReadCacheOptions[string, int64]{Budget: 1 << 20, Reads: store.Of(w.table)})
		var loads counting
		cache.Get(ctx, "k", loads.load)
		cache.Get(ctx, "k", loads.load)
		if err := w.write(); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
		if v, _ := cache.Get(ctx, "k", loads.load); v != 2 {
			t.Errorf("after %s a read of its table was reused", w.name)
		}
	}
}

// TestFollowNeedsItsProbesBack: a console whose notices do not come back
// (a pooler that drops LISTEN) never reuses a read.
func TestFollowNeedsItsProbesBack(t *testing.T) {
	st := store.New(storetest.NewPool(t))
	store.ProbeElsewhere(st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); st.Follow(ctx, slog.New(slog.DiscardHandler)) }()
	t.Cleanup(func() { cancel(); <-done })
	cache := store.NewReadCache(st, store.ReadCacheOptions[string, int64]{Budget: 1 << 20, Reads: store.Of(store.Users)})
	var loads counting
	for deadline := time.Now().Add(6 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st.Following() {
			t.Fatal("the store follows changes though its probes never come back")
		}
		cache.Get(ctx, "k", loads.load)
	}
	if n := loads.n.Load(); n < 50 {
		t.Errorf("%d loads for %d reads", n, 60)
	}
}
