package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
)

// serviceImage is the web container image of the revision the service runs.
func (env *testEnv) serviceImage() (revisionARN, image string) {
	env.t.Helper()
	ctx := context.Background()
	svcs, err := env.aws.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("demo"), Services: []string{"php-app"}})
	check(env.t, err)
	arn := aws.ToString(svcs.Services[0].TaskDefinition)
	td, err := env.aws.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	check(env.t, err)
	return arn, aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
}

func TestRedeployThenRollBackEvenAfterDeregistration(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, envOptions{})
	env.startWorker("w1")
	first := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)

	plan, err := env.engine.Plan(ctx, env.spec(withImage("php:8.4-apache")))
	check(t, err)
	wantPlan := map[string]string{
		"task definition": "task definition differs from revision 1: a new revision",
		"service":         "service exists running revision 1",
		"cluster":         "cluster demo exists",
	}
	for _, it := range plan.Items {
		if want, ok := wantPlan[it.Resource]; ok && it.Reason != want {
			t.Errorf("plan for a new image: %s: %q, want %q", it.Resource, it.Reason, want)
		}
	}

	second := env.waitStatus(env.submit(env.spec(withImage("php:8.4-apache"))).ID, ecsconsole.StatusSucceeded)
	if second.TaskDefinitionARN == first.TaskDefinitionARN {
		t.Fatalf("a new image reused revision %s", first.TaskDefinitionARN)
	}
	if arn, image := env.serviceImage(); arn != second.TaskDefinitionARN || image != "php:8.4-apache" {
		t.Fatalf("service runs %s (%s) after the second deployment", arn, image)
	}

	firstDigest := RanImages(first.Outputs)[0].Digest // web
	if want := env.sandbox.ImageDigest("us-east-1", "php:8.3-apache"); firstDigest != want {
		t.Fatalf("the first deployment's tasks ran %s, want %s", firstDigest, want)
	}
	// Someone pushes php:8.3-apache again: the tag now names another image.
	if moved := env.sandbox.MoveImageTag("us-east-1", "php:8.3-apache"); moved == firstDigest {
		t.Fatal("moving the tag kept its digest")
	}

	ok, why, err := env.engine.CheckRollback(ctx, first.ID)
	if err != nil || !ok || !strings.Contains(why, "pinned to the digest") {
		t.Fatalf("CheckRollback: %t %q %v", ok, why, err)
	}
	if ims := RollbackImages(first); len(ims) != 2 || ims[0].Runs != "php@"+firstDigest || !ims[0].Pinned {
		t.Fatalf("RollbackImages = %+v, want php@%s", ims, firstDigest)
	}
	rb, err := env.engine.Rollback(ctx, first.ID, SubmitOptions{Username: "bob", Reason: "bad release"})
	if err != nil {
		t.Fatal(err)
	}
	rb = env.waitStatus(rb.ID, ecsconsole.StatusSucceeded)
	if rb.Kind != ecsconsole.KindRollback || rb.RollbackOf != first.ID || rb.TaskDefinitionARN == second.TaskDefinitionARN {
		t.Fatalf("rollback %+v", rb)
	}
	if arn, image := env.serviceImage(); arn != rb.TaskDefinitionARN || image != "php@"+firstDigest {
		t.Fatalf("after rollback the service runs %s (%s), want php@%s", arn, image, firstDigest)
	}
	if got := env.runningDigest("web"); got != firstDigest {
		t.Fatalf("after rollback the tasks run %s, want the first deployment's %s (the tag moved)", got, firstDigest)
	}

	// Forward again, deregister the first revision, and roll back to it.
	env.waitStatus(env.submit(env.spec(withImage("php:8.4-apache"))).ID, ecsconsole.StatusSucceeded)
	_, err = env.aws.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(first.TaskDefinitionARN)})
	check(t, err)
	ok, _, err = env.engine.CheckRollback(ctx, first.ID)
	if err != nil || !ok {
		t.Fatalf("CheckRollback after deregistration: %t %v", ok, err)
	}
	rb2, err := env.engine.Rollback(ctx, first.ID, SubmitOptions{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	rb2 = env.waitStatus(rb2.ID, ecsconsole.StatusSucceeded)
	if rb2.TaskDefinitionARN == first.TaskDefinitionARN || rb2.TaskDefinitionARN == second.TaskDefinitionARN {
		t.Fatalf("rollback of a deregistered revision used %s", rb2.TaskDefinitionARN)
	}
	if arn, image := env.serviceImage(); arn != rb2.TaskDefinitionARN || image != "php@"+firstDigest {
		t.Fatalf("after the second rollback the service runs %s (%s)", arn, image)
	}
	if got := env.runningDigest("web"); got != firstDigest {
		t.Fatalf("after rolling back to a deregistered revision the tasks run %s, want %s", got, firstDigest)
	}

	// What runs now is refused without force, and rolled back with it.
	if _, err := env.engine.Rollback(ctx, first.ID, SubmitOptions{Username: "bob"}); !errorsAs(err, new(*RunsNowError)) {
		t.Fatalf("a rollback to what runs now: %v, want *RunsNowError", err)
	}
	if _, err := env.engine.Rollback(ctx, rb2.ID, SubmitOptions{Username: "bob"}); !errorsAs(err, new(*RunsNowError)) {
		t.Fatalf("a rollback to the serving deployment: %v, want *RunsNowError", err)
	}
	forced, err := env.engine.Rollback(ctx, first.ID, SubmitOptions{Username: "bob", Force: true})
	if err != nil {
		t.Fatalf("a forced rollback to what runs now: %v", err)
	}
	env.waitStatus(forced.ID, ecsconsole.StatusSucceeded)
}

// runningDigest is the one image digest the service's running tasks
// report for container (DescribeTasks containers[].imageDigest) once the tasks of earlier
// revisions have stopped; it fails the test when they never agree.
func (env *testEnv) runningDigest(container string) string {
	env.t.Helper()
	ctx := context.Background()
	var digests map[string]bool
	for range 200 {
		list, err := env.aws.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("demo"), ServiceName: aws.String("php-app"), DesiredStatus: "RUNNING"})
		check(env.t, err)
		digests = map[string]bool{}
		if len(list.TaskArns) > 0 {
			tasks, err := env.aws.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("demo"), Tasks: list.TaskArns})
			check(env.t, err)
			for _, task := range tasks.Tasks {
				for _, c := range task.Containers {
					if aws.ToString(c.Name) == container {
						digests[aws.ToString(c.ImageDigest)] = true
					}
				}
			}
		}
		if len(digests) == 1 {
			for d := range digests {
				return d
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	env.t.Fatalf("running tasks report digests %v", digests)
	return ""
}

func TestCheckRollbackExplainsWhyNot(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, envOptions{memory: true})
	env.startWorker("w1")
	env.sandbox.FailCall("CreateService", 1, "InvalidParameterException", "injected")
	failed := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusFailed)
	ok, why, err := env.engine.CheckRollback(ctx, failed.ID)
	if err != nil || ok || !strings.Contains(why, "only a deployment that succeeded") {
		t.Fatalf("CheckRollback of a failed deployment: %t %q %v", ok, why, err)
	}
	if _, err := env.engine.Rollback(ctx, failed.ID, SubmitOptions{Username: "bob"}); !errors.Is(err, ErrNotRollbackable) {
		t.Fatalf("Rollback of a failed deployment: %v, want ErrNotRollbackable", err)
	}
	if _, _, err := env.engine.CheckRollback(ctx, failed.ID+100); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Fatalf("CheckRollback of a missing deployment: %v, want ErrNotFound", err)
	}
}

