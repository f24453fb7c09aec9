package sandbox

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// infraRole is the seeded infrastructure role ECS changes load balancers with.
const infraRole = "arn:aws:iam::000000000000:role/ecsInfrastructureRoleForLoadBalancers"

// strategyFixture is a running service behind an ALB with two target
// groups, a production rule and a test rule forwarding to both (100/0).
type strategyFixture struct {
	env                     *testEnv
	cluster, service        string
	blueTG, greenTG         string
	prodRule, testRule      string
	redirectRule, oneTGRule string
	oldTD, newTD            string
	subnets                 []string
	sg                      string
}

// newStrategyFixture builds the load balancer side and registers two
// revisions of a task definition (the second runs image newImage).
func newStrategyFixture(t *testing.T, newImage string) *strategyFixture {
	t.Helper()
	env := newTestEnv(t)
	f := &strategyFixture{env: env, cluster: "bg", service: "web"}
	createTestCluster(t, env, f.cluster)
	f.subnets, f.sg = defaultNetwork(t, env)
	f.blueTG = createTargetGroup(t, env, "web-blue", elbtypes.TargetTypeEnumIp)
	f.greenTG = createTargetGroup(t, env, "web-green", elbtypes.TargetTypeEnumIp)
	lb, err := env.ELB.CreateLoadBalancer(t.Context(), &elb.CreateLoadBalancerInput{Name: aws.String("web-alb"), Subnets: f.subnets, SecurityGroups: []string{f.sg}})
	if err != nil {
		t.Fatalf("CreateLoadBalancer: %v", err)
	}
	lbARN := lb.LoadBalancers[0].LoadBalancerArn
	both := &elbtypes.ForwardActionConfig{TargetGroups: []elbtypes.TargetGroupTuple{
		{TargetGroupArn: aws.String(f.blueTG), Weight: aws.Int32(100)},
		{TargetGroupArn: aws.String(f.greenTG), Weight: aws.Int32(0)},
	}}
	listener := func(port int32) string {
		out, err := env.ELB.CreateListener(t.Context(), &elb.CreateListenerInput{
			LoadBalancerArn: lbARN, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(port),
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String("404")}}},
		})
		if err != nil {
			t.Fatalf("CreateListener %d: %v", port, err)
		}
		return aws.ToString(out.Listeners[0].ListenerArn)
	}
	rule := func(listenerARN string, priority int32, action elbtypes.Action) string {
		out, err := env.ELB.CreateRule(t.Context(), &elb.CreateRuleInput{
			ListenerArn: aws.String(listenerARN), Priority: aws.Int32(priority),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("path-pattern"), Values: []string{"/*"}}},
			Actions:    []elbtypes.Action{action},
		})
		if err != nil {
			t.Fatalf("CreateRule: %v", err)
		}
		return aws.ToString(out.Rules[0].RuleArn)
	}
	prod, test := listener(80), listener(8080)
	f.prodRule = rule(prod, 10, elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: both})
	f.testRule = rule(test, 10, elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, ForwardConfig: both})
	f.redirectRule = rule(prod, 20, elbtypes.Action{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301}})
	f.oneTGRule = rule(prod, 30, elbtypes.Action{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(f.blueTG)})
	f.oldTD = registerTD(t, env, fargateTaskDef("web", "php:8.3"))
	f.newTD = registerTD(t, env, fargateTaskDef("web", newImage))
	return f
}

// loadBalancers is the service's load balancer with its advancedConfiguration.
func (f *strategyFixture) loadBalancers() []types.LoadBalancer {
	return []types.LoadBalancer{{
		TargetGroupArn: aws.String(f.blueTG), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080),
		AdvancedConfiguration: &types.AdvancedConfiguration{
			AlternateTargetGroupArn: aws.String(f.greenTG),
			ProductionListenerRule:  aws.String(f.prodRule),
			TestListenerRule:        aws.String(f.testRule),
			RoleArn:                 aws.String(infraRole),
		},
	}}
}

// createService creates the service on the old revision with conf and
// waits until it is settled.
func (f *strategyFixture) createService(t *testing.T, conf *types.DeploymentConfiguration) {
	t.Helper()
	_, err := f.env.ECS.CreateService(t.Context(), &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String(f.service), TaskDefinition: aws.String(f.oldTD),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration:    awsvpc(f.subnets, f.sg),
		LoadBalancers:           f.loadBalancers(),
		DeploymentController:    &types.DeploymentController{Type: types.DeploymentControllerTypeEcs},
		DeploymentConfiguration: conf,
	})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	advanceUntil(t, f.env, 5*time.Second, 10*time.Minute, "the first deployment", func() bool {
		return serviceSettled(describeService(t, f.env, f.cluster, f.service))
	})
}

