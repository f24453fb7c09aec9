package e2e

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// crashRig is a standalone sandbox, a database, and console processes on
// it that the test kills with SIGKILL and starts again.
type crashRig struct {
	t          *testing.T
	dbURL      string
	db         *pgxpool.Pool
	sandboxURL string
	sandbox    *process
	sbPort     int
	sbState    string
	console    *process
	consoleURL string
	token      string
	slice      string
}

// newCrashRig starts a standalone sandbox with sandboxFlags and a first
// console. Consoles run with --apply-slice 2s, or
// $ECSCONSOLE_E2E_APPLY_SLICE (e.g. 20s, the default, to measure it).
func newCrashRig(t *testing.T, sandboxFlags ...string) *crashRig {
	t.Helper()
	rig := &crashRig{t: t, dbURL: storetest.NewURL(t), sbPort: freePort(t), sbState: filepath.Join(t.TempDir(), "sandbox.json"),
		slice: cmp.Or(os.Getenv("ECSCONSOLE_E2E_APPLY_SLICE"), "2s")}
	rig.sandboxURL = "http://127.0.0.1:" + strconv.Itoa(rig.sbPort)
	rig.startSandbox(sandboxFlags...)
	pool, err := pgxpool.New(context.Background(), rig.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	rig.db = pool
	rig.startConsole()
	rig.token = createToken(t, rig.dbURL)
	return rig
}

func (rig *crashRig) startSandbox(flags ...string) {
	args := append([]string{"--state", rig.sbState, "--save-every", "250ms"}, flags...)
	rig.sandbox = startStandaloneSandbox(rig.t, rig.sbPort, args...)
}

// startConsole starts `ecsconsole serve` against the sandbox and database.
func (rig *crashRig) startConsole() {
	rig.t.Helper()
	env := append(sandboxEnv(rig.sandboxURL), "DATABASE_URL="+rig.dbURL)
	p, line := startProcess(rig.t, env, "serve", "--addr", "127.0.0.1:0", "--migrate", "--log-format", "json",
		"--apply-slice", rig.slice, "--poll-interval", "200ms", "--dns-recheck-interval", "2s")
	url, ok := strings.CutPrefix(line, "ecsconsole listening on ")
	if !ok {
		rig.t.Fatalf("console startup line %q", line)
	}
	rig.console, rig.consoleURL = p, url
}

// kill9 kills the console and returns when it did.
func (rig *crashRig) kill9() time.Time {
	rig.console.kill()
	return time.Now()
}

// deploy submits the journey spec through the API.
func (rig *crashRig) deploy() int64 {
	rig.t.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	status := apiCall(rig.t, "POST", rig.consoleURL+"/api/v1/deployments", rig.token,
		map[string]any{"spec": rig.spec(), "reason": "crash test"}, &out)
	if status != 202 {
		rig.t.Fatalf("POST /api/v1/deployments: %d", status)
	}
	return out.ID
}

// spec is the journey spec in the sandbox's first two subnets.
func (rig *crashRig) spec() map[string]any {
	rig.t.Helper()
	var spec map[string]any
	if err := json.Unmarshal(journeySpec(rig.t), &spec); err != nil {
		rig.t.Fatal(err)
	}
	out, err := ec2.NewFromConfig(awsConfig(rig.sandboxURL)).DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{})
	check(rig.t, err)
	var ids []string
	for _, sn := range out.Subnets {
		ids = append(ids, aws.ToString(sn.SubnetId))
	}
	slices.Sort(ids)
	spec["service"].(map[string]any)["subnets"] = ids[:2]
	spec["loadBalancer"].(map[string]any)["subnets"] = ids[:2]
	return spec
}

// stepRow is a deployment step as stored.
type stepRow struct {
	Status   string
	Runs     int
	Finished *time.Time
}

