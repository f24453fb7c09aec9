package deploy

// The semantic rules a spec must satisfy. They cover every rule AWS (and the
// sandbox, which follows docs/aws-api.md) enforces for the calls
// apply makes, so an accepted spec is not refused for these reasons, plus a
// few of the console's own (a service always has a security group; rollback
// needs the circuit breaker enabled). Services run on Fargate: the spec's
// service always has awsvpc networking and the cluster's capacity is Fargate.

import (
	"strings"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecsconsole/ecsconsole"
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
func Validate(s *ecsconsole.Spec) error {
	var ps problems
	var td *ecs.RegisterTaskDefinitionInput
	if len(s.TaskDefinition) > 0 {
		in, err := decodeTaskDefinition(s.TaskDefinition)
		if err != nil {
			ps.add("taskDefinition", "cannot be read as RegisterTaskDefinition input: %s", strings.TrimPrefix(err.Error(), "json: "))
		}
		td = in
	}
	ps = append(ps, checkSpec(s, td)...)
	return ps.err()
}

// checkSpec runs every rule; td is the decoded task definition (nil when the
// spec has none or it could not be decoded).
func checkSpec(s *ecsconsole.Spec, td *ecs.RegisterTaskDefinitionInput) problems {
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
	spec *ecsconsole.Spec
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
