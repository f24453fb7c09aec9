package sandbox

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// task is an ECS task as the API returns it.
type task struct {
	Attachments          []attachment      `json:"attachments"`
	AvailabilityZone     string            `json:"availabilityZone,omitempty"`
	CapacityProviderName string            `json:"capacityProviderName,omitempty"`
	ClusterArn           string            `json:"clusterArn"`
	Connectivity         string            `json:"connectivity,omitempty"`
	ConnectivityAt       *epochSeconds     `json:"connectivityAt,omitempty"`
	Containers           []container       `json:"containers"`
	CPU                  string            `json:"cpu,omitempty"`
	Memory               string            `json:"memory,omitempty"`
	CreatedAt            epochSeconds      `json:"createdAt"`
	DesiredStatus        string            `json:"desiredStatus"`
	EnableExecuteCommand bool              `json:"enableExecuteCommand"`
	ExecutionStoppedAt   *epochSeconds     `json:"executionStoppedAt,omitempty"`
	Group                string            `json:"group,omitempty"`
	HealthStatus         string            `json:"healthStatus"`
	LastStatus           string            `json:"lastStatus"`
	LaunchType           string            `json:"launchType,omitempty"`
	PlatformVersion      string            `json:"platformVersion,omitempty"`
	PlatformFamily       string            `json:"platformFamily,omitempty"`
	PullStartedAt        *epochSeconds     `json:"pullStartedAt,omitempty"`
	PullStoppedAt        *epochSeconds     `json:"pullStoppedAt,omitempty"`
	StartedAt            *epochSeconds     `json:"startedAt,omitempty"`
	StartedBy            string            `json:"startedBy,omitempty"`
	StopCode             string            `json:"stopCode,omitempty"`
	StoppedAt            *epochSeconds     `json:"stoppedAt,omitempty"`
	StoppedReason        string            `json:"stoppedReason,omitempty"`
	StoppingAt           *epochSeconds     `json:"stoppingAt,omitempty"`
	Tags                 []ecsTag          `json:"tags,omitempty"`
	TaskArn              string            `json:"taskArn"`
	TaskDefinitionArn    string            `json:"taskDefinitionArn"`
	Version              int64             `json:"version"`
	EphemeralStorage     *ephemeralStorage `json:"ephemeralStorage,omitempty"`
}

// container is one container of a task.
type container struct {
	ContainerArn      string         `json:"containerArn"`
	TaskArn           string         `json:"taskArn"`
	Name              string         `json:"name"`
	Image             string         `json:"image"`
	ImageDigest       string         `json:"imageDigest,omitempty"`
	RuntimeID         string         `json:"runtimeId,omitempty"`
	LastStatus        string         `json:"lastStatus"`
	ExitCode          *int32         `json:"exitCode,omitempty"`
	Reason            string         `json:"reason,omitempty"`
	NetworkBindings   []keyValuePair `json:"networkBindings"`
	NetworkInterfaces []containerNIC `json:"networkInterfaces"`
	HealthStatus      string         `json:"healthStatus"`
	CPU               string         `json:"cpu"`
	Memory            string         `json:"memory,omitempty"`
}

// containerNIC is a container's view of the task ENI.
type containerNIC struct {
	AttachmentID       string `json:"attachmentId"`
	PrivateIpv4Address string `json:"privateIpv4Address"`
}

// attachment is a task attachment; the sandbox makes only ENI attachments.
type attachment struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Status  string         `json:"status"`
	Details []keyValuePair `json:"details"`
}

// taskRecord is a task with the scheduler's bookkeeping.
type taskRecord struct {
	task
	ID string
	// Service is the name of the service that started the task ("" if none);
	// task.StartedBy is its deployment id.
	Service string
	ENI     taskENI
	// Targets are the target groups the task is registered in.
	Targets []taskTarget
	// Healthy is set once the task runs and all its targets are healthy.
	Healthy bool
	// HealthDeadline is when a task whose targets never turned healthy is
	// stopped as failing its load balancer health checks.
	HealthDeadline time.Time
}

// taskTarget is a target ECS registered for a task.
type taskTarget struct {
	TargetGroupArn string
	Port           int32
}

// Lifecycle timings on the simulated clock: how long a task spends in each
// state before the next.
const (
	provisioningTime   = 3 * time.Second
	pendingTime        = 5 * time.Second
	deactivatingTime   = 5 * time.Second
	stoppingTime       = 3 * time.Second
	deprovisioningTime = 3 * time.Second
	stoppedRetention   = time.Hour
)

// tasksOf returns the cluster's tasks started by deployment id, oldest first.
func (cl *clusterRecord) tasksOf(deploymentID string) []*taskRecord {
	var out []*taskRecord
	for _, t := range cl.Tasks {
		if t.StartedBy == deploymentID {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b *taskRecord) int {
		return time.Time(a.CreatedAt).Compare(time.Time(b.CreatedAt))
	})
	return out
}

