package sandbox

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// serviceInput is a Fargate service of taskDef in cluster "prod" over the
// default network.
func serviceInput(name, taskDef string, desired int32, subnets []string, sg string) *ecs.CreateServiceInput {
	return &ecs.CreateServiceInput{
		Cluster:              aws.String("prod"),
		ServiceName:          aws.String(name),
		TaskDefinition:       aws.String(taskDef),
		DesiredCount:         aws.Int32(desired),
		LaunchType:           types.LaunchTypeFargate,
		NetworkConfiguration: awsvpc(subnets, sg),
	}
}

// createTestService creates in and returns the service.
func createTestService(t *testing.T, env *testEnv, in *ecs.CreateServiceInput) types.Service {
	t.Helper()
	out, err := env.ECS.CreateService(t.Context(), in)
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	return *out.Service
}

// serviceEnv is a sandbox with cluster "prod", task definition web:1 and
// the default network.
func serviceEnv(t *testing.T) (env *testEnv, subnets []string, sg string) {
	t.Helper()
	env = newTestEnv(t)
	createTestCluster(t, env, "prod")
	registerTD(t, env, fargateTaskDef("web", "php:8.3-apache"))
	subnets, sg = defaultNetwork(t, env)
	return env, subnets, sg
}

func TestECSCreateServiceShape(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	svc := createTestService(t, env, serviceInput("web", "web", 2, subnets, sg))
	dc := svc.DeploymentConfiguration
	checks := map[string][2]any{
		"arn":               {aws.ToString(svc.ServiceArn), "arn:aws:ecs:us-east-1:000000000000:service/prod/web"},
		"cluster":           {aws.ToString(svc.ClusterArn), "arn:aws:ecs:us-east-1:000000000000:cluster/prod"},
		"status":            {aws.ToString(svc.Status), "ACTIVE"},
		"taskDefinition":    {aws.ToString(svc.TaskDefinition), "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"},
		"desired":           {svc.DesiredCount, int32(2)},
		"launchType":        {svc.LaunchType, types.LaunchTypeFargate},
		"platformVersion":   {aws.ToString(svc.PlatformVersion), "LATEST"},
		"maximumPercent":    {aws.ToInt32(dc.MaximumPercent), int32(200)},
		"minimumHealthy":    {aws.ToInt32(dc.MinimumHealthyPercent), int32(100)},
		"breaker":           {dc.DeploymentCircuitBreaker != nil && !dc.DeploymentCircuitBreaker.Enable, true},
		"scheduling":        {svc.SchedulingStrategy, types.SchedulingStrategyReplica},
		"controller":        {svc.DeploymentController.Type, types.DeploymentControllerTypeEcs},
		"deployments":       {len(svc.Deployments), 1},
		"deployment status": {aws.ToString(svc.Deployments[0].Status), "PRIMARY"},
		"rollout":           {svc.Deployments[0].RolloutState, types.DeploymentRolloutStateInProgress},
		"assignPublicIp":    {svc.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, types.AssignPublicIpEnabled},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if id := aws.ToString(svc.Deployments[0].Id); len(id) != len("ecs-svc/")+19 || !strings.HasPrefix(id, "ecs-svc/") {
		t.Errorf("deployment id %q is not ecs-svc/ + 19 digits", id)
	}

	in := serviceInput("web", "web", 2, subnets, sg)
	_, err := env.ECS.CreateService(t.Context(), in)
	wantAPIError(t, err, "InvalidParameterException")
	if msg := errorMessage(err); msg != "Creation of service was not idempotent." {
		t.Errorf("message = %q", msg)
	}
}

func TestECSCreateServiceIdempotentWithClientToken(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	in := serviceInput("web", "web", 1, subnets, sg)
	in.ClientToken = aws.String("token-1")
	first := createTestService(t, env, in)
	second := createTestService(t, env, in)
	if aws.ToString(first.ServiceArn) != aws.ToString(second.ServiceArn) || aws.ToString(first.Deployments[0].Id) != aws.ToString(second.Deployments[0].Id) {
		t.Errorf("same clientToken created a second service: %s vs %s", aws.ToString(first.Deployments[0].Id), aws.ToString(second.Deployments[0].Id))
	}
}

func TestECSCreateServiceValidation(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	registerTD(t, env, fargateTaskDef("old", "nginx"))
	if _, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("old:1")}); err != nil {
		t.Fatal(err)
	}
	bridge := fargateTaskDef("bridge", "nginx")
	bridge.RequiresCompatibilities = nil
	bridge.NetworkMode = types.NetworkModeBridge
	registerTD(t, env, bridge)

	tests := []struct {
		name    string
		mutate  func(in *ecs.CreateServiceInput)
		code    string
		message string
	}{
		{"unknown cluster", func(in *ecs.CreateServiceInput) { in.Cluster = aws.String("nope") },
			"ClusterNotFoundException", "Cluster not found."},
		{"default cluster missing", func(in *ecs.CreateServiceInput) { in.Cluster = nil },
			"ClusterNotFoundException", "Cluster not found."},
		{"bad name", func(in *ecs.CreateServiceInput) { in.ServiceName = aws.String("web/1") },
			"InvalidParameterException", ""},
		{"unknown task definition", func(in *ecs.CreateServiceInput) { in.TaskDefinition = aws.String("nope:1") },
			"ClientException", "TaskDefinition not found."},
		{"inactive task definition", func(in *ecs.CreateServiceInput) { in.TaskDefinition = aws.String("old:1") },
			"InvalidParameterException", "TaskDefinition is inactive"},
		{"family with no active revision", func(in *ecs.CreateServiceInput) { in.TaskDefinition = aws.String("old") },
			"ClientException", "TaskDefinition not found."},
		{"not fargate compatible", func(in *ecs.CreateServiceInput) {
			in.TaskDefinition = aws.String("bridge")
			in.NetworkConfiguration = nil
		}, "InvalidParameterException", "Task definition does not support launch_type FARGATE."},
		{"network configuration for bridge", func(in *ecs.CreateServiceInput) {
			in.TaskDefinition = aws.String("bridge")
			in.LaunchType = types.LaunchTypeEc2
		}, "InvalidParameterException", "Network Configuration is not valid for the given networkMode of this task definition."},
		{"awsvpc without network configuration", func(in *ecs.CreateServiceInput) { in.NetworkConfiguration = nil },
			"InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified."},
		{"unknown subnet", func(in *ecs.CreateServiceInput) {
			in.NetworkConfiguration.AwsvpcConfiguration.Subnets = []string{"subnet-0123456789abcdef0"}
		}, "InvalidParameterException", "subnet-0123456789abcdef0"},
		{"unknown security group", func(in *ecs.CreateServiceInput) {
			in.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups = []string{"sg-0123456789abcdef0"}
		}, "InvalidParameterException", "sg-0123456789abcdef0"},
		{"launch type and strategy", func(in *ecs.CreateServiceInput) {
			in.CapacityProviderStrategy = []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}
		}, "InvalidParameterException", ""},
		{"missing desired count", func(in *ecs.CreateServiceInput) { in.DesiredCount = nil },
			"InvalidParameterException", ""},
		{"load balancer container unknown", func(in *ecs.CreateServiceInput) {
			in.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef"), ContainerName: aws.String("nginx"), ContainerPort: aws.Int32(8080)}}
		}, "InvalidParameterException", "The container nginx does not exist in the task definition."},
		{"load balancer port unknown", func(in *ecs.CreateServiceInput) {
			in.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/tg/0123456789abcdef"), ContainerName: aws.String("app"), ContainerPort: aws.Int32(80)}}
		}, "InvalidParameterException", "The container app did not have a container port 80 defined."},
		{"unknown platform version", func(in *ecs.CreateServiceInput) { in.PlatformVersion = aws.String("9.9.9") },
			"PlatformUnknownException", "The specified platform does not exist."},
		{"minimum healthy above 100", func(in *ecs.CreateServiceInput) {
			in.DeploymentConfiguration = &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(150)}
		}, "InvalidParameterException", ""},
		{"bad tag", func(in *ecs.CreateServiceInput) {
			in.Tags = []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}
		}, "InvalidParameterException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := serviceInput("svc", "web", 1, subnets, sg)
			tc.mutate(in)
			_, err := env.ECS.CreateService(t.Context(), in)
			wantAPIError(t, err, tc.code)
			if msg := errorMessage(err); !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not contain %q", msg, tc.message)
			}
		})
	}
}

