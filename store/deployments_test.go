package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

func newDeployment(service string) ecsconsole.NewDeployment {
	return ecsconsole.NewDeployment{
		ServiceKey: "us-east-1/demo/" + service, Region: "us-east-1", Cluster: "demo", Service: service,
		Spec: json.RawMessage(`{"service":{"name":"` + service + `"}}`), CreatedBy: "alice", Reason: "test",
	}
}

func noEnqueue(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil }

func TestCreateDeploymentStoresItAndEnqueuesInItsTransaction(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	var enqueued int64
	d, err := s.CreateDeployment(ctx, newDeployment("web"), func(ctx context.Context, tx pgx.Tx, d ecsconsole.Deployment) error {
		// The row is visible inside the transaction the job is inserted in.
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM deployments WHERE id = $1`, d.ID).Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("row not visible in tx: %d, %v", n, err)
		}
		enqueued = d.ID
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if enqueued != d.ID || d.Status != ecsconsole.StatusQueued || d.Kind != ecsconsole.KindDeploy {
		t.Fatalf("got %+v, enqueued %d", d, enqueued)
	}
	got, err := s.Deployment(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedBy != "alice" || got.ServiceKey != "us-east-1/demo/web" || string(got.Spec) != `{"service": {"name": "web"}}` {
		t.Fatalf("stored %+v", got)
	}
	if _, err := s.Deployment(ctx, d.ID+100); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Fatalf("missing deployment: got %v, want ErrNotFound", err)
	}
}

func TestCreateDeploymentRollsBackWhenEnqueueFails(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	boom := errors.New("queue down")
	_, err := s.CreateDeployment(ctx, newDeployment("web"), func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the enqueue error", err)
	}
	ds, _, err := s.ListDeployments(ctx, store.DeploymentFilter{}, "", 10)
	if err != nil || len(ds) != 0 {
		t.Fatalf("a deployment without its job was kept: %v, %v", ds, err)
	}
}

func TestConcurrentCreatesOfOneServiceConflictOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = s.CreateDeployment(ctx, newDeployment("web"), noEnqueue) })
	}
	wg.Wait()
	var ok, conflicts int
	for _, err := range errs {
		var active *ecsconsole.ActiveDeploymentError
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ecsconsole.ErrConflict) && errors.As(err, &active):
			conflicts++
			if active.Active.ServiceKey != "us-east-1/demo/web" || active.Active.ID == 0 {
				t.Errorf("conflict names %+v", active.Active)
			}
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok != 1 || conflicts != n-1 {
		t.Fatalf("%d created, %d conflicts; want 1 and %d", ok, conflicts, n-1)
	}
	// Another service is independent, and a finished deployment frees its service.
	if _, err := s.CreateDeployment(ctx, newDeployment("api"), noEnqueue); err != nil {
		t.Fatal(err)
	}
	active, err := s.ActiveDeployment(ctx, "us-east-1/demo/web")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishDeployment(ctx, active.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDeployment(ctx, newDeployment("web"), noEnqueue); err != nil {
		t.Fatalf("after the first finished: %v", err)
	}
}

func TestDeploymentLifecycle(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	d, err := s.CreateDeployment(ctx, newDeployment("web"), noEnqueue)
	if err != nil {
		t.Fatal(err)
	}
	started, err := s.StartDeployment(ctx, d.ID)
	if err != nil || started.Status != ecsconsole.StatusRunning || started.StartedAt == nil {
		t.Fatalf("start: %+v, %v", started, err)
	}
	td := json.RawMessage(`{"family":"web"}`)
	must(t, s.SetDeploymentTaskDefinition(ctx, d.ID, td, "arn:td:1"))
	must(t, s.SetDNSValidation(ctx, d.ID, []ecsconsole.DNSRecord{{DomainName: "app.example.com", Name: "_x.app.example.com.", Type: "CNAME", Value: "_y.acm.", Status: "PENDING_VALIDATION"}}))
	must(t, s.SetDeploymentStatus(ctx, d.ID, ecsconsole.StatusWaitingForDNS))
	must(t, s.SetDeploymentOutputs(ctx, d.ID, ecsconsole.Outputs{URL: "https://app.example.com", ARNs: map[string]string{"cluster": "arn:c"}}))
	must(t, s.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusFailed, ErrorStep: "service", ErrorCode: "InvalidParameterException", ErrorMessage: "bad"}))
	// A second finish (a job run twice) does not rewrite the outcome.
	must(t, s.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}))
	if err := s.SetDeploymentStatus(ctx, d.ID, ecsconsole.StatusRunning); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Fatalf("reopening a finished deployment: got %v, want ErrNotFound", err)
	}
	got, err := s.Deployment(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != ecsconsole.StatusFailed || got.ErrorStep != "service" || got.FinishedAt == nil ||
		got.TaskDefinitionARN != "arn:td:1" || got.Outputs.ARNs["cluster"] != "arn:c" ||
		len(got.DNSValidation) != 1 || got.DNSValidation[0].Value != "_y.acm." {
		t.Fatalf("stored %+v", got)
	}
}

func TestListDeploymentsPagesNewestFirst(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	var ids []int64
	for i := range 5 {
		for _, svc := range []string{"web", "api"} {
			d, err := s.CreateDeployment(ctx, newDeployment(svc), noEnqueue)
			if err != nil {
				t.Fatal(err)
			}
			status := ecsconsole.StatusSucceeded
			if i%2 == 1 {
				status = ecsconsole.StatusFailed
			}
			must(t, s.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: status}))
			if svc == "web" {
				ids = append([]int64{d.ID}, ids...)
			}
		}
	}
	tests := []struct {
		name   string
		filter store.DeploymentFilter
		want   int
	}{
		{"all", store.DeploymentFilter{}, 10},
		{"one service", store.DeploymentFilter{ServiceKey: "us-east-1/demo/web"}, 5},
		{"one status", store.DeploymentFilter{Status: ecsconsole.StatusFailed}, 4},
		{"service and status", store.DeploymentFilter{ServiceKey: "us-east-1/demo/web", Status: ecsconsole.StatusSucceeded}, 3},
		{"unknown service", store.DeploymentFilter{ServiceKey: "us-east-1/demo/nope"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []ecsconsole.Deployment
			cursor, pages := "", 0
			for {
				page, next, err := s.ListDeployments(ctx, tc.filter, cursor, 2)
				if err != nil {
					t.Fatal(err)
				}
				got, pages = append(got, page...), pages+1
				if next == "" {
					break
				}
				cursor = next
			}
			if len(got) != tc.want {
				t.Fatalf("got %d deployments in %d pages, want %d", len(got), pages, tc.want)
			}
			for i := 1; i < len(got); i++ {
				if got[i].ID >= got[i-1].ID {
					t.Fatalf("not newest first: %d after %d", got[i].ID, got[i-1].ID)
				}
			}
		})
	}
	web, _, err := s.ListDeployments(ctx, store.DeploymentFilter{ServiceKey: "us-east-1/demo/web"}, "", 50)
	if err != nil || len(web) != 5 || web[0].ID != ids[0] {
		t.Fatalf("web history: %v, %v", web, err)
	}
	if _, _, err := s.ListDeployments(ctx, store.DeploymentFilter{}, "x1", 2); !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("bad cursor: got %v", err)
	}
}

func TestStepsRecordRunsCallsAndResults(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	d, err := s.CreateDeployment(ctx, newDeployment("web"), noEnqueue)
	if err != nil {
		t.Fatal(err)
	}
	must(t, s.StartStep(ctx, d.ID, "cluster"))
	must(t, s.SetStepProgress(ctx, d.ID, "cluster", "still provisioning"))
	if steps, err := s.Steps(ctx, d.ID); err != nil || steps[0].Progress != "still provisioning" || steps[0].Status != ecsconsole.StepRunning {
		t.Fatalf("running step %+v, %v", steps, err)
	}
	must(t, s.FinishStep(ctx, d.ID, "cluster", ecsconsole.StepResult{Status: ecsconsole.StepFailed, ErrorCode: "ServerException", ErrorMessage: "boom", Calls: 2, Retries: 1}))
	// A resumed run starts it again and succeeds; counters accumulate.
	must(t, s.StartStep(ctx, d.ID, "cluster"))
	must(t, s.FinishStep(ctx, d.ID, "cluster", ecsconsole.StepResult{Status: ecsconsole.StepSucceeded, Action: ecsconsole.ActionCreate,
		ResourceARN: "arn:cluster", AWSRequestID: "req-1", Calls: 1, Detail: json.RawMessage(`{"arn":"arn:cluster"}`)}))
	must(t, s.FinishStep(ctx, d.ID, "https-listener", ecsconsole.StepResult{Status: ecsconsole.StepSkipped}))
	steps, err := s.Steps(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 {
		t.Fatalf("got %d steps, want 2", len(steps))
	}
	c := steps[0]
	if c.Name != "cluster" || c.Status != ecsconsole.StepSucceeded || c.Runs != 2 || c.Calls != 3 || c.Retries != 1 ||
		c.ErrorCode != "" || c.ResourceARN != "arn:cluster" || c.AWSRequestID != "req-1" || c.FinishedAt == nil {
		t.Fatalf("cluster step %+v", c)
	}
	if steps[1].Name != "https-listener" || steps[1].Status != ecsconsole.StepSkipped {
		t.Fatalf("skipped step %+v", steps[1])
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkListDeployments pages through a history of 1,000,000
// deployments over 1,000 services: the first page and a deep page, overall,
// per service and per status.
func BenchmarkListDeployments(b *testing.B) {
	ctx := context.Background()
	s := storetest.NewStore(b)
	_, err := s.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name)
		SELECT 'us-east-1/demo/svc' || (i % 1000), 'us-east-1', 'demo', 'svc' || (i % 1000),
			'{"service":{"name":"svc"}}', CASE WHEN i % 10 = 0 THEN 'failed' ELSE 'succeeded' END, 'alice'
		FROM generate_series(1, 1000000) AS i`)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool().Exec(ctx, `ANALYZE deployments`); err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name   string
		filter store.DeploymentFilter
		cursor string
	}{
		{"all/first", store.DeploymentFilter{}, ""},
		{"all/deep", store.DeploymentFilter{}, "500000"},
		{"service/first", store.DeploymentFilter{ServiceKey: "us-east-1/demo/svc7"}, ""},
		{"service/deep", store.DeploymentFilter{ServiceKey: "us-east-1/demo/svc7"}, "500000"},
		{"status/first", store.DeploymentFilter{Status: ecsconsole.StatusFailed}, ""},
		{"service+status/deep", store.DeploymentFilter{ServiceKey: "us-east-1/demo/svc10", Status: ecsconsole.StatusFailed}, "500000"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				page, _, err := s.ListDeployments(ctx, tc.filter, tc.cursor, 50)
				if err != nil || len(page) != 50 {
					b.Fatalf("%d rows, %v", len(page), err)
				}
			}
		})
	}
}

