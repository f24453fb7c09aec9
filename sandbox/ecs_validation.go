package sandbox

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ecsNamePattern is what ECS allows for cluster, service, family and
// container names (docs/aws-api.md §3.2); the model itself has no pattern, so this
// is checked server-side.
var ecsNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// tagPattern is the model's pattern for tag keys and values.
var tagPattern = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// iamRolePattern is the syntax of an IAM role ARN.
var iamRolePattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)

// validName reports whether name is a valid ECS resource name.
func validName(name string) bool { return ecsNamePattern.MatchString(name) }

// ecsTag is an ECS tag; ECS spells its members in lower case.
type ecsTag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// validateTags applies the Tag shape's constraints (docs/aws-api.md §3.2).
func validateTags(tags []ecsTag) error {
	if len(tags) > 50 {
		return clientErr("InvalidParameterException", "The number of tags exceeds the limit of 50.")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case len(t.Key) < 1 || len(t.Key) > 128:
			return clientErr("InvalidParameterException", "Tag keys must be between 1 and 128 characters.")
		case len(t.Value) > 256:
			return clientErr("InvalidParameterException", "Tag values must be 256 characters or less.")
		case !tagPattern.MatchString(t.Key) || !tagPattern.MatchString(t.Value):
			return clientErr("InvalidParameterException", "The tag %q contains invalid characters.", t.Key)
		case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
			return clientErr("InvalidParameterException", "Tag keys with the aws: prefix are reserved for AWS use.")
		case seen[t.Key]:
			return clientErr("InvalidParameterException", "Duplicate tag key %q.", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// mergeTags sets each tag in add on tags, overwriting equal keys.
func mergeTags(tags, add []ecsTag) []ecsTag {
	for _, t := range add {
		i := slices.IndexFunc(tags, func(o ecsTag) bool { return o.Key == t.Key })
		if i >= 0 {
			tags[i].Value = t.Value
		} else {
			tags = append(tags, t)
		}
	}
	return tags
}

// fargateMemory lists, per task cpu (units), the memory sizes (MiB) Fargate
// offers (docs/aws-api.md §3.5).
func fargateMemory(cpu int) []int {
	steps := func(from, to, step int) []int {
		var out []int
		for m := from; m <= to; m += step {
			out = append(out, m)
		}
		return out
	}
	switch cpu {
	case 256:
		return []int{512, 1024, 2048}
	case 512:
		return steps(1024, 4096, 1024)
	case 1024:
		return steps(2048, 8192, 1024)
	case 2048:
		return steps(4096, 16384, 1024)
	case 4096:
		return steps(8192, 30720, 1024)
	case 8192:
		return steps(16384, 61440, 4096)
	case 16384:
		return steps(32768, 122880, 8192)
	}
	return nil
}

// validFargateSize reports whether cpu and memory (normalised strings) are
// a Fargate combination.
func validFargateSize(cpu, memory string) bool {
	c, err1 := strconv.Atoi(cpu)
	m, err2 := strconv.Atoi(memory)
	return err1 == nil && err2 == nil && slices.Contains(fargateMemory(c), m)
}

// normaliseCPU turns "1 vCPU" / "0.25 vcpu" into CPU units ("1024", "256");
// plain numbers are kept.
func normaliseCPU(v string) string {
	return normaliseUnit(v, []string{"vcpu"}, 1024)
}

// normaliseMemory turns "2GB" / "2 gb" into MiB ("2048"); plain numbers are kept.
func normaliseMemory(v string) string {
	return normaliseUnit(v, []string{"gb"}, 1024)
}

func normaliseUnit(v string, units []string, factor float64) string {
	s := strings.ToLower(strings.TrimSpace(v))
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil {
				return v
			}
			return strconv.Itoa(int(f * factor))
		}
	}
	return strings.TrimSpace(v)
}

// tdErr is a RegisterTaskDefinition validation failure: AWS reports all of
// them as ClientException (docs/aws-api.md §3.4).
func tdErr(format string, args ...any) error {
	return clientErr("ClientException", format, args...)
}

// validateTaskDefinition applies RegisterTaskDefinition's rules to td, whose
// cpu and memory are already normalised.
func validateTaskDefinition(td *taskDefinition) error {
	if !validName(td.Family) {
		return tdErr("Family contains invalid characters.")
	}
	if len(td.ContainerDefinitions) == 0 {
		return tdErr("Container list cannot be empty.")
	}
	if len(td.ContainerDefinitions) > 10 {
		return tdErr("Too many containers.")
	}
	if td.NetworkMode != "" && !slices.Contains([]string{"bridge", "host", "awsvpc", "none"}, td.NetworkMode) {
		return tdErr("Invalid networkMode %q.", td.NetworkMode)
	}
	for _, comp := range td.RequiresCompatibilities {
		if !slices.Contains([]string{"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"}, comp) {
			return tdErr("Invalid compatibility %q.", comp)
		}
	}
	if err := validateTaskSize(td); err != nil {
		return err
	}
	if td.EphemeralStorage != nil && (td.EphemeralStorage.SizeInGiB < 21 || td.EphemeralStorage.SizeInGiB > 200) {
		return tdErr("The ephemeral storage size must be between 21 and 200 GiB.")
	}
	names := map[string]bool{}
	for i := range td.ContainerDefinitions {
		cd := &td.ContainerDefinitions[i]
		if names[cd.Name] {
			return tdErr("Container names must be unique within a task definition.")
		}
		names[cd.Name] = true
		if err := validateContainer(td, cd); err != nil {
			return err
		}
	}
	if slices.Contains(td.RequiresCompatibilities, "FARGATE") {
		return validateFargate(td)
	}
	return nil
}

// validateTaskSize checks task-level cpu and memory against the containers'.
func validateTaskSize(td *taskDefinition) error {
	if td.Memory == "" {
		for _, cd := range td.ContainerDefinitions {
			if cd.Memory == nil && cd.MemoryReservation == nil {
				return tdErr("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", cd.Name)
			}
		}
		return nil
	}
	taskMem, err := strconv.Atoi(td.Memory)
	if err != nil || taskMem <= 0 {
		return tdErr("Invalid 'memory' setting for task.")
	}
	if td.CPU != "" {
		if c, err := strconv.Atoi(td.CPU); err != nil || c <= 0 {
			return tdErr("Invalid 'cpu' setting for task.")
		}
	}
	for _, cd := range td.ContainerDefinitions {
		if cd.Memory != nil && int(*cd.Memory) > taskMem {
			return tdErr("The 'memory' setting for container '%s' is greater than for the task.", cd.Name)
		}
	}
	return nil
}

// portNamePattern is a port mapping's name (Service Connect): lowercase
// letters, digits, _ and -, not starting with - (docs/aws-api.md §3.4).
var portNamePattern = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]*$`)

// imageNamePattern is what may precede an image's @digest (docs/aws-api.md
// §9.1); imageDigestPattern is the digest.
var (
	imageNamePattern   = regexp.MustCompile(`^[a-zA-Z0-9\-_:./#]+$`)
	imageDigestPattern = regexp.MustCompile(`^sha256:[0-9a-fA-F]{64}$`)
)

