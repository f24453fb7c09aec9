package deploy

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
)

// interfere waits until deployment id has asked ECS for its rollout (the
// service step succeeded) and is waiting for it, then runs update.
func (env *testEnv) interfere(id int64, update func()) {
	env.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for env.steps(id)[stepService].Status != ecsconsole.StepSucceeded {
		if time.Now().After(deadline) {
			env.t.Fatal("the service step never finished")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The sandbox's clock all but stops meanwhile, so that the rollout
	// cannot finish before the other client (awscli takes seconds) is done.
	env.sandbox.Clock().SetSpeed(0.001)
	if st := env.steps(id)[stepServiceStable]; st.Status == ecsconsole.StepSucceeded {
		env.t.Fatal("the rollout was stable before the test could interfere; the test proves nothing")
	}
	update()
	env.sandbox.Clock().SetSpeed(env.speed)
}

// registerOther registers another revision of the journey's family, as
// someone outside the console would, and returns its ARN.
func (env *testEnv) registerOther(image string) string {
	env.t.Helper()
	in, err := decodeTaskDefinition(env.spec(withImage(image)).TaskDefinition)
	check(env.t, err)
	out, err := env.aws.ECS.RegisterTaskDefinition(context.Background(), in)
	check(env.t, err)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// TestSomeoneElseUpdatingTheServiceSupersedesTheDeployment: another
// revision deployed over the service mid-rollout (here with the SDK, as a
// CI job or a colleague would) is "superseded", naming what replaced it,
// never "rolled back by ECS".
func TestSomeoneElseUpdatingTheServiceSupersedesTheDeployment(t *testing.T) {
	env := newTestEnv(t, envOptions{speed: 20})
	env.startWorker("w1")
	d := env.submit(env.spec(func(s *ecsconsole.Spec) { s.LoadBalancer = nil }))
	other := env.registerOther("php:other")
	env.interfere(d.ID, func() {
		_, err := env.aws.ECS.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("demo"),
			Service: aws.String("php-app"), TaskDefinition: aws.String(other)})
		check(t, err)
	})
	got := env.waitStatus(d.ID, ecsconsole.StatusSuperseded)
	if got.ErrorStep != stepServiceStable || got.ErrorCode != "DeploymentSuperseded" ||
		!strings.Contains(got.ErrorMessage, "revision "+revisionOf(other)) || !strings.Contains(got.ErrorMessage, "ecs-svc/") {
		t.Fatalf("superseded at %s with %s: %q", got.ErrorStep, got.ErrorCode, got.ErrorMessage)
	}
}

// TestAWSCLIUpdateServiceMidDeploymentSupersedesIt is the same with
// Debian's awscli, an independent client, running update-service.
func TestAWSCLIUpdateServiceMidDeploymentSupersedesIt(t *testing.T) {
	cli := os.Getenv("AWS_CLI")
	if cli == "" {
		cli = "/usr/bin/aws"
	}
	if _, err := exec.LookPath(cli); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("awscli is required in CI: %v", err)
		}
		t.Skipf("no awscli: %v", err)
	}
	env := newTestEnv(t, envOptions{speed: 20})
	env.startWorker("w1")
	d := env.submit(env.spec(func(s *ecsconsole.Spec) { s.LoadBalancer = nil }))
	other := env.registerOther("php:other")
	env.interfere(d.ID, func() {
		cmd := exec.Command(cli, "--endpoint-url", env.endpoint, "--region", "us-east-1", "--output", "json",
			"ecs", "update-service", "--cluster", "demo", "--service", "php-app", "--task-definition", other)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDSANDBOXTEST", "AWS_SECRET_ACCESS_KEY=secret", "AWS_PAGER=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("aws ecs update-service: %v\n%s", err, out)
		}
	})
	got := env.waitStatus(d.ID, ecsconsole.StatusSuperseded)
	if !strings.Contains(got.ErrorMessage, "revision "+revisionOf(other)) {
		t.Fatalf("superseded with %q", got.ErrorMessage)
	}
}

