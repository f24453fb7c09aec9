package deploy

// The task definition's rules: Fargate compatibility, the task size, the
// execution role, volumes and tags. Each container's are in
// validate_container.go.

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

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