func TestListDeploymentsFilters(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	insert := func(key, service, kind, by string, at time.Time) int64 {
		t.Helper()
		var id int64
		rollbackOf := "NULL"
		if kind == "rollback" {
			rollbackOf = "(SELECT min(id) FROM deployments)"
		}
		err := s.Pool().QueryRow(ctx, `INSERT INTO deployments (service_key, region, cluster, service, kind, rollback_of, spec, status, created_by_name, created_at)
			VALUES ($1, 'us-east-1', 'c', $2, $3, `+rollbackOf+`, '{}', 'succeeded', $4, $5) RETURNING id`, key, service, kind, by, at).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	day := func(d int) time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	a1 := insert("us-east-1/c/php-app", "php-app", "deploy", "alice", day(1))
	b1 := insert("eu-west-1/c/php-app", "php-app", "deploy", "bob", day(2))
	insert("us-east-1/c/other", "other", "deploy", "alice", day(3))
	r1 := insert("us-east-1/c/php-app", "php-app", "rollback", "bob", day(4))
	ids := func(f store.DeploymentFilter) string {
		t.Helper()
		list, _, err := s.ListDeployments(ctx, f, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, d := range list {
			out = append(out, d.ID)
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		name string
		f    store.DeploymentFilter
		want []int64
	}{
		{"by name in every region", store.DeploymentFilter{Service: "php-app"}, []int64{r1, b1, a1}},
		{"by key", store.DeploymentFilter{ServiceKey: "us-east-1/c/php-app"}, []int64{r1, a1}},
		{"by kind", store.DeploymentFilter{Kind: "rollback"}, []int64{r1}},
		{"by user", store.DeploymentFilter{CreatedBy: "bob"}, []int64{r1, b1}},
		{"since", store.DeploymentFilter{Since: day(2)}, []int64{r1, r1 - 1, b1}},
		{"until", store.DeploymentFilter{Until: day(2)}, []int64{a1}},
		{"range and user", store.DeploymentFilter{Since: day(2), Until: day(5), CreatedBy: "alice"}, []int64{r1 - 1}},
		{"empty range", store.DeploymentFilter{Since: day(20)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, want := ids(tc.f), fmt.Sprint(tc.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}

	// The export streams the same rows, newest first, without a limit.
	var exported []int64
	if err := s.EachDeployment(ctx, store.DeploymentFilter{Service: "php-app"}, func(d ecsconsole.Deployment) error {
		exported = append(exported, d.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(exported) != fmt.Sprint([]int64{r1, b1, a1}) {
		t.Errorf("exported %v", exported)
	}
	stop := errors.New("stop")
	if err := s.EachDeployment(ctx, store.DeploymentFilter{}, func(ecsconsole.Deployment) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("EachDeployment did not return fn's error: %v", err)
	}
	if got, err := s.RestoredBy(ctx, a1); err != nil || fmt.Sprint(got) != fmt.Sprint([]int64{r1}) {
		t.Errorf("RestoredBy(%d) = %v, %v", a1, got, err)
	}
}