// TestForcedNewDeploymentOfTheSameRevisionIsFollowed: someone forcing a
// new ECS deployment of this deployment's own revision does not supersede
// it; the wait follows the new ECS deployment to stable.
func TestForcedNewDeploymentOfTheSameRevisionIsFollowed(t *testing.T) {
	env := newTestEnv(t, envOptions{speed: 20})
	env.startWorker("w1")
	d := env.submit(env.spec(func(s *ecsconsole.Spec) { s.LoadBalancer = nil }))
	env.interfere(d.ID, func() {
		_, err := env.aws.ECS.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("demo"),
			Service: aws.String("php-app"), ForceNewDeployment: true})
		check(t, err)
	})
	env.waitStatus(d.ID, ecsconsole.StatusSucceeded)
}

// TestOutcomeOfARollout pins each outcome rule of rolloutOf.judge on
// hand-made service states.
func TestOutcomeOfARollout(t *testing.T) {
	since := time.Now().Add(-time.Minute)
	dep := func(id, status, td string, state string) ecsDeployment {
		return ecsDeployment{Id: aws.String(id), Status: aws.String(status), TaskDefinition: aws.String(td), RolloutState: ecsRollout(state)}
	}
	ev := func(msg string) ecsEvent { return ecsEvent{Message: aws.String(msg), CreatedAt: aws.Time(time.Now())} }
	cases := []struct {
		name     string
		rollback bool
		deps     []ecsDeployment
		events   []ecsEvent
		current  string
		status   ecsconsole.DeploymentStatus // "" when still ours to wait for
		words    string
	}{
		{name: "ours, in progress", deps: []ecsDeployment{dep("ecs-svc/1", "PRIMARY", "td:2", "IN_PROGRESS"), dep("ecs-svc/0", "ACTIVE", "td:1", "COMPLETED")}},
		{name: "ours failed, ECS rolled back", rollback: true, current: "td:1",
			deps:   []ecsDeployment{dep("ecs-svc/9", "PRIMARY", "td:1", "IN_PROGRESS"), dep("ecs-svc/1", "ACTIVE", "td:2", "FAILED")},
			status: ecsconsole.StatusRolledBackByECS, words: "ECS rolled the service back to revision 1"},
		{name: "ours failed, no rollback configured", rollback: false,
			deps:   []ecsDeployment{dep("ecs-svc/1", "PRIMARY", "td:2", "FAILED")},
			status: ecsconsole.StatusFailed},
		{name: "ours failed, rollback configured but ECS did not", rollback: true,
			deps:   []ecsDeployment{dep("ecs-svc/1", "PRIMARY", "td:2", "FAILED")},
			status: ecsconsole.StatusFailed},
		{name: "ours gone after failing, rolled back", rollback: true, current: "td:1",
			deps:   []ecsDeployment{dep("ecs-svc/9", "PRIMARY", "td:1", "COMPLETED")},
			events: []ecsEvent{ev("(service s) rolling back to deployment ecs-svc/0."), ev("(service s) (deployment ecs-svc/1) deployment failed: tasks failed to start.")},
			status: ecsconsole.StatusRolledBackByECS},
		{name: "ours gone, another revision took over", rollback: true,
			deps:   []ecsDeployment{dep("ecs-svc/7", "PRIMARY", "td:3", "IN_PROGRESS")},
			status: ecsconsole.StatusSuperseded, words: "ECS deployment ecs-svc/7 of revision 3"},
		{name: "ours replaced while in progress", rollback: true,
			deps:   []ecsDeployment{dep("ecs-svc/7", "PRIMARY", "td:3", "IN_PROGRESS"), dep("ecs-svc/1", "ACTIVE", "td:2", "IN_PROGRESS")},
			status: ecsconsole.StatusSuperseded},
		{name: "an older failure is not ours", rollback: true,
			deps:   []ecsDeployment{dep("ecs-svc/7", "PRIMARY", "td:3", "IN_PROGRESS")},
			events: []ecsEvent{ev("(service s) (deployment ecs-svc/5) deployment failed: tasks failed to start.")},
			status: ecsconsole.StatusSuperseded},
		{name: "same revision deployed again is followed",
			deps: []ecsDeployment{dep("ecs-svc/8", "PRIMARY", "td:2", "IN_PROGRESS"), dep("ecs-svc/1", "ACTIVE", "td:2", "IN_PROGRESS")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := rolloutOf{id: "ecs-svc/1", taskDefinition: "td:2", since: since, rollback: c.rollback}
			svc := &ecsService{Deployments: c.deps, Events: c.events, TaskDefinition: aws.String(c.current)}
			_, err := o.judge(svc)
			if c.status == "" {
				if err != nil {
					t.Fatalf("judged %v, want still waiting", err)
				}
				return
			}
			var f *failure
			if !errorsAs(err, &f) || f.status != c.status || !strings.Contains(f.message, c.words) {
				t.Fatalf("judged %v, want %s with %q", err, c.status, c.words)
			}
		})
	}
}

