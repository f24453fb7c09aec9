package sandbox

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// service is an ECS service as the API returns it.
type service struct {
	ServiceArn                    string                         `json:"serviceArn"`
	ServiceName                   string                         `json:"serviceName"`
	ClusterArn                    string                         `json:"clusterArn"`
	LoadBalancers                 []loadBalancer                 `json:"loadBalancers"`
	ServiceRegistries             []json.RawMessage              `json:"serviceRegistries"`
	Status                        string                         `json:"status"`
	DesiredCount                  int32                          `json:"desiredCount"`
	RunningCount                  int32                          `json:"runningCount"`
	PendingCount                  int32                          `json:"pendingCount"`
	LaunchType                    string                         `json:"launchType,omitempty"`
	CapacityProviderStrategy      []capacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	PlatformVersion               string                         `json:"platformVersion,omitempty"`
	PlatformFamily                string                         `json:"platformFamily,omitempty"`
	TaskDefinition                string                         `json:"taskDefinition"`
	DeploymentConfiguration       deploymentConfiguration        `json:"deploymentConfiguration"`
	Deployments                   []deployment                   `json:"deployments"`
	RoleArn                       string                         `json:"roleArn,omitempty"`
	Events                        []serviceEvent                 `json:"events"`
	CreatedAt                     epochSeconds                   `json:"createdAt"`
	PlacementConstraints          []json.RawMessage              `json:"placementConstraints"`
	PlacementStrategy             []json.RawMessage              `json:"placementStrategy"`
	NetworkConfiguration          *networkConfiguration          `json:"networkConfiguration,omitempty"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds,omitempty"`
	SchedulingStrategy            string                         `json:"schedulingStrategy"`
	DeploymentController          deploymentController           `json:"deploymentController"`
	Tags                          []ecsTag                       `json:"tags,omitempty"`
	CreatedBy                     string                         `json:"createdBy"`
	EnableECSManagedTags          bool                           `json:"enableECSManagedTags"`
	PropagateTags                 string                         `json:"propagateTags"`
	EnableExecuteCommand          bool                           `json:"enableExecuteCommand"`
}

// deployment is one entry of Service.deployments.
type deployment struct {
	ID                       string                         `json:"id"`
	Status                   string                         `json:"status"`
	TaskDefinition           string                         `json:"taskDefinition"`
	DesiredCount             int32                          `json:"desiredCount"`
	PendingCount             int32                          `json:"pendingCount"`
	RunningCount             int32                          `json:"runningCount"`
	FailedTasks              int32                          `json:"failedTasks"`
	CreatedAt                epochSeconds                   `json:"createdAt"`
	UpdatedAt                epochSeconds                   `json:"updatedAt"`
	CapacityProviderStrategy []capacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`
	PlatformFamily           string                         `json:"platformFamily,omitempty"`
	NetworkConfiguration     *networkConfiguration          `json:"networkConfiguration,omitempty"`
	RolloutState             string                         `json:"rolloutState,omitempty"`
	RolloutStateReason       string                         `json:"rolloutStateReason,omitempty"`
}

// serviceEvent is one entry of Service.events.
type serviceEvent struct {
	ID        string       `json:"id"`
	CreatedAt epochSeconds `json:"createdAt"`
	Message   string       `json:"message"`
}

type loadBalancer struct {
	TargetGroupArn   string `json:"targetGroupArn,omitempty"`
	LoadBalancerName string `json:"loadBalancerName,omitempty"`
	ContainerName    string `json:"containerName,omitempty"`
	ContainerPort    *int32 `json:"containerPort,omitempty"`
	// AdvancedConfiguration is what blue/green, canary and linear
	// deployments shift traffic with (ecs_strategy_config.go).
	AdvancedConfiguration *advancedConfiguration `json:"advancedConfiguration,omitempty"`
}

type networkConfiguration struct {
	AwsvpcConfiguration *awsvpcConfiguration `json:"awsvpcConfiguration,omitempty"`
}

type awsvpcConfiguration struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups,omitempty"`
	AssignPublicIP string   `json:"assignPublicIp,omitempty"`
}