func (rig *crashRig) steps(id int64) map[string]stepRow {
	rig.t.Helper()
	rows, err := rig.db.Query(context.Background(), `SELECT name, status, runs, finished_at FROM deployment_steps WHERE deployment_id = $1`, id)
	if err != nil {
		rig.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]stepRow{}
	for rows.Next() {
		var name string
		var s stepRow
		if err := rows.Scan(&name, &s.Status, &s.Runs, &s.Finished); err != nil {
			rig.t.Fatal(err)
		}
		out[name] = s
	}
	return out
}

func (rig *crashRig) status(id int64) (status, errCode, errMsg string) {
	rig.t.Helper()
	err := rig.db.QueryRow(context.Background(), `SELECT status, error_code, error_message FROM deployments WHERE id = $1`, id).Scan(&status, &errCode, &errMsg)
	if err != nil {
		rig.t.Fatal(err)
	}
	return status, errCode, errMsg
}

// waitFor polls until cond holds, failing the test after limit.
func (rig *crashRig) waitFor(what string, limit time.Duration, cond func() bool) {
	rig.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			rig.t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitResumed waits until a console works on deployment id's job again
// after killedAt, and returns how long that took.
func (rig *crashRig) waitResumed(id int64, killedAt time.Time, limit time.Duration) time.Duration {
	rig.t.Helper()
	var resumed time.Time
	rig.waitFor(fmt.Sprintf("deployment %d to resume", id), limit, func() bool {
		var state string
		var at *time.Time
		err := rig.db.QueryRow(context.Background(), `SELECT state, attempted_at FROM river_job WHERE (args->>'deployment_id')::bigint = $1`, id).Scan(&state, &at)
		if err != nil {
			rig.t.Fatal(err)
		}
		if at != nil && at.After(killedAt) {
			resumed = *at
			return true
		}
		return state == "completed"
	})
	if resumed.IsZero() {
		return 0
	}
	return resumed.Sub(killedAt)
}

// waitFinished waits for the deployment to end and returns its status.
func (rig *crashRig) waitFinished(id int64, limit time.Duration) string {
	rig.t.Helper()
	var st string
	rig.waitFor(fmt.Sprintf("deployment %d to finish", id), limit, func() bool {
		st, _, _ = rig.status(id)
		return slices.Contains([]string{"succeeded", "failed", "rolled_back_by_ecs", "interrupted"}, st)
	})
	return st
}

// checkExactlyOnce counts the journey's resources in the sandbox: one of
// each, however often the console died.
func (rig *crashRig) checkExactlyOnce() {
	rig.t.Helper()
	ctx := context.Background()
	cfg := awsConfig(rig.sandboxURL)
	e, l, c, a := ec2.NewFromConfig(cfg), elb.NewFromConfig(cfg), ecs.NewFromConfig(cfg), acm.NewFromConfig(cfg)
	got := map[string]int{}
	lbs, err := l.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	check(rig.t, err)
	got["load balancers"] = len(lbs.LoadBalancers)
	for _, lb := range lbs.LoadBalancers {
		ls, err := l.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
		check(rig.t, err)
		got["listeners"] += len(ls.Listeners)
	}
	tgs, err := l.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	check(rig.t, err)
	got["target groups"] = len(tgs.TargetGroups)
	sgs, err := e.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	check(rig.t, err)
	for _, sg := range sgs.SecurityGroups {
		if aws.ToString(sg.GroupName) != "default" {
			got["security groups"]++
		}
	}
	clusters, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	check(rig.t, err)
	got["clusters"] = len(clusters.ClusterArns)
	for _, arn := range clusters.ClusterArns {
		svcs, err := c.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(arn)})
		check(rig.t, err)
		got["services"] += len(svcs.ServiceArns)
	}
	tds, err := c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})
	check(rig.t, err)
	got["task definition revisions"] = len(tds.TaskDefinitionArns)
	certs, err := a.ListCertificates(ctx, &acm.ListCertificatesInput{})
	check(rig.t, err)
	got["certificates"] = len(certs.CertificateSummaryList)
	want := map[string]int{"load balancers": 1, "listeners": 2, "target groups": 1, "security groups": 2,
		"clusters": 1, "services": 1, "task definition revisions": 1, "certificates": 1}
	for k, n := range want {
		if got[k] != n {
			rig.t.Errorf("%d %s in the sandbox, want %d", got[k], k, n)
		}
	}
	rig.t.Logf("resources: %v", got)
}

