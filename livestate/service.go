// Package livestate reads what AWS says about a service now, for the
// Services page and the deployment page's events: a page's model, not the
// engine's (deploy judges a rollout from its own reads).
package livestate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/ecsconsole/ecsconsole/deploy"
)

// Service is what AWS says about one ECS service now: the Services
// page's live view and the deployment page's events.
type Service struct {
	Found                       bool // false when ECS does not know the service
	Status                      string
	Running, Desired, Pending   int32
	TaskDefinitionARN           string
	RolloutState, RolloutReason string // of the PRIMARY deployment
	Deployments                 int    // ECS deployments in flight (1 when settled)
	TargetGroupARNs             []string
	Events                      []Event
	Tasks                       []Task
	Targets                     []Target
	AssignPublicIP              bool
	Subnets, SecurityGroups     []string
	LoadBalancerContainer       string
	LoadBalancerContainerPort   int32
	ReadAt                      time.Time
}

// Event is one entry of the service's ECS event log.
type Event struct {
	At      time.Time
	Message string
}

// Task is one task of the service as DescribeTasks reports it.
type Task struct {
	ARN, LastStatus, Health, PrivateIP string
	TaskDefinitionARN                  string
	Containers                         []Container
}

// Container is one container of a task: its image and the digest ECS
// resolved the image to.
type Container struct {
	Name, Image, Digest string
}

// Target is one target of the service's target group.
type Target struct {
	ID     string
	Port   int32
	State  string
	Reason string
}

// Reader reads services' live state through the engine's AWS clients
// (deploy.Options.Clients), bounded as a request's calls are when ctx is
// deploy.ForRequest's.
type Reader struct {
	clients deploy.ClientFactory
}

// NewReader returns a Reader calling AWS through clients.
func NewReader(clients deploy.ClientFactory) *Reader { return &Reader{clients: clients} }

// ReadService reads a service's live state: one DescribeServices, the
// running tasks (ListTasks, DescribeTasks), and the health of its target
// groups' targets. A service ECS does not know comes back with Found false.
func (r *Reader) ReadService(ctx context.Context, region, cluster, service string) (Service, error) {
	live := Service{ReadAt: time.Now()}
	clients, err := r.clients(ctx, region)
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
		live.Events = append(live.Events, Event{At: aws.ToTime(ev.CreatedAt), Message: aws.ToString(ev.Message)})
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
			lt := Target{}
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
func readTasks(ctx context.Context, api deploy.ECSAPI, cluster, service string) ([]Task, error) {
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
	tasks := make([]Task, 0, len(out.Tasks))
	for _, t := range out.Tasks {
		lt := Task{ARN: aws.ToString(t.TaskArn), LastStatus: aws.ToString(t.LastStatus), Health: string(t.HealthStatus),
			TaskDefinitionARN: aws.ToString(t.TaskDefinitionArn)}
		for _, att := range t.Attachments {
			for _, kv := range att.Details {
				if aws.ToString(kv.Name) == "privateIPv4Address" {
					lt.PrivateIP = aws.ToString(kv.Value)
				}
			}
		}
		for _, c := range t.Containers {
			lt.Containers = append(lt.Containers, Container{Name: aws.ToString(c.Name), Image: aws.ToString(c.Image), Digest: aws.ToString(c.ImageDigest)})
		}
		tasks = append(tasks, lt)
	}
	return tasks, nil
}

// clusterServiceLister is the one ECS call beyond deploy.ECSAPI the Services page
// needs, to find services the console did not deploy; the SDK's client has it.
type clusterServiceLister interface {
	ListServices(context.Context, *ecs.ListServicesInput, ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
}

// ClusterServices lists the names of the services in a cluster (at most
// the first 100), or nil when the clients cannot list services.
func (r *Reader) ClusterServices(ctx context.Context, region, cluster string) ([]string, error) {
	clients, err := r.clients(ctx, region)
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