type deploymentConfiguration struct {
	DeploymentCircuitBreaker *circuitBreaker `json:"deploymentCircuitBreaker,omitempty"`
	MaximumPercent           *int32          `json:"maximumPercent,omitempty"`
	MinimumHealthyPercent    *int32          `json:"minimumHealthyPercent,omitempty"`
	strategyConfiguration
}

type circuitBreaker struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type deploymentController struct {
	Type string `json:"type"`
}

// serviceRecord is a service with the scheduler's bookkeeping. The embedded
// service holds everything but the deployments and counts, which view derives.
type serviceRecord struct {
	service
	// DeploymentRecords lists the deployments, PRIMARY first.
	DeploymentRecords []*deploymentRecord
	ClientToken       string
	// NextSubnet is the round-robin position in the subnets for the next task.
	NextSubnet int
	// LastCompleted is a copy of the last deployment that reached COMPLETED,
	// the target of a circuit-breaker rollback.
	LastCompleted *deploymentRecord
	// Steady is set once "has reached a steady state." was reported and
	// cleared by any change, so the event is not repeated.
	Steady bool
	// ReconcilePending is set while a reconcile pass is queued.
	ReconcilePending bool
	// History is ECS's own record of the service's deployments and
	// revisions (ecs_service_deployments.go).
	History serviceHistory
}

// deploymentRecord is a deployment with what its tasks are launched with.
type deploymentRecord struct {
	deployment
	LoadBalancers []loadBalancer
	// GaveUp is set when a deployment without circuit breaker failed too
	// often; it stops launching so retries stay bounded.
	GaveUp bool
	// Rollback marks a deployment the circuit breaker started; if it fails
	// too, there is no second rollback (which could loop forever).
	Rollback bool
}

// view renders the service with its deployments and counts as of now.
func (svc *serviceRecord) view(cl *clusterRecord, withTags bool) service {
	out := svc.service
	if !withTags {
		out.Tags = nil
	}
	out.Deployments = []deployment{}
	for _, d := range svc.DeploymentRecords {
		dv := d.deployment
		for _, t := range cl.tasksOf(d.ID) {
			switch {
			case t.DesiredStatus != "RUNNING":
			case t.LastStatus == "RUNNING":
				dv.RunningCount++
			default:
				dv.PendingCount++
			}
		}
		out.RunningCount += dv.RunningCount
		out.PendingCount += dv.PendingCount
		out.Deployments = append(out.Deployments, dv)
	}
	return out
}

// primary is the service's PRIMARY deployment.
func (svc *serviceRecord) primary() *deploymentRecord { return svc.DeploymentRecords[0] }

// addEvent records a service event, newest first, keeping at most 100.
//
// The event is stamped with the wall clock, not with simulated time (now,
// which orders the simulation): the simulated clock runs ahead of the real
// one by its speed factor, and clients place events against their own
// clock (the console shows a deployment the events of its period), as
// they would AWS's.
func (svc *serviceRecord) addEvent(_ time.Time, format string, args ...any) {
	ev := serviceEvent{ID: newUUID(), CreatedAt: epochSeconds(time.Now().UTC()), Message: fmt.Sprintf("(service %s) ", svc.ServiceName) + fmt.Sprintf(format, args...)}
	svc.Events = append([]serviceEvent{ev}, svc.Events...)
	if len(svc.Events) > 100 {
		svc.Events = svc.Events[:100]
	}
}

// newDeploymentID returns an id in ECS's format: "ecs-svc/" and 19 digits
// (kept below 9e18 so the sum cannot overflow an int64).
func newDeploymentID() string {
	return fmt.Sprintf("ecs-svc/%d", rand.Int64N(8e18)+1e18)
}

// serviceRequest holds the members CreateService and UpdateService share.
type serviceRequest struct {
	Cluster                       string                         `json:"cluster"`
	TaskDefinition                string                         `json:"taskDefinition"`
	LoadBalancers                 []loadBalancer                 `json:"loadBalancers"`
	DesiredCount                  *int32                         `json:"desiredCount"`
	CapacityProviderStrategy      []capacityProviderStrategyItem `json:"capacityProviderStrategy"`
	PlatformVersion               string                         `json:"platformVersion"`
	DeploymentConfiguration       *deploymentConfiguration       `json:"deploymentConfiguration"`
	NetworkConfiguration          *networkConfiguration          `json:"networkConfiguration"`
	HealthCheckGracePeriodSeconds *int32                         `json:"healthCheckGracePeriodSeconds"`
	PropagateTags                 string                         `json:"propagateTags"`
}