// newTaskRecord builds a PROVISIONING task of td for svc's deployment d,
// with its ENI in the service's next subnet.
func (w *world) newTaskRecord(cl *clusterRecord, svc *serviceRecord, d *deploymentRecord, tdRec *taskDefRecord, now time.Time) *taskRecord {
	td := &tdRec.Def
	id := randomHex(32)
	arn := w.ecsARN("task/" + cl.Name + "/" + id)
	tr := &taskRecord{ID: id, Service: svc.ServiceName}
	tr.task = task{
		Attachments:          []attachment{},
		ClusterArn:           cl.Arn,
		Containers:           []container{},
		CPU:                  td.CPU,
		Memory:               td.Memory,
		CreatedAt:            epochSeconds(now),
		DesiredStatus:        "RUNNING",
		EnableExecuteCommand: svc.EnableExecuteCommand,
		Group:                "service:" + svc.ServiceName,
		HealthStatus:         "UNKNOWN",
		LastStatus:           "PROVISIONING",
		LaunchType:           d.LaunchType,
		PlatformVersion:      d.PlatformVersion,
		PlatformFamily:       d.PlatformFamily,
		StartedBy:            d.ID,
		TaskArn:              arn,
		TaskDefinitionArn:    td.TaskDefinitionArn,
		Version:              1,
		EphemeralStorage:     &ephemeralStorage{SizeInGiB: 20},
	}
	if len(d.CapacityProviderStrategy) > 0 {
		tr.CapacityProviderName = d.CapacityProviderStrategy[0].CapacityProvider
		tr.LaunchType = ""
	}
	if td.EphemeralStorage != nil {
		tr.EphemeralStorage = td.EphemeralStorage
	}
	tr.Tags = taskTags(cl, svc, tdRec)
	w.attachENI(tr, svc, d)
	for _, cd := range td.ContainerDefinitions {
		tr.Containers = append(tr.Containers, w.newContainer(tr, cd))
	}
	return tr
}

// taskTags are the tags a service task starts with: the ECS managed tags
// when enabled, plus the service's or task definition's per propagateTags.
func taskTags(cl *clusterRecord, svc *serviceRecord, td *taskDefRecord) []ecsTag {
	var tags []ecsTag
	if svc.EnableECSManagedTags {
		tags = append(tags, ecsTag{Key: "aws:ecs:clusterName", Value: cl.Name}, ecsTag{Key: "aws:ecs:serviceName", Value: svc.ServiceName})
	}
	switch svc.PropagateTags {
	case "SERVICE":
		tags = append(tags, svc.Tags...)
	case "TASK_DEFINITION":
		tags = append(tags, td.Tags...)
	}
	return tags
}

// attachENI creates the task's ENI in the deployment's next subnet.
func (w *world) attachENI(tr *taskRecord, svc *serviceRecord, d *deploymentRecord) {
	if d.NetworkConfiguration == nil || d.NetworkConfiguration.AwsvpcConfiguration == nil {
		return
	}
	vpc := d.NetworkConfiguration.AwsvpcConfiguration
	subnetID := vpc.Subnets[svc.NextSubnet%len(vpc.Subnets)]
	svc.NextSubnet++
	attachmentID := newUUID()
	tr.ENI = w.createTaskENI(subnetID, vpc.SecurityGroups, vpc.AssignPublicIP == "ENABLED", w.ecsARN("attachment/"+attachmentID))
	if sn, ok := w.lookupSubnet(subnetID); ok {
		tr.AvailabilityZone = sn.AvailabilityZone
	}
	tr.Attachments = []attachment{{
		ID:     attachmentID,
		Type:   "ElasticNetworkInterface",
		Status: "PRECREATED",
		Details: []keyValuePair{
			{Name: "subnetId", Value: subnetID},
			{Name: "networkInterfaceId", Value: tr.ENI.ID},
			{Name: "macAddress", Value: tr.ENI.MacAddress},
			{Name: "privateDnsName", Value: w.privateDNSName(tr.ENI.PrivateIP)},
			{Name: "privateIPv4Address", Value: tr.ENI.PrivateIP},
		},
	}}
}

// privateDNSName is EC2's internal host name for ip in this region.
func (w *world) privateDNSName(ip string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if w.region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + w.region + ".compute.internal"
}