func TestECSUpdateServiceValidation(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
	registerTD(t, env, fargateTaskDef("web", "php:8.4-apache"))
	if _, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   ecs.UpdateServiceInput
		code string
	}{
		{"unknown service", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("nope")}, "ServiceNotFoundException"},
		{"unknown cluster", ecs.UpdateServiceInput{Cluster: aws.String("nope"), Service: aws.String("web")}, "ClusterNotFoundException"},
		{"inactive revision", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}, "InvalidParameterException"},
		{"unknown revision", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:7")}, "ClientException"},
		{"negative desired count", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(-1)}, "InvalidParameterException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.ECS.UpdateService(t.Context(), &tc.in)
			wantAPIError(t, err, tc.code)
		})
	}

	// A service on a revision that was deregistered since can still scale.
	if _, err := env.ECS.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:1")}); err != nil {
		t.Fatal(err)
	}
	out, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(3)})
	if err != nil || out.Service.DesiredCount != 3 || len(out.Service.Deployments) != 1 || out.Service.Deployments[0].DesiredCount != 3 {
		t.Errorf("scaling a service on an INACTIVE revision = %+v, %v", out, err)
	}
}

func TestECSListAndDescribeServices(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	for i := range 12 {
		createTestService(t, env, serviceInput(fmt.Sprintf("svc%02d", i), "web", 0, subnets, sg))
	}
	var arns []string
	pages := 0
	p := ecs.NewListServicesPaginator(env.ECS, &ecs.ListServicesInput{Cluster: aws.String("prod")})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		pages++
		arns = append(arns, out.ServiceArns...)
	}
	if len(arns) != 12 || pages != 2 {
		t.Errorf("listed %d services in %d pages, want 12 in 2 (default page size 10)", len(arns), pages)
	}

	if _, err := env.ECS.TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(arns[0]), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}}); err != nil {
		t.Fatalf("TagResource on a service: %v", err)
	}
	out, err := env.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{
		Cluster:  aws.String("prod"),
		Services: []string{"svc00", arns[1], "nope"},
		Include:  []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if len(out.Services) != 2 || len(out.Services[0].Tags) != 1 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Arn) != "arn:aws:ecs:us-east-1:000000000000:service/prod/nope" || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("DescribeServices = %d services, failures %+v", len(out.Services), out.Failures)
	}
	_, err = env.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: strings.Split("a b c d e f g h i j k", " ")})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestECSDeleteService(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
	advanceUntil(t, env, 5*time.Second, 5*time.Minute, "web to settle", func() bool { return serviceSettled(describeService(t, env, "prod", "web")) })

	_, err := env.ECS.DeleteService(t.Context(), &ecs.DeleteServiceInput{Cluster: aws.String("prod"), Service: aws.String("web")})
	wantAPIError(t, err, "InvalidParameterException")

	out, err := env.ECS.DeleteService(t.Context(), &ecs.DeleteServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), Force: aws.Bool(true)})
	if err != nil || aws.ToString(out.Service.Status) != "DRAINING" {
		t.Fatalf("DeleteService = %+v, %v; want DRAINING", out, err)
	}
	_, err = env.ECS.CreateService(t.Context(), serviceInput("web", "web", 1, subnets, sg))
	wantAPIError(t, err, "InvalidParameterException")
	_, err = env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(1)})
	wantAPIError(t, err, "ServiceNotActiveException")
	list, _ := env.ECS.ListServices(t.Context(), &ecs.ListServicesInput{Cluster: aws.String("prod")})
	if len(list.ServiceArns) != 0 {
		t.Errorf("ListServices shows a DRAINING service: %v", list.ServiceArns)
	}

	advanceUntil(t, env, 5*time.Second, 5*time.Minute, "web to become INACTIVE", func() bool {
		return aws.ToString(describeService(t, env, "prod", "web").Status) == "INACTIVE"
	})
	tasks, _ := env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("web")})
	if len(tasks.TaskArns) != 0 {
		t.Errorf("INACTIVE service still has running tasks: %v", tasks.TaskArns)
	}
	// An INACTIVE service's name can be reused.
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
}