type createServiceInput struct {
	serviceRequest
	ServiceName          string                `json:"serviceName"`
	ClientToken          string                `json:"clientToken"`
	LaunchType           string                `json:"launchType"`
	Role                 string                `json:"role"`
	SchedulingStrategy   string                `json:"schedulingStrategy"`
	DeploymentController *deploymentController `json:"deploymentController"`
	Tags                 []ecsTag              `json:"tags"`
	EnableECSManagedTags bool                  `json:"enableECSManagedTags"`
	EnableExecuteCommand bool                  `json:"enableExecuteCommand"`
}

type serviceOutput struct {
	Service service `json:"service"`
}

// invalid is an InvalidParameterException, the code of most service errors.
func invalid(format string, args ...any) error {
	return clientErr("InvalidParameterException", format, args...)
}

func createService(c *call, in *createServiceInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if !validName(in.ServiceName) {
		return nil, invalid("Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores, and hyphens.")
	}
	if old := cl.Services[in.ServiceName]; old != nil && old.Status != "INACTIVE" {
		if in.ClientToken != "" && in.ClientToken == old.ClientToken && old.Status == "ACTIVE" {
			return serviceOutput{Service: old.view(cl, true)}, nil
		}
		return nil, invalid("Creation of service was not idempotent.")
	}
	td, err := activeTaskDefinition(c.w.ecs, in.TaskDefinition)
	if err != nil {
		return nil, err
	}
	plan, err := checkCreateService(c, cl, in, td)
	if err != nil {
		return nil, err
	}
	svc := newServiceRecord(c, cl, in, td, plan)
	dep := svc.newDeployment(c.now, td.TaskDefinitionArn, in.LoadBalancers)
	svc.DeploymentRecords = []*deploymentRecord{dep}
	cl.Services[svc.ServiceName] = svc
	c.w.beginServiceDeployment(cl, svc, c.now)
	c.w.scheduleReconcile(cl, svc, c.now)
	return serviceOutput{Service: svc.view(cl, true)}, nil
}

// createPlan is a validated CreateService request.
type createPlan struct {
	strategy   string
	launchType string
	providers  []capacityProviderStrategyItem
	conf       deploymentConfiguration
	propagate  string
}

// checkCreateService validates a CreateService request for td in cl.
func checkCreateService(c *call, cl *clusterRecord, in *createServiceInput, td *taskDefinition) (createPlan, error) {
	p := createPlan{strategy: cmp.Or(in.SchedulingStrategy, "REPLICA")}
	var err error
	if p.launchType, p.providers, err = resolveLaunchType(cl, in.LaunchType, in.CapacityProviderStrategy); err != nil {
		return p, err
	}
	onFargate := p.launchType == "FARGATE" || len(p.providers) > 0
	if onFargate && !slices.Contains(td.Compatibilities, "FARGATE") {
		return p, invalid("Task definition does not support launch_type FARGATE.")
	}
	if onFargate {
		if err := checkPlatform(in.PlatformVersion, td); err != nil {
			return p, err
		}
	}
	if err := checkScheduling(p.strategy, onFargate, in.DesiredCount); err != nil {
		return p, err
	}
	if err := checkController(in.DeploymentController, in.DeploymentConfiguration, in.LoadBalancers); err != nil {
		return p, err
	}
	if in.DeploymentController != nil && in.DeploymentController.Type != "ECS" {
		return p, invalid("The sandbox supports only the ECS deployment controller.")
	}
	if in.Role != "" && td.NetworkMode == "awsvpc" {
		return p, invalid("You cannot specify an IAM role for services that require a service linked role.")
	}
	if err := c.w.checkNetwork(td, in.NetworkConfiguration); err != nil {
		return p, err
	}
	if err := c.w.checkLoadBalancers(td, in.LoadBalancers); err != nil {
		return p, err
	}
	if p.conf, err = mergeDeploymentConfiguration(defaultDeploymentConfiguration(), in.DeploymentConfiguration); err != nil {
		return p, err
	}
	if err := c.w.checkStrategy(p.conf, in.LoadBalancers); err != nil {
		return p, err
	}
	if err := validateTags(in.Tags); err != nil {
		return p, err
	}
	p.propagate, err = checkPropagateTags(in.PropagateTags, "NONE")
	return p, err
}