type (
	ecsDeployment = ecstypes.Deployment
	ecsEvent      = ecstypes.ServiceEvent
	ecsService    = ecstypes.Service
)

func ecsRollout(s string) ecstypes.DeploymentRolloutState { return ecstypes.DeploymentRolloutState(s) }

// Reads after the service is stable never change the outcome: a refused
// or unanswered read of the tasks leaves the deployment succeeded, and the
// step says what it could not read.
func TestTaskReadsAfterStableNeverChangeTheOutcome(t *testing.T) {
	env := newTestEnv(t, envOptions{memory: true})
	env.startWorker("w1")
	for _, c := range []struct{ code, words string }{
		{"AccessDeniedException", "AWS answered AccessDeniedException"},
		{"ServiceUnavailableException", "AWS answered ServiceUnavailableException"},
	} {
		// A server fault is retried by the SDK: fail every attempt.
		for range 50 {
			env.sandbox.FailCall("ListTasks", 1, c.code, "injected")
		}
		d := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded, ecsconsole.StatusFailed, ecsconsole.StatusInterrupted)
		env.sandbox.ClearFaults()
		if d.Status != ecsconsole.StatusSucceeded {
			t.Fatalf("%s reading the tasks after stable: deployment %s (%s: %s)", c.code, d.Status, d.ErrorCode, d.ErrorMessage)
		}
		st := env.steps(d.ID)[stepTaskAddresses]
		if st.Status != ecsconsole.StepSucceeded || !strings.Contains(st.Progress, "could not be read") || !strings.Contains(st.Progress, c.words) {
			t.Errorf("%s: task-addresses step %s, says %q", c.code, st.Status, st.Progress)
		}
		if strings.Contains(st.Progress+st.ErrorMessage, "will try again") {
			t.Errorf("%s: a finished step promises another try: %q", c.code, st.Progress+st.ErrorMessage)
		}
	}
}

// A step the console cannot finish promises another try only when the job
// has one left.
func TestInterruptedStepPromisesARetryOnlyWhenOneIsLeft(t *testing.T) {
	cut := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Amz-Target") == "AmazonEC2ContainerServiceV20141113.CreateCluster" {
				panic(http.ErrAbortHandler) // the connection drops: not an answer from AWS
			}
			h.ServeHTTP(w, r)
		})
	}
	env := newTestEnv(t, envOptions{wrap: cut})
	for _, c := range []struct {
		last bool
		want string
	}{{false, "will try again"}, {true, "has no attempt left"}} {
		d := env.submit(env.spec(withoutHTTPS))
		ctx := context.Background()
		if c.last {
			ctx = withLastAttempt(ctx)
		}
		if err := env.engine.apply(ctx, d.ID); err == nil {
			t.Fatal("apply succeeded though CreateCluster never answered")
		}
		st := env.steps(d.ID)[stepCluster]
		if st.ErrorCode != "Interrupted" || !strings.Contains(st.ErrorMessage, c.want) {
			t.Errorf("last attempt %t: cluster step %s %q, want …%s…", c.last, st.ErrorCode, st.ErrorMessage, c.want)
		}
		env.engine.interrupt(ctx, d.ID, errors.New("test")) // frees the service for the next case
	}
}