// deployNew updates the service to the new revision and returns the new
// service deployment's ARN.
func (f *strategyFixture) deployNew(t *testing.T) string {
	t.Helper()
	if _, err := f.env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String(f.cluster), Service: aws.String(f.service), TaskDefinition: aws.String(f.newTD),
	}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	out, err := f.env.ECS.ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(f.cluster), Service: aws.String(f.service)})
	if err != nil || len(out.ServiceDeployments) < 2 {
		t.Fatalf("ListServiceDeployments: %v, %+v", err, out)
	}
	newest := out.ServiceDeployments[0]
	if newest.Status != types.ServiceDeploymentStatusInProgress {
		t.Fatalf("newest service deployment is %s, want IN_PROGRESS", newest.Status)
	}
	return aws.ToString(newest.ServiceDeploymentArn)
}

// weights reads a rule's forward weights for the blue and green groups.
func (f *strategyFixture) weights(t *testing.T, rule string) (blue, green int32) {
	t.Helper()
	out, err := f.env.ELB.DescribeRules(t.Context(), &elb.DescribeRulesInput{RuleArns: []string{rule}})
	if err != nil {
		t.Fatalf("DescribeRules: %v", err)
	}
	fc := out.Rules[0].Actions[0].ForwardConfig
	for _, tg := range fc.TargetGroups {
		switch aws.ToString(tg.TargetGroupArn) {
		case f.blueTG:
			blue = aws.ToInt32(tg.Weight)
		case f.greenTG:
			green = aws.ToInt32(tg.Weight)
		}
	}
	return blue, green
}

// greenPercent is the share of the production rule's traffic on green.
func (f *strategyFixture) greenPercent(t *testing.T) float64 {
	t.Helper()
	blue, green := f.weights(t, f.prodRule)
	if blue+green == 0 {
		t.Fatal("the production rule forwards nothing")
	}
	return float64(green) * 100 / float64(blue+green)
}

// describe returns the service deployment.
func (f *strategyFixture) describe(t *testing.T, arn string) types.ServiceDeployment {
	t.Helper()
	out, err := f.env.ECS.DescribeServiceDeployments(t.Context(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Fatalf("DescribeServiceDeployments: %v, %+v", err, out)
	}
	return out.ServiceDeployments[0]
}

// shift is one change of the production weights, at a simulated time.
type shift struct {
	percent float64
	at      time.Time
}

// followShifts advances time in 10 s polls until the service deployment
// ends, recording each change of the production rule's green share and
// checking at every poll that the old tasks run until traffic has left
// them and the bake time has passed.
func (f *strategyFixture) followShifts(t *testing.T, arn string, limit time.Duration) ([]shift, types.ServiceDeployment) {
	t.Helper()
	var shifts []shift
	var sd types.ServiceDeployment
	advanceUntil(t, f.env, 10*time.Second, limit, "the service deployment to end", func() bool {
		pct := f.greenPercent(t)
		if len(shifts) == 0 || shifts[len(shifts)-1].percent != pct {
			shifts = append(shifts, shift{pct, f.env.Server.Clock().Now()})
		}
		sd = f.describe(t, arn)
		if sd.LifecycleStage != types.ServiceDeploymentLifecycleStageCleanUp && sd.Status == types.ServiceDeploymentStatusInProgress {
			if src := sd.SourceServiceRevisions; len(src) != 1 || src[0].RunningTaskCount != 2 {
				t.Fatalf("at %s the old revision runs %+v, want 2 tasks until clean-up", sd.LifecycleStage, src)
			}
		}
		return sd.Status != types.ServiceDeploymentStatusInProgress
	})
	return shifts, sd
}

// percents lists the green shares of shifts.
func percents(shifts []shift) []float64 {
	var out []float64
	for _, s := range shifts {
		out = append(out, s.percent)
	}
	return out
}

// checkSucceeded checks the end of a successful deployment: the service
// runs only the new revision, all production and test traffic on green.
func (f *strategyFixture) checkSucceeded(t *testing.T, sd types.ServiceDeployment) {
	t.Helper()
	if sd.Status != types.ServiceDeploymentStatusSuccessful {
		t.Fatalf("service deployment ended %s (%s), want SUCCESSFUL", sd.Status, aws.ToString(sd.StatusReason))
	}
	advanceUntil(t, f.env, 5*time.Second, 5*time.Minute, "the service to settle", func() bool {
		return serviceSettled(describeService(t, f.env, f.cluster, f.service))
	})
	svc := describeService(t, f.env, f.cluster, f.service)
	if aws.ToString(svc.TaskDefinition) != f.newTD || aws.ToString(svc.Deployments[0].TaskDefinition) != f.newTD {
		t.Errorf("service runs %s, want %s", aws.ToString(svc.Deployments[0].TaskDefinition), f.newTD)
	}
	if blue, green := f.weights(t, f.testRule); blue != 0 || green != 100 {
		t.Errorf("test rule weights blue %d green %d, want 0/100", blue, green)
	}
	revs, err := f.env.ECS.DescribeServiceRevisions(t.Context(), &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{aws.ToString(sd.TargetServiceRevision.Arn)}})
	if err != nil || len(revs.ServiceRevisions) != 1 {
		t.Fatalf("DescribeServiceRevisions: %v, %+v", err, revs)
	}
	rev := revs.ServiceRevisions[0]
	if aws.ToString(rev.TaskDefinition) != f.newTD || len(rev.ContainerImages) != 1 || !strings.HasPrefix(aws.ToString(rev.ContainerImages[0].ImageDigest), "sha256:") {
		t.Errorf("target revision %s runs %+v", aws.ToString(rev.TaskDefinition), rev.ContainerImages)
	}
	if rc := rev.ResolvedConfiguration; rc == nil || len(rc.LoadBalancers) != 1 || aws.ToString(rc.LoadBalancers[0].TargetGroupArn) != f.greenTG {
		t.Errorf("target revision's resolved load balancers: %+v, want the green target group", rc)
	}
}