// newServiceRecord builds the service a validated CreateService describes.
func newServiceRecord(c *call, cl *clusterRecord, in *createServiceInput, td *taskDefinition, p createPlan) *serviceRecord {
	svc := &serviceRecord{ClientToken: in.ClientToken}
	svc.service = service{
		ServiceArn:                    c.w.ecsARN("service/" + cl.Name + "/" + in.ServiceName),
		ServiceName:                   in.ServiceName,
		ClusterArn:                    cl.Arn,
		LoadBalancers:                 nonNil(in.LoadBalancers),
		ServiceRegistries:             []json.RawMessage{},
		Status:                        "ACTIVE",
		DesiredCount:                  derefOr(in.DesiredCount, 0),
		LaunchType:                    p.launchType,
		CapacityProviderStrategy:      p.providers,
		TaskDefinition:                td.TaskDefinitionArn,
		DeploymentConfiguration:       p.conf,
		Events:                        []serviceEvent{},
		CreatedAt:                     epochSeconds(c.now),
		PlacementConstraints:          []json.RawMessage{},
		PlacementStrategy:             []json.RawMessage{},
		NetworkConfiguration:          withDefaultPublicIP(in.NetworkConfiguration),
		HealthCheckGracePeriodSeconds: in.HealthCheckGracePeriodSeconds,
		SchedulingStrategy:            p.strategy,
		DeploymentController:          deploymentController{Type: "ECS"},
		Tags:                          in.Tags,
		CreatedBy:                     c.w.callerARN(),
		EnableECSManagedTags:          in.EnableECSManagedTags,
		PropagateTags:                 p.propagate,
		EnableExecuteCommand:          in.EnableExecuteCommand,
	}
	if svc.onFargate() {
		svc.PlatformVersion = cmp.Or(in.PlatformVersion, "LATEST")
		svc.PlatformFamily = "Linux"
	}
	if len(in.LoadBalancers) > 0 && td.NetworkMode == "awsvpc" {
		svc.RoleArn = fmt.Sprintf("arn:aws:iam::%s:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS", c.w.account)
	}
	return svc
}

// checkPlatform validates a Fargate Linux platform version; the 8 and 16
// vCPU sizes need 1.4.0.
func checkPlatform(version string, td *taskDefinition) error {
	switch version {
	case "", "LATEST", "1.4.0":
		return nil
	case "1.3.0":
		if cpu, _ := strconv.Atoi(td.CPU); cpu > 4096 {
			return clientErr("PlatformTaskDefinitionIncompatibilityException", "The specified platform does not satisfy the task definition's required capabilities.")
		}
		return nil
	}
	return clientErr("PlatformUnknownException", "The specified platform does not exist.")
}

// onFargate reports whether the service's tasks run on Fargate.
func (svc *serviceRecord) onFargate() bool {
	return svc.LaunchType == "FARGATE" || (svc.LaunchType == "" && len(svc.CapacityProviderStrategy) > 0)
}

// newDeployment makes a PRIMARY, IN_PROGRESS deployment of taskDef.
func (svc *serviceRecord) newDeployment(now time.Time, taskDef string, lbs []loadBalancer) *deploymentRecord {
	id := newDeploymentID()
	d := &deploymentRecord{LoadBalancers: lbs}
	d.deployment = deployment{
		ID:                       id,
		Status:                   "PRIMARY",
		TaskDefinition:           taskDef,
		DesiredCount:             svc.DesiredCount,
		CreatedAt:                epochSeconds(now),
		UpdatedAt:                epochSeconds(now),
		CapacityProviderStrategy: svc.CapacityProviderStrategy,
		LaunchType:               svc.LaunchType,
		NetworkConfiguration:     svc.NetworkConfiguration,
		RolloutState:             "IN_PROGRESS",
		RolloutStateReason:       fmt.Sprintf("ECS deployment %s in progress.", id),
	}
	if svc.onFargate() {
		// Deployments report the version LATEST resolved to.
		d.PlatformVersion = "1.4.0"
		if svc.PlatformVersion == "1.3.0" {
			d.PlatformVersion = "1.3.0"
		}
		d.PlatformFamily = "Linux"
	}
	return d
}

