package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecsconsole/ecsconsole/store"
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
	first := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, store.StatusSucceeded)

	plan, err := env.engine.Plan(ctx, env.spec(withImage("php:8.4-apache")))
	check(t, err)
	wantPlan := map[string]string{
		"task definition": "task definition differs from revision 1: a new revision → create",
		"service":         "service exists running revision 1 → update",
		"cluster":         "cluster demo exists → reuse",
	}
	for _, it := range plan.Items {
		if want, ok := wantPlan[it.Resource]; ok && it.Reason != want {
			t.Errorf("plan for a new image: %s: %q, want %q", it.Resource, it.Reason, want)
		}
	}

	second := env.waitStatus(env.submit(env.spec(withImage("php:8.4-apache"))).ID, store.StatusSucceeded)
	if second.TaskDefinitionARN == first.TaskDefinitionARN {
		t.Fatalf("a new image reused revision %s", first.TaskDefinitionARN)
	}
	if arn, image := env.serviceImage(); arn != second.TaskDefinitionARN || image != "php:8.4-apache" {
		t.Fatalf("service runs %s (%s) after the second deployment", arn, image)
	}

	ok, why, err := env.engine.CheckRollback(ctx, first.ID)
	if err != nil || !ok || !strings.Contains(why, "will be reused") {
		t.Fatalf("CheckRollback: %t %q %v", ok, why, err)
	}
	rb, err := env.engine.Rollback(ctx, first.ID, SubmitOptions{Username: "bob", Reason: "bad release"})
	if err != nil {
		t.Fatal(err)
	}
	rb = env.waitStatus(rb.ID, store.StatusSucceeded)
	if rb.Kind != store.KindRollback || rb.RollbackOf != first.ID || rb.TaskDefinitionARN != first.TaskDefinitionARN {
		t.Fatalf("rollback %+v", rb)
	}
	if arn, image := env.serviceImage(); arn != first.TaskDefinitionARN || image != "php:8.3-apache" {
		t.Fatalf("after rollback the service runs %s (%s), want the first revision", arn, image)
	}
	if st := env.steps(rb.ID)[stepTaskDefinition]; st.Action != store.ActionReuse {
		t.Fatalf("rollback's task-definition step: %s, want reuse", st.Action)
	}

	// Forward again, deregister the first revision, and roll back to it.
	env.waitStatus(env.submit(env.spec(withImage("php:8.4-apache"))).ID, store.StatusSucceeded)
	_, err = env.aws.ECS.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(first.TaskDefinitionARN)})
	check(t, err)
	ok, why, err = env.engine.CheckRollback(ctx, first.ID)
	if err != nil || !ok || !strings.Contains(why, "registered again") {
		t.Fatalf("CheckRollback after deregistration: %t %q %v", ok, why, err)
	}
	rb2, err := env.engine.Rollback(ctx, first.ID, SubmitOptions{Username: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	rb2 = env.waitStatus(rb2.ID, store.StatusSucceeded)
	if rb2.TaskDefinitionARN == first.TaskDefinitionARN || rb2.TaskDefinitionARN == second.TaskDefinitionARN {
		t.Fatalf("rollback of a deregistered revision used %s", rb2.TaskDefinitionARN)
	}
	if arn, image := env.serviceImage(); arn != rb2.TaskDefinitionARN || image != "php:8.3-apache" {
		t.Fatalf("after the second rollback the service runs %s (%s)", arn, image)
	}
	if st := env.steps(rb2.ID)[stepTaskDefinition]; st.Action != store.ActionCreate {
		t.Fatalf("second rollback's task-definition step: %s, want create (registered again)", st.Action)
	}
}

func TestCheckRollbackExplainsWhyNot(t *testing.T) {
	ctx := context.Background()
	env := newTestEnv(t, envOptions{})
	env.startWorker("w1")
	env.sandbox.FailCall("CreateService", 1, "InvalidParameterException", "injected")
	failed := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, store.StatusFailed)
	ok, why, err := env.engine.CheckRollback(ctx, failed.ID)
	if err != nil || ok || !strings.Contains(why, "only a deployment that succeeded") {
		t.Fatalf("CheckRollback of a failed deployment: %t %q %v", ok, why, err)
	}
	if _, err := env.engine.Rollback(ctx, failed.ID, SubmitOptions{Username: "bob"}); !errors.Is(err, ErrNotRollbackable) {
		t.Fatalf("Rollback of a failed deployment: %v, want ErrNotRollbackable", err)
	}
	if _, _, err := env.engine.CheckRollback(ctx, failed.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CheckRollback of a missing deployment: %v, want ErrNotFound", err)
	}
}
