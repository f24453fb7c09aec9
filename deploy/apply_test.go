package deploy

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole"
)

func TestCrashingImageIsRolledBackByECS(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.startWorker("w1")
	good := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
	bad := env.waitStatus(env.submit(env.spec(withImage("php:crash"))).ID, ecsconsole.StatusRolledBackByECS)
	if bad.ErrorStep != stepServiceStable || bad.ErrorCode != "DeploymentFailed" || bad.ErrorMessage == "" {
		t.Fatalf("rolled back with step %q code %q message %q", bad.ErrorStep, bad.ErrorCode, bad.ErrorMessage)
	}
	if st := env.steps(bad.ID)[stepServiceStable]; st.Status != ecsconsole.StepFailed || st.ErrorCode != "DeploymentFailed" {
		t.Fatalf("service-stable step %+v", st)
	}
	// ECS put the previous revision back.
	deadline := time.Now().Add(30 * time.Second)
	for arn, _ := env.serviceImage(); arn != good.TaskDefinitionARN; arn, _ = env.serviceImage() {
		if time.Now().After(deadline) {
			t.Fatalf("service runs %s, want the previous revision %s back", arn, good.TaskDefinitionARN)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestInjectedFailureThenFixedSpecReusesWhatExists(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.startWorker("w1")
	env.sandbox.FailCall("CreateService", 1, "InvalidParameterException", "The target group does not have an associated load balancer.")
	failed := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusFailed)
	if failed.ErrorStep != stepService || failed.ErrorCode != "InvalidParameterException" ||
		failed.ErrorMessage != "The target group does not have an associated load balancer." {
		t.Fatalf("failed at %q with %q: %q", failed.ErrorStep, failed.ErrorCode, failed.ErrorMessage)
	}
	steps := env.steps(failed.ID)
	if st := steps[stepService]; st.Status != ecsconsole.StepFailed || st.AWSRequestID == "" || st.ErrorCode != "InvalidParameterException" {
		t.Fatalf("service step %+v", st)
	}
	for _, name := range []string{stepServiceStable, stepTaskAddresses} {
		if steps[name].Status != ecsconsole.StepSkipped {
			t.Errorf("step %s after the failure is %q, want skipped", name, steps[name].Status)
		}
	}
	before := env.count()

	fixed := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
	steps = env.steps(fixed.ID)
	for _, name := range []string{stepLoadBalancerSG, stepTaskSG, stepTaskDefinition, stepCluster, stepTargetGroup, stepLoadBalancer, stepHTTPListener} {
		if steps[name].Action != ecsconsole.ActionReuse {
			t.Errorf("second deployment: step %s %q, want reuse", name, steps[name].Action)
		}
	}
	if steps[stepService].Action != ecsconsole.ActionCreate {
		t.Errorf("second deployment: service %q, want create", steps[stepService].Action)
	}
	after := env.count()
	before.Services++
	if after != before {
		t.Fatalf("resources after the fixed deployment %+v, want %+v (only the service added)", after, before)
	}
}

func TestWorkerStoppedMidApplyIsResumedByAnother(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.sandbox.SetLatency(30*time.Millisecond, 30*time.Millisecond)
	first := env.startWorker("first")
	d := env.submit(env.spec(nil))

	// Stop the first worker once the load balancer exists but before the
	// service does.
	deadline := time.Now().Add(30 * time.Second)
	for env.steps(d.ID)[stepLoadBalancer].Status != ecsconsole.StepSucceeded {
		if time.Now().After(deadline) {
			t.Fatal("the load balancer step never finished")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	check(t, first.StopAndCancel(stopCtx))
	if st := env.steps(d.ID)[stepServiceStable]; st.Status == ecsconsole.StepSucceeded {
		t.Fatal("the first worker finished before it was stopped; the test proves nothing")
	}

	env.startWorker("second")
	env.waitStatus(d.ID, ecsconsole.StatusWaitingForDNS)
	env.issueCertificates()
	done := env.waitStatus(d.ID, ecsconsole.StatusSucceeded)
	if done.Outputs.URL != "https://app.example.com" {
		t.Fatalf("URL %q", done.Outputs.URL)
	}
	steps := env.steps(d.ID)
	if st := steps[stepLoadBalancer]; st.Runs != 1 || st.Action != ecsconsole.ActionCreate {
		t.Fatalf("load balancer step ran %d times (%s); a finished step must not run again", st.Runs, st.Action)
	}
	want := resourceCounts{LoadBalancers: 1, TargetGroups: 1, Services: 1, Revisions: 1, Certificates: 1, Clusters: 1}
	got := env.count()
	want.SecurityGroups = got.SecurityGroups // the VPC's default group plus ours, checked below
	if got != want {
		t.Fatalf("resources after the resumed apply %+v, want %+v", got, want)
	}
	if got.SecurityGroups != 3 {
		t.Fatalf("%d security groups, want 3 (default, load balancer, tasks)", got.SecurityGroups)
	}
}

func TestTwoWorkersApplyEachDeploymentOnce(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.startWorker("one")
	env.startWorker("two")
	services := []string{"alpha", "beta", "gamma", "delta"}
	var ids []int64
	for _, name := range services {
		ids = append(ids, env.submit(env.spec(func(s *ecsconsole.Spec) {
			s.Service.Name = name
			s.Service.NewSecurityGroup.Name = name + "-tasks"
			s.LoadBalancer = nil
		})).ID)
	}
	for _, id := range ids {
		env.waitStatus(id, ecsconsole.StatusSucceeded)
		for name, st := range env.steps(id) {
			if st.Runs != 1 {
				t.Errorf("deployment %d: step %s ran %d times, want once", id, name, st.Runs)
			}
		}
	}
	var attempts []int
	rows, err := env.store.Pool().Query(context.Background(), `SELECT attempt FROM river_job WHERE kind = 'deploy_apply' ORDER BY id`)
	check(t, err)
	for rows.Next() {
		var a int
		check(t, rows.Scan(&a))
		attempts = append(attempts, a)
	}
	check(t, rows.Err())
	if len(attempts) != len(services) {
		t.Fatalf("%d jobs, want %d", len(attempts), len(services))
	}
	for i, a := range attempts {
		if a != 1 {
			t.Errorf("job %d ran %d times, want once", i, a)
		}
	}
	// Deployments running at once may each register the shared family
	// (neither sees the other's revision yet), but never more than once.
	if c := env.count(); c.Services != len(services) || c.Revisions < 1 || c.Revisions > len(services) {
		t.Fatalf("resources %+v, want %d services and at most one revision each", c, len(services))
	}
}

func TestConcurrentSubmitsOfOneServiceConflictOnce(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	spec := env.spec(nil)
	const n = 5
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = env.engine.Submit(context.Background(), spec, SubmitOptions{Username: "alice"})
		})
	}
	wg.Wait()
	var created, conflicts int
	for _, err := range errs {
		var active *ecsconsole.ActiveDeploymentError
		switch {
		case err == nil:
			created++
		case errorsAs(err, &active) && active.Active.ServiceKey == spec.ServiceKey():
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Fatalf("%d created and %d conflicts, want 1 and %d", created, conflicts, n-1)
	}
}

func TestThrottlingIsAbsorbedAndRecorded(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	env.sandbox.SetThrottleRate(0.3)
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
	retries := 0
	for _, st := range env.steps(d.ID) {
		retries += st.Retries
	}
	if retries == 0 {
		t.Fatal("30% throttling but no retries recorded in the steps")
	}
	t.Logf("%d retries recorded", retries)
}

func errorsAs[T error](err error, target *T) bool { return errors.As(err, target) }

func TestServiceNotStableInTimeIsInterrupted(t *testing.T) {
	// At real speed the tasks take simulated minutes to start, far past
	// the timeout.
	env := newTestEnv(t, envOptions{speed: 1, stableTimeout: 300 * time.Millisecond})
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(func(s *ecsconsole.Spec) { s.LoadBalancer = nil })).ID, ecsconsole.StatusInterrupted)
	if d.ErrorStep != stepServiceStable || d.ErrorCode != "Timeout" || !strings.Contains(d.ErrorMessage, "tasks running") {
		t.Fatalf("interrupted at %q with %q: %q", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
	}
	if st := env.steps(d.ID)[stepServiceStable]; st.Progress == "" || st.Status != ecsconsole.StepFailed {
		t.Fatalf("service-stable step %+v: want failed with its last progress", st)
	}
}