// activeTaskDefinition resolves a reference for a new deployment: it must
// exist and be ACTIVE.
func activeTaskDefinition(e *ecsState, ref string) (*taskDefinition, error) {
	if ref == "" {
		return nil, invalid("A task definition must be specified.")
	}
	rec, ok := e.lookupTaskDefinition(ref)
	if !ok {
		return nil, clientErr("ClientException", "TaskDefinition not found.")
	}
	if rec.Def.Status != "ACTIVE" {
		return nil, invalid("TaskDefinition is inactive")
	}
	return &rec.Def, nil
}

// resolveLaunchType picks the launch type or capacity provider strategy: the
// request's, else the cluster's default strategy, else EC2.
func resolveLaunchType(cl *clusterRecord, launchType string, strategy []capacityProviderStrategyItem) (string, []capacityProviderStrategyItem, error) {
	switch {
	case launchType != "" && len(strategy) > 0:
		return "", nil, invalid("Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	case launchType != "":
		if !slices.Contains([]string{"EC2", "FARGATE", "EXTERNAL"}, launchType) {
			return "", nil, invalid("Invalid launch type %q.", launchType)
		}
		return launchType, nil, nil
	case len(strategy) > 0:
		return "", strategy, validateStrategy(strategy, cl.CapacityProviders)
	case len(cl.DefaultCapacityProviderStrategy) > 0:
		return "", cl.DefaultCapacityProviderStrategy, nil
	}
	return "EC2", nil, nil
}

// checkScheduling applies the scheduling strategy rules.
func checkScheduling(strategy string, onFargate bool, desired *int32) error {
	switch strategy {
	case "REPLICA":
		if desired == nil {
			return invalid("The desired count must be specified for services using the REPLICA scheduling strategy.")
		}
		if *desired < 0 {
			return invalid("The desired count must be greater than or equal to 0.")
		}
	case "DAEMON":
		if onFargate {
			return invalid("The daemon scheduling strategy is not supported with the Fargate launch type.")
		}
		if desired != nil {
			return invalid("The daemon scheduling strategy does not support a desired count for services. Remove the desired count value and try again")
		}
	default:
		return invalid("Invalid scheduling strategy %q.", strategy)
	}
	return nil
}

// checkNetwork validates a network configuration against the task
// definition's network mode and the EC2 world.
func (w *world) checkNetwork(td *taskDefinition, nc *networkConfiguration) error {
	awsvpc := td.NetworkMode == "awsvpc"
	switch {
	case awsvpc && (nc == nil || nc.AwsvpcConfiguration == nil):
		return invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	case !awsvpc && nc != nil:
		return invalid("Network Configuration is not valid for the given networkMode of this task definition.")
	case !awsvpc:
		return nil
	}
	vpc := nc.AwsvpcConfiguration
	if len(vpc.Subnets) == 0 {
		return invalid("subnets can not be empty.")
	}
	if len(vpc.Subnets) > 16 {
		return invalid("subnets can have at most 16 items.")
	}
	if len(vpc.SecurityGroups) > 5 {
		return invalid("securityGroups can have at most 5 items.")
	}
	if p := vpc.AssignPublicIP; p != "" && p != "ENABLED" && p != "DISABLED" {
		return invalid("assignPublicIp must be ENABLED or DISABLED.")
	}
	vpcID := ""
	for _, id := range vpc.Subnets {
		sn, ok := w.lookupSubnet(id)
		if !ok {
			return invalid("Error retrieving subnet information for [%s]: The subnet ID '%s' does not exist (ErrorCode: InvalidSubnetID.NotFound)", id, id)
		}
		if vpcID != "" && sn.VpcID != vpcID {
			return invalid("Subnets must all be in the same VPC.")
		}
		vpcID = sn.VpcID
	}
	for _, id := range vpc.SecurityGroups {
		if !w.securityGroupExists(id) {
			return invalid("Error retrieving security group information for [%s]: The security group '%s' does not exist (ErrorCode: InvalidGroup.NotFound)", id, id)
		}
	}
	return nil
}

// withDefaultPublicIP returns nc with assignPublicIp defaulted to DISABLED,
// as ECS echoes it.
func withDefaultPublicIP(nc *networkConfiguration) *networkConfiguration {
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return nc
	}
	vpc := *nc.AwsvpcConfiguration
	vpc.AssignPublicIP = cmp.Or(vpc.AssignPublicIP, "DISABLED")
	vpc.SecurityGroups = nonNil(vpc.SecurityGroups)
	return &networkConfiguration{AwsvpcConfiguration: &vpc}
}

