package deploy

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole/store"
)

// taskDefinitionResult is the task-definition step's recorded result.
type taskDefinitionResult struct {
	ARN      string `json:"arn"`
	Revision int32  `json:"revision"`
}

// resourceResult is the recorded result of a step that yields one ARN.
type resourceResult struct {
	ARN string `json:"arn"`
}

// ensureTaskDefinition reuses a revision or registers one, and stores the
// task definition as registered on the deployment. A rollback reuses the
// restored deployment's revision while it is ACTIVE and otherwise registers
// its stored JSON again; a deploy reuses the family's latest ACTIVE revision
// when it is identical to the spec's.
func (r *run) ensureTaskDefinition(ctx context.Context, rec *stepRecord) (taskDefinitionResult, error) {
	tdJSON := []byte(r.spec.TaskDefinition)
	if r.d.Kind == store.KindRollback && len(r.d.TaskDefinition) > 0 {
		tdJSON = r.d.TaskDefinition
	}
	in, err := decodeTaskDefinition(tdJSON)
	if err != nil {
		return taskDefinitionResult{}, fail("InvalidTaskDefinition", "%v", err)
	}
	existing, err := r.reusableTaskDefinition(ctx, in)
	if err != nil {
		return taskDefinitionResult{}, err
	}
	res := taskDefinitionResult{}
	if existing != nil {
		rec.action = store.ActionReuse
		res = taskDefinitionResult{ARN: aws.ToString(existing.TaskDefinitionArn), Revision: existing.Revision}
	} else {
		in.Tags = append(in.Tags, ecstypes.Tag{Key: aws.String(tagKey), Value: aws.String(r.tagValue())})
		out, err := r.aws.ECS.RegisterTaskDefinition(ctx, in)
		if err != nil {
			return taskDefinitionResult{}, err
		}
		rec.action = store.ActionCreate
		res = taskDefinitionResult{ARN: aws.ToString(out.TaskDefinition.TaskDefinitionArn), Revision: out.TaskDefinition.Revision}
	}
	rec.arn = res.ARN
	if err := r.e.store.SetDeploymentTaskDefinition(ctx, r.d.ID, tdJSON, res.ARN); err != nil {
		return taskDefinitionResult{}, err
	}
	return res, nil
}

// reusableTaskDefinition returns an ACTIVE revision apply can use instead of
// registering in: a rollback's own revision, else the family's latest when
// it is identical to in (which also finds what an interrupted attempt
// registered). It returns nil when there is none.
func (r *run) reusableTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput) (*ecstypes.TaskDefinition, error) {
	l := lookup{r.aws}
	if r.d.Kind == store.KindRollback && r.d.TaskDefinitionARN != "" {
		td, err := l.taskDefinition(ctx, r.d.TaskDefinitionARN)
		if err != nil || td != nil && td.Status == ecstypes.TaskDefinitionStatusActive {
			return td, err
		}
	}
	td, err := l.taskDefinition(ctx, aws.ToString(in.Family))
	if err != nil || td == nil || td.Status != ecstypes.TaskDefinitionStatusActive || !sameTaskDefinition(in, td) {
		return nil, err
	}
	return td, nil
}

// sameTaskDefinition reports whether registering in would produce a
// revision equivalent to td: the same members once the defaults ECS fills
// in (essential, port protocol, host port under awsvpc) are applied to
// both and empty values dropped. Tags do not count.
func sameTaskDefinition(in *ecs.RegisterTaskDefinitionInput, td *ecstypes.TaskDefinition) bool {
	described := &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: td.ContainerDefinitions, Cpu: td.Cpu, Memory: td.Memory,
		NetworkMode: td.NetworkMode, RequiresCompatibilities: td.RequiresCompatibilities,
		ExecutionRoleArn: td.ExecutionRoleArn, TaskRoleArn: td.TaskRoleArn, Volumes: td.Volumes,
		PlacementConstraints: td.PlacementConstraints, RuntimePlatform: td.RuntimePlatform,
		EphemeralStorage: td.EphemeralStorage, PidMode: td.PidMode, IpcMode: td.IpcMode,
		ProxyConfiguration:   td.ProxyConfiguration,
		EnableFaultInjection: td.EnableFaultInjection,
	}
	return reflect.DeepEqual(comparableTaskDefinition(in), comparableTaskDefinition(described))
}

