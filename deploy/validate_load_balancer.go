package deploy

// The load balancer's rules: its name, the target group and the container
// it routes to, HTTPS and the certificate (an ARN, or a domain and its
// alternative names to request).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole"
)

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

func (c *checker) targetGroup(tg ecsconsole.TargetGroup) {
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
func (c *checker) targetContainer(path string, tg ecsconsole.TargetGroup) {
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

func (c *checker) https(h ecsconsole.HTTPS) {
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
func (c *checker) alternativeNames(path string, h ecsconsole.HTTPS) {
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
