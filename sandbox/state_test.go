package sandbox

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestSaveLoadRoundTrip(t *testing.T) {
	// Validation takes longer than Save's settling hour for one certificate,
	// so the snapshot holds a pending lifecycle that Load must resume.
	opts := Options{CertificateValidationDelay: 2 * time.Hour}
	before := newTestEnvWith(t, opts)
	createLogGroup(t, before, "/ecs/web")
	putMessages(t, before, "/ecs/web", "ecs/web/task1", time.Now().Add(-time.Minute), "hello", "world")
	pending := requestCert(t, before, "example.com")

	var buf bytes.Buffer
	if err := before.Server.Save(&buf); err != nil {
		t.Fatalf("Save: %v", err)
	}
	savedAt := before.Server.Clock().Now()

	after := newTestEnvWith(t, opts)
	if err := after.Server.Load(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if now := after.Server.Clock().Now(); now.Before(savedAt.Add(-time.Second)) {
		t.Errorf("loaded clock %s is behind the snapshot's %s", now, savedAt)
	}

	out, err := after.Logs.GetLogEvents(t.Context(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("ecs/web/task1"), StartFromHead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetLogEvents after Load: %v", err)
	}
	if got := messagesOf(out.Events); !slices.Equal(got, []string{"hello", "world"}) {
		t.Errorf("events after Load: %v", got)
	}

	cert := describeCert(t, after, pending)
	if cert.Status != acmtypes.CertificateStatusPendingValidation || cert.DomainValidationOptions[0].ResourceRecord == nil {
		t.Fatalf("certificate after Load: %s, record %v; want PENDING_VALIDATION with its record", cert.Status, cert.DomainValidationOptions[0].ResourceRecord)
	}
	after.Server.Clock().Advance(time.Hour)
	if st := describeCert(t, after, pending).Status; st != acmtypes.CertificateStatusIssued {
		t.Errorf("certificate status once its delay has passed after Load: %s, want ISSUED", st)
	}
}

// TestSaveLoadRunningService round-trips every service's state: a service
// behind a load balancer keeps running after Load, and its scheduler still
// acts on it.
func TestSaveLoadRunningService(t *testing.T) {
	before, subnets, sg := serviceEnv(t)
	tgARN := createTargetGroup(t, before, "web-tg", elbtypes.TargetTypeEnumIp)
	attachToLoadBalancer(t, before, tgARN, subnets, sg)
	in := serviceInput("web", "web", 2, subnets, sg)
	in.LoadBalancers = webLoadBalancer(tgARN)
	createTestService(t, before, in)
	settle(t, before, "web")

	var buf bytes.Buffer
	if err := before.Server.Save(&buf); err != nil {
		t.Fatalf("Save: %v", err)
	}
	after := newTestEnv(t)
	if err := after.Server.Load(&buf); err != nil {
		t.Fatalf("Load: %v", err)
	}

	if svc := describeService(t, after, "prod", "web"); !serviceSettled(svc) || svc.RunningCount != 2 {
		t.Fatalf("service after Load: running %d, deployments %d", svc.RunningCount, len(svc.Deployments))
	}
	for ip, state := range targetStates(t, after, tgARN) {
		if state != elbtypes.TargetHealthStateEnumHealthy {
			t.Errorf("target %s is %s after Load, want healthy", ip, state)
		}
	}
	for _, task := range runningTasks(t, after, "web") {
		checkTaskENI(t, after, task)
	}

	if _, err := after.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(3),
	}); err != nil {
		t.Fatalf("UpdateService after Load: %v", err)
	}
	if svc := settle(t, after, "web"); svc.RunningCount != 3 {
		t.Errorf("running %d after scaling to 3", svc.RunningCount)
	}
}

func TestLoadRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := New(Options{AccountID: "111111111111"}).Save(&buf); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, state, wantErr string
	}{
		{"another account", buf.String(), "account 111111111111"},
		{"not JSON", "{", "decoding state"},
		{"unknown version", `{"version": 99, "account": "000000000000"}`, "version 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(Options{}).Load(strings.NewReader(tt.state))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load = %v, want an error mentioning %q", err, tt.wantErr)
			}
		})
	}
}
