package sandbox

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// settle advances the clock until the service has one COMPLETED deployment
// running its desired count, and returns it.
func settle(t *testing.T, env *testEnv, name string) types.Service {
	t.Helper()
	var svc types.Service
	advanceUntil(t, env, 5*time.Second, 15*time.Minute, name+" to settle", func() bool {
		svc = describeService(t, env, "prod", name)
		return serviceSettled(svc)
	})
	return svc
}

// runningTasks describes the service's tasks whose desired status is RUNNING.
func runningTasks(t *testing.T, env *testEnv, service string) []types.Task {
	t.Helper()
	return tasksWithStatus(t, env, service, types.DesiredStatusRunning)
}

// tasksWithStatus describes the service's tasks with desiredStatus.
func tasksWithStatus(t *testing.T, env *testEnv, service string, status types.DesiredStatus) []types.Task {
	t.Helper()
	list, err := env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String(service), DesiredStatus: status})
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	out, err := env.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: list.TaskArns})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	return out.Tasks
}

// eventMessages are the service's event messages, newest first.
func eventMessages(svc types.Service) []string {
	var out []string
	for _, e := range svc.Events {
		out = append(out, aws.ToString(e.Message))
	}
	return out
}

// hasEvent reports whether some event message contains part.
func hasEvent(svc types.Service, part string) bool {
	return slices.ContainsFunc(eventMessages(svc), func(m string) bool { return strings.Contains(m, part) })
}

// attachmentDetail returns a detail of the task's ENI attachment.
func attachmentDetail(task types.Task, name string) string {
	for _, a := range task.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == name {
				return aws.ToString(d.Value)
			}
		}
	}
	return ""
}

func TestECSServiceRolloutWithoutLoadBalancer(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 2, subnets, sg))

	// Right after creation the scheduler launches both tasks, PROVISIONING.
	env.Server.Clock().Advance(time.Second)
	early := runningTasks(t, env, "web")
	if len(early) != 2 || aws.ToString(early[0].LastStatus) != "PROVISIONING" {
		t.Fatalf("after 1s: %d tasks, first %s; want 2 PROVISIONING", len(early), aws.ToString(early[0].LastStatus))
	}

	svc := settle(t, env, "web")
	if svc.RunningCount != 2 || svc.PendingCount != 0 {
		t.Errorf("running %d pending %d, want 2 and 0", svc.RunningCount, svc.PendingCount)
	}
	if d := svc.Deployments[0]; aws.ToString(d.RolloutStateReason) != "ECS deployment "+aws.ToString(d.Id)+" completed." {
		t.Errorf("rolloutStateReason = %q", aws.ToString(d.RolloutStateReason))
	}
	events := eventMessages(svc)
	want := []string{"(service web) has reached a steady state.", "(service web) (deployment " + aws.ToString(svc.Deployments[0].Id) + ") deployment completed."}
	if len(events) < 3 || events[0] != want[0] || events[1] != want[1] || !strings.HasPrefix(events[2], "(service web) has started 2 tasks: (task ") {
		t.Errorf("events (newest first) = %q", events)
	}

	tasks := runningTasks(t, env, "web")
	usedSubnets := map[string]bool{}
	for _, task := range tasks {
		if aws.ToString(task.LastStatus) != "RUNNING" || aws.ToString(task.Group) != "service:web" || aws.ToString(task.StartedBy) != aws.ToString(svc.Deployments[0].Id) {
			t.Errorf("task %s: lastStatus %s group %s startedBy %s", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), aws.ToString(task.Group), aws.ToString(task.StartedBy))
		}
		if id := strings.TrimPrefix(aws.ToString(task.TaskArn), "arn:aws:ecs:us-east-1:000000000000:task/prod/"); len(id) != 32 {
			t.Errorf("task ARN %s is not the long format with a 32-hex id", aws.ToString(task.TaskArn))
		}
		usedSubnets[attachmentDetail(task, "subnetId")] = true
		checkTaskENI(t, env, task)
	}
	if len(usedSubnets) != 2 {
		t.Errorf("tasks were placed in subnets %v, want two different (round-robin)", usedSubnets)
	}
}

