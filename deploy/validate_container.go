package deploy

// Each container's rules: image, resources, Fargate's limits, port
// mappings, logging, health check and secrets.

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

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
