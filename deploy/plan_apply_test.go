package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecsconsole/ecsconsole"
)

// TestPlanAndApplyAgree plans a spec against a table of live states —
// absent, identical, changed, owned by another service, made outside the
// console — then applies it (without Submit's refusal, so that apply meets
// what the plan refuses) and checks that every step that ran did what the
// plan said, and that the decisions are the ones each state calls for.
func TestPlanAndApplyAgree(t *testing.T) {
	type state struct {
		name  string
		https bool
		setup func(env *testEnv) *ecsconsole. // prepares the live state, returns the spec to plan and apply
			Spec
		status ecsconsole.DeploymentStatus
		want   map[string]string // step → action, for the branches this state exercises
		check  func(t *testing.T, env *testEnv, d ecsconsole.Deployment)
	}
	states := []state{
		{name: "absent", setup: func(env *testEnv) *ecsconsole.Spec { return env.spec(withoutHTTPS) }, status: ecsconsole.StatusSucceeded,
			want: map[string]string{stepLoadBalancerSG: "create", stepTaskSG: "create", stepTaskDefinition: "create", stepCluster: "create",
				stepTargetGroup: "create", stepLoadBalancer: "create", stepHTTPListener: "create", stepService: "create"}},
		{name: "identical", setup: func(env *testEnv) *ecsconsole.Spec {
			env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
			return env.spec(withoutHTTPS)
		}, status: ecsconsole.StatusSucceeded,
			want: map[string]string{stepLoadBalancerSG: "reuse", stepTaskSG: "reuse", stepTaskDefinition: "reuse", stepCluster: "reuse",
				stepTargetGroup: "reuse", stepLoadBalancer: "reuse", stepHTTPListener: "reuse", stepService: "reuse"},
			check: func(t *testing.T, env *testEnv, d ecsconsole.Deployment) {
				// Nothing changed, so ECS was not asked for a new deployment.
				if st := env.steps(d.ID)[stepService]; st.Calls != 1 {
					t.Errorf("identical service: %d AWS calls, want only the describe", st.Calls)
				}
			}},
		{name: "changed", setup: func(env *testEnv) *ecsconsole.Spec {
			first := env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
			ctx := context.Background()
			// Someone removed the tasks' ingress rule and pointed port 80 elsewhere.
			sg := first.Outputs.ARNs["taskSecurityGroup"]
			_, err := env.aws.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: aws.String(sg),
				IpPermissions: []ec2types.IpPermission{ingressFromGroup(8080, first.Outputs.ARNs["loadBalancerSecurityGroup"])}})
			check(t, err)
			other, err := env.aws.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("elsewhere"), Protocol: elbtypes.ProtocolEnumHttp,
				Port: aws.Int32(80), VpcId: aws.String(env.vpc()), TargetType: elbtypes.TargetTypeEnumIp})
			check(t, err)
			_, err = env.aws.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(first.Outputs.ARNs["httpListener"]),
				DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: other.TargetGroups[0].TargetGroupArn}}})
			check(t, err)
			return env.spec(withImage("php:8.4-apache"))
		}, status: ecsconsole.StatusSucceeded,
			want: map[string]string{stepTaskSG: "update", stepTaskDefinition: "create", stepHTTPListener: "update", stepService: "update",
				stepLoadBalancer: "reuse", stepTargetGroup: "reuse"},
			check: func(t *testing.T, env *testEnv, d ecsconsole.Deployment) {
				l, err := lookup{env.engineClients()}.listener(context.Background(), d.Outputs.ARNs["loadBalancer"], 80)
				check(t, err)
				if !forwardsTo(l, d.Outputs.ARNs["targetGroup"]) {
					t.Errorf("port 80 still forwards elsewhere: %+v", l.DefaultActions)
				}
				sg, err := env.aws.EC2.DescribeSecurityGroups(context.Background(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{d.Outputs.ARNs["taskSecurityGroup"]}})
				check(t, err)
				if missing := missingPermissions(sg.SecurityGroups[0].IpPermissions,
					[]ec2types.IpPermission{ingressFromGroup(8080, d.Outputs.ARNs["loadBalancerSecurityGroup"])}); len(missing) > 0 {
					t.Errorf("the tasks' group still lacks %+v", missing)
				}
			}},
		{name: "this service's target group, mismatched", setup: func(env *testEnv) *ecsconsole.Spec {
			env.waitStatus(env.submit(env.spec(withoutHTTPS)).ID, ecsconsole.StatusSucceeded)
			return env.spec(func(s *ecsconsole.Spec) {
				withoutHTTPS(s)
				s.LoadBalancer.TargetGroup.ContainerName, s.LoadBalancer.TargetGroup.ContainerPort = "redis", 6379 // valid, but not the existing group
			})
		}, status: ecsconsole.StatusFailed, want: map[string]string{stepTargetGroup: "refuse"},
			check: func(t *testing.T, env *testEnv, d ecsconsole.Deployment) {
				if d.ErrorCode != "TargetGroupMismatch" || !strings.Contains(d.ErrorMessage, "rename the target group") {
					t.Errorf("ended %s: %s", d.ErrorCode, d.ErrorMessage)
				}
			}},
		{name: "owned by another service", setup: func(env *testEnv) *ecsconsole.Spec {
			env.waitStatus(env.submit(env.spec(func(s *ecsconsole.Spec) { withoutHTTPS(s); s.Service.Name = "alpha" })).ID, ecsconsole.StatusSucceeded)
			return env.spec(func(s *ecsconsole.Spec) {
				withoutHTTPS(s)
				s.Service.Name = "beta"
				s.Service.NewSecurityGroup.Name = "beta-tasks"
			})
		}, status: ecsconsole.StatusFailed,
			want: map[string]string{stepTargetGroup: "refuse", stepLoadBalancer: "refuse", stepLoadBalancerSG: "refuse", stepTaskSG: "create"},
			check: func(t *testing.T, env *testEnv, d ecsconsole.Deployment) {
				if d.ErrorCode != codeOwnedByAnotherService || !strings.Contains(d.ErrorMessage, "belongs to service us-east-1/demo/alpha") {
					t.Errorf("ended %s: %s", d.ErrorCode, d.ErrorMessage)
				}
			}},
		{name: "made outside the console", setup: func(env *testEnv) *ecsconsole.Spec {
			_, err := env.aws.ELB.CreateTargetGroup(context.Background(), &elb.CreateTargetGroupInput{Name: aws.String("php-app"),
				Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(env.vpc()), TargetType: elbtypes.TargetTypeEnumIp})
			check(t, err)
			return env.spec(withoutHTTPS)
		}, status: ecsconsole.StatusFailed,
			want: map[string]string{stepTargetGroup: "refuse"},
			check: func(t *testing.T, env *testEnv, d ecsconsole.Deployment) {
				if d.ErrorStep != stepTargetGroup || d.ErrorCode != codeNotOwned || !strings.Contains(d.ErrorMessage, "was not made by the console") {
					t.Errorf("ended at %s %s: %s", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
				}
			}},
		{name: "adopted by tag", setup: func(env *testEnv) *ecsconsole.Spec {
			ctx := context.Background()
			out, err := env.aws.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("php-app"),
				Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(env.vpc()), TargetType: elbtypes.TargetTypeEnumIp})
			check(t, err)
			_, err = env.aws.ELB.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{aws.ToString(out.TargetGroups[0].TargetGroupArn)},
				Tags: []elbtypes.Tag{{Key: aws.String(serviceTagKey), Value: aws.String("us-east-1/demo/php-app")}}})
			check(t, err)
			return env.spec(withoutHTTPS)
		}, status: ecsconsole.StatusSucceeded, want: map[string]string{stepTargetGroup: "reuse", stepLoadBalancer: "create"}},
		{name: "HTTPS absent", https: true, setup: func(env *testEnv) *ecsconsole.Spec { return env.spec(nil) }, status: ecsconsole.StatusSucceeded,
			want: map[string]string{stepCertificate: "create", stepHTTPSListener: "create", stepHTTPRedirect: "update"}},
		{name: "HTTPS identical", https: true, setup: func(env *testEnv) *ecsconsole.Spec {
			env.deployHTTPS(env.spec(nil))
			return env.spec(nil)
		}, status: ecsconsole.StatusSucceeded,
			want: map[string]string{stepCertificate: "reuse", stepHTTPListener: "reuse", stepHTTPSListener: "reuse", stepHTTPRedirect: "reuse"}},
		{name: "HTTPS with another certificate", https: true, setup: func(env *testEnv) *ecsconsole.Spec {
			env.deployHTTPS(env.spec(nil))
			arn := env.issuedCertificate("www.example.com")
			return env.spec(func(s *ecsconsole.Spec) {
				s.LoadBalancer.HTTPS.RequestDomain = ""
				s.LoadBalancer.HTTPS.CertificateArn = arn
			})
		}, status: ecsconsole.StatusSucceeded,
			want: map[string]string{stepCertificate: "reuse", stepHTTPSListener: "update", stepHTTPRedirect: "reuse"},
			check: func(t *testing.T, env *testEnv, d ecsconsole.Deployment) {
				l, err := lookup{env.engineClients()}.listener(context.Background(), d.Outputs.ARNs["loadBalancer"], 443)
				check(t, err)
				if !servesCertificate(l, d.Outputs.ARNs["certificate"]) {
					t.Errorf("port 443 does not serve the spec's certificate %s: %+v", d.Outputs.ARNs["certificate"], l.Certificates)
				}
			}},
		{name: "certificate of another service", https: true, setup: func(env *testEnv) *ecsconsole.Spec {
			env.deployHTTPS(env.spec(func(s *ecsconsole.Spec) {
				s.Service.Name = "alpha"
				s.LoadBalancer.Name = "alpha"
				s.LoadBalancer.TargetGroup.Name = "alpha"
			}))
			return env.spec(nil)
		}, status: ecsconsole.StatusFailed, want: map[string]string{stepCertificate: "refuse"}},
	}
	for _, st := range states {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel() // each state has its own sandbox and memory store
			env := newTestEnv(t, envOptions{memory: true})
			env.startWorker("w1")
			spec := st.setup(env)
			plan := env.plan(spec)
			d := env.submitUnchecked(spec)
			if st.https && st.status == ecsconsole.StatusSucceeded {
				if got := env.waitStatus(d.ID, ecsconsole.StatusWaitingForDNS, ecsconsole.StatusSucceeded); got.Status == ecsconsole.StatusWaitingForDNS {
					env.issueCertificates()
				}
			}
			d = env.waitStatus(d.ID, st.status)
			steps := env.steps(d.ID)
			planned := map[string]string{}
			for _, it := range plan.Items {
				planned[it.Step] = it.Action
				ran := steps[it.Step]
				if ran.Status != ecsconsole.StepSucceeded && ran.Status != ecsconsole.StepFailed {
					continue // not run: a step before it failed
				}
				if ran.Action != it.Action {
					t.Errorf("step %s: plan said %s (%s), apply did %s", it.Step, it.Action, it.Reason, ran.Action)
				}
			}
			for name, action := range st.want {
				if planned[name] != action {
					t.Errorf("plan for %s: %q, want %q", name, planned[name], action)
				}
			}
			if st.check != nil {
				st.check(t, env, d)
			}
			if t.Failed() {
				for _, it := range plan.Items {
					t.Logf("plan %-30s %-7s %s", it.Step, it.Action, it.Reason)
				}
				for name, s := range steps {
					t.Logf("step %-30s %-9s %-7s %s %s", name, s.Status, s.Action, s.ErrorCode, s.ErrorMessage)
				}
			}
		})
	}
}