func TestStrategyWeightsFollowTheStrategy(t *testing.T) {
	cases := []struct {
		name     string
		conf     *types.DeploymentConfiguration
		want     []float64
		waits    []time.Duration // minimum simulated time between successive shifts
		bakeTime time.Duration
	}{
		{
			name: "blue/green: all at once, then bake",
			conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(10)},
			want: []float64{0, 100}, waits: []time.Duration{0}, bakeTime: 10 * time.Minute,
		},
		{
			name: "canary: canaryPercent, canary bake, then the rest",
			conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, BakeTimeInMinutes: aws.Int32(3),
				CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int32(5)}},
			want: []float64{0, 10, 100}, waits: []time.Duration{0, 5 * time.Minute}, bakeTime: 3 * time.Minute,
		},
		{
			name: "canary with a tenth of a percent",
			conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary,
				CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(2.5), CanaryBakeTimeInMinutes: aws.Int32(1)}},
			want: []float64{0, 2.5, 100}, waits: []time.Duration{0, time.Minute},
		},
		{
			name: "linear: stepPercent each step bake",
			conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyLinear, BakeTimeInMinutes: aws.Int32(1),
				LinearConfiguration: &types.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(2)}},
			want: []float64{0, 25, 50, 75, 100}, waits: []time.Duration{0, 2 * time.Minute, 2 * time.Minute, 2 * time.Minute}, bakeTime: time.Minute,
		},
		{
			name: "linear: a last step smaller than stepPercent",
			conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyLinear,
				LinearConfiguration: &types.LinearConfiguration{StepPercent: aws.Float64(40), StepBakeTimeInMinutes: aws.Int32(1)}},
			want: []float64{0, 40, 80, 100}, waits: []time.Duration{0, time.Minute, time.Minute},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newStrategyFixture(t, "php:8.4")
			f.createService(t, tc.conf)
			arn := f.deployNew(t)
			shifts, sd := f.followShifts(t, arn, 2*time.Hour)
			if got := percents(shifts); !slices.Equal(got, tc.want) {
				t.Fatalf("production green share went %v, want %v", got, tc.want)
			}
			for i := 1; i < len(shifts)-1; i++ {
				if gap := shifts[i+1].at.Sub(shifts[i].at); gap < tc.waits[i] || gap > tc.waits[i]+time.Minute {
					t.Errorf("%v%% → %v%% took %s, want %s (+ the stages between)", shifts[i].percent, shifts[i+1].percent, gap, tc.waits[i])
				}
			}
			if ended := time.Time(aws.ToTime(sd.FinishedAt)); ended.Sub(shifts[len(shifts)-1].at) < tc.bakeTime {
				t.Errorf("finished %s after the last shift, want at least the bake time %s", ended.Sub(shifts[len(shifts)-1].at), tc.bakeTime)
			}
			f.checkSucceeded(t, sd)
		})
	}
}

func TestStrategySecondDeploymentShiftsBack(t *testing.T) {
	// After a blue/green deployment the alternate group serves; the next
	// one starts its tasks in the first group and moves traffic there.
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1)})
	_, sd := f.followShifts(t, f.deployNew(t), time.Hour)
	f.checkSucceeded(t, sd)
	f.newTD, f.oldTD = f.oldTD, f.newTD
	f.blueTG, f.greenTG = f.greenTG, f.blueTG
	shifts, sd := f.followShifts(t, f.deployNew(t), time.Hour)
	if got := percents(shifts); !slices.Equal(got, []float64{0, 100}) {
		t.Fatalf("second deployment moved traffic %v towards the first group, want [0 100]", got)
	}
	f.checkSucceeded(t, sd)
}