// checkTaskENI checks the task's ENI attachment against EC2's view of it.
func checkTaskENI(t *testing.T, env *testEnv, task types.Task) {
	t.Helper()
	eniID := attachmentDetail(task, "networkInterfaceId")
	out, err := env.EC2.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{eniID}})
	if err != nil || len(out.NetworkInterfaces) != 1 {
		t.Fatalf("DescribeNetworkInterfaces %s: %v", eniID, err)
	}
	eni := out.NetworkInterfaces[0]
	if aws.ToString(eni.PrivateIpAddress) != attachmentDetail(task, "privateIPv4Address") ||
		aws.ToString(eni.MacAddress) != attachmentDetail(task, "macAddress") ||
		aws.ToString(eni.SubnetId) != attachmentDetail(task, "subnetId") {
		t.Errorf("ENI %s = ip %s mac %s subnet %s; task says %+v", eniID, aws.ToString(eni.PrivateIpAddress), aws.ToString(eni.MacAddress), aws.ToString(eni.SubnetId), task.Attachments)
	}
	if eni.Association == nil || aws.ToString(eni.Association.PublicIp) == "" {
		t.Errorf("ENI %s has no public IP though assignPublicIp is ENABLED", eniID)
	}
	if ip := aws.ToString(task.Containers[0].NetworkInterfaces[0].PrivateIpv4Address); ip != aws.ToString(eni.PrivateIpAddress) {
		t.Errorf("container network interface IP %s, ENI %s", ip, aws.ToString(eni.PrivateIpAddress))
	}
}

func TestECSServicesStableWaiter(t *testing.T) {
	env := newTestEnvWith(t, Options{Speed: 120})
	createTestCluster(t, env, "prod")
	registerTD(t, env, fargateTaskDef("web", "nginx"))
	subnets, sg := defaultNetwork(t, env)
	createTestService(t, env, serviceInput("web", "web", 3, subnets, sg))

	waiter := ecs.NewServicesStableWaiter(env.ECS, func(o *ecs.ServicesStableWaiterOptions) {
		o.MinDelay = 50 * time.Millisecond
		o.MaxDelay = 200 * time.Millisecond
	})
	out, err := waiter.WaitForOutput(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}}, 30*time.Second)
	if err != nil {
		t.Fatalf("ServicesStable: %v", err)
	}
	if s := out.Services[0]; s.RunningCount != 3 || len(s.Deployments) != 1 {
		t.Errorf("stable service: running %d, %d deployments", s.RunningCount, len(s.Deployments))
	}
}

func TestECSUpdateServiceRollsOver(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 2, subnets, sg))
	first := settle(t, env, "web")
	oldTasks := runningTasks(t, env, "web")

	registerTD(t, env, fargateTaskDef("web", "php:8.4-apache"))
	out, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web")})
	if err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	deps := out.Service.Deployments
	if len(deps) != 2 || aws.ToString(deps[0].Status) != "PRIMARY" || !strings.HasSuffix(aws.ToString(deps[0].TaskDefinition), "web:2") ||
		aws.ToString(deps[1].Status) != "ACTIVE" || aws.ToString(deps[1].Id) != aws.ToString(first.Deployments[0].Id) {
		t.Fatalf("deployments after update = %+v", deps)
	}

	svc := settle(t, env, "web")
	if !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "web:2") || !strings.HasSuffix(aws.ToString(svc.Deployments[0].TaskDefinition), "web:2") {
		t.Errorf("settled on %s", aws.ToString(svc.TaskDefinition))
	}
	for _, task := range runningTasks(t, env, "web") {
		if !strings.HasSuffix(aws.ToString(task.TaskDefinitionArn), "web:2") {
			t.Errorf("task %s still runs %s", aws.ToString(task.TaskArn), aws.ToString(task.TaskDefinitionArn))
		}
	}
	ids := make([]string, len(oldTasks))
	for i, task := range oldTasks {
		ids[i] = aws.ToString(task.TaskArn)
	}
	stopped, err := env.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: ids})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range stopped.Tasks {
		if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != types.TaskStopCodeServiceSchedulerInitiated || task.StoppedAt == nil {
			t.Errorf("old task %s: %s %s", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), task.StopCode)
		}
	}
	if !hasEvent(svc, "has stopped 1 running tasks") && !hasEvent(svc, "has stopped 2 running tasks") {
		t.Errorf("no stop event in %q", eventMessages(svc))
	}

	// forceNewDeployment redeploys the same revision.
	forced, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), ForceNewDeployment: true})
	if err != nil || len(forced.Service.Deployments) != 2 || aws.ToString(forced.Service.Deployments[0].TaskDefinition) != aws.ToString(forced.Service.Deployments[1].TaskDefinition) {
		t.Fatalf("forceNewDeployment = %+v, %v", forced, err)
	}
	settle(t, env, "web")
}