// checkLoadBalancers validates a service's load balancers against its task
// definition and ELBv2 (docs/aws-api.md §3.7, §3.10).
func (w *world) checkLoadBalancers(td *taskDefinition, lbs []loadBalancer) error {
	for _, lb := range lbs {
		if lb.TargetGroupArn == "" {
			return invalid("loadBalancers must specify a targetGroupArn for Application and Network Load Balancers.")
		}
		if lb.ContainerPort == nil {
			return invalid("containerPort must be specified for a load balancer.")
		}
		if err := checkContainerPort(td, lb.ContainerName, *lb.ContainerPort); err != nil {
			return err
		}
		tg, ok := w.lookupTargetGroup(lb.TargetGroupArn)
		if !ok {
			return invalid("Unable to find target group %s.", lb.TargetGroupArn)
		}
		mode := cmp.Or(td.NetworkMode, "bridge")
		if (mode == "awsvpc") != (tg.TargetType == "ip") {
			return invalid("The provided target group %s has target type %s, which is incompatible with the %s network mode specified in the task definition.", tg.ARN, tg.TargetType, mode)
		}
		if len(tg.LoadBalancerArns) == 0 {
			return invalid("The target group with targetGroupArn %s does not have an associated load balancer.", tg.ARN)
		}
	}
	return nil
}

// checkContainerPort requires the container and port to exist in td.
func checkContainerPort(td *taskDefinition, name string, port int32) error {
	for _, cd := range td.ContainerDefinitions {
		if cd.Name != name {
			continue
		}
		for _, pm := range cd.PortMappings {
			if pm.ContainerPort != nil && *pm.ContainerPort == port {
				return nil
			}
		}
		return invalid("The container %s did not have a container port %d defined.", name, port)
	}
	return invalid("The container %s does not exist in the task definition.", name)
}

// defaultDeploymentConfiguration is what ECS fills in for a REPLICA service.
func defaultDeploymentConfiguration() deploymentConfiguration {
	maxPct, minPct := int32(200), int32(100)
	return deploymentConfiguration{
		DeploymentCircuitBreaker: &circuitBreaker{},
		MaximumPercent:           &maxPct,
		MinimumHealthyPercent:    &minPct,
	}
}

// mergeDeploymentConfiguration applies the members set in req to base.
func mergeDeploymentConfiguration(base deploymentConfiguration, req *deploymentConfiguration) (deploymentConfiguration, error) {
	if req == nil {
		return base, nil
	}
	if req.DeploymentCircuitBreaker != nil {
		cb := *req.DeploymentCircuitBreaker
		base.DeploymentCircuitBreaker = &cb
	}
	if req.MaximumPercent != nil {
		base.MaximumPercent = req.MaximumPercent
	}
	if req.MinimumHealthyPercent != nil {
		base.MinimumHealthyPercent = req.MinimumHealthyPercent
	}
	mergeStrategy(&base.strategyConfiguration, req.strategyConfiguration)
	if minPct := *base.MinimumHealthyPercent; minPct < 0 || minPct > 100 {
		return base, invalid("minimumHealthyPercent must be between 0 and 100.")
	}
	if *base.MaximumPercent < 100 {
		return base, invalid("maximumPercent must be at least 100.")
	}
	return base, nil
}

// checkPropagateTags validates propagateTags, defaulting to def.
func checkPropagateTags(v, def string) (string, error) {
	if v == "" {
		return def, nil
	}
	if !slices.Contains([]string{"TASK_DEFINITION", "SERVICE", "NONE"}, v) {
		return "", invalid("Invalid propagateTags value %q.", v)
	}
	return v, nil
}

