package deploy

import "fmt"

// Array bounds. Where AWS has a quota the bound is it (60 inbound rules per
// security group by default, ECS's 10 containers); elsewhere it is far above
// any real task and far below what a 256 KiB spec could list, so that a
// runaway list is refused here with its path instead of failing the
// deployment later with an AWS error nobody can read.
const (
	maxIngressPorts        = 50 // leaves room under the 60-rule default for the load balancer's rule
	maxPortMappings        = 100
	maxEnvironment         = 1000
	maxSecrets             = 1000
	maxEnvironmentFiles    = 10 // ECS's own limit
	maxDependsOn           = maxContainers
	maxMountPoints         = 100
	maxCommandArgs         = 256
	maxVolumes             = 100
	maxRequiresCompatibles = 3
)

// arrayBounds refuses lists longer than the bounds above, one problem per
// list naming its path, its length and the bound.
func (c *checker) arrayBounds() {
	over := func(path string, n, limit int, what string) {
		if n > limit {
			c.add(path, "lists %d %s; at most %d are allowed", n, what, limit)
		}
	}
	if nsg := c.spec.Service.NewSecurityGroup; nsg != nil {
		over("service.newSecurityGroup.ingressPorts", len(nsg.IngressPorts), maxIngressPorts, "ports")
	}
	if c.td == nil {
		return
	}
	over("taskDefinition.volumes", len(c.td.Volumes), maxVolumes, "volumes")
	over("taskDefinition.requiresCompatibilities", len(c.td.RequiresCompatibilities), maxRequiresCompatibles, "launch types")
	for i, def := range c.td.ContainerDefinitions {
		path := fmt.Sprintf("taskDefinition.containerDefinitions[%d]", i)
		over(path+".portMappings", len(def.PortMappings), maxPortMappings, "port mappings")
		over(path+".environment", len(def.Environment), maxEnvironment, "variables")
		over(path+".secrets", len(def.Secrets), maxSecrets, "secrets")
		over(path+".environmentFiles", len(def.EnvironmentFiles), maxEnvironmentFiles, "files")
		over(path+".dependsOn", len(def.DependsOn), maxDependsOn, "dependencies")
		over(path+".mountPoints", len(def.MountPoints), maxMountPoints, "mount points")
		over(path+".command", len(def.Command), maxCommandArgs, "arguments")
		over(path+".entryPoint", len(def.EntryPoint), maxCommandArgs, "arguments")
	}
}