// TestSubmitRefusesWhatThePlanRefuses: a spec whose plan refuses a
// resource, or that names a subnet that does not exist, is a
// *ValidationError naming the field, and nothing is stored.
func TestSubmitRefusesWhatThePlanRefuses(t *testing.T) {
	env := newTestEnv(t, envOptions{memory: true})
	ctx := context.Background()
	_, err := env.aws.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("php-app"),
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080), VpcId: aws.String(env.vpc()), TargetType: elbtypes.TargetTypeEnumIp})
	check(t, err)
	cert, err := env.aws.ACM.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("pending.example.com"),
		ValidationMethod: acmtypes.ValidationMethodDns})
	check(t, err)
	pending := aws.ToString(cert.CertificateArn)
	sameZone := env.addSubnetBeside(env.subnets[0])
	cases := []struct {
		name, path, words string
		spec              *ecsconsole.Spec
	}{
		{"foreign target group", "loadBalancer.targetGroup.name", "target group php-app was not made by the console", env.spec(withoutHTTPS)},
		{"missing subnet", "service.subnets[1]", "subnet subnet-0000000000000dead does not exist", env.spec(func(s *ecsconsole.Spec) {
			withoutHTTPS(s)
			s.Service.Subnets[1] = "subnet-0000000000000dead"
		})},
		{"missing security group", "service.securityGroupIds[0]", "security group sg-0000000000000dead does not exist", env.spec(func(s *ecsconsole.Spec) {
			withoutHTTPS(s)
			s.Service.SecurityGroupIDs = []string{"sg-0000000000000dead"}
		})},
		{"missing certificate", "loadBalancer.https.certificateArn", "does not exist", env.spec(func(s *ecsconsole.Spec) {
			s.LoadBalancer.HTTPS.RequestDomain = ""
			s.LoadBalancer.HTTPS.CertificateArn = "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000"
		})},
		{"certificate not issued", "loadBalancer.https.certificateArn", "is PENDING_VALIDATION; an HTTPS listener needs an issued certificate", env.spec(func(s *ecsconsole.Spec) {
			s.LoadBalancer.HTTPS.RequestDomain = ""
			s.LoadBalancer.HTTPS.CertificateArn = pending
		})},
		{"two load balancer subnets in one zone", "loadBalancer.subnets[1]", "a load balancer takes at most one subnet per Availability Zone", env.spec(func(s *ecsconsole.Spec) {
			withoutHTTPS(s)
			s.LoadBalancer.Subnets = []string{env.subnets[0], sameZone}
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := env.engine.Submit(ctx, c.spec, SubmitOptions{Username: "alice"})
			var ve *ecsconsole.ValidationError
			if !errorsAs(err, &ve) {
				t.Fatalf("Submit: %v, want a *ValidationError", err)
			}
			found := false
			for _, p := range ve.Problems {
				found = found || p.Path == c.path && strings.Contains(p.Message, c.words)
				if strings.Contains(p.Message, "→") || strings.HasSuffix(p.Message, "refuse") {
					t.Errorf("a refusal carries the plan's internal action: %q", p.Message)
				}
			}
			if !found {
				t.Fatalf("problems %+v, want %s: …%s…", ve.Problems, c.path, c.words)
			}
		})
	}
	if n := len(env.store.(*memStore).deps); n != 0 {
		t.Fatalf("%d deployments stored, want none", n)
	}
}