// validateImage applies ECS's image reference rule. The length message is
// AWS's; the others are the sandbox's own wording.
func validateImage(image string) error {
	name, digest, hasDigest := strings.Cut(image, "@")
	if len(name) > 255 {
		return tdErr("Container.image should be 255 characters or less")
	}
	if !imageNamePattern.MatchString(name) || hasDigest && !imageDigestPattern.MatchString(digest) {
		return tdErr("Container.image contains invalid characters.")
	}
	return nil
}

// validateContainer checks one container definition.
func validateContainer(td *taskDefinition, cd *containerDefinition) error {
	if !validName(cd.Name) {
		return tdErr("Container.name contains invalid characters.")
	}
	if cd.Image == "" {
		return tdErr("Container.image should not be null or empty.")
	}
	if err := validateImage(cd.Image); err != nil {
		return err
	}
	if cd.Memory != nil && cd.MemoryReservation != nil && *cd.Memory < *cd.MemoryReservation {
		return tdErr("The 'memory' setting for container '%s' must be greater than or equal to 'memoryReservation'.", cd.Name)
	}
	if td.NetworkMode == "awsvpc" && cd.Hostname != "" {
		return tdErr("hostname is not supported on container when networkMode=awsvpc.")
	}
	if err := validatePorts(td.NetworkMode, cd); err != nil {
		return err
	}
	if err := validateHealthCheck(cd.HealthCheck); err != nil {
		return err
	}
	return nil
}

