package web

import "slices"

// stepInfo is how the pages word one engine step, running and done, and
// which wizard step fixes it when it fails.
type stepInfo struct {
	name, running, done, wizard string
}

// stepInfos lists the engine's steps in its graph's order (DESIGN.md §5).
// It is the one place the pages map step names to words; it gives way to
// the engine's own titles and order once the engine exports them.
var stepInfos = []stepInfo{
	{"load-balancer-security-group", "Creating the load balancer's security group", "Load balancer security group", "loadbalancer"},
	{"task-security-group", "Creating the tasks' security group", "Task security group", "service"},
	{"task-definition", "Registering the task definition", "Task definition", "taskdef"},
	{"cluster", "Finding or creating the cluster", "Cluster", "cluster"},
	{"target-group", "Creating the target group", "Target group", "loadbalancer"},
	{"load-balancer", "Creating the load balancer", "Load balancer", "loadbalancer"},
	{"load-balancer-active", "Load balancer is provisioning", "Load balancer is active", "loadbalancer"},
	{"http-listener", "Creating the HTTP listener (80)", "HTTP listener (80)", "loadbalancer"},
	{"certificate", "Requesting the certificate", "Certificate", "https"},
	{"certificate-issued", "Waiting for the certificate's DNS validation", "Certificate issued", "https"},
	{"service", "Creating or updating the ECS service", "ECS service", "service"},
	{"service-stable", "Tasks are starting and passing health checks", "Service is stable", "service"},
	{"task-addresses", "Reading the tasks' IP addresses", "Task IP addresses", "service"},
	{"https-listener", "Creating the HTTPS listener (443)", "HTTPS listener (443)", "https"},
	{"http-redirect", "Redirecting HTTP to HTTPS", "HTTP redirects to HTTPS", "https"},
}

func stepIndex(name string) int {
	if i := slices.IndexFunc(stepInfos, func(s stepInfo) bool { return s.name == name }); i >= 0 {
		return i
	}
	return len(stepInfos)
}

// StepTitle words a step for people: what it is doing while it runs, what
// it is once done.
func StepTitle(name, status string) string {
	i := stepIndex(name)
	if i == len(stepInfos) {
		return name
	}
	if status == "running" {
		return stepInfos[i].running
	}
	return stepInfos[i].done
}

// StepOrder compares two step names by their place in the engine's graph.
func StepOrder(a, b string) int { return stepIndex(a) - stepIndex(b) }

// WizardStep is the wizard step that fixes a failure in engine step name:
// taskdef, cluster, service, loadbalancer, https, or review.
func WizardStep(name string) string {
	if i := stepIndex(name); i < len(stepInfos) {
		return stepInfos[i].wizard
	}
	return "review"
}
