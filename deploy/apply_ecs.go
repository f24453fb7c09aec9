package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
)

// taskDefinitionInput is the RegisterTaskDefinition input this deployment
// runs: the spec's, or for a rollback the restored deployment's JSON.
func (s *stepCtx) taskDefinitionInput() ([]byte, *ecs.RegisterTaskDefinitionInput, error) {
	tdJSON := []byte(s.spec.TaskDefinition)
	if s.d.Kind == ecsconsole.KindRollback && len(s.d.TaskDefinition) > 0 {
		tdJSON = s.d.TaskDefinition
	}
	in, err := decodeTaskDefinition(tdJSON)
	if err != nil {
		return nil, nil, fail("InvalidTaskDefinition", "the task definition can no longer be read as RegisterTaskDefinition input")
	}
	return tdJSON, in, nil
}

// decideTaskDefinition reuses a revision or registers one. A rollback
// reuses the restored deployment's revision while it is ACTIVE and
// otherwise registers its stored JSON again; a deploy reuses the family's
// latest ACTIVE revision when it is identical to the spec's (revisions are
// immutable, so sharing an identical one takes nothing from anyone).
func decideTaskDefinition(ctx context.Context, s *stepCtx) (decision, error) {
	_, in, err := s.taskDefinitionInput()
	if err != nil {
		return decision{}, err
	}
	family := aws.ToString(in.Family)
	l := s.l()
	if s.d.Kind == ecsconsole.KindRollback && s.d.TaskDefinitionARN != "" {
		td, _, err := l.taskDefinition(ctx, s.d.TaskDefinitionARN)
		if err != nil {
			return decision{}, err
		}
		if td != nil && td.Status == ecstypes.TaskDefinitionStatusActive {
			return decision{Action: ecsconsole.ActionReuse, Name: family, Found: revisionResult(td),
				Reason: fmt.Sprintf("revision %d of the restored deployment is active", td.Revision)}, nil
		}
	}
	td, tags, err := l.taskDefinition(ctx, family)
	switch {
	case err != nil:
		return decision{}, err
	case td == nil || td.Status != ecstypes.TaskDefinitionStatusActive:
		return decision{Action: ecsconsole.ActionCreate, Name: family, Reason: fmt.Sprintf("family %s has no active revision", family)}, nil
	case !sameTaskDefinition(in, td):
		return decision{Action: ecsconsole.ActionCreate, Name: family, Reason: fmt.Sprintf("task definition differs from revision %d: a new revision", td.Revision)}, nil
	case !s.planning && tags[tagKey] == s.tagValue():
		return decision{Action: ecsconsole.ActionCreate, Name: family, Found: revisionResult(td), resumed: true,
			Reason: fmt.Sprintf("revision %d was registered by an earlier attempt of this deployment", td.Revision)}, nil
	}
	return decision{Action: ecsconsole.ActionReuse, Name: family, Found: revisionResult(td),
		Reason: fmt.Sprintf("task definition identical to revision %d", td.Revision)}, nil
}

func revisionResult(td *ecstypes.TaskDefinition) result {
	return result{ARN: aws.ToString(td.TaskDefinitionArn), Revision: td.Revision}
}

// applyTaskDefinition registers the revision (tagged) when decided, and
// stores the task definition as registered on the deployment.
func applyTaskDefinition(ctx context.Context, s *stepCtx, d decision) (result, error) {
	tdJSON, in, err := s.taskDefinitionInput()
	if err != nil {
		return result{}, err
	}
	res := d.Found
	if d.creates() {
		in.Tags = append(in.Tags, ecsTags(s.tags())...)
		out, err := s.aws.ECS.RegisterTaskDefinition(ctx, in)
		if err != nil {
			return result{}, err
		}
		res = revisionResult(out.TaskDefinition)
	}
	if err := s.e.store.SetDeploymentTaskDefinition(ctx, s.d.ID, tdJSON, res.ARN); err != nil {
		return res, err
	}
	return res, nil
}

func ecsTags(tags map[string]string) []ecstypes.Tag {
	return awsTags(tags, func(k, v *string) ecstypes.Tag { return ecstypes.Tag{Key: k, Value: v} })
}