func TestStrategyStopDuringBakeRestoresBlueAtOnce(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(30)})
	arn := f.deployNew(t)
	advanceUntil(t, f.env, 10*time.Second, time.Hour, "bake time", func() bool {
		return f.describe(t, arn).LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime
	})
	if pct := f.greenPercent(t); pct != 100 {
		t.Fatalf("in BAKE_TIME green has %v%%, want 100", pct)
	}
	if _, err := f.env.ECS.StopServiceDeployment(t.Context(), &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), StopType: types.StopServiceDeploymentStopTypeRollback}); err != nil {
		t.Fatalf("StopServiceDeployment: %v", err)
	}
	// The very next poll, with no simulated time passing: all traffic is back.
	if blue, green := f.weights(t, f.prodRule); blue != 100 || green != 0 {
		t.Fatalf("right after the stop the production rule weighs blue %d green %d, want 100/0", blue, green)
	}
	if blue, green := f.weights(t, f.testRule); blue != 100 || green != 0 {
		t.Fatalf("right after the stop the test rule weighs blue %d green %d, want 100/0", blue, green)
	}
	sd := f.describe(t, arn)
	if sd.Status != types.ServiceDeploymentStatusRollbackInProgress || sd.Rollback == nil || !strings.Contains(aws.ToString(sd.Rollback.Reason), "StopServiceDeployment") {
		t.Fatalf("after the stop: %s, rollback %+v", sd.Status, sd.Rollback)
	}
	if svc := describeService(t, f.env, f.cluster, f.service); aws.ToString(svc.TaskDefinition) != f.oldTD {
		t.Fatalf("after the stop the service's task definition is %s, want the old %s", aws.ToString(svc.TaskDefinition), f.oldTD)
	}
	advanceUntil(t, f.env, 10*time.Second, 10*time.Minute, "the rollback", func() bool {
		return f.describe(t, arn).Status == types.ServiceDeploymentStatusRollbackSuccessful
	})
	advanceUntil(t, f.env, 5*time.Second, 5*time.Minute, "the service to settle", func() bool {
		return serviceSettled(describeService(t, f.env, f.cluster, f.service))
	})
	svc := describeService(t, f.env, f.cluster, f.service)
	if aws.ToString(svc.Deployments[0].TaskDefinition) != f.oldTD || svc.RunningCount != 2 {
		t.Fatalf("service runs %s ×%d, want the old revision ×2", aws.ToString(svc.Deployments[0].TaskDefinition), svc.RunningCount)
	}
	_, err := f.env.ECS.StopServiceDeployment(t.Context(), &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn)})
	wantAPIError(t, err, "ConflictException")
	_, err = f.env.ECS.StopServiceDeployment(t.Context(), &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(strings.Replace(arn, "/web/", "/nope/", 1))})
	wantAPIError(t, err, "ServiceDeploymentNotFoundException")
}

// pauseConf is blue/green with a pause before production traffic moves.
func pauseConf(timeout int32, action types.DeploymentLifecycleHookAction) *types.DeploymentConfiguration {
	return &types.DeploymentConfiguration{
		Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1),
		LifecycleHooks: []types.DeploymentLifecycleHook{{
			TargetType:           types.DeploymentLifecycleHookTargetTypePause,
			LifecycleStages:      []types.DeploymentLifecycleHookStage{types.DeploymentLifecycleHookStagePreProductionTrafficShift},
			TimeoutConfiguration: &types.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: aws.Int32(timeout), Action: action},
		}},
	}
}

// awaitPause advances to the pause and returns its hook id.
func (f *strategyFixture) awaitPause(t *testing.T, arn string) string {
	t.Helper()
	var hook string
	advanceUntil(t, f.env, 10*time.Second, time.Hour, "the pause", func() bool {
		for _, h := range f.describe(t, arn).LifecycleHookDetails {
			if h.Status == types.DeploymentLifecycleHookStatusAwaitingAction {
				hook = aws.ToString(h.HookId)
			}
		}
		return hook != ""
	})
	if stage := f.describe(t, arn).LifecycleStage; stage != "PRE_PRODUCTION_TRAFFIC_SHIFT" {
		t.Fatalf("paused at %s", stage)
	}
	return hook
}