// vpc is the sandbox's default VPC.
func (env *testEnv) vpc() string {
	env.t.Helper()
	vpc, err := lookup{env.engineClients()}.vpcOf(context.Background(), env.subnets[:1])
	check(env.t, err)
	return vpc
}

// engineClients are the engine's own clients for the test region.
func (env *testEnv) engineClients() Clients {
	env.t.Helper()
	c, err := env.engine.clients(context.Background(), "us-east-1")
	check(env.t, err)
	return c
}

// deployHTTPS deploys spec through DNS validation to success.
func (env *testEnv) deployHTTPS(spec *ecsconsole.Spec) ecsconsole.Deployment {
	env.t.Helper()
	d := env.submit(spec)
	if got := env.waitStatus(d.ID, ecsconsole.StatusWaitingForDNS, ecsconsole.StatusSucceeded); got.Status == ecsconsole.StatusWaitingForDNS {
		env.issueCertificates()
	}
	return env.waitStatus(d.ID, ecsconsole.StatusSucceeded)
}

// issuedCertificate requests a certificate for domain outside the console
// and lets it be issued.
func (env *testEnv) issuedCertificate(domain string) string {
	env.t.Helper()
	out, err := env.aws.ACM.RequestCertificate(context.Background(), &acm.RequestCertificateInput{DomainName: aws.String(domain),
		ValidationMethod: acmtypes.ValidationMethodDns, IdempotencyToken: aws.String(fmt.Sprintf("t%d", len(domain)))})
	check(env.t, err)
	env.issueCertificates()
	return aws.ToString(out.CertificateArn)
}

