package sandbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// taskDefinition is an ECS task definition as the API returns it. Members the
// sandbox never interprets are kept as raw JSON so they echo back unchanged.
type taskDefinition struct {
	TaskDefinitionArn       string                `json:"taskDefinitionArn"`
	ContainerDefinitions    []containerDefinition `json:"containerDefinitions"`
	Family                  string                `json:"family"`
	TaskRoleArn             string                `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string                `json:"executionRoleArn,omitempty"`
	NetworkMode             string                `json:"networkMode,omitempty"`
	Revision                int32                 `json:"revision"`
	Volumes                 []json.RawMessage     `json:"volumes"`
	Status                  string                `json:"status"`
	RequiresAttributes      []ecsAttribute        `json:"requiresAttributes,omitempty"`
	PlacementConstraints    []json.RawMessage     `json:"placementConstraints"`
	Compatibilities         []string              `json:"compatibilities"`
	RuntimePlatform         json.RawMessage       `json:"runtimePlatform,omitempty"`
	RequiresCompatibilities []string              `json:"requiresCompatibilities,omitempty"`
	CPU                     string                `json:"cpu,omitempty"`
	Memory                  string                `json:"memory,omitempty"`
	InferenceAccelerators   []json.RawMessage     `json:"inferenceAccelerators,omitempty"`
	PidMode                 string                `json:"pidMode,omitempty"`
	IpcMode                 string                `json:"ipcMode,omitempty"`
	ProxyConfiguration      json.RawMessage       `json:"proxyConfiguration,omitempty"`
	RegisteredAt            *epochSeconds         `json:"registeredAt,omitempty"`
	DeregisteredAt          *epochSeconds         `json:"deregisteredAt,omitempty"`
	RegisteredBy            string                `json:"registeredBy,omitempty"`
	EphemeralStorage        *ephemeralStorage     `json:"ephemeralStorage,omitempty"`
}

// containerDefinition is one container of a task definition.
type containerDefinition struct {
	Name                   string            `json:"name"`
	Image                  string            `json:"image"`
	CPU                    int32             `json:"cpu"`
	Memory                 *int32            `json:"memory,omitempty"`
	MemoryReservation      *int32            `json:"memoryReservation,omitempty"`
	Links                  []string          `json:"links,omitempty"`
	PortMappings           []portMapping     `json:"portMappings"`
	Essential              *bool             `json:"essential,omitempty"`
	EntryPoint             []string          `json:"entryPoint,omitempty"`
	Command                []string          `json:"command,omitempty"`
	Environment            []keyValuePair    `json:"environment"`
	EnvironmentFiles       []json.RawMessage `json:"environmentFiles,omitempty"`
	MountPoints            []json.RawMessage `json:"mountPoints"`
	VolumesFrom            []json.RawMessage `json:"volumesFrom"`
	LinuxParameters        json.RawMessage   `json:"linuxParameters,omitempty"`
	Secrets                []json.RawMessage `json:"secrets,omitempty"`
	DependsOn              []json.RawMessage `json:"dependsOn,omitempty"`
	StartTimeout           *int32            `json:"startTimeout,omitempty"`
	StopTimeout            *int32            `json:"stopTimeout,omitempty"`
	Hostname               string            `json:"hostname,omitempty"`
	User                   string            `json:"user,omitempty"`
	WorkingDirectory       string            `json:"workingDirectory,omitempty"`
	DisableNetworking      *bool             `json:"disableNetworking,omitempty"`
	Privileged             *bool             `json:"privileged,omitempty"`
	ReadonlyRootFilesystem *bool             `json:"readonlyRootFilesystem,omitempty"`
	DNSServers             []string          `json:"dnsServers,omitempty"`
	DNSSearchDomains       []string          `json:"dnsSearchDomains,omitempty"`
	ExtraHosts             []json.RawMessage `json:"extraHosts,omitempty"`
	DockerSecurityOptions  []string          `json:"dockerSecurityOptions,omitempty"`
	Interactive            *bool             `json:"interactive,omitempty"`
	PseudoTerminal         *bool             `json:"pseudoTerminal,omitempty"`
	DockerLabels           map[string]string `json:"dockerLabels,omitempty"`
	Ulimits                []json.RawMessage `json:"ulimits,omitempty"`
	LogConfiguration       *logConfiguration `json:"logConfiguration,omitempty"`
	HealthCheck            *healthCheck      `json:"healthCheck,omitempty"`
	SystemControls         []json.RawMessage `json:"systemControls"`
	ResourceRequirements   []json.RawMessage `json:"resourceRequirements,omitempty"`
	FirelensConfiguration  json.RawMessage   `json:"firelensConfiguration,omitempty"`
	RepositoryCredentials  json.RawMessage   `json:"repositoryCredentials,omitempty"`
}

// portMapping is a container port mapping.
type portMapping struct {
	ContainerPort *int32 `json:"containerPort,omitempty"`
	HostPort      *int32 `json:"hostPort,omitempty"`
	Protocol      string `json:"protocol,omitempty"`
	Name          string `json:"name,omitempty"`
	AppProtocol   string `json:"appProtocol,omitempty"`
}

// keyValuePair is ECS's name/value pair (environment, attachment details).
type keyValuePair struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// logConfiguration is a container's log driver setup.
type logConfiguration struct {
	LogDriver     string            `json:"logDriver"`
	Options       map[string]string `json:"options,omitempty"`
	SecretOptions []json.RawMessage `json:"secretOptions,omitempty"`
}

// healthCheck is a container health check.
type healthCheck struct {
	Command     []string `json:"command"`
	Interval    *int32   `json:"interval,omitempty"`
	Timeout     *int32   `json:"timeout,omitempty"`
	Retries     *int32   `json:"retries,omitempty"`
	StartPeriod *int32   `json:"startPeriod,omitempty"`
}

// ephemeralStorage is a Fargate task's ephemeral storage size.
type ephemeralStorage struct {
	SizeInGiB int32 `json:"sizeInGiB"`
}

// ecsAttribute is a requiresAttributes entry.
type ecsAttribute struct {
	Name string `json:"name"`
}

// taskDefFamily holds every revision ever registered in a family; revision
// n is Revisions[n-1], so numbering never reuses a deregistered revision.
type taskDefFamily struct {
	Revisions []*taskDefRecord
}

// taskDefRecord is one revision with its tags (returned only on request).
type taskDefRecord struct {
	Def  taskDefinition
	Tags []ecsTag
}

// latestActive is the family's newest ACTIVE revision, or nil.
func (f *taskDefFamily) latestActive() *taskDefRecord {
	for i := len(f.Revisions) - 1; i >= 0; i-- {
		if f.Revisions[i].Def.Status == "ACTIVE" {
			return f.Revisions[i]
		}
	}
	return nil
}

type registerTaskDefinitionInput struct {
	Tags []ecsTag `json:"tags"`
}

type taskDefinitionOutput struct {
	TaskDefinition taskDefinition `json:"taskDefinition"`
	Tags           []ecsTag       `json:"tags,omitempty"`
}

// registerTaskDefinition decodes the request as a taskDefinition (the input
// members are a subset of it) and fills in what ECS computes.
func registerTaskDefinition(c *call, in *json.RawMessage) (any, error) {
	var td taskDefinition
	var extra registerTaskDefinitionInput
	if err := json.Unmarshal(*in, &td); err != nil {
		return nil, clientErr("SerializationException", "%s", err.Error())
	}
	if err := json.Unmarshal(*in, &extra); err != nil {
		return nil, clientErr("SerializationException", "%s", err.Error())
	}
	td.CPU = normaliseCPU(td.CPU)
	td.Memory = normaliseMemory(td.Memory)
	for _, role := range []string{td.ExecutionRoleArn, td.TaskRoleArn} {
		if role != "" && !iamRolePattern.MatchString(role) {
			return nil, tdErr("Role is not valid")
		}
	}
	if err := validateTaskDefinition(&td); err != nil {
		return nil, err
	}
	if err := validateTags(extra.Tags); err != nil {
		return nil, err
	}
	fam := c.w.ecs.Families[td.Family]
	if fam == nil {
		fam = &taskDefFamily{}
		c.w.ecs.Families[td.Family] = fam
	}
	fillTaskDefinition(c, &td, int32(len(fam.Revisions)+1))
	rec := &taskDefRecord{Def: td, Tags: extra.Tags}
	fam.Revisions = append(fam.Revisions, rec)
	return taskDefinitionOutput{TaskDefinition: rec.Def, Tags: rec.Tags}, nil
}

// fillTaskDefinition sets the members ECS computes on registration.
func fillTaskDefinition(c *call, td *taskDefinition, revision int32) {
	td.Revision = revision
	td.TaskDefinitionArn = c.w.ecsARN(fmt.Sprintf("task-definition/%s:%d", td.Family, revision))
	td.Status = "ACTIVE"
	now := epochSeconds(c.now)
	td.RegisteredAt = &now
	td.DeregisteredAt = nil
	td.RegisteredBy = c.w.callerARN()
	if td.NetworkMode == "" {
		td.NetworkMode = "bridge"
	}
	td.Compatibilities = []string{"EC2"}
	if validateFargate(td) == nil {
		td.Compatibilities = append(td.Compatibilities, "FARGATE")
	}
	td.RequiresAttributes = requiredAttributes(td)
	td.Volumes = nonNil(td.Volumes)
	td.PlacementConstraints = nonNil(td.PlacementConstraints)
	for i := range td.ContainerDefinitions {
		cd := &td.ContainerDefinitions[i]
		if cd.Essential == nil {
			essential := true
			cd.Essential = &essential
		}
		cd.PortMappings = nonNil(cd.PortMappings)
		cd.Environment = nonNil(cd.Environment)
		cd.MountPoints = nonNil(cd.MountPoints)
		cd.VolumesFrom = nonNil(cd.VolumesFrom)
		cd.SystemControls = nonNil(cd.SystemControls)
	}
}

// requiredAttributes lists the ECS capabilities the definition needs, as
// ECS reports them in requiresAttributes.
func requiredAttributes(td *taskDefinition) []ecsAttribute {
	attrs := []ecsAttribute{{Name: "com.amazonaws.ecs.capability.docker-remote-api.1.18"}}
	if td.NetworkMode == "awsvpc" {
		attrs = append(attrs, ecsAttribute{Name: "ecs.capability.task-eni"})
	}
	if td.ExecutionRoleArn != "" {
		attrs = append(attrs, ecsAttribute{Name: "ecs.capability.execution-role-awslogs"})
	}
	for _, cd := range td.ContainerDefinitions {
		if cd.LogConfiguration != nil && cd.LogConfiguration.LogDriver == "awslogs" {
			attrs = append(attrs, ecsAttribute{Name: "com.amazonaws.ecs.capability.logging-driver.awslogs"})
			break
		}
	}
	return attrs
}

// nonNil returns s, or an empty slice when s is nil, so that it marshals as
// [] the way ECS returns empty lists.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// lookupTaskDefinition resolves a reference: family (latest ACTIVE
// revision), family:revision, or full ARN. ok is false when nothing matches.
func (e *ecsState) lookupTaskDefinition(ref string) (*taskDefRecord, bool) {
	name := ref
	if strings.HasPrefix(ref, "arn:") {
		_, name, _ = strings.Cut(ref, ":task-definition/")
	}
	family, revStr, hasRev := strings.Cut(name, ":")
	fam := e.Families[family]
	if fam == nil {
		return nil, false
	}
	if !hasRev {
		rec := fam.latestActive()
		return rec, rec != nil
	}
	rev, err := strconv.Atoi(revStr)
	if err != nil || rev < 1 || rev > len(fam.Revisions) {
		return nil, false
	}
	return fam.Revisions[rev-1], true
}

type describeTaskDefinitionInput struct {
	TaskDefinition string   `json:"taskDefinition"`
	Include        []string `json:"include"`
}

func describeTaskDefinition(c *call, in *describeTaskDefinitionInput) (any, error) {
	rec, ok := c.w.ecs.lookupTaskDefinition(in.TaskDefinition)
	if !ok {
		return nil, clientErr("ClientException", "Unable to describe task definition.")
	}
	out := taskDefinitionOutput{TaskDefinition: rec.Def}
	if includes(in.Include, "TAGS") {
		out.Tags = nonNil(rec.Tags)
	}
	return out, nil
}

type listTaskDefinitionsInput struct {
	FamilyPrefix string `json:"familyPrefix"`
	Status       string `json:"status"`
	Sort         string `json:"sort"`
	NextToken    string `json:"nextToken"`
	MaxResults   *int32 `json:"maxResults"`
}

type listTaskDefinitionsOutput struct {
	TaskDefinitionArns []string `json:"taskDefinitionArns"`
	NextToken          *string  `json:"nextToken,omitempty"`
}

// listTaskDefinitions sorts by family, then revision (ASC by default).
// familyPrefix is, despite its name, the full family name.
func listTaskDefinitions(c *call, in *listTaskDefinitionsInput) (any, error) {
	status := in.Status
	if status == "" {
		status = "ACTIVE"
	}
	if status != "ACTIVE" && status != "INACTIVE" {
		return nil, clientErr("InvalidParameterException", "Invalid status %q.", in.Status)
	}
	var arns []string
	for _, family := range sortedKeys(c.w.ecs.Families) {
		if in.FamilyPrefix != "" && family != in.FamilyPrefix {
			continue
		}
		for _, rec := range c.w.ecs.Families[family].Revisions {
			if rec.Def.Status == status {
				arns = append(arns, rec.Def.TaskDefinitionArn)
			}
		}
	}
	if in.Sort == "DESC" {
		slices.Reverse(arns)
	}
	page, next, err := ecsPage(arns, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return listTaskDefinitionsOutput{TaskDefinitionArns: page, NextToken: next}, nil
}

type listTaskDefinitionFamiliesInput struct {
	FamilyPrefix string `json:"familyPrefix"`
	Status       string `json:"status"`
	NextToken    string `json:"nextToken"`
	MaxResults   *int32 `json:"maxResults"`
}

type listTaskDefinitionFamiliesOutput struct {
	Families  []string `json:"families"`
	NextToken *string  `json:"nextToken,omitempty"`
}

// listTaskDefinitionFamilies: ACTIVE families have an ACTIVE revision,
// INACTIVE ones have none; the default lists both.
func listTaskDefinitionFamilies(c *call, in *listTaskDefinitionFamiliesInput) (any, error) {
	var families []string
	for _, family := range sortedKeys(c.w.ecs.Families) {
		if !strings.HasPrefix(family, in.FamilyPrefix) {
			continue
		}
		active := c.w.ecs.Families[family].latestActive() != nil
		switch in.Status {
		case "", "ALL":
		case "ACTIVE":
			if !active {
				continue
			}
		case "INACTIVE":
			if active {
				continue
			}
		default:
			return nil, clientErr("InvalidParameterException", "Invalid status %q.", in.Status)
		}
		families = append(families, family)
	}
	page, next, err := ecsPage(families, in.NextToken, in.MaxResults, 100)
	if err != nil {
		return nil, err
	}
	return listTaskDefinitionFamiliesOutput{Families: page, NextToken: next}, nil
}

type deregisterTaskDefinitionInput struct {
	TaskDefinition string `json:"taskDefinition"`
}

// deregisterTaskDefinition needs an explicit revision; deregistering an
// INACTIVE revision again just returns it.
func deregisterTaskDefinition(c *call, in *deregisterTaskDefinitionInput) (any, error) {
	name := ecsResourceName(in.TaskDefinition)
	if !strings.Contains(name, ":") {
		return nil, clientErr("ClientException", "Invalid revision number. Number: %s", name)
	}
	rec, ok := c.w.ecs.lookupTaskDefinition(in.TaskDefinition)
	if !ok {
		return nil, clientErr("ClientException", "The specified task definition does not exist.")
	}
	if rec.Def.Status == "ACTIVE" {
		rec.Def.Status = "INACTIVE"
		now := epochSeconds(c.now)
		rec.Def.DeregisteredAt = &now
	}
	return taskDefinitionOutput{TaskDefinition: rec.Def}, nil
}

// sortedKeys returns m's keys in lexicographic order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