func TestStrategyPauseWaitsForContinue(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, pauseConf(60, types.DeploymentLifecycleHookActionRollback))
	arn := f.deployNew(t)
	hook := f.awaitPause(t, arn)
	if blue, green := f.weights(t, f.testRule); blue != 0 || green != 100 {
		t.Errorf("during the pause the test rule weighs %d/%d, want test traffic on green", blue, green)
	}
	f.env.Server.Clock().Advance(45 * time.Minute)
	if pct, sd := f.greenPercent(t), f.describe(t, arn); pct != 0 || sd.Status != types.ServiceDeploymentStatusInProgress {
		t.Fatalf("45 minutes into the pause: green %v%%, %s; want 0%%, still IN_PROGRESS", pct, sd.Status)
	}
	_, err := f.env.ECS.ContinueServiceDeployment(t.Context(), &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String("ecs-pause-unknown")})
	wantAPIError(t, err, "InvalidParameterException")
	if _, err := f.env.ECS.ContinueServiceDeployment(t.Context(), &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hook), Action: types.DeploymentLifecycleHookActionContinue}); err != nil {
		t.Fatalf("ContinueServiceDeployment: %v", err)
	}
	_, err = f.env.ECS.ContinueServiceDeployment(t.Context(), &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hook)})
	wantAPIError(t, err, "ConflictException")
	shifts, sd := f.followShifts(t, arn, time.Hour)
	if got := percents(shifts); !slices.Equal(got, []float64{0, 100}) {
		t.Fatalf("after continuing, green went %v", got)
	}
	f.checkSucceeded(t, sd)
}

func TestStrategyPauseTimeoutActs(t *testing.T) {
	t.Run("ROLLBACK", func(t *testing.T) {
		f := newStrategyFixture(t, "php:8.4")
		f.createService(t, pauseConf(20, types.DeploymentLifecycleHookActionRollback))
		arn := f.deployNew(t)
		f.awaitPause(t, arn)
		advanceUntil(t, f.env, time.Minute, 40*time.Minute, "the rollback", func() bool {
			return f.describe(t, arn).Status == types.ServiceDeploymentStatusRollbackSuccessful
		})
		sd := f.describe(t, arn)
		if sd.LifecycleHookDetails[0].Status != types.DeploymentLifecycleHookStatusTimedOut || !strings.Contains(aws.ToString(sd.Rollback.Reason), "timed out") {
			t.Errorf("hook %s, rollback %+v", sd.LifecycleHookDetails[0].Status, sd.Rollback)
		}
		if pct := f.greenPercent(t); pct != 0 {
			t.Errorf("green has %v%% after a timeout rollback", pct)
		}
		if svc := describeService(t, f.env, f.cluster, f.service); aws.ToString(svc.TaskDefinition) != f.oldTD {
			t.Errorf("service runs %s, want the old revision", aws.ToString(svc.TaskDefinition))
		}
	})
	t.Run("CONTINUE", func(t *testing.T) {
		f := newStrategyFixture(t, "php:8.4")
		f.createService(t, pauseConf(20, types.DeploymentLifecycleHookActionContinue))
		arn := f.deployNew(t)
		f.awaitPause(t, arn)
		_, sd := f.followShifts(t, arn, 2*time.Hour)
		f.checkSucceeded(t, sd)
		if sd.LifecycleHookDetails[0].Status != types.DeploymentLifecycleHookStatusTimedOut {
			t.Errorf("hook %s, want TIMED_OUT", sd.LifecycleHookDetails[0].Status)
		}
	})
	t.Run("answered ROLLBACK", func(t *testing.T) {
		f := newStrategyFixture(t, "php:8.4")
		f.createService(t, pauseConf(20, types.DeploymentLifecycleHookActionContinue))
		arn := f.deployNew(t)
		hook := f.awaitPause(t, arn)
		if _, err := f.env.ECS.ContinueServiceDeployment(t.Context(), &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hook), Action: types.DeploymentLifecycleHookActionRollback}); err != nil {
			t.Fatalf("ContinueServiceDeployment ROLLBACK: %v", err)
		}
		advanceUntil(t, f.env, 10*time.Second, 10*time.Minute, "the rollback", func() bool {
			return f.describe(t, arn).Status == types.ServiceDeploymentStatusRollbackSuccessful
		})
	})
}

