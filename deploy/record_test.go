package deploy

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecsconsole/ecsconsole"
)

// TestSiblingOfAFailedStepRecordsWhatItMade: the cluster step fails while
// the task definition's RegisterTaskDefinition is in flight. The call
// finishes, and its step records the revision's ARN and request id (not
// "Cancelled"), and the deployment keeps the registered task definition.
func TestSiblingOfAFailedStepRecordsWhatItMade(t *testing.T) {
	env := newTestEnv(t, envOptions{wrap: delayOp("RegisterTaskDefinition", 500*time.Millisecond)})
	env.sandbox.FailCall("CreateCluster", 1, "ClientException", "Injected: clusters are full.")
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusFailed)
	if d.ErrorStep != stepCluster || d.ErrorCode != "ClientException" {
		t.Fatalf("failed at %s with %s: %s", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
	}
	steps := env.steps(d.ID)
	td := steps[stepTaskDefinition]
	if td.Status != ecsconsole.StepSucceeded || td.Action != ecsconsole.ActionCreate || !strings.Contains(td.ResourceARN, ":task-definition/php-app:") || td.AWSRequestID == "" {
		t.Fatalf("task definition step %+v: want succeeded, created, with its ARN and request id", td)
	}
	if d.TaskDefinitionARN != td.ResourceARN || d.Outputs.ARNs["taskDefinition"] != td.ResourceARN {
		t.Fatalf("deployment records task definition %q (outputs %v), want %q", d.TaskDefinitionARN, d.Outputs.ARNs, td.ResourceARN)
	}
	for _, name := range []string{stepService, stepServiceStable} {
		if steps[name].Status != ecsconsole.StepSkipped {
			t.Errorf("step %s is %s, want skipped", name, steps[name].Status)
		}
	}
}

// TestResumeRecordsWhatAnEarlierAttemptMadeAsCreated: resources tagged
// with this deployment's id (made by an attempt that died before
// recording them) are found by tag and recorded as created by this
// deployment, not reused, and nothing is made twice.
func TestResumeRecordsWhatAnEarlierAttemptMadeAsCreated(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	ctx := context.Background()
	spec := env.spec(nil)
	d := env.submit(spec) // no worker yet: the "earlier attempt" is played by hand
	tags := map[string]string{tagKey: itoa64(d.ID), serviceTagKey: spec.ServiceKey()}
	cert, err := env.aws.ACM.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("app.example.com"),
		ValidationMethod: acmtypes.ValidationMethodDns, Tags: acmTags(tags)})
	check(t, err)
	tg, err := env.aws.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("php-app"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), VpcId: aws.String(env.vpc()), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/"), Tags: elbTags(tags)})
	check(t, err)
	lb, err := env.aws.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("php-app"), Subnets: env.subnets[:2],
		Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing, Type: elbtypes.LoadBalancerTypeEnumApplication, Tags: elbTags(tags)})
	check(t, err)
	http, err := env.aws.ELB.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumHttp, Tags: elbTags(tags),
		DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}}})
	check(t, err)
	_, err = env.aws.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("demo"), Tags: ecsTags(tags)})
	check(t, err)
	in, err := decodeTaskDefinition(spec.TaskDefinition)
	check(t, err)
	in.Tags = ecsTags(tags)
	td, err := env.aws.ECS.RegisterTaskDefinition(ctx, in)
	check(t, err)
	before := env.count()

	env.startWorker("w1")
	env.deployHTTPSResume(d.ID)
	steps := env.steps(d.ID)
	for name, arn := range map[string]string{stepCertificate: aws.ToString(cert.CertificateArn), stepTargetGroup: aws.ToString(tg.TargetGroups[0].TargetGroupArn),
		stepLoadBalancer: aws.ToString(lb.LoadBalancers[0].LoadBalancerArn), stepHTTPListener: aws.ToString(http.Listeners[0].ListenerArn),
		stepTaskDefinition: aws.ToString(td.TaskDefinition.TaskDefinitionArn), stepCluster: "arn:aws:ecs:us-east-1:" + env.sandbox.AccountID() + ":cluster/demo"} {
		if st := steps[name]; st.Action != ecsconsole.ActionCreate || st.ResourceARN != arn {
			t.Errorf("step %s: %s %s, want create of %s (made by an earlier attempt)", name, st.Action, st.ResourceARN, arn)
		}
	}
	after := env.count()
	if after.Certificates != before.Certificates || after.TargetGroups != before.TargetGroups || after.Revisions != before.Revisions || after.Clusters != before.Clusters || after.LoadBalancers != before.LoadBalancers {
		t.Fatalf("certificates %d → %d, target groups %d → %d: made twice", before.Certificates, after.Certificates, before.TargetGroups, after.TargetGroups)
	}
}