// Every kind of step survives its console's kill -9: an AWS create in
// flight, the load balancer wait, the service wait and the DNS wait (where
// the sandbox is killed too). Each time a new console resumes the
// deployment, reusing the steps already recorded; it ends succeeded with
// one of each resource, and the service takes a new deployment at once.
func TestDeploymentSurvivesKill9AtEveryKindOfStep(t *testing.T) {
	rig := newCrashRig(t, "--speed", "30", "--latency", "300ms", "--cert-delay", "3h")
	id := rig.deploy()

	kills := []struct {
		name  string
		ready func(map[string]stepRow, string) bool
	}{
		{"AWS create in flight (load-balancer)", func(s map[string]stepRow, _ string) bool { return s["load-balancer"].Status == "running" }},
		{"load balancer wait", func(s map[string]stepRow, _ string) bool { return s["load-balancer-active"].Status == "running" }},
		{"service wait", func(s map[string]stepRow, _ string) bool { return s["service-stable"].Status == "running" }},
		{"DNS wait", func(_ map[string]stepRow, st string) bool { return st == "waiting_for_dns" }},
	}
	var resumes []time.Duration
	for i, k := range kills {
		var before map[string]stepRow
		rig.waitFor(k.name, 2*time.Minute, func() bool {
			before = rig.steps(id)
			st, code, msg := rig.status(id)
			if slices.Contains([]string{"succeeded", "failed", "rolled_back_by_ecs", "interrupted"}, st) {
				t.Fatalf("deployment ended %s (%s: %s) before the kill at %s", st, code, msg, k.name)
			}
			return k.ready(before, st)
		})
		killedAt := rig.kill9()
		if k.name == "DNS wait" {
			// The sandbox dies too; it comes back from its state file,
			// faster, so that the certificate is issued soon.
			rig.sandbox.kill()
			rig.startSandbox("--speed", "1500", "--cert-delay", "3h")
		}
		if code := apiStatusWhileDown(rig); code != 0 {
			t.Fatalf("console answered %d after kill -9", code)
		}
		rig.startConsole()
		if i == 0 {
			// The dead console's deployment still holds the service.
			code := apiCall(t, "POST", rig.consoleURL+"/api/v1/deployments", rig.token, map[string]any{"spec": rig.spec()}, nil)
			if code != 409 {
				t.Errorf("a second deployment during the first: %d, want 409", code)
			}
		}
		d := rig.waitResumed(id, killedAt, 3*time.Minute)
		resumes = append(resumes, d)
		t.Logf("killed at %s: resumed %.1fs after the kill", k.name, d.Seconds())
		after := rig.steps(id)
		for name, s := range before {
			if s.Status == "succeeded" && (after[name].Runs != s.Runs || !after[name].Finished.Equal(*s.Finished)) {
				t.Errorf("step %s, recorded before the kill at %s, ran again (runs %d → %d)", name, k.name, s.Runs, after[name].Runs)
			}
		}
	}
	if st := rig.waitFinished(id, 3*time.Minute); st != "succeeded" {
		_, code, msg := rig.status(id)
		t.Fatalf("deployment ended %s: %s: %s", st, code, msg)
	}
	for name, s := range rig.steps(id) {
		if s.Status != "succeeded" {
			t.Errorf("step %s is %s", name, s.Status)
		}
	}
	rig.checkExactlyOnce()
	if code := apiCall(t, "POST", rig.consoleURL+"/api/v1/deployments", rig.token, map[string]any{"spec": rig.spec()}, nil); code != 202 {
		t.Errorf("a new deployment of the service after the resumed one: %d, want 202 (the lock must be released)", code)
	}
	t.Logf("resume times after kill -9 with --apply-slice %s: %v", rig.slice, resumes)
}

// apiStatusWhileDown checks that nothing answers on the dead console's
// address (0), so the kill really happened.
func apiStatusWhileDown(rig *crashRig) int {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(rig.consoleURL + "/healthz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
