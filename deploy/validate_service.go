package deploy

// The ECS service's rules: desired count, subnets, security groups (given
// or new) and the deployment percents.

import (
	"fmt"
	"strings"

	"github.com/ecsconsole/ecsconsole"
)

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

func (c *checker) newSecurityGroup(nsg *ecsconsole.NewSecurityGroup) {
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