// comparableTaskDefinition is in's JSON with ECS's defaults applied and
// empty values removed, decoded generically for comparison.
func comparableTaskDefinition(in *ecs.RegisterTaskDefinitionInput) any {
	c := *in
	c.Tags = nil
	c.ContainerDefinitions = make([]ecstypes.ContainerDefinition, len(in.ContainerDefinitions))
	for i, cd := range in.ContainerDefinitions {
		if cd.Essential == nil {
			cd.Essential = aws.Bool(true)
		}
		cd.PortMappings = append([]ecstypes.PortMapping(nil), cd.PortMappings...)
		for j := range cd.PortMappings {
			pm := &cd.PortMappings[j]
			if pm.Protocol == "" {
				pm.Protocol = ecstypes.TransportProtocolTcp
			}
			if pm.HostPort == nil && c.NetworkMode == ecstypes.NetworkModeAwsvpc {
				pm.HostPort = pm.ContainerPort
			}
		}
		c.ContainerDefinitions[i] = cd
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil
	}
	return dropEmpty(v)
}

// dropEmpty removes nulls, zeros, empty strings, lists and objects, so
// that an omitted member and its empty default compare equal.
func dropEmpty(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = dropEmpty(e); e == nil {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		if len(x) == 0 {
			return nil
		}
	case []any:
		var kept []any
		for _, e := range x {
			if e = dropEmpty(e); e != nil {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			return nil
		}
		return kept
	case string:
		if x == "" {
			return nil
		}
	case float64:
		if x == 0 {
			return nil
		}
	case bool:
		if !x {
			return nil
		}
	}
	return v
}

// ensureCluster reuses the ACTIVE cluster or creates it (tagged).
func (r *run) ensureCluster(ctx context.Context, rec *stepRecord) (resourceResult, error) {
	c, err := lookup{r.aws}.cluster(ctx, r.spec.Cluster.Name)
	if err != nil {
		return resourceResult{}, err
	}
	if c != nil {
		rec.action, rec.arn = store.ActionReuse, aws.ToString(c.ClusterArn)
		return resourceResult{ARN: rec.arn}, nil
	}
	out, err := r.aws.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{
		ClusterName: aws.String(r.spec.Cluster.Name),
		Tags:        []ecstypes.Tag{{Key: aws.String(tagKey), Value: aws.String(r.tagValue())}},
	})
	if err != nil {
		return resourceResult{}, err
	}
	rec.action, rec.arn = store.ActionCreate, aws.ToString(out.Cluster.ClusterArn)
	return resourceResult{ARN: rec.arn}, nil
}

// serviceResult is the service step's recorded result.
type serviceResult struct {
	ARN            string `json:"arn"`
	TaskDefinition string `json:"taskDefinition"`
	// ECSDeploymentID is the ECS deployment (ecs-svc/…) that rolls this
	// revision out, and Since when it was asked for: the wait judges that
	// deployment and the events after Since, not older ones.
	ECSDeploymentID string    `json:"ecsDeploymentId,omitempty"`
	Since           time.Time `json:"since,omitempty"`
}

// ensureService creates the service or updates it to this deployment's
// revision, desired count, networking and deployment configuration. A
// service already in exactly that state (a resumed attempt, or an identical
// deployment) is left alone.
func (r *run) ensureService(ctx context.Context, rec *stepRecord) (serviceResult, error) {
	svc, err := lookup{r.aws}.service(ctx, r.spec.Cluster.Name, r.spec.Service.Name)
	if err != nil {
		return serviceResult{}, err
	}
	res := serviceResult{TaskDefinition: r.taskDef.ARN, Since: time.Now().Add(-time.Minute)}
	switch {
	case svc == nil:
		out, err := r.aws.ECS.CreateService(ctx, r.createServiceInput())
		if err != nil {
			return serviceResult{}, err
		}
		rec.action, svc = store.ActionCreate, out.Service
	case r.serviceUpToDate(svc):
		rec.action = store.ActionReuse
	default:
		out, err := r.aws.ECS.UpdateService(ctx, r.updateServiceInput())
		if err != nil {
			return serviceResult{}, err
		}
		rec.action, svc = store.ActionUpdate, out.Service
	}
	res.ARN, res.ECSDeploymentID = aws.ToString(svc.ServiceArn), primaryDeploymentID(svc, r.taskDef.ARN)
	rec.arn = res.ARN
	return res, nil
}

// primaryDeploymentID is the id of the service's PRIMARY deployment when it
// runs taskDefARN, else "".
func primaryDeploymentID(svc *ecstypes.Service, taskDefARN string) string {
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" && aws.ToString(d.TaskDefinition) == taskDefARN {
			return aws.ToString(d.Id)
		}
	}
	return ""
}

