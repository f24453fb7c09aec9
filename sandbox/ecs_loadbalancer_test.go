package sandbox

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// createTargetGroup creates an HTTP target group on port 8080 in the
// default VPC and returns its ARN.
func createTargetGroup(t *testing.T, env *testEnv, name string, targetType elbtypes.TargetTypeEnum) string {
	t.Helper()
	vpcs, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{})
	if err != nil || len(vpcs.Vpcs) == 0 {
		t.Fatalf("DescribeVpcs: %v", err)
	}
	out, err := env.ELB.CreateTargetGroup(t.Context(), &elb.CreateTargetGroupInput{
		Name:       aws.String(name),
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(8080),
		VpcId:      vpcs.Vpcs[0].VpcId,
		TargetType: targetType,
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

// attachToLoadBalancer creates an ALB over subnets with an HTTP listener
// forwarding to tgARN.
func attachToLoadBalancer(t *testing.T, env *testEnv, tgARN string, subnets []string, sg string) {
	t.Helper()
	lb, err := env.ELB.CreateLoadBalancer(t.Context(), &elb.CreateLoadBalancerInput{
		Name:           aws.String("web-alb"),
		Subnets:        subnets,
		SecurityGroups: []string{sg},
	})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	_, err = env.ELB.CreateListener(t.Context(), &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Protocol:        elbtypes.ProtocolEnumHttp,
		Port:            aws.Int32(80),
		DefaultActions:  []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN)}},
	})
	if err != nil {
		t.Fatalf("CreateListener: %v", err)
	}
}

// targetStates maps each registered target's IP to its health state.
func targetStates(t *testing.T, env *testEnv, tgARN string) map[string]elbtypes.TargetHealthStateEnum {
	t.Helper()
	out, err := env.ELB.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tgARN)})
	if err != nil {
		t.Fatalf("DescribeTargetHealth: %v", err)
	}
	states := map[string]elbtypes.TargetHealthStateEnum{}
	for _, d := range out.TargetHealthDescriptions {
		if aws.ToInt32(d.Target.Port) != 8080 {
			t.Errorf("target %s registered on port %d, want the container port 8080", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
		}
		states[aws.ToString(d.Target.Id)] = d.TargetHealth.State
	}
	return states
}

// webLoadBalancer is the service's load balancer entry for tgARN.
func webLoadBalancer(tgARN string) []types.LoadBalancer {
	return []types.LoadBalancer{{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}
}

func TestECSServiceBehindLoadBalancer(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	tgARN := createTargetGroup(t, env, "web-tg", elbtypes.TargetTypeEnumIp)
	attachToLoadBalancer(t, env, tgARN, subnets, sg)
	in := serviceInput("web", "web", 2, subnets, sg)
	in.LoadBalancers = webLoadBalancer(tgARN)
	in.HealthCheckGracePeriodSeconds = aws.Int32(60)
	created := createTestService(t, env, in)
	if !strings.HasSuffix(aws.ToString(created.RoleArn), ":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS") {
		t.Errorf("roleArn = %q, want the ECS service-linked role", aws.ToString(created.RoleArn))
	}

	// Running is not enough: the deployment completes once the targets are healthy.
	advanceUntil(t, env, 5*time.Second, 5*time.Minute, "2 running tasks", func() bool {
		return describeService(t, env, "prod", "web").RunningCount == 2
	})
	states := targetStates(t, env, tgARN)
	if len(states) != 2 || slices.Contains(slices.Collect(maps.Values(states)), elbtypes.TargetHealthStateEnumHealthy) {
		t.Errorf("right after RUNNING the targets are %v, want 2 not yet healthy", states)
	}
	if svc := describeService(t, env, "prod", "web"); svc.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress {
		t.Errorf("rollout %s before the targets are healthy", svc.Deployments[0].RolloutState)
	}

	svc := settle(t, env, "web")
	if !hasEvent(svc, "registered 1 targets in (target-group "+tgARN+")") {
		t.Errorf("events = %q", eventMessages(svc))
	}
	oldIPs := taskIPs(t, env)
	for ip := range oldIPs {
		if targetStates(t, env, tgARN)[ip] != elbtypes.TargetHealthStateEnumHealthy {
			t.Errorf("task IP %s is not a healthy target: %v", ip, targetStates(t, env, tgARN))
		}
	}

	// Roll over to a new revision: new targets healthy, old ones drained.
	registerTD(t, env, fargateTaskDef("web", "php:8.4-apache"))
	if _, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	svc = settle(t, env, "web")
	if !hasEvent(svc, "deregistered 1 targets in (target-group "+tgARN+")") || !hasEvent(svc, "has begun draining connections on") {
		t.Errorf("events = %q", eventMessages(svc))
	}
	states = targetStates(t, env, tgARN)
	for ip := range taskIPs(t, env) {
		if oldIPs[ip] || states[ip] != elbtypes.TargetHealthStateEnumHealthy {
			t.Errorf("new task IP %s: state %s (old IPs %v)", ip, states[ip], oldIPs)
		}
	}
	for ip := range oldIPs {
		if s, ok := states[ip]; ok && s != elbtypes.TargetHealthStateEnumDraining {
			t.Errorf("old target %s is %s, want draining or gone", ip, s)
		}
	}
}

// taskIPs are the private IPs of the web service's running tasks.
func taskIPs(t *testing.T, env *testEnv) map[string]bool {
	t.Helper()
	ips := map[string]bool{}
	for _, task := range runningTasks(t, env, "web") {
		ips[attachmentDetail(task, "privateIPv4Address")] = true
	}
	return ips
}

func TestECSLoadBalancerValidation(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	instanceTG := createTargetGroup(t, env, "instance-tg", elbtypes.TargetTypeEnumInstance)
	unattachedTG := createTargetGroup(t, env, "lonely-tg", elbtypes.TargetTypeEnumIp)
	tests := []struct {
		name    string
		tgARN   string
		message string
	}{
		{"instance target type", instanceTG, "The provided target group " + instanceTG + " has target type instance, which is incompatible with the awsvpc network mode specified in the task definition."},
		{"no load balancer", unattachedTG, "The target group with targetGroupArn " + unattachedTG + " does not have an associated load balancer."},
		{"unknown target group", "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/nope/0123456789abcdef", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := serviceInput("web", "web", 1, subnets, sg)
			in.LoadBalancers = webLoadBalancer(tc.tgARN)
			_, err := env.ECS.CreateService(t.Context(), in)
			wantAPIError(t, err, "InvalidParameterException")
			if msg := errorMessage(err); !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not contain %q", msg, tc.message)
			}
		})
	}

	// UpdateService checks a new load balancer configuration the same way.
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
	_, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), LoadBalancers: webLoadBalancer(unattachedTG)})
	wantAPIError(t, err, "InvalidParameterException")
}