func TestECSScaleUpAndDown(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
	settle(t, env, "web")
	for _, desired := range []int32{4, 2, 0} {
		out, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(desired)})
		if err != nil || len(out.Service.Deployments) != 1 {
			t.Fatalf("scale to %d: %+v, %v", desired, out, err)
		}
		advanceUntil(t, env, 5*time.Second, 5*time.Minute, "scaling", func() bool {
			svc := describeService(t, env, "prod", "web")
			return svc.RunningCount == desired && svc.PendingCount == 0 && len(runningTasks(t, env, "web")) == int(desired)
		})
	}
}

func TestECSStopTaskIsReplaced(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
	settle(t, env, "web")
	victim := runningTasks(t, env, "web")[0]
	eniID := attachmentDetail(victim, "networkInterfaceId")

	out, err := env.ECS.StopTask(t.Context(), &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: victim.TaskArn, Reason: aws.String("testing")})
	if err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if aws.ToString(out.Task.DesiredStatus) != "STOPPED" || aws.ToString(out.Task.StoppedReason) != "testing" || out.Task.StopCode != types.TaskStopCodeUserInitiated {
		t.Errorf("stopped task = desired %s reason %q code %s", aws.ToString(out.Task.DesiredStatus), aws.ToString(out.Task.StoppedReason), out.Task.StopCode)
	}

	advanceUntil(t, env, 5*time.Second, 5*time.Minute, "a replacement", func() bool {
		running := runningTasks(t, env, "web")
		return len(running) == 1 && aws.ToString(running[0].TaskArn) != aws.ToString(victim.TaskArn) && aws.ToString(running[0].LastStatus) == "RUNNING"
	})
	stopped := tasksWithStatus(t, env, "web", types.DesiredStatusStopped)
	if len(stopped) != 1 || aws.ToString(stopped[0].LastStatus) != "STOPPED" {
		t.Fatalf("stopped tasks = %+v", stopped)
	}
	enis, err := env.EC2.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, eni := range enis.NetworkInterfaces {
		if aws.ToString(eni.NetworkInterfaceId) == eniID {
			t.Errorf("ENI %s of the stopped task still exists", eniID)
		}
	}

	_, err = env.ECS.StopTask(t.Context(), &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String("0123456789abcdef0123456789abcdef")})
	wantAPIError(t, err, "InvalidParameterException")
	_, err = env.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{}})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestECSCrashImageTripsCircuitBreaker(t *testing.T) {
	tests := []struct {
		name     string
		rollback bool
	}{
		{"with rollback", true},
		{"without rollback", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, subnets, sg := serviceEnv(t)
			in := serviceInput("web", "web", 2, subnets, sg)
			in.DeploymentConfiguration = &types.DeploymentConfiguration{
				DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: tc.rollback},
			}
			createTestService(t, env, in)
			good := settle(t, env, "web")
			goodDeployment := aws.ToString(good.Deployments[0].Id)

			registerTD(t, env, fargateTaskDef("web", "php:crash"))
			if _, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}); err != nil {
				t.Fatalf("UpdateService: %v", err)
			}
			var failed types.Deployment
			advanceUntil(t, env, 5*time.Second, 15*time.Minute, "the circuit breaker", func() bool {
				for _, d := range describeService(t, env, "prod", "web").Deployments {
					if d.RolloutState == types.DeploymentRolloutStateFailed {
						failed = d
						return true
					}
				}
				return false
			})
			if failed.FailedTasks < 3 || aws.ToString(failed.RolloutStateReason) != "ECS deployment circuit breaker: tasks failed to start." {
				t.Errorf("failed deployment: failedTasks %d reason %q", failed.FailedTasks, aws.ToString(failed.RolloutStateReason))
			}
			crashed := tasksWithStatus(t, env, "web", types.DesiredStatusStopped)
			if len(crashed) == 0 || aws.ToString(crashed[0].StoppedReason) != "Essential container in task exited" ||
				crashed[0].StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToInt32(crashed[0].Containers[0].ExitCode) != 1 {
				t.Fatalf("crashed tasks = %+v", crashed)
			}

			if !tc.rollback {
				env.Server.Clock().Advance(10 * time.Minute)
				svc := describeService(t, env, "prod", "web")
				if len(svc.Deployments) != 2 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateFailed || svc.RunningCount != 2 {
					t.Errorf("without rollback: %d deployments, primary %s, running %d; want the failed primary and the old tasks", len(svc.Deployments), svc.Deployments[0].RolloutState, svc.RunningCount)
				}
				return
			}
			svc := settle(t, env, "web")
			if !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "web:1") || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted {
				t.Errorf("after rollback: %s %s", aws.ToString(svc.TaskDefinition), svc.Deployments[0].RolloutState)
			}
			if !hasEvent(svc, "deployment failed: tasks failed to start.") || !hasEvent(svc, "rolling back to deployment "+goodDeployment) {
				t.Errorf("events = %q", eventMessages(svc))
			}
		})
	}
}