// deployHTTPSResume waits for deployment id through DNS validation.
func (env *testEnv) deployHTTPSResume(id int64) ecsconsole.Deployment {
	env.t.Helper()
	if got := env.waitStatus(id, ecsconsole.StatusWaitingForDNS, ecsconsole.StatusSucceeded); got.Status == ecsconsole.StatusWaitingForDNS {
		env.issueCertificates()
	}
	return env.waitStatus(id, ecsconsole.StatusSucceeded)
}

// TestCertificateWaitIsBounded: a certificate still pending past
// CertificateTimeout fails the deployment with a sentence saying what to
// do, instead of waiting for ever.
func TestCertificateWaitIsBounded(t *testing.T) {
	env := newTestEnv(t, envOptions{certTimeout: 2 * time.Second})
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(nil)).ID, ecsconsole.StatusFailed)
	if d.ErrorStep != stepCertificateIssued || d.ErrorCode != "CertificateNotValidated" || !strings.Contains(d.ErrorMessage, "add its CNAME records") {
		t.Fatalf("ended at %s with %s: %q", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
	}
	if d.Outputs.URL == "" || !strings.HasPrefix(d.Outputs.URL, "http://") {
		t.Fatalf("the service's HTTP address is lost: %+v", d.Outputs)
	}
}

// TestStepsReadOnlyDeclaredDependencies: a step reading a result it has no
// declared edge to is a programming error caught at once.
func TestStepsReadOnlyDeclaredDependencies(t *testing.T) {
	graph := stepGraph(newTestEnv(t, envOptions{}).spec(nil))
	for _, n := range graph {
		if n.name == stepCertificateIssued {
			s := &stepCtx{node: &n, results: map[string]result{}}
			s.dep(stepCertificate) // declared: fine
			defer func() {
				if recover() == nil {
					t.Fatal("the certificate wait read the service's result without a declared edge")
				}
			}()
			s.dep(stepServiceStable)
		}
	}
}

// TestStepTitlesAndOrder: every step has a title, and StepOrder lists
// dependencies before the steps that need them.
func TestStepTitlesAndOrder(t *testing.T) {
	order := StepOrder()
	pos := map[string]int{}
	for i, name := range order {
		pos[name] = i
		if StepTitle(name) == name || StepTitle(name) == "" {
			t.Errorf("step %s has no title", name)
		}
	}
	for _, d := range stepDefs() {
		for _, dep := range d.deps {
			if pos[dep] >= pos[d.name] {
				t.Errorf("%s comes after %s, which needs it", dep, d.name)
			}
		}
	}
	if StepTitle("no-such-step") != "no-such-step" {
		t.Error("an unknown step's title is not its name")
	}
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// TestAWaitEndsWhenASiblingFails: the certificate wait, polling while the
// service step fails, stops and is recorded as stopped, not left running
// or parked for DNS.
func TestAWaitEndsWhenASiblingFails(t *testing.T) {
	// The failing call answers late, so that the wait is surely polling.
	env := newTestEnv(t, envOptions{wrap: delayOp("CreateService", 500*time.Millisecond)})
	env.sandbox.FailCall("CreateService", 1, "InvalidParameterException", "Injected: no.")
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(nil)).ID, ecsconsole.StatusFailed)
	if d.ErrorStep != stepService {
		t.Fatalf("failed at %s: %s", d.ErrorStep, d.ErrorMessage)
	}
	st := env.steps(d.ID)[stepCertificateIssued]
	if st.Status != ecsconsole.StepSkipped || !strings.Contains(st.ErrorMessage, "stopped: Service failed") {
		t.Fatalf("certificate wait %s: %q, want skipped because the service step failed", st.Status, st.ErrorMessage)
	}
	if cert := env.steps(d.ID)[stepCertificate]; cert.Status != ecsconsole.StepSucceeded || cert.ResourceARN == "" || d.Outputs.ARNs["certificate"] != cert.ResourceARN {
		t.Fatalf("certificate step %+v, outputs %v: the requested certificate must be recorded", cert, d.Outputs.ARNs)
	}
}

// TestInternalErrorsAreLoggedNotShown: when the job gives up, the
// deployment says so in words and points at the log; the internal error
// text (a database or network error) is logged with the deployment id,
// never stored on the deployment.
func TestInternalErrorsAreLoggedNotShown(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	var logs strings.Builder
	env.engine.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	d := env.submit(env.spec(withoutHTTPS))
	env.engine.interrupt(context.Background(), d.ID, errors.New("pgx: connection reset by peer 10.0.0.7:5432"))
	got, err := env.store.Deployment(context.Background(), d.ID)
	check(t, err)
	if got.Status != ecsconsole.StatusInterrupted || strings.Contains(got.ErrorMessage, "pgx") || !strings.Contains(got.ErrorMessage, "see its log") {
		t.Fatalf("deployment %s: %q", got.Status, got.ErrorMessage)
	}
	if !strings.Contains(logs.String(), "pgx: connection reset") || !strings.Contains(logs.String(), "deployment_id="+itoa64(d.ID)) {
		t.Fatalf("the cause is not logged with the deployment id:\n%s", logs.String())
	}
}
