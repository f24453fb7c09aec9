package deploy

// The semantic rules a spec must satisfy. They cover every rule AWS (and the
// sandbox, which follows docs/aws-api.md) enforces for the calls
// apply makes, so an accepted spec is not refused for these reasons, plus a
// few of the console's own (a service always has a security group; rollback
// needs the circuit breaker enabled). Services run on Fargate: the spec's
// service always has awsvpc networking and the cluster's capacity is Fargate.

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Limits from AWS's documentation and service quotas.
const (
	maxContainers        = 10   // ECS: containers per task definition
	maxTasksPerService   = 5000 // ECS service quota "Tasks per service"
	maxServiceSubnets    = 16   // awsvpcConfiguration.subnets
	maxSecurityGroups    = 5    // awsvpcConfiguration.securityGroups
	maxTags              = 50
	minContainerMemory   = 6 // MiB Docker reserves for a container
	maxFargateStopTime   = 120
	maxImageLength       = 255
	maxHealthCheckPath   = 1024
	maxDomainLength      = 253
	maxCommonNameLength  = 64 // ACM puts DomainName in the certificate's CN
	maxELBNameLength     = 32
	maxSecurityGroupName = 255
)

// Validate checks the semantic rules on a spec built in code or decoded
// elsewhere; Parse already runs them. It returns a *ValidationError listing
// every problem, or nil.
func (s *Spec) Validate() error {
	var ps problems
	var td *ecs.RegisterTaskDefinitionInput
	if len(s.TaskDefinition) > 0 {
		in, err := decodeTaskDefinition(s.TaskDefinition)
		if err != nil {
			ps.add("taskDefinition", "cannot be read as RegisterTaskDefinition input: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		td = in
	}
	ps = append(ps, s.check(td)...)
	return ps.err()
}

// check runs every rule; td is the decoded task definition (nil when the
// spec has none or it could not be decoded).
func (s *Spec) check(td *ecs.RegisterTaskDefinitionInput) problems {
	c := &checker{spec: s, td: td}
	c.region()
	c.cluster()
	c.taskDefinition()
	c.service()
	c.loadBalancer()
	c.arrayBounds() // limits.go
	return c.ps
}

// checker accumulates problems across the rule groups.
type checker struct {
	ps   problems
	spec *Spec
	td   *ecs.RegisterTaskDefinitionInput
}

func (c *checker) add(path, format string, args ...any) {
	c.ps.add(path, format, args...)
}

func (c *checker) region() {
	if r := c.spec.Region; r != "" && !IsRegion(r) {
		c.add("region", "%q is not an AWS region name; write one like us-east-1 or eu-west-3", r)
	}
}

func (c *checker) cluster() {
	c.ecsName("cluster.name", "cluster", c.spec.Cluster.Name)
}

// ecsName checks a cluster, service, family, container or volume name.
func (c *checker) ecsName(path, what, name string) {
	switch {
	case name == "":
		c.add(path, "is required; give the %s a name of letters, digits, hyphens and underscores", what)
	case !isECSName(name):
		c.add(path, "%q is not a valid %s name; use up to 255 letters, digits, hyphens and underscores", name, what)
	}
}

// ---- task definition ----

func (c *checker) taskDefinition() {
	const path = "taskDefinition"
	td := c.td
	if td == nil {
		if len(c.spec.TaskDefinition) == 0 {
			c.add(path, "is required; paste RegisterTaskDefinition JSON or the output of aws ecs describe-task-definition")
		}
		return
	}
	c.ecsName(path+".family", "task definition family", deref(td.Family))
	c.fargateCompatibility()
	cpu, memory := c.taskSize()
	c.containers(cpu, memory)
	c.executionRole()
	c.volumes()
	c.tags(path+".tags", td.Tags)
	if td.EphemeralStorage != nil {
		if n := td.EphemeralStorage.SizeInGiB; n < 21 || n > 200 {
			c.add(path+".ephemeralStorage.sizeInGiB", "%d is out of range; Fargate ephemeral storage is 21 to 200 GiB", n)
		}
	}
}

// fargateCompatibility checks the task-level settings Fargate constrains.
func (c *checker) fargateCompatibility() {
	td := c.td
	if len(td.RequiresCompatibilities) > 0 && !slices.Contains(td.RequiresCompatibilities, types.CompatibilityFargate) {
		c.add("taskDefinition.requiresCompatibilities", "does not include \"FARGATE\"; the console runs services on Fargate, so add it")
	}
	switch td.NetworkMode {
	case types.NetworkModeAwsvpc:
	case "":
		c.add("taskDefinition.networkMode", "is missing; set it to \"awsvpc\", the only network mode Fargate supports")
	default:
		c.add("taskDefinition.networkMode", "is %q but Fargate only supports \"awsvpc\"; set it to \"awsvpc\"", td.NetworkMode)
	}
	if td.IpcMode != "" {
		c.add("taskDefinition.ipcMode", "is not supported on Fargate; remove it")
	}
	if td.PidMode == types.PidModeHost {
		c.add("taskDefinition.pidMode", "\"host\" is not supported on Fargate; use \"task\" or remove it")
	}
}

// taskSize checks task-level cpu and memory against the Fargate table and
// returns them (0 when unknown).
func (c *checker) taskSize() (cpu, memory int) {
	td := c.td
	const cpuPath, memPath = "taskDefinition.cpu", "taskDefinition.memory"
	cpu = c.sizeValue(cpuPath, td.Cpu, "vcpu",
		"is required on Fargate; set the task's CPU units, e.g. \"256\" (0.25 vCPU) or \"1024\" (1 vCPU)",
		"%q is not a CPU size; write CPU units such as \"512\" or vCPUs such as \"0.5 vCPU\"")
	memory = c.sizeValue(memPath, td.Memory, "gb",
		"is required on Fargate; set the task's memory in MiB, e.g. \"1024\", or in GB, e.g. \"1 GB\"",
		"%q is not a memory size; write MiB such as \"1024\" or GB such as \"1 GB\"")
	if cpu == 0 {
		return 0, memory
	}
	choices := fargateMemoryChoices(cpu)
	if choices == nil {
		c.add(cpuPath, "%d is not a Fargate CPU size; choose 256, 512, 1024, 2048, 4096, 8192 or 16384 (1024 units = 1 vCPU)", cpu)
		return 0, memory
	}
	if memory > 0 && !slices.Contains(choices, memory) {
		c.add(memPath, "%d is not a valid Fargate memory for %d CPU; choose %s", memory, cpu, describeChoices(choices))
	}
	if rp := td.RuntimePlatform; rp != nil && strings.HasPrefix(string(rp.OperatingSystemFamily), "WINDOWS") && cpu < 1024 {
		c.add(cpuPath, "%d is too small for Windows containers on Fargate; use at least 1024 (1 vCPU)", cpu)
	}
	return cpu, memory
}

// sizeValue parses a task cpu or memory string; AWS accepts integer units or
// a decimal amount followed by unit ("0.25 vCPU", "1 GB"), 1024 per unit.
func (c *checker) sizeValue(path string, v *string, unit, missing, malformed string) int {
	if v == nil {
		c.add(path, "%s", missing)
		return 0
	}
	n, ok := parseTaskSize(*v, unit)
	if !ok {
		c.add(path, malformed, *v)
		return 0
	}
	return n
}

func parseTaskSize(s, unit string) (int, bool) {
	s = strings.TrimSpace(s)
	num, hasUnit := s, false
	if len(s) > len(unit) && strings.EqualFold(s[len(s)-len(unit):], unit) {
		num, hasUnit = strings.TrimSpace(s[:len(s)-len(unit)]), true
	}
	if num == "" || strings.Trim(num, "0123456789.") != "" || strings.Count(num, ".") > 1 || num[0] == '.' || num[len(num)-1] == '.' {
		return 0, false
	}
	if !hasUnit && strings.Contains(num, ".") {
		return 0, false // plain units are whole numbers
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, false
	}
	if hasUnit {
		r.Mul(r, big.NewRat(1024, 1))
	}
	if !r.IsInt() || !r.Num().IsInt64() || r.Num().Int64() <= 0 || r.Num().Int64() > 1<<30 {
		return 0, false
	}
	return int(r.Num().Int64()), true
}

// fargateMemoryChoices returns the task memory values (MiB) Fargate accepts
// for a task cpu value, or nil when cpu is not a Fargate size (docs/aws-api.md §3.5).
func fargateMemoryChoices(cpu int) []int {
	switch cpu {
	case 256:
		return []int{512, 1024, 2048}
	case 512:
		return []int{1024, 2048, 3072, 4096}
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

func steps(from, to, step int) []int {
	var xs []int
	for x := from; x <= to; x += step {
		xs = append(xs, x)
	}
	return xs
}

// describeChoices lists a few choices, or describes a long regular series.
func describeChoices(xs []int) string {
	if len(xs) > 7 {
		return fmt.Sprintf("a value from %d to %d in steps of %d", xs[0], xs[len(xs)-1], xs[1]-xs[0])
	}
	strs := make([]string, len(xs))
	for i, x := range xs {
		strs[i] = strconv.Itoa(x)
	}
	return joinOr(strs)
}

// joinOr renders "a, b or c".
func joinOr(xs []string) string {
	if len(xs) <= 1 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// containers checks each container and the task-wide container rules.
func (c *checker) containers(taskCPU, taskMemory int) {
	const path = "taskDefinition.containerDefinitions"
	defs := c.td.ContainerDefinitions
	switch {
	case len(defs) == 0:
		c.add(path, "needs at least one container; add one with a name and an image")
		return
	case len(defs) > maxContainers:
		c.add(path, "has %d containers; a task definition holds at most %d", len(defs), maxContainers)
	}
	names := containerNames(defs)
	ports := map[string]string{} // "8080/tcp" → path of its first mapping
	var sumCPU, sumMemory int
	essential := false
	for i, def := range defs {
		cpath := fmt.Sprintf("%s[%d]", path, i)
		c.container(cpath, def, names, taskMemory)
		c.portMappings(cpath, def, ports)
		sumCPU += int(def.Cpu)
		sumMemory += int(containerMemory(def))
		essential = essential || def.Essential == nil || *def.Essential
		if first, ok := names[deref(def.Name)]; ok && first != i {
			c.add(cpath+".name", "%q is already the name of containerDefinitions[%d]; container names must be unique", deref(def.Name), first)
		}
	}
	if !essential {
		c.add(path, "has no essential container; mark at least one (usually the web server) \"essential\": true")
	}
	if taskCPU > 0 && sumCPU > taskCPU {
		c.add("taskDefinition.cpu", "is %d but the containers' cpu values add up to %d; raise the task cpu or lower the containers'", taskCPU, sumCPU)
	}
	if taskMemory > 0 && sumMemory > taskMemory {
		c.add("taskDefinition.memory", "is %d MiB but the containers reserve %d MiB in total; raise the task memory or lower the containers' memory/memoryReservation", taskMemory, sumMemory)
	}
}

// containerNames maps each container name to its first index.
func containerNames(defs []types.ContainerDefinition) map[string]int {
	names := map[string]int{}
	for i, def := range defs {
		if _, dup := names[deref(def.Name)]; !dup {
			names[deref(def.Name)] = i
		}
	}
	return names
}

// containerMemory is what a container takes from the task's memory: its
// reservation when given, else its hard limit.
func containerMemory(def types.ContainerDefinition) int32 {
	if def.MemoryReservation != nil {
		return *def.MemoryReservation
	}
	return deref(def.Memory)
}

// imageProblem says what is wrong with a container image reference by
// ECS's rule (docs/aws-api.md §9.1), or "": repository/image:tag of at most 255
// letters, digits and -_:./#, optionally followed by @sha256: and 64 hex
// digits (the length limit is for what precedes the @).
func imageProblem(image string) string {
	if image == "" {
		return `is required; name the image to run, e.g. "php:8.3-apache"`
	}
	name, digest, hasDigest := strings.Cut(image, "@")
	if name == "" {
		return "needs a repository and image name before the @"
	}
	if len(name) > maxImageLength {
		return fmt.Sprintf("is %d characters before any @digest; AWS accepts at most %d", len(name), maxImageLength)
	}
	for _, r := range name {
		if !(r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)) || strings.ContainsRune("-_:./#", r)) {
			return fmt.Sprintf("contains %q; an image reference may hold only letters, digits and - _ : . / # (and @sha256:<digest>)", r)
		}
	}
	if hasDigest {
		hex, ok := strings.CutPrefix(digest, "sha256:")
		if !ok || len(hex) != 64 || strings.Trim(hex, "0123456789abcdefABCDEF") != "" {
			return "has a digest AWS does not accept; write @sha256: followed by 64 hex digits"
		}
	}
	return ""
}

func (c *checker) container(path string, def types.ContainerDefinition, names map[string]int, taskMemory int) {
	c.ecsName(path+".name", "container", deref(def.Name))
	if msg := imageProblem(deref(def.Image)); msg != "" {
		c.add(path+".image", "%s", msg)
	}
	c.containerResources(path, def, taskMemory)
	if def.Hostname != nil {
		c.add(path+".hostname", "is not supported with awsvpc networking; remove it (the task's hostname comes from its network interface)")
	}
	c.fargateContainerLimits(path, def)
	c.logConfiguration(path+".logConfiguration", def.LogConfiguration)
	c.healthCheck(path+".healthCheck", def.HealthCheck)
	for i, dep := range def.DependsOn {
		dpath := fmt.Sprintf("%s.dependsOn[%d].containerName", path, i)
		switch name := deref(dep.ContainerName); {
		case name == deref(def.Name):
			c.add(dpath, "a container cannot depend on itself; name another container")
		case !hasKey(names, name):
			c.add(dpath, "no container named %q in this task definition; use one of %s", name, joinOr(sortedKeys(names)))
		}
	}
	for i, sec := range def.Secrets {
		c.secret(fmt.Sprintf("%s.secrets[%d]", path, i), sec)
	}
	for i, mp := range def.MountPoints {
		if name := deref(mp.SourceVolume); !slices.ContainsFunc(c.td.Volumes, func(v types.Volume) bool { return deref(v.Name) == name }) {
			c.add(fmt.Sprintf("%s.mountPoints[%d].sourceVolume", path, i), "no volume named %q in taskDefinition.volumes; add the volume or fix the name", name)
		}
	}
}

func (c *checker) containerResources(path string, def types.ContainerDefinition, taskMemory int) {
	if def.Cpu < 0 {
		c.add(path+".cpu", "%d is negative; give CPU units (1024 = 1 vCPU) or leave it out", def.Cpu)
	}
	if m := def.Memory; m != nil {
		switch {
		case *m < minContainerMemory:
			c.add(path+".memory", "%d MiB is too little; give a container at least %d MiB", *m, minContainerMemory)
		case taskMemory > 0 && int(*m) > taskMemory:
			c.add(path+".memory", "%d MiB is more than the task's %d MiB; lower it or raise taskDefinition.memory", *m, taskMemory)
		}
	}
	if r := def.MemoryReservation; r != nil {
		switch {
		case *r < minContainerMemory:
			c.add(path+".memoryReservation", "%d MiB is too little; reserve at least %d MiB", *r, minContainerMemory)
		case def.Memory != nil && *def.Memory < *r:
			c.add(path+".memoryReservation", "%d MiB is more than the container's memory limit of %d MiB; lower the reservation or raise memory", *r, *def.Memory)
		}
	}
	if t := def.StopTimeout; t != nil && (*t < 0 || *t > maxFargateStopTime) {
		c.add(path+".stopTimeout", "%d is out of range; on Fargate it is 0 to %d seconds", *t, maxFargateStopTime)
	}
}

// fargateContainerLimits rejects container settings Fargate does not support.
func (c *checker) fargateContainerLimits(path string, def types.ContainerDefinition) {
	if deref(def.Privileged) {
		c.add(path+".privileged", "privileged containers are not supported on Fargate; remove it")
	}
	if len(def.ResourceRequirements) > 0 {
		c.add(path+".resourceRequirements", "GPUs and inference accelerators are not available on Fargate; remove it")
	}
	if len(def.Links) > 0 {
		c.add(path+".links", "links are not supported with awsvpc networking; containers in a task reach each other on localhost")
	}
	lp := def.LinuxParameters
	if lp == nil {
		return
	}
	unsupported := []struct {
		name string
		set  bool
	}{
		{"devices", len(lp.Devices) > 0},
		{"sharedMemorySize", lp.SharedMemorySize != nil},
		{"tmpfs", len(lp.Tmpfs) > 0},
		{"maxSwap", lp.MaxSwap != nil},
		{"swappiness", lp.Swappiness != nil},
	}
	for _, u := range unsupported {
		if u.set {
			c.add(path+".linuxParameters."+u.name, "is not supported on Fargate; remove it")
		}
	}
}

// portMappings checks a container's ports; ports maps "port/protocol" to the
// first mapping using it, across the task.
func (c *checker) portMappings(path string, def types.ContainerDefinition, ports map[string]string) {
	for i, pm := range def.PortMappings {
		ppath := fmt.Sprintf("%s.portMappings[%d]", path, i)
		if pm.ContainerPort == nil {
			c.add(ppath+".containerPort", "is required; give the port the container listens on (1-65535)")
			continue
		}
		port := *pm.ContainerPort
		if !validPort(port) {
			c.add(ppath+".containerPort", "%d is not a valid port; use 1-65535", port)
			continue
		}
		if pm.HostPort != nil && *pm.HostPort != port {
			c.add(ppath+".hostPort", "is %d but with awsvpc networking it must equal containerPort %d; remove hostPort or set it to %d", *pm.HostPort, port, port)
		}
		if pm.Name != nil && !isPortMappingName(*pm.Name) {
			c.add(ppath+".name", "%q is not a valid port name; use up to 64 lowercase letters, digits, underscores and hyphens, not starting with a hyphen", *pm.Name)
		}
		key := fmt.Sprintf("%d/%s", port, protocolOf(pm))
		if first, dup := ports[key]; dup {
			c.add(ppath+".containerPort", "%s is already mapped by %s; in one task each port can be mapped once", key, first)
		} else {
			ports[key] = ppath
		}
	}
}

func protocolOf(pm types.PortMapping) types.TransportProtocol {
	if pm.Protocol == "" {
		return types.TransportProtocolTcp
	}
	return pm.Protocol
}

// logConfiguration checks the log driver Fargate supports and the options
// awslogs requires there.
func (c *checker) logConfiguration(path string, lc *types.LogConfiguration) {
	if lc == nil {
		return
	}
	switch lc.LogDriver {
	case types.LogDriverAwslogs:
		for _, opt := range []string{"awslogs-group", "awslogs-region", "awslogs-stream-prefix"} {
			if lc.Options[opt] == "" {
				c.add(joinKey(path+".options", opt), "is required for awslogs on Fargate; %s", awslogsHint(opt))
			}
		}
	case types.LogDriverSplunk, types.LogDriverAwsfirelens:
	case "":
		c.add(path+".logDriver", "is required; use \"awslogs\" to send logs to CloudWatch Logs")
	default:
		c.add(path+".logDriver", "%q is not supported on Fargate; use awslogs, splunk or awsfirelens", lc.LogDriver)
	}
}

func awslogsHint(opt string) string {
	switch opt {
	case "awslogs-group":
		return "name the CloudWatch log group, e.g. \"/ecs/php-app\""
	case "awslogs-region":
		return "give the log group's region, e.g. \"us-east-1\""
	default:
		return "give a prefix for the log stream names, e.g. \"ecs\""
	}
}

func (c *checker) healthCheck(path string, hc *types.HealthCheck) {
	if hc == nil {
		return
	}
	if len(hc.Command) == 0 || (hc.Command[0] != "CMD" && hc.Command[0] != "CMD-SHELL") {
		c.add(path+".command", "must start with \"CMD\" or \"CMD-SHELL\", e.g. [\"CMD-SHELL\", \"curl -f http://localhost/ || exit 1\"]")
	}
	ranges := []struct {
		name     string
		v        *int32
		min, max int32
	}{
		{"interval", hc.Interval, 5, 300},
		{"timeout", hc.Timeout, 2, 60},
		{"retries", hc.Retries, 1, 10},
		{"startPeriod", hc.StartPeriod, 0, 300},
	}
	for _, r := range ranges {
		if r.v != nil && (*r.v < r.min || *r.v > r.max) {
			c.add(path+"."+r.name, "%d is out of range; use %d to %d", *r.v, r.min, r.max)
		}
	}
}

func (c *checker) secret(path string, s types.Secret) {
	if deref(s.Name) == "" {
		c.add(path+".name", "is required; give the environment variable the secret is exposed as")
	}
	if deref(s.ValueFrom) == "" {
		c.add(path+".valueFrom", "is required; give the ARN of the Secrets Manager secret or SSM parameter")
	}
}

// executionRole requires executionRoleArn when Fargate needs it to pull
// secrets, private images or send awslogs logs on the task's behalf.
func (c *checker) executionRole() {
	if deref(c.td.ExecutionRoleArn) != "" {
		return
	}
	for _, def := range c.td.ContainerDefinitions {
		if reason := executionRoleReason(def); reason != "" {
			c.add("taskDefinition.executionRoleArn", "is required because container %q %s; set it to a role ECS can assume, e.g. arn:aws:iam::123456789012:role/ecsTaskExecutionRole", deref(def.Name), reason)
			return
		}
	}
}

func executionRoleReason(def types.ContainerDefinition) string {
	lc := def.LogConfiguration
	switch {
	case lc != nil && lc.LogDriver == types.LogDriverAwslogs:
		return "sends logs with awslogs"
	case len(def.Secrets) > 0:
		return "reads secrets"
	case lc != nil && len(lc.SecretOptions) > 0:
		return "uses secrets in its log configuration"
	case def.RepositoryCredentials != nil:
		return "pulls from a private registry"
	}
	return ""
}

func (c *checker) volumes() {
	seen := map[string]bool{}
	for i, v := range c.td.Volumes {
		path := fmt.Sprintf("taskDefinition.volumes[%d]", i)
		name := deref(v.Name)
		c.ecsName(path+".name", "volume", name)
		if seen[name] {
			c.add(path+".name", "%q is used by another volume; volume names must be unique", name)
		}
		seen[name] = true
		if v.Host != nil && v.Host.SourcePath != nil {
			c.add(path+".host.sourcePath", "host paths are not supported on Fargate; remove sourcePath to get a task-scoped volume")
		}
		if v.DockerVolumeConfiguration != nil {
			c.add(path+".dockerVolumeConfiguration", "Docker volumes are not supported on Fargate; use an EFS volume or a task-scoped volume")
		}
	}
}

// tags checks AWS's tag rules (docs/aws-api.md §3.2).
func (c *checker) tags(path string, tags []types.Tag) {
	if len(tags) > maxTags {
		c.add(path, "has %d tags; AWS allows at most %d", len(tags), maxTags)
	}
	seen := map[string]bool{}
	for i, t := range tags {
		tpath := fmt.Sprintf("%s[%d]", path, i)
		key, value := deref(t.Key), deref(t.Value)
		switch {
		case key == "" || len(key) > 128 || !isTagText(key):
			c.add(tpath+".key", "%q is not a valid tag key; use 1-128 letters, digits, spaces and _ . : / = + - @", key)
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			c.add(tpath+".key", "%q starts with aws:, which AWS reserves; choose another key", key)
		case seen[key]:
			c.add(tpath+".key", "%q appears twice; a tag key can be used once", key)
		}
		seen[key] = true
		if len(value) > 256 || !isTagText(value) {
			c.add(tpath+".value", "is not a valid tag value; use up to 256 letters, digits, spaces and _ . : / = + - @")
		}
	}
}

// ---- service ----

func (c *checker) service() {
	svc := c.spec.Service
	c.ecsName("service.name", "service", svc.Name)
	switch n := svc.DesiredCount; {
	case n == nil:
		c.add("service.desiredCount", "is required; give the number of tasks to run, e.g. 2")
	case *n < 0 || *n > maxTasksPerService:
		c.add("service.desiredCount", "%d is out of range; run 0 to %d tasks", *n, maxTasksPerService)
	}
	c.subnets("service.subnets", svc.Subnets, 1, maxServiceSubnets)
	c.securityGroups()
	if cb := svc.CircuitBreaker; cb != nil && cb.Rollback && !cb.Enable {
		c.add("service.circuitBreaker.rollback", "rollback only happens when the circuit breaker is enabled; set enable to true, or rollback to false")
	}
	c.deploymentPercents()
}

// subnets checks a subnet list: how many, their ids and no repeats.
func (c *checker) subnets(path string, subnets []string, minCount, maxCount int) {
	switch {
	case len(subnets) < minCount && minCount == 1:
		c.add(path, "is empty; list at least one subnet id, e.g. \"subnet-0a1b2c3d\"")
	case len(subnets) < minCount:
		c.add(path, "lists %d subnet(s); an Application Load Balancer needs at least %d, in different Availability Zones", len(subnets), minCount)
	case len(subnets) > maxCount:
		c.add(path, "lists %d subnets; at most %d are allowed", len(subnets), maxCount)
	}
	c.resourceIDs(path, subnets, "subnet-", "subnet")
}

// resourceIDs checks EC2 ids ("subnet-0a1b…", "sg-…") and rejects repeats.
func (c *checker) resourceIDs(path string, ids []string, prefix, what string) {
	seen := map[string]bool{}
	for i, id := range ids {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case !isResourceID(id, prefix):
			c.add(ipath, "%q is not a %s id; they look like \"%s0a1b2c3d4e5f67890\"", id, what, prefix)
		case seen[id]:
			c.add(ipath, "%q is listed twice; list each %s once", id, what)
		}
		seen[id] = true
	}
}

func (c *checker) securityGroups() {
	svc := c.spec.Service
	c.resourceIDs("service.securityGroupIds", svc.SecurityGroupIDs, "sg-", "security group")
	total := len(svc.SecurityGroupIDs)
	if nsg := svc.NewSecurityGroup; nsg != nil {
		total++
		c.newSecurityGroup(nsg)
	}
	switch {
	case total == 0:
		c.add("service.securityGroupIds", "the tasks need a security group: list existing ones in securityGroupIds, or describe one to create in newSecurityGroup")
	case total > maxSecurityGroups:
		c.add("service.securityGroupIds", "the tasks would have %d security groups; ECS allows at most %d, counting newSecurityGroup", total, maxSecurityGroups)
	}
}

func (c *checker) newSecurityGroup(nsg *NewSecurityGroup) {
	const path = "service.newSecurityGroup"
	switch name := nsg.Name; {
	case name == "":
		c.add(path+".name", "is required; name the security group to create, e.g. \"php-app-tasks\"")
	case len(name) > maxSecurityGroupName:
		c.add(path+".name", "is %d characters; EC2 allows at most %d", len(name), maxSecurityGroupName)
	case strings.HasPrefix(strings.ToLower(name), "sg-"):
		c.add(path+".name", "%q starts with \"sg-\", which EC2 reserves for group ids; choose another name", name)
	case !isSecurityGroupName(name):
		c.add(path+".name", "%q has characters EC2 does not allow; use letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*", name)
	}
	seen := map[int32]bool{}
	for i, port := range nsg.IngressPorts {
		ppath := fmt.Sprintf("%s.ingressPorts[%d]", path, i)
		switch {
		case !validPort(port):
			c.add(ppath, "%d is not a valid port; use 1-65535", port)
		case seen[port]:
			c.add(ppath, "port %d is listed twice; list each port once", port)
		}
		seen[port] = true
	}
}

// deploymentPercents checks the rolling-update bounds. AWS's defaults are
// 100 and 200; the maximum must exceed the minimum, or ECS could neither
// start a new task nor stop an old one and the deployment would never finish.
func (c *checker) deploymentPercents() {
	svc := c.spec.Service
	minimum, maximum := int32(100), int32(200)
	inRange := true
	if p := svc.MinimumHealthyPercent; p != nil {
		minimum = *p
		if minimum < 0 || minimum > 100 {
			c.add("service.minimumHealthyPercent", "%d is out of range; use 0 to 100 (percent of desiredCount kept running during a deployment)", minimum)
			inRange = false
		}
	}
	if p := svc.MaximumPercent; p != nil {
		maximum = *p
		if maximum < 100 || maximum > 200 {
			c.add("service.maximumPercent", "%d is out of range; use 100 to 200 (percent of desiredCount allowed to run during a deployment)", maximum)
			inRange = false
		}
	}
	if inRange && maximum <= minimum {
		c.add("service.maximumPercent", "%d must be greater than minimumHealthyPercent (%d), or a deployment can neither start new tasks nor stop old ones", maximum, minimum)
	}
}

// ---- load balancer ----

func (c *checker) loadBalancer() {
	lb := c.spec.LoadBalancer
	if lb == nil {
		return
	}
	c.elbName("loadBalancer.name", "load balancer", lb.Name)
	if strings.HasPrefix(lb.Name, "internal-") {
		c.add("loadBalancer.name", "%q starts with \"internal-\", which AWS reserves; choose another name", lb.Name)
	}
	c.subnets("loadBalancer.subnets", lb.Subnets, 2, maxServiceSubnets)
	c.targetGroup(lb.TargetGroup)
	if lb.HTTPS != nil {
		c.https(*lb.HTTPS)
	}
}

// elbName checks load balancer and target group names (docs/aws-api.md §4.3).
func (c *checker) elbName(path, what, name string) {
	switch {
	case name == "":
		c.add(path, "is required; name the %s with up to 32 letters, digits and hyphens", what)
	case len(name) > maxELBNameLength:
		c.add(path, "%q is %d characters; a %s name can be at most %d", name, len(name), what, maxELBNameLength)
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "":
		c.add(path, "%q may only contain letters, digits and hyphens", name)
	case name[0] == '-' || name[len(name)-1] == '-':
		c.add(path, "%q must not begin or end with a hyphen", name)
	}
}

func (c *checker) targetGroup(tg TargetGroup) {
	const path = "loadBalancer.targetGroup"
	c.elbName(path+".name", "target group", tg.Name)
	if p := tg.HealthCheckPath; p != "" && (p[0] != '/' || len(p) > maxHealthCheckPath) {
		c.add(path+".healthCheckPath", "%q must start with / and be at most %d characters, e.g. \"/health\"", p, maxHealthCheckPath)
	}
	if !validPort(tg.ContainerPort) {
		c.add(path+".containerPort", "%d is not a valid port; give the container port the load balancer sends traffic to (1-65535)", tg.ContainerPort)
	}
	if tg.ContainerName == "" {
		c.add(path+".containerName", "is required; name the container that receives the traffic")
		return
	}
	if c.td == nil {
		return
	}
	c.targetContainer(path, tg)
}

// targetContainer checks the target group points at a container port the
// task definition maps, as CreateService requires.
func (c *checker) targetContainer(path string, tg TargetGroup) {
	defs := c.td.ContainerDefinitions
	i := slices.IndexFunc(defs, func(d types.ContainerDefinition) bool { return deref(d.Name) == tg.ContainerName })
	if i < 0 {
		c.add(path+".containerName", "no container named %q in the task definition; use one of %s", tg.ContainerName, joinOr(sortedKeys(containerNames(defs))))
		return
	}
	var mapped []string
	for _, pm := range defs[i].PortMappings {
		if pm.ContainerPort == nil || protocolOf(pm) != types.TransportProtocolTcp {
			continue
		}
		if *pm.ContainerPort == tg.ContainerPort {
			return
		}
		mapped = append(mapped, strconv.Itoa(int(*pm.ContainerPort)))
	}
	if !validPort(tg.ContainerPort) {
		return // already reported
	}
	if len(mapped) == 0 {
		c.add(path+".containerPort", "container %q maps no TCP ports; add {\"containerPort\": %d} to its portMappings", tg.ContainerName, tg.ContainerPort)
		return
	}
	c.add(path+".containerPort", "container %q does not map port %d; use %s, or add %d to its portMappings", tg.ContainerName, tg.ContainerPort, joinOr(mapped), tg.ContainerPort)
}

func (c *checker) https(h HTTPS) {
	const path = "loadBalancer.https"
	switch {
	case h.CertificateArn == "" && h.RequestDomain == "":
		c.add(path, "needs a certificate: set certificateArn to an issued ACM certificate, or requestDomain to the domain to request one for")
	case h.CertificateArn != "" && h.RequestDomain != "":
		c.add(path, "set either certificateArn or requestDomain, not both")
	case h.CertificateArn != "":
		c.certificateArn(path+".certificateArn", h.CertificateArn)
	default:
		if msg := domainProblem(h.RequestDomain); msg != "" {
			c.add(path+".requestDomain", "%q %s", h.RequestDomain, msg)
		}
	}
	c.alternativeNames(path+".alternativeNames", h)
}

// maxAlternativeNames is ACM's default quota of names per certificate (10)
// less the main one.
const maxAlternativeNames = 9

// alternativeNames checks the extra names of a requested certificate.
func (c *checker) alternativeNames(path string, h HTTPS) {
	if len(h.AlternativeNames) == 0 {
		return
	}
	if h.RequestDomain == "" {
		c.add(path, "only applies to a requested certificate; set requestDomain, or remove them")
		return
	}
	if len(h.AlternativeNames) > maxAlternativeNames {
		c.add(path, "lists %d names; ACM allows %d per certificate besides requestDomain (more only with a quota increase)", len(h.AlternativeNames), maxAlternativeNames)
	}
	seen := map[string]bool{strings.ToLower(h.RequestDomain): true}
	for i, n := range h.AlternativeNames {
		npath := fmt.Sprintf("%s[%d]", path, i)
		msg := domainProblem(n)
		if len(n) > maxCommonNameLength && len(n) <= maxDomainLength {
			msg = "" // the 64-character limit is the main name's only; ACM checks the rest
		}
		switch {
		case msg != "":
			c.add(npath, "%q %s", n, msg)
		case seen[strings.ToLower(n)]:
			c.add(npath, "%q is listed twice (requestDomain counts); list each name once", n)
		}
		seen[strings.ToLower(n)] = true
	}
}

func (c *checker) certificateArn(path, arn string) {
	region, ok := acmCertificateRegion(arn)
	switch {
	case !ok:
		c.add(path, "%q is not an ACM certificate ARN; they look like arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-…", arn)
	case c.spec.Region != "" && region != c.spec.Region:
		c.add(path, "the certificate is in %s but the spec deploys to %s; a load balancer can only use a certificate from its own region", region, c.spec.Region)
	}
}

// ---- small predicates ----

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}

func validPort(p int32) bool { return p >= 1 && p <= 65535 }

// isECSName: 1-255 letters, digits, hyphens and underscores (docs/aws-api.md §3.2).
func isECSName(s string) bool {
	return len(s) >= 1 && len(s) <= 255 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == ""
}

// isPortMappingName: up to 64 of a-z 0-9 _ -, not starting with -.
func isPortMappingName(s string) bool {
	return len(s) >= 1 && len(s) <= 64 && s[0] != '-' && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == ""
}

// isResourceID: prefix followed by lowercase hex, as EC2 ids are.
func isResourceID(id, prefix string) bool {
	hex, ok := strings.CutPrefix(id, prefix)
	return ok && hex != "" && strings.Trim(hex, "0123456789abcdef") == ""
}

// isSecurityGroupName: EC2's character set for VPC security group names.
func isSecurityGroupName(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*") == ""
}

// isTagText: the tag pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$.
func isTagText(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.In(r, unicode.Z) && !unicode.IsNumber(r) && !strings.ContainsRune("_.:/=+-@", r)
	}) < 0
}