func TestECSAwslogsStreams(t *testing.T) {
	tests := []struct {
		name        string
		createGroup string
		wantRunning bool
	}{
		{"missing group fails the task", "", false},
		{"awslogs-create-group creates it", "true", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t)
			createTestCluster(t, env, "prod")
			subnets, sg := defaultNetwork(t, env)
			td := fargateTaskDef("web", "nginx")
			td.ContainerDefinitions[0].LogConfiguration = awslogsConfig("/ecs/web", tc.createGroup)
			registerTD(t, env, td)
			createTestService(t, env, serviceInput("web", "web", 1, subnets, sg))
			env.Server.Clock().Advance(time.Minute)

			if !tc.wantRunning {
				stopped := tasksWithStatus(t, env, "web", types.DesiredStatusStopped)
				if len(stopped) == 0 || !strings.HasPrefix(aws.ToString(stopped[0].StoppedReason), "ResourceInitializationError:") || stopped[0].StopCode != types.TaskStopCodeTaskFailedToStart {
					t.Fatalf("stopped tasks = %+v", stopped)
				}
				return
			}
			task := runningTasks(t, env, "web")[0]
			taskID := aws.ToString(task.TaskArn)[strings.LastIndex(aws.ToString(task.TaskArn), "/")+1:]
			out, err := env.Logs.GetLogEvents(t.Context(), &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String("/ecs/web"), LogStreamName: aws.String("ecs/app/" + taskID), StartFromHead: aws.Bool(true),
			})
			if err != nil || len(out.Events) == 0 {
				t.Fatalf("GetLogEvents ecs/app/%s = %+v, %v", taskID, out, err)
			}
		})
	}
}

func TestECSConcurrentRequests(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 2, subnets, sg))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for range 10 {
				var err error
				switch i % 4 {
				case 0:
					_, err = env.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{"web"}})
				case 1:
					_, err = env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod")})
				case 2:
					_, err = env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(int32(i % 3))})
				case 3:
					env.Server.Clock().Advance(2 * time.Second)
					_, err = env.ECS.RegisterTaskDefinition(t.Context(), fargateTaskDef("web", "nginx"))
				}
				if err != nil {
					t.Errorf("goroutine %d: %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	out, err := env.ECS.ListTaskDefinitions(t.Context(), &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("web")})
	if err != nil || len(out.TaskDefinitionArns) != 41 {
		t.Errorf("revisions = %d, %v; want 41 (1 + 4 goroutines × 10)", len(out.TaskDefinitionArns), err)
	}
}

func TestECSStateSurvivesSaveAndLoad(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	createTestService(t, env, serviceInput("web", "web", 2, subnets, sg))
	settle(t, env, "web")
	registerTD(t, env, fargateTaskDef("web", "php:8.4-apache"))
	if _, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := env.Server.Save(&buf); err != nil {
		t.Fatalf("Save: %v", err)
	}

	after := newTestEnv(t)
	if err := after.Server.Load(&buf); err != nil {
		t.Fatalf("Load: %v", err)
	}
	svc := describeService(t, after, "prod", "web")
	if !serviceSettled(svc) || !strings.HasSuffix(aws.ToString(svc.TaskDefinition), "web:2") {
		t.Fatalf("after Load: %d deployments, %s, running %d", len(svc.Deployments), aws.ToString(svc.TaskDefinition), svc.RunningCount)
	}
	if stopped := tasksWithStatus(t, after, "web", types.DesiredStatusStopped); len(stopped) != 2 {
		t.Errorf("after Load: %d stopped tasks, want the 2 replaced ones", len(stopped))
	}

	// The loaded world keeps moving: stopped tasks expire, the scheduler scales.
	if _, err := after.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	after.Server.Clock().Advance(2 * time.Hour)
	if stopped := tasksWithStatus(t, after, "web", types.DesiredStatusStopped); len(stopped) != 0 {
		t.Errorf("stopped tasks still listed two hours after Load: %d", len(stopped))
	}
	if svc := settle(t, after, "web"); svc.RunningCount != 3 {
		t.Errorf("after scaling: running %d, want 3", svc.RunningCount)
	}
}

func TestECSRollingUpdateHonoursPercentages(t *testing.T) {
	tests := []struct {
		name             string
		minPct, maxPct   int32
		minRunning, most int
	}{
		{"defaults 100/200", 100, 200, 4, 8},
		{"50/100", 50, 100, 2, 4},
		{"0/100", 0, 100, 0, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, subnets, sg := serviceEnv(t)
			in := serviceInput("web", "web", 4, subnets, sg)
			in.DeploymentConfiguration = &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(tc.minPct), MaximumPercent: aws.Int32(tc.maxPct)}
			createTestService(t, env, in)
			settle(t, env, "web")
			registerTD(t, env, fargateTaskDef("web", "php:8.4-apache"))
			if _, err := env.ECS.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), TaskDefinition: aws.String("web:2")}); err != nil {
				t.Fatal(err)
			}
			advanceUntil(t, env, time.Second, 10*time.Minute, "the rollover", func() bool {
				all := append(runningTasks(t, env, "web"), tasksWithStatus(t, env, "web", types.DesiredStatusStopped)...)
				running, present := 0, 0
				for _, task := range all {
					if aws.ToString(task.LastStatus) != "STOPPED" {
						present++
					}
					if aws.ToString(task.LastStatus) == "RUNNING" && aws.ToString(task.DesiredStatus) == "RUNNING" {
						running++
					}
				}
				if present > tc.most || running < tc.minRunning {
					t.Fatalf("%d tasks present (max %d), %d running (min %d)", present, tc.most, running, tc.minRunning)
				}
				return serviceSettled(describeService(t, env, "prod", "web"))
			})
		})
	}
}