// TestRollbackOnlyToASucceededDeployment refuses a rollback to a
// deployment in every other status, each with its status in the reason.
func TestRollbackOnlyToASucceededDeployment(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, envOptions{memory: true})
	spec := env.spec(withoutHTTPS)
	raw, err := json.Marshal(spec)
	check(t, err)
	td := []byte(`{"family":"php-app","containerDefinitions":[{"name":"web","image":"php:8.3-apache"}]}`)
	statuses := []ecsconsole.DeploymentStatus{ecsconsole.StatusQueued, ecsconsole.StatusRunning, ecsconsole.StatusWaitingForDNS,
		ecsconsole.StatusFailed, ecsconsole.StatusRolledBackByECS, ecsconsole.StatusSuperseded, ecsconsole.StatusInterrupted}
	for i, status := range statuses {
		t.Run(string(status), func(t *testing.T) {
			d, err := env.store.CreateDeployment(ctx, ecsconsole.NewDeployment{ServiceKey: fmt.Sprintf("us-east-1/demo/app-%d", i),
				Region: "us-east-1", Cluster: "demo", Service: fmt.Sprintf("app-%d", i), Spec: raw, TaskDefinition: td,
				TaskDefinitionARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/php-app:1", CreatedBy: "bob"},
				func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil })
			check(t, err)
			switch {
			case status == ecsconsole.StatusQueued:
			case !status.Finished():
				_, err = env.store.StartDeployment(ctx, d.ID)
				check(t, err)
				if status != ecsconsole.StatusRunning {
					check(t, env.store.SetDeploymentStatus(ctx, d.ID, status))
				}
			default:
				check(t, env.store.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: status, ErrorCode: "X", ErrorMessage: "x"}))
			}
			if got, err := env.store.Deployment(ctx, d.ID); err != nil || got.Status != status {
				t.Fatalf("deployment is %s (%v), want %s", got.Status, err, status)
			}
			ok, why, err := env.engine.CheckRollback(ctx, d.ID)
			if err != nil || ok || !strings.Contains(why, string(status)) {
				t.Fatalf("CheckRollback of a %s deployment: %t %q %v", status, ok, why, err)
			}
			_, err = env.engine.Rollback(ctx, d.ID, SubmitOptions{Username: "bob", Force: true})
			var nr *NotRollbackableError
			if !errors.As(err, &nr) || nr.ID != d.ID {
				t.Fatalf("Rollback of a %s deployment: %v, want *NotRollbackableError", status, err)
			}
		})
	}
}
