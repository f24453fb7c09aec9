package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ecsconsole/ecsconsole"
)

// LiveService is what AWS says about one ECS service now: the Services
// page's live view and the deployment page's events.
type LiveService struct {
	Found                       bool // false when ECS does not know the service
	Status                      string
	Running, Desired, Pending   int32
	TaskDefinitionARN           string
	RolloutState, RolloutReason string // of the PRIMARY deployment
	Deployments                 int    // ECS deployments in flight (1 when settled)
	TargetGroupARNs             []string
	Events                      []ServiceEvent
	Tasks                       []LiveTask
	Targets                     []LiveTarget
	AssignPublicIP              bool
	Subnets, SecurityGroups     []string
	LoadBalancerContainer       string
	LoadBalancerContainerPort   int32
	ReadAt                      time.Time
}

// ServiceEvent is one entry of the service's ECS event log.
type ServiceEvent struct {
	At      time.Time
	Message string
}

// LiveTask is one task of the service as DescribeTasks reports it.
type LiveTask struct {
	ARN, LastStatus, Health, PrivateIP string
	TaskDefinitionARN                  string
	Containers                         []LiveContainer
}

// LiveContainer is one container of a task: its image and the digest ECS
// resolved the image to.
type LiveContainer struct {
	Name, Image, Digest string
}

// LiveTarget is one target of the service's target group.
type LiveTarget struct {
	ID     string
	Port   int32
	State  string
	Reason string
}

// ReadService reads a service's live state: one DescribeServices, the
// running tasks (ListTasks, DescribeTasks), and the health of its target
// groups' targets. A service ECS does not know comes back with Found false.
func (e *Engine) ReadService(ctx context.Context, region, cluster, service string) (LiveService, error) {
	live := LiveService{ReadAt: time.Now()}
	clients, err := e.clients(ctx, region)
	if err != nil {
		return live, err
	}
	out, err := clients.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return live, fmt.Errorf("describing service %s/%s: %w", cluster, service, err)
	}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) == "INACTIVE" {
		return live, nil
	}
	svc := out.Services[0]
	live.Found = true
	live.Status = aws.ToString(svc.Status)
	live.Running, live.Desired, live.Pending = svc.RunningCount, svc.DesiredCount, svc.PendingCount
	live.TaskDefinitionARN = aws.ToString(svc.TaskDefinition)
	live.Deployments = len(svc.Deployments)
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			live.RolloutState, live.RolloutReason = string(d.RolloutState), aws.ToString(d.RolloutStateReason)
		}
	}
	for _, lb := range svc.LoadBalancers {
		live.TargetGroupARNs = append(live.TargetGroupARNs, aws.ToString(lb.TargetGroupArn))
		live.LoadBalancerContainer, live.LoadBalancerContainerPort = aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort)
	}
	if nc := svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		live.AssignPublicIP = nc.AwsvpcConfiguration.AssignPublicIp == ecstypes.AssignPublicIpEnabled
		live.Subnets, live.SecurityGroups = nc.AwsvpcConfiguration.Subnets, nc.AwsvpcConfiguration.SecurityGroups
	}
	for _, ev := range svc.Events {
		live.Events = append(live.Events, ServiceEvent{At: aws.ToTime(ev.CreatedAt), Message: aws.ToString(ev.Message)})
	}
	if live.Tasks, err = readTasks(ctx, clients.ECS, cluster, service); err != nil {
		return live, err
	}
	for _, tg := range live.TargetGroupARNs {
		health, err := clients.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			return live, fmt.Errorf("reading target health of %s: %w", tg, err)
		}
		for _, t := range health.TargetHealthDescriptions {
			lt := LiveTarget{}
			if t.Target != nil {
				lt.ID, lt.Port = aws.ToString(t.Target.Id), aws.ToInt32(t.Target.Port)
			}
			if t.TargetHealth != nil {
				lt.State, lt.Reason = string(t.TargetHealth.State), aws.ToString(t.TargetHealth.Description)
			}
			live.Targets = append(live.Targets, lt)
		}
	}
	return live, nil
}

// readTasks describes a service's running tasks with their containers'
// image digests.
func readTasks(ctx context.Context, api ECSAPI, cluster, service string) ([]LiveTask, error) {
	list, err := api.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service)})
	if err != nil {
		return nil, fmt.Errorf("listing tasks of %s/%s: %w", cluster, service, err)
	}
	if len(list.TaskArns) == 0 {
		return nil, nil
	}
	out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		return nil, fmt.Errorf("describing tasks of %s/%s: %w", cluster, service, err)
	}
	tasks := make([]LiveTask, 0, len(out.Tasks))
	for _, t := range out.Tasks {
		lt := LiveTask{ARN: aws.ToString(t.TaskArn), LastStatus: aws.ToString(t.LastStatus), Health: string(t.HealthStatus),
			TaskDefinitionARN: aws.ToString(t.TaskDefinitionArn)}
		for _, att := range t.Attachments {
			for _, kv := range att.Details {
				if aws.ToString(kv.Name) == "privateIPv4Address" {
					lt.PrivateIP = aws.ToString(kv.Value)
				}
			}
		}
		for _, c := range t.Containers {
			lt.Containers = append(lt.Containers, LiveContainer{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image), Digest: aws.ToString(c.ImageDigest)})
		}
		tasks = append(tasks, lt)
	}
	return tasks, nil
}

// clusterServiceLister is the one ECS call beyond ECSAPI the Services page
// needs, to find services the console did not deploy; the SDK's client has it.
type clusterServiceLister interface {
	ListServices(context.Context, *ecs.ListServicesInput, ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
}

// ClusterServices lists the names of the services in a cluster (at most
// the first 100), or nil when the clients cannot list services.
func (e *Engine) ClusterServices(ctx context.Context, region, cluster string) ([]string, error) {
	clients, err := e.clients(ctx, region)
	if err != nil {
		return nil, err
	}
	lister, ok := clients.ECS.(clusterServiceLister)
	if !ok {
		return nil, nil
	}
	out, err := lister.ListServices(ctx, &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)})
	if err != nil {
		return nil, fmt.Errorf("listing services of cluster %s: %w", cluster, err)
	}
	names := make([]string, 0, len(out.ServiceArns))
	for _, arn := range out.ServiceArns {
		names = append(names, arn[strings.LastIndex(arn, "/")+1:])
	}
	return names, nil
}

// RevisionSetBy names which of the console's own deployments of
// serviceKey, made after the serving one (servingID), recorded the
// revision the service runs (liveARN): a later deployment that did not
// succeed may have left it running. It returns 0 when none did, so the
// revision was set outside the console.
func (e *Engine) RevisionSetBy(ctx context.Context, serviceKey string, servingID int64, liveARN string) (int64, ecsconsole.DeploymentStatus, error) {
	if liveARN == "" {
		return 0, "", nil
	}
	return e.store.DeploymentWithRevision(ctx, serviceKey, liveARN, servingID)
}