func TestECSBreakerThreshold(t *testing.T) {
	tests := []struct {
		desired int32
		want    int
	}{{0, 3}, {1, 3}, {6, 3}, {7, 4}, {10, 5}, {399, 200}, {1000, 200}}
	for _, tc := range tests {
		if got := breakerThreshold(tc.desired); got != tc.want {
			t.Errorf("breakerThreshold(%d) = %d, want %d", tc.desired, got, tc.want)
		}
	}
}

func TestECSListTasksFilters(t *testing.T) {
	env, subnets, sg := serviceEnv(t)
	in := serviceInput("web", "web", 2, subnets, sg)
	in.Tags = []types.Tag{{Key: aws.String("team"), Value: aws.String("web")}}
	in.PropagateTags = types.PropagateTagsService
	in.EnableECSManagedTags = true
	svc := createTestService(t, env, in)
	settle(t, env, "web")
	deploymentID := aws.ToString(svc.Deployments[0].Id)

	tests := []struct {
		name string
		in   ecs.ListTasksInput
		want int
	}{
		{"service", ecs.ListTasksInput{ServiceName: aws.String("web")}, 2},
		{"family", ecs.ListTasksInput{Family: aws.String("web")}, 2},
		{"other family", ecs.ListTasksInput{Family: aws.String("api")}, 0},
		{"startedBy deployment", ecs.ListTasksInput{StartedBy: aws.String(deploymentID)}, 2},
		{"PENDING is never a desired status", ecs.ListTasksInput{DesiredStatus: types.DesiredStatusPending}, 0},
		{"STOPPED", ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped}, 0},
		{"launch type", ecs.ListTasksInput{LaunchType: types.LaunchTypeFargate}, 2},
		{"page of one", ecs.ListTasksInput{MaxResults: aws.Int32(1)}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Cluster = aws.String("prod")
			out, err := env.ECS.ListTasks(t.Context(), &tc.in)
			if err != nil || len(out.TaskArns) != tc.want {
				t.Errorf("ListTasks = %v, %v; want %d tasks", out, err, tc.want)
			}
		})
	}
	_, err := env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("nope")})
	wantAPIError(t, err, "ServiceNotFoundException")
	_, err = env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod"), Family: aws.String("web app")})
	wantAPIError(t, err, "InvalidParameterException")

	// Tags come back only with include TAGS: the service's, propagated, and ECS's managed ones.
	list, _ := env.ECS.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String("prod")})
	out, err := env.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: list.TaskArns[:1], Include: []types.TaskField{types.TaskFieldTags}})
	if err != nil {
		t.Fatal(err)
	}
	tags := map[string]string{}
	for _, tag := range out.Tasks[0].Tags {
		tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	if tags["team"] != "web" || tags["aws:ecs:serviceName"] != "web" || tags["aws:ecs:clusterName"] != "prod" {
		t.Errorf("task tags = %v", tags)
	}
	plain, _ := env.ECS.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: list.TaskArns[:1]})
	if len(plain.Tasks[0].Tags) != 0 {
		t.Errorf("tags returned without include: %v", plain.Tasks[0].Tags)
	}
}