// validatePorts checks a container's port mappings and fills in hostPort
// for awsvpc and host modes, where it always equals containerPort.
func validatePorts(networkMode string, cd *containerDefinition) error {
	if networkMode == "none" && len(cd.PortMappings) > 0 {
		return tdErr("Port mappings are not supported when networkMode=none.")
	}
	seen := map[string]bool{}
	for i := range cd.PortMappings {
		pm := &cd.PortMappings[i]
		if pm.ContainerPort == nil || *pm.ContainerPort < 1 || *pm.ContainerPort > 65535 {
			return tdErr("Invalid 'containerPort' setting for container '%s'.", cd.Name)
		}
		if pm.HostPort != nil && (*pm.HostPort < 0 || *pm.HostPort > 65535) {
			return tdErr("Invalid 'hostPort' setting for container '%s'.", cd.Name)
		}
		if pm.Protocol == "" {
			pm.Protocol = "tcp"
		}
		if pm.Protocol != "tcp" && pm.Protocol != "udp" {
			return tdErr("Invalid protocol %q for container '%s'.", pm.Protocol, cd.Name)
		}
		if networkMode == "awsvpc" || networkMode == "host" {
			if pm.HostPort != nil && *pm.HostPort != *pm.ContainerPort {
				return tdErr("When networkMode=%s, the host ports and container ports in port mappings must match.", networkMode)
			}
			hp := *pm.ContainerPort
			pm.HostPort = &hp
		}
		if pm.Name != "" && (len(pm.Name) > 64 || !portNamePattern.MatchString(pm.Name)) {
			return tdErr("Invalid port mapping name %q for container '%s'.", pm.Name, cd.Name)
		}
		key := strconv.Itoa(int(*pm.ContainerPort)) + "/" + pm.Protocol
		if seen[key] {
			return tdErr("Duplicate containerPort %d/%s in container '%s'.", *pm.ContainerPort, pm.Protocol, cd.Name)
		}
		seen[key] = true
	}
	return nil
}

// validateHealthCheck applies the HealthCheck ranges, filling in defaults.
func validateHealthCheck(hc *healthCheck) error {
	if hc == nil {
		return nil
	}
	if len(hc.Command) == 0 || (hc.Command[0] != "CMD" && hc.Command[0] != "CMD-SHELL") {
		return tdErr("The healthCheck command must start with CMD or CMD-SHELL.")
	}
	ranges := []struct {
		name     string
		v        **int32
		lo, hi   int32
		fallback int32
	}{
		{"interval", &hc.Interval, 5, 300, 30},
		{"timeout", &hc.Timeout, 2, 60, 5},
		{"retries", &hc.Retries, 1, 10, 3},
	}
	for _, r := range ranges {
		if *r.v == nil {
			v := r.fallback
			*r.v = &v
		}
		if **r.v < r.lo || **r.v > r.hi {
			return tdErr("Invalid healthCheck %s: must be between %d and %d.", r.name, r.lo, r.hi)
		}
	}
	if hc.StartPeriod != nil && (*hc.StartPeriod < 0 || *hc.StartPeriod > 300) {
		return tdErr("Invalid healthCheck startPeriod: must be between 0 and 300.")
	}
	return nil
}