type updateServiceInput struct {
	serviceRequest
	Service              string `json:"service"`
	ForceNewDeployment   bool   `json:"forceNewDeployment"`
	EnableExecuteCommand *bool  `json:"enableExecuteCommand"`
	EnableECSManagedTags *bool  `json:"enableECSManagedTags"`
}

// updateService changes a service in place, starting a new deployment when
// what its tasks run changes (or forceNewDeployment is set); a change of
// desiredCount alone only resizes the PRIMARY deployment.
func updateService(c *call, in *updateServiceInput) (any, error) {
	cl, svc, err := c.w.ecs.service(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if svc.Status != "ACTIVE" {
		return nil, clientErr("ServiceNotActiveException", "Service was not ACTIVE.")
	}
	plan, err := planUpdate(c, svc, in)
	if err != nil {
		return nil, err
	}
	svc.DeploymentConfiguration = plan.conf
	svc.PropagateTags = plan.propagate
	if in.HealthCheckGracePeriodSeconds != nil {
		svc.HealthCheckGracePeriodSeconds = in.HealthCheckGracePeriodSeconds
	}
	if in.EnableExecuteCommand != nil {
		svc.EnableExecuteCommand = *in.EnableExecuteCommand
	}
	if in.EnableECSManagedTags != nil {
		svc.EnableECSManagedTags = *in.EnableECSManagedTags
	}
	if in.DesiredCount != nil {
		svc.DesiredCount = *in.DesiredCount
		svc.primary().DesiredCount = *in.DesiredCount
		svc.primary().UpdatedAt = epochSeconds(c.now)
	}
	if plan.redeploy {
		svc.TaskDefinition = plan.td.TaskDefinitionArn
		svc.LoadBalancers = plan.lbs
		svc.NetworkConfiguration = plan.network
		if in.PlatformVersion != "" && svc.onFargate() {
			svc.PlatformVersion = in.PlatformVersion
		}
		c.w.startDeployment(svc, c.now)
		c.w.beginServiceDeployment(cl, svc, c.now)
	}
	svc.Steady = false
	c.w.scheduleReconcile(cl, svc, c.now)
	return serviceOutput{Service: svc.view(cl, false)}, nil
}

// updatePlan is a validated UpdateService request.
type updatePlan struct {
	td        *taskDefinition
	lbs       []loadBalancer
	network   *networkConfiguration
	conf      deploymentConfiguration
	propagate string
	redeploy  bool
}

// planUpdate validates an UpdateService request against the service.
func planUpdate(c *call, svc *serviceRecord, in *updateServiceInput) (updatePlan, error) {
	p := updatePlan{lbs: svc.LoadBalancers, network: svc.NetworkConfiguration, redeploy: in.ForceNewDeployment}
	if in.TaskDefinition != "" {
		td, err := activeTaskDefinition(c.w.ecs, in.TaskDefinition)
		if err != nil {
			return p, err
		}
		p.td = td
		p.redeploy = p.redeploy || td.TaskDefinitionArn != svc.TaskDefinition
	} else {
		rec, _ := c.w.ecs.lookupTaskDefinition(svc.TaskDefinition)
		p.td = &rec.Def
	}
	if in.DesiredCount != nil && *in.DesiredCount < 0 {
		return p, invalid("The desired count must be greater than or equal to 0.")
	}
	if len(in.CapacityProviderStrategy) > 0 {
		return p, invalid("Changing the capacity provider strategy is not supported by the sandbox.")
	}
	if in.NetworkConfiguration != nil {
		p.network = withDefaultPublicIP(in.NetworkConfiguration)
		p.redeploy = p.redeploy || !reflect.DeepEqual(p.network, svc.NetworkConfiguration)
	}
	if err := c.w.checkNetwork(p.td, p.network); err != nil {
		return p, err
	}
	if in.LoadBalancers != nil {
		p.lbs = in.LoadBalancers
		p.redeploy = p.redeploy || !reflect.DeepEqual(p.lbs, svc.LoadBalancers)
	}
	if err := c.w.checkLoadBalancers(p.td, p.lbs); err != nil {
		return p, err
	}
	if svc.onFargate() {
		if err := checkPlatform(cmp.Or(in.PlatformVersion, svc.PlatformVersion), p.td); err != nil {
			return p, err
		}
	}
	p.redeploy = p.redeploy || (in.PlatformVersion != "" && in.PlatformVersion != svc.PlatformVersion)
	var err error
	if p.conf, err = mergeDeploymentConfiguration(svc.DeploymentConfiguration, in.DeploymentConfiguration); err != nil {
		return p, err
	}
	if err := c.w.checkStrategy(p.conf, p.lbs); err != nil {
		return p, err
	}
	p.propagate, err = checkPropagateTags(in.PropagateTags, svc.PropagateTags)
	if err == nil && p.redeploy {
		err = svc.checkNoShiftInProgress()
	}
	return p, err
}

// service resolves a cluster and a service in it (name or ARN).
func (e *ecsState) service(clusterRef, ref string) (*clusterRecord, *serviceRecord, error) {
	cl, err := e.cluster(clusterRef)
	if err != nil {
		return nil, nil, err
	}
	svc := cl.Services[ecsResourceName(ref)]
	if svc == nil {
		return nil, nil, clientErr("ServiceNotFoundException", "Service not found.")
	}
	return cl, svc, nil
}

type describeServicesInput struct {
	Cluster  string   `json:"cluster"`
	Services []string `json:"services"`
	Include  []string `json:"include"`
}

type describeServicesOutput struct {
	Services []service `json:"services"`
	Failures []failure `json:"failures"`
}

func describeServices(c *call, in *describeServicesInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, invalid("services must contain between 1 and 10 items.")
	}
	out := describeServicesOutput{Services: []service{}, Failures: []failure{}}
	for _, ref := range in.Services {
		svc := cl.Services[ecsResourceName(ref)]
		if svc == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = c.w.ecsARN("service/" + cl.Name + "/" + ref)
			}
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		out.Services = append(out.Services, svc.view(cl, includes(in.Include, "TAGS")))
	}
	return out, nil
}