// newContainer builds the task's view of container definition cd.
func (w *world) newContainer(tr *taskRecord, cd containerDefinition) container {
	ct := container{
		ContainerArn:      w.ecsARN(fmt.Sprintf("container/%s/%s/%s", ecsResourceName(tr.ClusterArn), tr.ID, newUUID())),
		TaskArn:           tr.TaskArn,
		Name:              cd.Name,
		Image:             cd.Image,
		ImageDigest:       w.imageDigest(cd.Image),
		LastStatus:        "PENDING",
		NetworkBindings:   []keyValuePair{},
		NetworkInterfaces: []containerNIC{},
		HealthStatus:      "UNKNOWN",
		CPU:               fmt.Sprint(cd.CPU),
	}
	if cd.Memory != nil {
		ct.Memory = fmt.Sprint(*cd.Memory)
	}
	if len(tr.Attachments) > 0 {
		ct.NetworkInterfaces = []containerNIC{{AttachmentID: tr.Attachments[0].ID, PrivateIpv4Address: tr.ENI.PrivateIP}}
	}
	return ct
}

type listTasksInput struct {
	Cluster       string `json:"cluster"`
	Family        string `json:"family"`
	NextToken     string `json:"nextToken"`
	MaxResults    *int32 `json:"maxResults"`
	StartedBy     string `json:"startedBy"`
	ServiceName   string `json:"serviceName"`
	DesiredStatus string `json:"desiredStatus"`
	LaunchType    string `json:"launchType"`
}

type listTasksOutput struct {
	TaskArns  []string `json:"taskArns"`
	NextToken *string  `json:"nextToken,omitempty"`
}

// listTasks filters by desiredStatus (RUNNING by default; PENDING is never
// a desired status, so it lists nothing), service, family, startedBy and
// launch type.
func listTasks(c *call, in *listTasksInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.ServiceName != "" && cl.Services[ecsResourceName(in.ServiceName)] == nil {
		return nil, clientErr("ServiceNotFoundException", "Service not found.")
	}
	if in.Family != "" && !validName(in.Family) {
		return nil, invalid(`family must match ^[a-zA-Z0-9\-_]+$`)
	}
	desired := cmp.Or(in.DesiredStatus, "RUNNING")
	if !slices.Contains([]string{"RUNNING", "PENDING", "STOPPED"}, desired) {
		return nil, invalid("Invalid desiredStatus %q.", in.DesiredStatus)
	}
	var arns []string
	for _, id := range sortedKeys(cl.Tasks) {
		if t := cl.Tasks[id]; t.matches(in, desired) {
			arns = append(arns, t.TaskArn)
		}
	}
	page, next, err := ecsPage(arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return listTasksOutput{TaskArns: page, NextToken: next}, nil
}

// matches reports whether the task passes ListTasks' filters.
func (t *taskRecord) matches(in *listTasksInput, desired string) bool {
	family := strings.SplitN(ecsResourceName(t.TaskDefinitionArn), ":", 2)[0]
	launchType := cmp.Or(t.LaunchType, "FARGATE")
	return t.DesiredStatus == desired &&
		(in.ServiceName == "" || t.Service == ecsResourceName(in.ServiceName)) &&
		(in.Family == "" || family == in.Family) &&
		(in.StartedBy == "" || t.StartedBy == in.StartedBy) &&
		(in.LaunchType == "" || launchType == in.LaunchType)
}

type describeTasksInput struct {
	Cluster string   `json:"cluster"`
	Tasks   []string `json:"tasks"`
	Include []string `json:"include"`
}

type describeTasksOutput struct {
	Tasks    []task    `json:"tasks"`
	Failures []failure `json:"failures"`
}

func describeTasks(c *call, in *describeTasksInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 {
		return nil, invalid("Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, invalid("Tasks cannot have more than 100 elements.")
	}
	out := describeTasksOutput{Tasks: []task{}, Failures: []failure{}}
	for _, ref := range in.Tasks {
		t := cl.Tasks[ecsResourceName(ref)]
		if t == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = c.w.ecsARN("task/" + cl.Name + "/" + ref)
			}
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		view := t.task
		if !includes(in.Include, "TAGS") {
			view.Tags = nil
		}
		out.Tasks = append(out.Tasks, view)
	}
	return out, nil
}

type stopTaskInput struct {
	Cluster string `json:"cluster"`
	Task    string `json:"task"`
	Reason  string `json:"reason"`
}

type taskOutput struct {
	Task task `json:"task"`
}

// stopTask stops a task as a user would; a service's scheduler then
// replaces it.
func stopTask(c *call, in *stopTaskInput) (any, error) {
	cl, err := c.w.ecs.cluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if len(in.Reason) > 255 {
		return nil, invalid("Reason must be 255 characters or less.")
	}
	t := cl.Tasks[ecsResourceName(in.Task)]
	if t == nil {
		return nil, invalid("The referenced task was not found.")
	}
	if t.DesiredStatus == "RUNNING" {
		c.w.stopTaskRecord(cl, t, c.now, "UserInitiated", cmp.Or(in.Reason, "Task stopped by user"))
	}
	return taskOutput{Task: t.task}, nil
}
