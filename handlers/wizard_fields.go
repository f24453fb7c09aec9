package handlers

// Which wizard step owns a spec problem, and which form field it belongs
// next to.

import (
	"regexp"
	"slices"
	"strings"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/web"
)

// stepPaths are the spec paths each step edits: Next on a step reports
// only problems under them.
var stepPaths = map[string][]string{
	"taskdef":      {"taskDefinition"},
	"cluster":      {"cluster"},
	"service":      {"service", "loadBalancer.name", "loadBalancer.targetGroup.name"},
	"loadbalancer": {"loadBalancer.subnets", "loadBalancer.targetGroup.containerName", "loadBalancer.targetGroup.containerPort", "loadBalancer.targetGroup.healthCheckPath", "loadBalancer.enabled"},
	"https":        {"loadBalancer.https"},
	"review":       {""},
}

// under reports whether path is prefix or inside it.
func under(path, prefix string) bool {
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+".") || strings.HasPrefix(path, prefix+"[")
}

// stepOfPath is the step where a problem at path is fixed.
func stepOfPath(path string) string {
	best, bestLen := "review", -1
	for _, step := range wizardSteps[:len(wizardSteps)-1] {
		for _, p := range stepPaths[step] {
			if under(path, p) && len(p) > bestLen {
				best, bestLen = step, len(p)
			}
		}
	}
	return best
}

// fieldPrefixes map spec paths to form fields, most specific first.
var fieldPrefixes = []struct{ path, field string }{
	{"taskDefinition.family", "family"},
	{"taskDefinition.cpu", "size"},
	{"taskDefinition.memory", "size"},
	{"taskDefinition.executionRoleArn", "execRole"},
	{"taskDefinition.taskRoleArn", "taskRole"},
	{"taskDefinition.containerDefinitions", "containers"},
	{"taskDefinition", "tdjson"},
	{"cluster", "cluster"},
	{"service.name", "service.name"},
	{"service.desiredCount", "service.desiredCount"},
	{"service.subnets", "subnets"},
	{"service.securityGroupIds", "sgIds"},
	{"service.newSecurityGroup.name", "sgName"},
	{"service.newSecurityGroup", "sgPorts"},
	{"service.circuitBreaker", "circuitBreaker"},
	{"service.minimumHealthyPercent", "minHealthy"},
	{"service.maximumPercent", "maxPercent"},
	{"loadBalancer.name", "lbName"},
	{"loadBalancer.targetGroup.name", "tgName"},
	{"loadBalancer.subnets", "lbSubnets"},
	{"loadBalancer.targetGroup.healthCheckPath", "healthPath"},
	{"loadBalancer.targetGroup", "target"},
	{"loadBalancer.enabled", "lbEnabled"},
	{"loadBalancer.https.certificateArn", "certArn"},
	{"loadBalancer.https.requestDomain", "domain"},
	{"loadBalancer.https.alternativeNames", "altNames"},
	{"loadBalancer.https.domain", "domain"},
	{"loadBalancer.https", "httpsMode"},
}

var containerPath = regexp.MustCompile(`^taskDefinition\.containerDefinitions\[(\d+)\](?:\.([A-Za-z]+))?`)

// containerFields maps a container member to its form field.
var containerFields = map[string]string{
	"name": "name", "image": "image", "essential": "essential", "portMappings": "ports",
	"environment": "env", "secrets": "secrets", "command": "command", "healthCheck": "health",
	"logConfiguration": "logGroup",
}

// fieldOf is the form field a problem at path is shown beside.
func fieldOf(path string) string {
	if m := containerPath.FindStringSubmatch(path); m != nil {
		if f, ok := containerFields[m[2]]; ok {
			return "c" + m[1] + "." + f
		}
		return "c" + m[1]
	}
	for _, fp := range fieldPrefixes {
		if under(path, fp.path) {
			return fp.field
		}
	}
	return ""
}

// stepProblems keeps the problems step owns, in the order found (the
// spec's document order, the wizard's own first), and places each next to
// its field: the first message per field is shown there, all are listed
// at the top.
func stepProblems(step string, all []ecsconsole.Problem) (web.WizardErrors, []web.Problem) {
	errs := web.WizardErrors{}
	var list []web.Problem
	for _, p := range all {
		if step != "review" && !slices.ContainsFunc(stepPaths[step], func(prefix string) bool { return under(p.Path, prefix) }) {
			continue
		}
		field := fieldOf(p.Path)
		if _, taken := errs[field]; !taken && field != "" {
			errs[field] = p.Message
		} else if field != "" && errs[field] != p.Message {
			errs[field] += " " + p.Message
		}
		s := stepOfPath(p.Path)
		list = append(list, web.Problem{Path: p.Path, Message: p.Message, Field: field, Step: s, StepTitle: wizardStepTitles[s]})
	}
	return errs, list
}