func TestStrategyCircuitBreakerRollsBackACrashingImage(t *testing.T) {
	f := newStrategyFixture(t, "php:crash")
	conf := &types.DeploymentConfiguration{
		Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(5),
		DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true},
	}
	f.createService(t, conf)
	blueDeployment := aws.ToString(describeService(t, f.env, f.cluster, f.service).Deployments[0].Id)
	arn := f.deployNew(t)
	shifts, sd := f.followShifts(t, arn, time.Hour)
	if got := percents(shifts); !slices.Equal(got, []float64{0}) {
		t.Errorf("production traffic moved %v towards a crashing revision", got)
	}
	if sd.Status != types.ServiceDeploymentStatusRollbackInProgress && sd.Status != types.ServiceDeploymentStatusRollbackSuccessful {
		t.Fatalf("service deployment ended %s, want a rollback", sd.Status)
	}
	advanceUntil(t, f.env, 10*time.Second, 10*time.Minute, "the rollback", func() bool {
		sd = f.describe(t, arn)
		return sd.Status == types.ServiceDeploymentStatusRollbackSuccessful
	})
	if sd.Rollback == nil || !strings.Contains(aws.ToString(sd.Rollback.Reason), "circuit breaker") || aws.ToString(sd.Rollback.ServiceRevisionArn) != aws.ToString(sd.SourceServiceRevisions[0].Arn) {
		t.Errorf("rollback %+v, want the circuit breaker returning to the source revision", sd.Rollback)
	}
	if cb := sd.DeploymentCircuitBreaker; cb == nil || cb.Status != types.ServiceDeploymentRollbackMonitorsStatusTriggered || cb.FailureCount < cb.Threshold {
		t.Errorf("circuit breaker %+v, want TRIGGERED", cb)
	}
	advanceUntil(t, f.env, 5*time.Second, 5*time.Minute, "the service to settle", func() bool {
		return serviceSettled(describeService(t, f.env, f.cluster, f.service))
	})
	// The old tasks never stopped: the blue deployment is PRIMARY again,
	// not a new deployment of the old revision.
	if svc := describeService(t, f.env, f.cluster, f.service); aws.ToString(svc.Deployments[0].TaskDefinition) != f.oldTD || aws.ToString(svc.Deployments[0].Id) != blueDeployment {
		t.Errorf("service runs %s in deployment %s, want the old revision in the original deployment %s", aws.ToString(svc.Deployments[0].TaskDefinition), aws.ToString(svc.Deployments[0].Id), blueDeployment)
	}
}

func TestRollingServiceDeploymentsAreRecorded(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, nil)
	arn := f.deployNew(t)
	advanceUntil(t, f.env, 10*time.Second, 30*time.Minute, "the rolling deployment", func() bool {
		return f.describe(t, arn).Status == types.ServiceDeploymentStatusSuccessful
	})
	sd := f.describe(t, arn)
	if len(sd.SourceServiceRevisions) != 1 || sd.DeploymentConfiguration.Strategy != "" && sd.DeploymentConfiguration.Strategy != types.DeploymentStrategyRolling {
		t.Errorf("rolling service deployment %+v", sd)
	}
	if pct := f.greenPercent(t); pct != 0 {
		t.Errorf("a rolling deployment moved the production weights to %v%%", pct)
	}
	list, err := f.env.ECS.ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(f.cluster), Service: aws.String(f.service), Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusSuccessful}})
	if err != nil || len(list.ServiceDeployments) != 2 {
		t.Fatalf("ListServiceDeployments SUCCESSFUL: %v, %d", err, len(list.ServiceDeployments))
	}
	missingArn := strings.Replace(arn, "/web/", "/gone/", 1)
	out, err := f.env.ECS.DescribeServiceDeployments(t.Context(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{missingArn}})
	if err != nil || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("unknown ARN: %v, %+v", err, out)
	}
}