func TestECSLaunchTypeResolution(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	if _, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{
		ClusterName:                     aws.String("spot"),
		CapacityProviders:               []string{"FARGATE_SPOT"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, cluster string
		// provider is the capacity provider the task runs on, "" when none is placed.
		provider string
	}{
		{"cluster default strategy", "spot", "FARGATE_SPOT"},
		{"no launch type and no default strategy means EC2", "prod", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := serviceInput("svc", "web", 1, subnets, sg)
			in.Cluster = aws.String(tc.cluster)
			in.LaunchType = ""
			if tc.provider == "" {
				registerTD(t, env, &ecs.RegisterTaskDefinitionInput{
					Family:               aws.String("ec2"),
					ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"), Memory: aws.Int32(256)}},
				})
				in.TaskDefinition = aws.String("ec2")
				in.NetworkConfiguration = nil
			}
			createTestService(t, env, in)
			env.Server.Clock().Advance(time.Minute)
			out, err := env.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(tc.cluster), Services: []string{"svc"}})
			if err != nil {
				t.Fatal(err)
			}
			svc := out.Services[0]
			if tc.provider == "" {
				if svc.LaunchType != types.LaunchTypeEc2 || svc.RunningCount != 0 || !hasEvent(svc, "was unable to place a task because no container instance met all of its requirements.") {
					t.Errorf("EC2 service: launch type %s, running %d, events %q", svc.LaunchType, svc.RunningCount, eventMessages(svc))
				}
				return
			}
			if len(svc.CapacityProviderStrategy) != 1 || svc.RunningCount != 1 {
				t.Fatalf("service: strategy %+v, running %d", svc.CapacityProviderStrategy, svc.RunningCount)
			}
			list, _ := env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String(tc.cluster)})
			tasks, err := env.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(tc.cluster), Tasks: list.TaskArns})
			if err != nil || len(tasks.Tasks) != 1 || aws.ToString(tasks.Tasks[0].CapacityProviderName) != tc.provider {
				t.Errorf("tasks = %+v, %v; want one on %s", tasks, err, tc.provider)
			}
		})
	}
}

func TestECSServiceEventsKeepNewest100(t *testing.T) {
	svc := &serviceRecord{service: service{ServiceName: "web"}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 150 {
		svc.addEvent(start.Add(time.Duration(i)*time.Second), "event %d", i)
	}
	if len(svc.Events) != 100 {
		t.Fatalf("kept %d events, want 100", len(svc.Events))
	}
	if first, last := svc.Events[0].Message, svc.Events[99].Message; first != "(service web) event 149" || last != "(service web) event 50" {
		t.Errorf("events run from %q to %q, want newest (149) first and 50 last", first, last)
	}
}