type listServicesInput struct {
	Cluster            string `json:"cluster"`
	NextToken          string `json:"nextToken"`
	MaxResults         *int32 `json:"maxResults"`
	LaunchType         string `json:"launchType"`
	SchedulingStrategy string `json:"schedulingStrategy"`
}

type listServicesOutput struct {
	ServiceArns []string `json:"serviceArns"`
	NextToken   *string  `json:"nextToken,omitempty"`
}

// listServices lists ACTIVE services only; its default page size is 10.
func listServices(c *call, in *listServicesInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, name := range sortedKeys(cl.Services) {
		svc := cl.Services[name]
		if svc.Status != "ACTIVE" ||
			(in.LaunchType != "" && svc.LaunchType != in.LaunchType) ||
			(in.SchedulingStrategy != "" && svc.SchedulingStrategy != in.SchedulingStrategy) {
			continue
		}
		arns = append(arns, svc.ServiceArn)
	}
	page, next, err := ecsPage(arns, in.NextToken, in.MaxResults, 10)
	if err != nil {
		return nil, err
	}
	return listServicesOutput{ServiceArns: page, NextToken: next}, nil
}

type deleteServiceInput struct {
	Cluster string `json:"cluster"`
	Service string `json:"service"`
	Force   *bool  `json:"force"`
}

// deleteService moves the service to DRAINING; the scheduler stops its
// tasks and marks it INACTIVE once they are all stopped.
func deleteService(c *call, in *deleteServiceInput) (any, error) {
	cl, svc, err := c.w.ecs.service(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if svc.Status == "INACTIVE" {
		return nil, clientErr("ServiceNotFoundException", "Service not found.")
	}
	if svc.Status == "ACTIVE" {
		if svc.DesiredCount > 0 && (in.Force == nil || !*in.Force) {
			return nil, invalid("The service cannot be stopped while it is scaled above 0.")
		}
		svc.Status = "DRAINING"
		svc.DesiredCount = 0
		svc.History.stopInProgress("The service was deleted.", c.now)
		for _, d := range svc.DeploymentRecords {
			d.DesiredCount = 0
		}
		c.w.scheduleReconcile(cl, svc, c.now)
	}
	return serviceOutput{Service: svc.view(cl, false)}, nil
}

// derefOr returns *p, or def when p is nil.
func derefOr[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