func TestStrategyRefusals(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	bg := func() *types.DeploymentConfiguration {
		return &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(10)}
	}
	withAC := func(edit func(ac *types.AdvancedConfiguration)) []types.LoadBalancer {
		lbs := f.loadBalancers()
		edit(lbs[0].AdvancedConfiguration)
		return lbs
	}
	cases := []struct {
		name string
		conf *types.DeploymentConfiguration
		lbs  []types.LoadBalancer
		ctrl types.DeploymentControllerType
		code string
		msg  string
	}{
		{name: "blue/green without a load balancer", conf: bg(), lbs: []types.LoadBalancer{}, code: "InvalidParameterException", msg: "requires a load balancer with an advancedConfiguration"},
		{name: "blue/green without advancedConfiguration", conf: bg(), lbs: []types.LoadBalancer{{TargetGroupArn: aws.String(f.blueTG), ContainerName: aws.String("app"), ContainerPort: aws.Int32(8080)}}, code: "InvalidParameterException", msg: "requires a load balancer with an advancedConfiguration"},
		{name: "missing role", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.RoleArn = nil }), code: "InvalidParameterException", msg: "roleArn must be specified"},
		{name: "unknown role", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.RoleArn = aws.String("arn:aws:iam::000000000000:role/nope") }), code: "InvalidParameterException", msg: "does not exist or cannot be assumed"},
		{name: "a role ECS cannot assume", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.RoleArn = aws.String(executionRole) }), code: "InvalidParameterException", msg: "does not exist or cannot be assumed"},
		{name: "production rule that redirects", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.ProductionListenerRule = aws.String(f.redirectRule) }), code: "InvalidParameterException", msg: "has a redirect action"},
		{name: "target groups not on the rule", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.ProductionListenerRule = aws.String(f.oneTGRule) }), code: "InvalidParameterException", msg: "is not associated with the listener rule"},
		{name: "unknown test rule", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.TestListenerRule = aws.String(f.prodRule + "0") }), code: "InvalidParameterException", msg: "Unable to find the listener rule"},
		{name: "alternate equals the target group", conf: bg(), lbs: withAC(func(ac *types.AdvancedConfiguration) { ac.AlternateTargetGroupArn = aws.String(f.blueTG) }), code: "InvalidParameterException", msg: "must differ"},
		{name: "strategy on the CODE_DEPLOY controller", conf: bg(), ctrl: types.DeploymentControllerTypeCodeDeploy, code: "InvalidParameterException", msg: "only supported for services that use the ECS deployment controller"},
		{name: "advancedConfiguration on the EXTERNAL controller", ctrl: types.DeploymentControllerTypeExternal, code: "InvalidParameterException", msg: "only supported for services that use the ECS deployment controller"},
		{name: "blue/green without bake time", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen}, code: "InvalidParameterException", msg: "bakeTimeInMinutes must be specified"},
		{name: "bake above 24 hours", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1441)}, code: "InvalidParameterException", msg: "bakeTimeInMinutes must be between 0 and 1440"},
		{name: "canary percent below 0.1", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(0.05)}}, code: "InvalidParameterException", msg: "canaryPercent must be a multiple of 0.1 between 0.1 and 100.0"},
		{name: "canary percent not in tenths", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(5.25)}}, code: "InvalidParameterException", msg: "canaryPercent"},
		{name: "canary bake above 24 hours", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, CanaryConfiguration: &types.CanaryConfiguration{CanaryBakeTimeInMinutes: aws.Int32(1441)}}, code: "InvalidParameterException", msg: "canaryBakeTimeInMinutes"},
		{name: "linear step below 3", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyLinear, LinearConfiguration: &types.LinearConfiguration{StepPercent: aws.Float64(2.9)}}, code: "InvalidParameterException", msg: "stepPercent must be a multiple of 0.1 between 3.0 and 100.0"},
		{name: "canary configuration on blue/green", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1), CanaryConfiguration: &types.CanaryConfiguration{}}, code: "InvalidParameterException", msg: "only valid when the deployment strategy is CANARY"},
		{name: "linear configuration on rolling", conf: &types.DeploymentConfiguration{LinearConfiguration: &types.LinearConfiguration{}}, code: "InvalidParameterException", msg: "only valid when the deployment strategy is LINEAR"},
		{name: "unknown strategy", conf: &types.DeploymentConfiguration{Strategy: "PURPLE"}, code: "InvalidParameterException", msg: "Invalid deployment strategy"},
		{name: "pause hook on a shifting stage", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1), LifecycleHooks: []types.DeploymentLifecycleHook{{TargetType: types.DeploymentLifecycleHookTargetTypePause, LifecycleStages: []types.DeploymentLifecycleHookStage{types.DeploymentLifecycleHookStageProductionTrafficShift}}}}, code: "InvalidParameterException", msg: "PAUSE hooks cannot be configured"},
		{name: "lambda hook without a function", conf: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(1), LifecycleHooks: []types.DeploymentLifecycleHook{{LifecycleStages: []types.DeploymentLifecycleHookStage{types.DeploymentLifecycleHookStagePostScaleUp}}}}, code: "InvalidParameterException", msg: "hookTargetArn must be specified"},
		{name: "pause timeout above 14 days", conf: pauseConf(20161, types.DeploymentLifecycleHookActionRollback), code: "InvalidParameterException", msg: "timeoutInMinutes must be between 1 and 20160"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lbs := tc.lbs
			if lbs == nil {
				lbs = f.loadBalancers()
			}
			in := &ecs.CreateServiceInput{
				Cluster: aws.String(f.cluster), ServiceName: aws.String("refused"), TaskDefinition: aws.String(f.oldTD),
				DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc(f.subnets, f.sg),
				LoadBalancers: lbs, DeploymentConfiguration: tc.conf,
			}
			if tc.ctrl != "" {
				in.DeploymentController = &types.DeploymentController{Type: tc.ctrl}
			}
			_, err := f.env.ECS.CreateService(t.Context(), in)
			wantAPIError(t, err, tc.code)
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("message %q lacks %q", err.Error(), tc.msg)
			}
		})
	}
	// Nothing was half-made, and UpdateService refuses alike.
	list, err := f.env.ECS.ListServices(t.Context(), &ecs.ListServicesInput{Cluster: aws.String(f.cluster)})
	if err != nil || len(list.ServiceArns) != 0 {
		t.Fatalf("refused services left behind: %v %v", list.ServiceArns, err)
	}
	f.createService(t, nil)
	_, err = f.env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{
		Cluster: aws.String(f.cluster), Service: aws.String(f.service),
		DeploymentConfiguration: &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary, CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(100.1)}},
	})
	wantAPIError(t, err, "InvalidParameterException")
	if svc := describeService(t, f.env, f.cluster, f.service); svc.DeploymentConfiguration.Strategy != "" {
		t.Errorf("a refused update changed the strategy to %s", svc.DeploymentConfiguration.Strategy)
	}
}