func (r *run) createServiceInput() *ecs.CreateServiceInput {
	s := r.spec.Service
	return &ecs.CreateServiceInput{
		ServiceName: aws.String(s.Name), Cluster: aws.String(r.spec.Cluster.Name),
		TaskDefinition: aws.String(r.taskDef.ARN), DesiredCount: s.DesiredCount,
		LaunchType:                    ecstypes.LaunchTypeFargate,
		NetworkConfiguration:          r.networkConfiguration(),
		DeploymentConfiguration:       r.deploymentConfiguration(),
		LoadBalancers:                 r.serviceLoadBalancers(),
		ClientToken:                   aws.String("ecsconsole-" + r.tagValue()),
		Tags:                          []ecstypes.Tag{{Key: aws.String(tagKey), Value: aws.String(r.tagValue())}},
		PropagateTags:                 ecstypes.PropagateTagsService,
		EnableECSManagedTags:          true,
		HealthCheckGracePeriodSeconds: r.healthCheckGrace(),
	}
}

func (r *run) updateServiceInput() *ecs.UpdateServiceInput {
	s := r.spec.Service
	return &ecs.UpdateServiceInput{
		Service: aws.String(s.Name), Cluster: aws.String(r.spec.Cluster.Name),
		TaskDefinition: aws.String(r.taskDef.ARN), DesiredCount: s.DesiredCount,
		NetworkConfiguration:          r.networkConfiguration(),
		DeploymentConfiguration:       r.deploymentConfiguration(),
		LoadBalancers:                 r.serviceLoadBalancers(),
		HealthCheckGracePeriodSeconds: r.healthCheckGrace(),
	}
}

// healthCheckGrace gives new tasks time to start before the load
// balancer's health checks count against them.
func (r *run) healthCheckGrace() *int32 {
	if r.spec.LoadBalancer == nil {
		return nil
	}
	return aws.Int32(60)
}

// serviceUpToDate reports whether svc already runs this deployment's
// revision with its desired count.
func (r *run) serviceUpToDate(svc *ecstypes.Service) bool {
	return aws.ToString(svc.TaskDefinition) == r.taskDef.ARN && svc.DesiredCount == aws.ToInt32(r.spec.Service.DesiredCount)
}

func (r *run) securityGroupIDs() []string {
	ids := append([]string(nil), r.spec.Service.SecurityGroupIDs...)
	if r.spec.Service.NewSecurityGroup != nil {
		ids = append(ids, r.taskSG.ID)
	}
	return ids
}

func (r *run) networkConfiguration() *ecstypes.NetworkConfiguration {
	assign := ecstypes.AssignPublicIpDisabled
	if r.spec.Service.AssignPublicIP {
		assign = ecstypes.AssignPublicIpEnabled
	}
	return &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets: r.spec.Service.Subnets, SecurityGroups: r.securityGroupIDs(), AssignPublicIp: assign,
	}}
}

func (r *run) deploymentConfiguration() *ecstypes.DeploymentConfiguration {
	s := r.spec.Service
	dc := &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: s.MinimumHealthyPercent, MaximumPercent: s.MaximumPercent}
	if s.CircuitBreaker != nil {
		dc.DeploymentCircuitBreaker = &ecstypes.DeploymentCircuitBreaker{Enable: s.CircuitBreaker.Enable, Rollback: s.CircuitBreaker.Rollback}
	}
	return dc
}

func (r *run) serviceLoadBalancers() []ecstypes.LoadBalancer {
	lb := r.spec.LoadBalancer
	if lb == nil {
		return nil
	}
	return []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(r.targetGroup.ARN),
		ContainerName: aws.String(lb.TargetGroup.ContainerName), ContainerPort: aws.Int32(lb.TargetGroup.ContainerPort)}}
}

// taskDefinition returns the task definition named by ref (an ARN,
// family:revision, or a family for its latest ACTIVE revision), or nil.
func (l lookup) taskDefinition(ctx context.Context, ref string) (*ecstypes.TaskDefinition, error) {
	out, err := l.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
	if apiErrorCode(err) == "ClientException" {
		return nil, nil // ECS's answer for an unknown family or revision
	}
	if err != nil {
		return nil, err
	}
	return out.TaskDefinition, nil
}

// cluster returns the ACTIVE cluster named name, or nil.
func (l lookup) cluster(ctx context.Context, name string) (*ecstypes.Cluster, error) {
	out, err := l.c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	if err != nil {
		return nil, err
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.Status) == "ACTIVE" {
			return &c, nil
		}
	}
	return nil, nil
}

// service returns the ACTIVE service name in cluster, or nil (a draining or
// inactive service is as good as gone: a new one may take its name).
func (l lookup) service(ctx context.Context, cluster, name string) (*ecstypes.Service, error) {
	out, err := l.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if apiErrorCode(err) == "ClusterNotFoundException" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, s := range out.Services {
		if aws.ToString(s.Status) == "ACTIVE" {
			return &s, nil
		}
	}
	return nil, nil
}

// revisionOf is the revision number in a task definition ARN, for messages.
func revisionOf(arn string) string {
	if i := strings.LastIndexByte(arn, ':'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