// IsRegion reports whether s is shaped like an AWS region name: us-east-1,
// eu-central-2, us-gov-west-1.
func IsRegion(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts[0]) != 2 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" || strings.Trim(p, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	last := parts[len(parts)-1]
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// acmCertificateRegion parses arn:aws:acm:{region}:{account}:certificate/{id}
// and returns its region.
func acmCertificateRegion(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !strings.HasPrefix(parts[1], "aws") || parts[2] != "acm" || !IsRegion(parts[3]) {
		return "", false
	}
	account, resource := parts[4], parts[5]
	id, ok := strings.CutPrefix(resource, "certificate/")
	if len(account) != 12 || strings.Trim(account, "0123456789") != "" || !ok || id == "" ||
		strings.Trim(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
		return "", false
	}
	return parts[3], true
}

// domainProblem explains why ACM would refuse a domain name (docs/aws-api.md §6.1,
// §6.3), or returns "" when it is acceptable.
func domainProblem(d string) string {
	switch {
	case strings.HasSuffix(d, "."):
		return "ends with a dot; remove the trailing dot"
	case len(d) > maxDomainLength:
		return fmt.Sprintf("is longer than %d characters", maxDomainLength)
	case len(d) > maxCommonNameLength:
		return fmt.Sprintf("is longer than %d characters, the most a certificate's main name can have; use a shorter name", maxCommonNameLength)
	}
	labels := strings.Split(strings.TrimPrefix(d, "*."), ".")
	if len(labels) < 2 {
		return "is not a full domain name; write one like app.example.com"
	}
	for i, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.Trim(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" ||
			(i == len(labels)-1 && len(l) < 2) {
			return "is not a valid domain name; use letters, digits and hyphens in dot-separated labels (a leading \"*.\" requests a wildcard), like app.example.com"
		}
	}
	return ""
}