func TestStrategySwitchRollingToBlueGreenAndBack(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, nil)
	update := func(td string, conf *types.DeploymentConfiguration) string {
		if _, err := f.env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{
			Cluster: aws.String(f.cluster), Service: aws.String(f.service), TaskDefinition: aws.String(td), DeploymentConfiguration: conf,
		}); err != nil {
			t.Fatalf("UpdateService: %v", err)
		}
		out, err := f.env.ECS.ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(f.cluster), Service: aws.String(f.service), MaxResults: aws.Int32(1)})
		if err != nil {
			t.Fatalf("ListServiceDeployments: %v", err)
		}
		return aws.ToString(out.ServiceDeployments[0].ServiceDeploymentArn)
	}
	arn := update(f.newTD, &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyBlueGreen, BakeTimeInMinutes: aws.Int32(2)})
	shifts, sd := f.followShifts(t, arn, time.Hour)
	if got := percents(shifts); !slices.Equal(got, []float64{0, 100}) {
		t.Fatalf("rolling → blue/green moved %v", got)
	}
	f.checkSucceeded(t, sd)
	// Back to rolling: the old revision rolls in beside the new one.
	arn = update(f.oldTD, &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyRolling})
	advanceUntil(t, f.env, 10*time.Second, 30*time.Minute, "the rolling deployment", func() bool {
		return f.describe(t, arn).Status == types.ServiceDeploymentStatusSuccessful
	})
	if svc := describeService(t, f.env, f.cluster, f.service); aws.ToString(svc.TaskDefinition) != f.oldTD || svc.DeploymentConfiguration.Strategy != types.DeploymentStrategyRolling {
		t.Errorf("after switching back: %s, %s", aws.ToString(svc.TaskDefinition), svc.DeploymentConfiguration.Strategy)
	}
}

func TestStrategyResumesAfterCheckpointAndLoad(t *testing.T) {
	// A sandbox restarted from its state file mid-deployment carries on:
	// the pause still awaits its answer, and the bake still ends.
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, pauseConf(60, types.DeploymentLifecycleHookActionRollback))
	arn := f.deployNew(t)
	hook := f.awaitPause(t, arn)
	restart := func() {
		var buf bytes.Buffer
		if err := f.env.Server.Checkpoint(&buf); err != nil {
			t.Fatalf("Checkpoint: %v", err)
		}
		f.env = newTestEnv(t)
		if err := f.env.Server.Load(&buf); err != nil {
			t.Fatalf("Load: %v", err)
		}
	}
	restart()
	if _, err := f.env.ECS.ContinueServiceDeployment(t.Context(), &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hook)}); err != nil {
		t.Fatalf("ContinueServiceDeployment after Load: %v", err)
	}
	advanceUntil(t, f.env, 10*time.Second, time.Hour, "bake time", func() bool {
		return f.describe(t, arn).LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime
	})
	restart()
	_, sd := f.followShifts(t, arn, time.Hour)
	f.checkSucceeded(t, sd)
}

func TestStrategyDeleteServiceStopsItsDeployment(t *testing.T) {
	f := newStrategyFixture(t, "php:8.4")
	f.createService(t, pauseConf(60, types.DeploymentLifecycleHookActionRollback))
	arn := f.deployNew(t)
	hook := f.awaitPause(t, arn)
	if _, err := f.env.ECS.DeleteService(t.Context(), &ecs.DeleteServiceInput{Cluster: aws.String(f.cluster), Service: aws.String(f.service), Force: aws.Bool(true)}); err != nil {
		t.Fatalf("DeleteService: %v", err)
	}
	if sd := f.describe(t, arn); sd.Status != types.ServiceDeploymentStatusStopped || sd.StoppedAt == nil {
		t.Fatalf("after DeleteService the service deployment is %s", sd.Status)
	}
	_, err := f.env.ECS.ContinueServiceDeployment(t.Context(), &ecs.ContinueServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hook)})
	wantAPIError(t, err, "ConflictException")
}
