package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/sandbox"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// testEnv is a fresh database, a sandbox over HTTP, an engine using real SDK
// clients pointed at it, and the raw clients for checking what exists.
type testEnv struct {
	t       testing.TB
	sandbox *sandbox.Server
	// store is the engine's: Postgres, or memory when envOptions.memory.
	store Store
	// pg is the Postgres store (nil in memory), for what only it offers.
	pg *store.Store
	// queue holds the enqueued apply jobs in memory (nil on Postgres,
	// where River runs them).
	queue   *memQueue
	engine  *Engine
	aws     rawClients
	subnets []string
	// endpoint is the sandbox's URL, for other clients (awscli).
	endpoint string
	speed    float64 // the sandbox clock's
}

// rawClients are full SDK clients, for checks and changes the engine's
// narrow interfaces do not offer (counting, deregistering).
type rawClients struct {
	ECS *ecs.Client
	ELB *elb.Client
	EC2 *ec2.Client
	ACM *acm.Client
}

// envOptions tune a test environment.
type envOptions struct {
	speed           float64       // sandbox clock speed; default 2000
	certValidation  time.Duration // simulated; default 24h, so tests advance the clock to issue
	stableTimeout   time.Duration
	pollInterval    time.Duration
	maxPollInterval time.Duration
	certTimeout     time.Duration
	attemptSlice    time.Duration // default the engine's
	// wrap, when set, wraps the sandbox's handler (to delay one operation).
	wrap func(http.Handler) http.Handler
	// memory keeps deployments in memory (memStore) instead of Postgres:
	// no River worker runs; applyQueued applies the enqueued jobs.
	memory bool
}

func newTestEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	if o.speed == 0 {
		o.speed = 2000
	}
	if o.certValidation == 0 {
		o.certValidation = 24 * time.Hour
	}
	if o.pollInterval == 0 {
		o.pollInterval = 20 * time.Millisecond
	}
	if o.maxPollInterval == 0 {
		o.maxPollInterval = 100 * time.Millisecond
	}
	srv := sandbox.New(sandbox.Options{Speed: o.speed, CertificateValidationDelay: o.certValidation})
	var h http.Handler = srv
	if o.wrap != nil {
		h = o.wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	var st Store
	var pg *store.Store
	var queue *memQueue
	if o.memory {
		st, queue = newMemStore(), &memQueue{}
	} else {
		storetest.Server(t) // sets up the template database before NewPool names it
		pg = store.New(storetest.NewPool(t))
		st = pg
	}
	factory := NewClientFactory(AWSOptions{
		Endpoint:    hs.URL,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", ""),
		MaxBackoff:  50 * time.Millisecond,
	})
	engine, err := NewEngine(st, Options{
		Clients: factory, PollInterval: o.pollInterval, MaxPollInterval: o.maxPollInterval,
		StableTimeout: o.stableTimeout, CertificateTimeout: o.certTimeout, DNSRecheckInterval: 100 * time.Millisecond, RetryDelay: 100 * time.Millisecond,
		AttemptSlice: o.attemptSlice, Queue: queueOrNil(queue),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", "")}
	clients := rawClients{ECS: ecs.NewFromConfig(cfg), ELB: elb.NewFromConfig(cfg), EC2: ec2.NewFromConfig(cfg), ACM: acm.NewFromConfig(cfg)}
	env := &testEnv{t: t, sandbox: srv, store: st, pg: pg, queue: queue, engine: engine, aws: clients, endpoint: hs.URL, speed: o.speed}
	out, err := clients.EC2.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Subnets {
		env.subnets = append(env.subnets, aws.ToString(s.SubnetId))
	}
	slices.Sort(env.subnets)
	return env
}

// startWorker starts a River client applying deployments, stopped when the
// test ends.
// In memory there is no River: waitStatus applies the queued jobs.
func (env *testEnv) startWorker(id string) *river.Client[pgx.Tx] {
	env.t.Helper()
	if env.queue != nil {
		return nil
	}
	client, err := env.engine.NewWorkerClient(WorkerOptions{ID: id, FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		env.t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		env.t.Fatal(err)
	}
	env.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.StopAndCancel(ctx)
	})
	return client
}

// queueOrNil is q as a Queue, nil (River's default) when q is nil.
func queueOrNil(q *memQueue) Queue {
	if q == nil {
		return nil
	}
	return q
}

// applyQueued does a worker's job in a memory environment: it applies each
// enqueued deployment until it ends (a slice's end continues at once, as
// River's snooze of 0 does); one waiting for DNS validation stays queued
// for the next call, as River snoozes its job.
func (env *testEnv) applyQueued() {
	env.t.Helper()
	env.queue.mu.Lock()
	jobs := env.queue.jobs
	env.queue.jobs = nil
	env.queue.mu.Unlock()
	for _, job := range jobs {
		for {
			err := env.engine.apply(context.Background(), job.DeploymentID)
			if errors.Is(err, errYield) {
				continue
			}
			if errors.Is(err, errWaitingForDNS) {
				env.queue.mu.Lock()
				env.queue.jobs = append(env.queue.jobs, job)
				env.queue.mu.Unlock()
			} else if err != nil {
				env.t.Fatalf("applying deployment %d: %v", job.DeploymentID, err)
			}
			break
		}
	}
}

// spec returns the journey spec (testdata/spec-journey.json) in the
// sandbox's subnets, changed by edit.
func (env *testEnv) spec(edit func(s *ecsconsole.Spec)) *ecsconsole.Spec {
	env.t.Helper()
	data, err := os.ReadFile("testdata/spec-journey.json")
	if err != nil {
		env.t.Fatal(err)
	}
	data = bytes.ReplaceAll(data, []byte("subnet-0a1b2c3d4e5f60001"), []byte(env.subnets[0]))
	data = bytes.ReplaceAll(data, []byte("subnet-0a1b2c3d4e5f60002"), []byte(env.subnets[1]))
	spec, err := Parse(data)
	if err != nil {
		env.t.Fatal(err)
	}
	if edit != nil {
		edit(spec)
		if spec, err = Parse(spec.JSON()); err != nil {
			env.t.Fatal(err)
		}
	}
	return spec
}

// submit submits spec as alice.
func (env *testEnv) submit(spec *ecsconsole.Spec) ecsconsole.Deployment {
	env.t.Helper()
	d, err := env.engine.Submit(context.Background(), spec, SubmitOptions{Username: "alice", Reason: env.t.Name()})
	if err != nil {
		env.t.Fatal(err)
	}
	return d
}

// waitStatus polls the deployment until its status is one of want, failing
// the test when it finishes otherwise or takes over a minute.
func (env *testEnv) waitStatus(id int64, want ...ecsconsole.DeploymentStatus) ecsconsole.Deployment {
	env.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if env.queue != nil {
			env.applyQueued()
		}
		d, err := env.store.Deployment(context.Background(), id)
		if err != nil {
			env.t.Fatal(err)
		}
		if slices.Contains(want, d.Status) {
			return d
		}
		if d.Status.Finished() || time.Now().After(deadline) {
			steps, _ := env.store.Steps(context.Background(), id)
			for _, s := range steps {
				env.t.Logf("step %-30s %-9s %-6s %s %s", s.Name, s.Status, s.Action, s.ErrorCode, s.ErrorMessage)
			}
			env.t.Fatalf("deployment %d is %s (%s %s: %s), want %v", id, d.Status, d.ErrorStep, d.ErrorCode, d.ErrorMessage, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// steps returns the deployment's steps by name.
func (env *testEnv) steps(id int64) map[string]ecsconsole.DeploymentStep {
	env.t.Helper()
	steps, err := env.store.Steps(context.Background(), id)
	if err != nil {
		env.t.Fatal(err)
	}
	byName := map[string]ecsconsole.DeploymentStep{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	return byName
}

// issueCertificates moves the sandbox clock past DNS validation.
func (env *testEnv) issueCertificates() { env.sandbox.Clock().Advance(48 * time.Hour) }

// resourceCounts is how many of each kind of resource the sandbox holds,
// to show that a resumed or repeated apply made nothing twice.
type resourceCounts struct {
	LoadBalancers, TargetGroups, SecurityGroups, Services, Revisions, Certificates, Clusters int
}

func (env *testEnv) count() resourceCounts {
	env.t.Helper()
	ctx := context.Background()
	var c resourceCounts
	lbs, err := env.aws.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{})
	check(env.t, err)
	c.LoadBalancers = len(lbs.LoadBalancers)
	tgs, err := env.aws.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{})
	check(env.t, err)
	c.TargetGroups = len(tgs.TargetGroups)
	sgs, err := env.aws.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{})
	check(env.t, err)
	c.SecurityGroups = len(sgs.SecurityGroups)
	clusters, err := env.aws.ECS.ListClusters(ctx, &ecs.ListClustersInput{})
	check(env.t, err)
	c.Clusters = len(clusters.ClusterArns)
	for _, arn := range clusters.ClusterArns {
		svcs, err := env.aws.ECS.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(arn)})
		check(env.t, err)
		c.Services += len(svcs.ServiceArns)
	}
	tds, err := env.aws.ECS.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{})
	check(env.t, err)
	c.Revisions = len(tds.TaskDefinitionArns)
	certs, err := env.aws.ACM.ListCertificates(ctx, &acm.ListCertificatesInput{})
	check(env.t, err)
	c.Certificates = len(certs.CertificateSummaryList)
	return c
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// withoutHTTPS drops the journey's HTTPS, for tests about other things.
func withoutHTTPS(s *ecsconsole.Spec) { s.LoadBalancer.HTTPS = nil }