func ecsTagMap(tags []ecstypes.Tag) map[string]string {
	return tagsOf(tags, func(t ecstypes.Tag) (*string, *string) { return t.Key, t.Value })
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

// decideCluster reuses the ACTIVE cluster or creates it. A cluster holds
// many services, so one of that name is used whoever made it: the spec
// names it, and the service key includes it.
func decideCluster(ctx context.Context, s *stepCtx) (decision, error) {
	name := s.spec.Cluster.Name
	c, err := s.l().cluster(ctx, name)
	switch {
	case err != nil:
		return decision{}, err
	case c == nil:
		return decision{Action: ecsconsole.ActionCreate, Name: name, Reason: fmt.Sprintf("cluster %s does not exist", name)}, nil
	case !s.planning && ecsTagMap(c.Tags)[tagKey] == s.tagValue():
		return decision{Action: ecsconsole.ActionCreate, Name: name, Found: result{ARN: aws.ToString(c.ClusterArn)}, resumed: true,
			Reason: fmt.Sprintf("cluster %s was made by an earlier attempt of this deployment", name)}, nil
	}
	return decision{Action: ecsconsole.ActionReuse, Name: name, Found: result{ARN: aws.ToString(c.ClusterArn)}, Reason: fmt.Sprintf("cluster %s exists", name)}, nil
}

// applyCluster creates the cluster (tagged) when decided.
func applyCluster(ctx context.Context, s *stepCtx, d decision) (result, error) {
	if !d.creates() {
		return d.Found, nil
	}
	out, err := s.aws.ECS.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(s.spec.Cluster.Name), Tags: ecsTags(s.tags())})
	if err != nil {
		return result{}, err
	}
	return result{ARN: aws.ToString(out.Cluster.ClusterArn)}, nil
}

// decideService creates the service, or updates it to this deployment's
// revision and desired count, or leaves one already in exactly that state
// (an identical deployment) alone. A same-named service the console did
// not make for this service key is refused.
func decideService(ctx context.Context, s *stepCtx) (decision, error) {
	name, cluster := s.spec.Service.Name, s.spec.Cluster.Name
	svc, err := s.l().service(ctx, cluster, name)
	if err != nil {
		return decision{}, err
	}
	if svc == nil {
		return decision{Action: ecsconsole.ActionCreate, Name: name, Reason: fmt.Sprintf("service %s does not exist in cluster %s", name, cluster)}, nil
	}
	found := result{ARN: aws.ToString(svc.ServiceArn), TaskDefinition: aws.ToString(svc.TaskDefinition),
		ECSDeploymentID: primaryDeploymentID(svc, aws.ToString(svc.TaskDefinition))}
	current := aws.ToString(svc.TaskDefinition)
	want := decision{Action: ecsconsole.ActionUpdate, Name: name, Reason: fmt.Sprintf("service exists running revision %s", revisionOf(current))}
	if s.serviceUpToDate(svc) {
		want = decision{Action: ecsconsole.ActionReuse, Name: name,
			Reason: fmt.Sprintf("service exists running revision %s with %d %s", revisionOf(current), svc.DesiredCount, tasksWord(svc.DesiredCount))}
	}
	return s.owned(ctx, fmt.Sprintf("service %s in cluster %s", name, cluster), ecsTagMap(svc.Tags), "choose another service name", found, want)
}