// validateFargate applies the extra rules for requiresCompatibilities FARGATE.
func validateFargate(td *taskDefinition) error {
	if td.NetworkMode != "awsvpc" {
		return tdErr("Fargate only supports network mode ‘awsvpc’.")
	}
	if td.CPU == "" {
		return tdErr("Fargate requires that 'cpu' be defined at the task level.")
	}
	if td.Memory == "" {
		return tdErr("Fargate requires that 'memory' be defined at the task level.")
	}
	if !validFargateSize(td.CPU, td.Memory) {
		return tdErr("No Fargate configuration exists for given values: %s CPU, %s memory. See the Amazon ECS documentation for the valid values.", td.CPU, td.Memory)
	}
	if td.IpcMode != "" {
		return tdErr("Tasks using the Fargate launch type do not support ipcMode.")
	}
	if td.PidMode == "host" {
		return tdErr("Tasks using the Fargate launch type do not support pidMode 'host'.")
	}
	for _, cd := range td.ContainerDefinitions {
		if err := validateFargateContainer(td, cd); err != nil {
			return err
		}
	}
	return validateFargateVolumes(td)
}

// fargateLinuxParameters are the members of linuxParameters Fargate
// refuses (docs/aws-api.md §3.4).
type fargateLinuxParameters struct {
	SharedMemorySize *int32            `json:"sharedMemorySize"`
	Devices          []json.RawMessage `json:"devices"`
	Tmpfs            []json.RawMessage `json:"tmpfs"`
	MaxSwap          *int32            `json:"maxSwap"`
	Swappiness       *int32            `json:"swappiness"`
}

// validateFargateVolumes refuses the volume kinds Fargate does not have.
func validateFargateVolumes(td *taskDefinition) error {
	for _, raw := range td.Volumes {
		var v struct {
			Host *struct {
				SourcePath string `json:"sourcePath"`
			} `json:"host"`
			DockerVolumeConfiguration json.RawMessage `json:"dockerVolumeConfiguration"`
		}
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if v.Host != nil && v.Host.SourcePath != "" {
			return tdErr("Tasks using the Fargate launch type do not support host.sourcePath volumes.")
		}
		if len(v.DockerVolumeConfiguration) > 0 && string(v.DockerVolumeConfiguration) != "null" {
			return tdErr("Tasks using the Fargate launch type do not support dockerVolumeConfiguration.")
		}
	}
	return nil
}

// validateFargateContainer applies the Fargate rules to one container.
func validateFargateContainer(td *taskDefinition, cd containerDefinition) error {
	if cd.StopTimeout != nil && *cd.StopTimeout > 120 {
		return tdErr("Invalid 'stopTimeout' setting for container '%s': Fargate allows at most 120 seconds.", cd.Name)
	}
	if len(cd.LinuxParameters) > 0 {
		var lp fargateLinuxParameters
		if json.Unmarshal(cd.LinuxParameters, &lp) == nil && (lp.SharedMemorySize != nil || len(lp.Devices) > 0 || len(lp.Tmpfs) > 0 || lp.MaxSwap != nil || lp.Swappiness != nil) {
			return tdErr("Tasks using the Fargate launch type do not support linuxParameters sharedMemorySize, devices, tmpfs, maxSwap or swappiness.")
		}
	}
	if cd.Privileged != nil && *cd.Privileged {
		return tdErr("Tasks using the Fargate launch type do not support privileged containers.")
	}
	if len(cd.Links) > 0 {
		return tdErr("Tasks using the Fargate launch type do not support links.")
	}
	if lc := cd.LogConfiguration; lc != nil {
		if !slices.Contains([]string{"awslogs", "splunk", "awsfirelens"}, lc.LogDriver) {
			return tdErr("Log driver %s is not supported on Fargate. Supported log drivers: awslogs, splunk, awsfirelens.", lc.LogDriver)
		}
		if lc.LogDriver == "awslogs" {
			if td.ExecutionRoleArn == "" {
				return tdErr("Fargate requires task definition to have execution role ARN to support log driver awslogs.")
			}
			for _, opt := range []string{"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} {
				if lc.Options[opt] == "" {
					return tdErr("Log driver awslogs requires option %s on Fargate.", opt)
				}
			}
		}
	}
	if td.ExecutionRoleArn == "" && (len(cd.Secrets) > 0 || len(cd.RepositoryCredentials) > 0) {
		return tdErr("Fargate requires task definition to have execution role ARN to support secrets and private registry authentication.")
	}
	return nil
}