// addSubnetBeside adds a subnet to the sandbox in the same VPC and
// Availability Zone as subnet id (the sandbox has no CreateSubnet: its
// state is edited and loaded back) and returns its id.
func (env *testEnv) addSubnetBeside(id string) string {
	env.t.Helper()
	var buf bytes.Buffer
	check(env.t, env.sandbox.Checkpoint(&buf))
	var snap map[string]any
	check(env.t, json.Unmarshal(buf.Bytes(), &snap))
	region := snap["regions"].(map[string]any)["us-east-1"].(map[string]any)
	ec2State := region["ec2"].(map[string]any)
	const added = "subnet-0a0a0a0a0a0a0a0a1"
	for _, sn := range ec2State["Subnets"].([]any) {
		if m := sn.(map[string]any); m["ID"] == id {
			c := maps.Clone(m)
			c["ID"], c["CIDR"], c["DefaultForAz"], c["UsedIPs"] = added, "172.31.200.0/24", false, nil
			ec2State["Subnets"] = append(ec2State["Subnets"].([]any), c)
			out, err := json.Marshal(snap)
			check(env.t, err)
			check(env.t, env.sandbox.Load(bytes.NewReader(out)))
			return added
		}
	}
	env.t.Fatalf("no subnet %s in the sandbox", id)
	return ""
}