// applyService creates or updates the service as decided, and records
// which ECS deployment rolls this revision out, and since when.
func applyService(ctx context.Context, s *stepCtx, d decision) (result, error) {
	since := time.Now().Add(-time.Minute)
	var svc *ecstypes.Service
	switch {
	case d.creates():
		out, err := s.aws.ECS.CreateService(ctx, s.createServiceInput())
		if err != nil {
			return result{}, err
		}
		svc = out.Service
	case d.updates():
		out, err := s.aws.ECS.UpdateService(ctx, s.updateServiceInput())
		if err != nil {
			return result{}, err
		}
		svc = out.Service
	default:
		res := d.Found
		res.Since = since
		res.ECSDeploymentID = ""
		if res.TaskDefinition == s.dep(stepTaskDefinition).ARN {
			res.ECSDeploymentID = d.Found.ECSDeploymentID
		}
		res.TaskDefinition = s.dep(stepTaskDefinition).ARN
		return res, nil
	}
	taskDef := s.dep(stepTaskDefinition).ARN
	return result{ARN: aws.ToString(svc.ServiceArn), TaskDefinition: taskDef, ECSDeploymentID: primaryDeploymentID(svc, taskDef), Since: since}, nil
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

func (s *stepCtx) createServiceInput() *ecs.CreateServiceInput {
	sv := s.spec.Service
	return &ecs.CreateServiceInput{
		ServiceName: aws.String(sv.Name), Cluster: aws.String(s.spec.Cluster.Name),
		TaskDefinition: aws.String(s.dep(stepTaskDefinition).ARN), DesiredCount: sv.DesiredCount,
		LaunchType:                    ecstypes.LaunchTypeFargate,
		NetworkConfiguration:          s.networkConfiguration(),
		DeploymentConfiguration:       s.deploymentConfiguration(),
		LoadBalancers:                 s.serviceLoadBalancers(),
		ClientToken:                   aws.String("ecsconsole-" + s.tagValue()),
		Tags:                          ecsTags(s.tags()),
		PropagateTags:                 ecstypes.PropagateTagsService,
		EnableECSManagedTags:          true,
		HealthCheckGracePeriodSeconds: s.healthCheckGrace(),
	}
}

func (s *stepCtx) updateServiceInput() *ecs.UpdateServiceInput {
	sv := s.spec.Service
	return &ecs.UpdateServiceInput{
		Service: aws.String(sv.Name), Cluster: aws.String(s.spec.Cluster.Name),
		TaskDefinition: aws.String(s.dep(stepTaskDefinition).ARN), DesiredCount: sv.DesiredCount,
		NetworkConfiguration:          s.networkConfiguration(),
		DeploymentConfiguration:       s.deploymentConfiguration(),
		LoadBalancers:                 s.serviceLoadBalancers(),
		HealthCheckGracePeriodSeconds: s.healthCheckGrace(),
	}
}

// healthCheckGrace gives new tasks time to start before the load
// balancer's health checks count against them.
func (s *stepCtx) healthCheckGrace() *int32 {
	if s.spec.LoadBalancer == nil {
		return nil
	}
	return aws.Int32(60)
}

// serviceUpToDate reports whether svc already runs this deployment's
// revision with its desired count.
func (s *stepCtx) serviceUpToDate(svc *ecstypes.Service) bool {
	want := s.dep(stepTaskDefinition).ARN
	return want != "" && aws.ToString(svc.TaskDefinition) == want && svc.DesiredCount == aws.ToInt32(s.spec.Service.DesiredCount)
}

func (s *stepCtx) securityGroupIDs() []string {
	ids := append([]string(nil), s.spec.Service.SecurityGroupIDs...)
	if s.spec.Service.NewSecurityGroup != nil {
		ids = append(ids, s.dep(stepTaskSG).ID)
	}
	return ids
}

func (s *stepCtx) networkConfiguration() *ecstypes.NetworkConfiguration {
	assign := ecstypes.AssignPublicIpDisabled
	if s.spec.Service.AssignPublicIP {
		assign = ecstypes.AssignPublicIpEnabled
	}
	return &ecstypes.NetworkConfiguration{AwsvpcConfiguration: &ecstypes.AwsVpcConfiguration{
		Subnets: s.spec.Service.Subnets, SecurityGroups: s.securityGroupIDs(), AssignPublicIp: assign,
	}}
}

func (s *stepCtx) deploymentConfiguration() *ecstypes.DeploymentConfiguration {
	sv := s.spec.Service
	dc := &ecstypes.DeploymentConfiguration{MinimumHealthyPercent: sv.MinimumHealthyPercent, MaximumPercent: sv.MaximumPercent}
	if sv.CircuitBreaker != nil {
		dc.DeploymentCircuitBreaker = &ecstypes.DeploymentCircuitBreaker{Enable: sv.CircuitBreaker.Enable, Rollback: sv.CircuitBreaker.Rollback}
	}
	return dc
}

func (s *stepCtx) serviceLoadBalancers() []ecstypes.LoadBalancer {
	lb := s.spec.LoadBalancer
	if lb == nil {
		return nil
	}
	return []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(s.dep(stepTargetGroup).ARN),
		ContainerName: aws.String(lb.TargetGroup.ContainerName), ContainerPort: aws.Int32(lb.TargetGroup.ContainerPort)}}
}

// taskDefinition returns the task definition named by ref (an ARN,
// family:revision, or a family for its latest ACTIVE revision) and its
// tags, or nil.
func (l lookup) taskDefinition(ctx context.Context, ref string) (*ecstypes.TaskDefinition, map[string]string, error) {
	out, err := l.c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref),
		Include: []ecstypes.TaskDefinitionField{ecstypes.TaskDefinitionFieldTags}})
	if apiErrorCode(err) == "ClientException" {
		return nil, nil, nil // ECS's answer for an unknown family or revision
	}
	if err != nil {
		return nil, nil, err
	}
	return out.TaskDefinition, ecsTagMap(out.Tags), nil
}

// cluster returns the ACTIVE cluster named name, or nil.
func (l lookup) cluster(ctx context.Context, name string) (*ecstypes.Cluster, error) {
	out, err := l.c.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name},
		Include: []ecstypes.ClusterField{ecstypes.ClusterFieldTags}})
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
	out, err := l.c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name},
		Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
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

// tasksWord is "task" or "tasks", as n asks.
func tasksWord(n int32) string {
	if n == 1 {
		return "task"
	}
	return "tasks"
}