// withImage sets the web container's image.
func withImage(image string) func(*ecsconsole.Spec) {
	return func(s *ecsconsole.Spec) {
		var td map[string]any
		if err := json.Unmarshal(s.TaskDefinition, &td); err != nil {
			panic(err)
		}
		td["containerDefinitions"].([]any)[0].(map[string]any)["image"] = image
		s.TaskDefinition, _ = json.Marshal(td)
		withoutHTTPS(s)
	}
}

// submitUnchecked stores and enqueues a deployment of spec without Submit's
// plan, so that apply meets what the plan would refuse.
func (env *testEnv) submitUnchecked(spec *ecsconsole.Spec) ecsconsole.Deployment {
	env.t.Helper()
	d, err := env.engine.create(context.Background(), ecsconsole.NewDeployment{
		ServiceKey: spec.ServiceKey(), Region: spec.Region, Cluster: spec.Cluster.Name, Service: spec.Service.Name,
		Kind: ecsconsole.KindDeploy, Spec: spec.JSON(), CreatedBy: "alice", Reason: env.t.Name(),
	})
	if err != nil {
		env.t.Fatal(err)
	}
	return d
}

// plan plans spec.
func (env *testEnv) plan(spec *ecsconsole.Spec) Plan {
	env.t.Helper()
	p, err := env.engine.Plan(context.Background(), spec)
	if err != nil {
		env.t.Fatal(err)
	}
	return p
}

// delayOp delays the sandbox's answer to one operation (by its
// X-Amz-Target or Action) after the sandbox has carried it out, so that a
// test can fail a sibling step while that call is in flight.
func delayOp(op string, d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			target := r.Header.Get("X-Amz-Target")
			if len(target) > len(op) && target[len(target)-len(op)-1:] == "."+op {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				time.Sleep(d)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
