package web

// stepWords is how the pages word an engine step while it runs (the
// engine's deploy.StepTitle names it once done), and which wizard step
// fixes it when it fails.
type stepWords struct {
	running, wizard string
}

var stepsInWords = map[string]stepWords{
	"load-balancer-security-group": {"Creating the load balancer's security group", "loadbalancer"},
	"task-security-group":          {"Creating the tasks' security group", "service"},
	"task-definition":              {"Registering the task definition", "taskdef"},
	"cluster":                      {"Finding or creating the cluster", "cluster"},
	"target-group":                 {"Creating the target group", "loadbalancer"},
	"load-balancer":                {"Creating the load balancer", "loadbalancer"},
	"load-balancer-active":         {"Load balancer is provisioning", "loadbalancer"},
	"http-listener":                {"Creating the HTTP listener (port 80)", "loadbalancer"},
	"certificate":                  {"Requesting the certificate", "https"},
	"certificate-issued":           {"Waiting for the certificate's DNS validation", "https"},
	"service":                      {"Creating or updating the ECS service", "service"},
	"service-stable":               {"Tasks are starting and passing health checks", "service"},
	"task-addresses":               {"Reading the tasks' IP addresses", "service"},
	"https-listener":               {"Creating the HTTPS listener (port 443)", "https"},
	"http-redirect":                {"Redirecting HTTP to HTTPS", "https"},
}

// RunningStepTitle says what a running step is doing ("Load balancer is
// provisioning"), or done (the engine's title) for a step it does not know.
func RunningStepTitle(name, done string) string {
	if w, ok := stepsInWords[name]; ok {
		return w.running
	}
	return done
}

// WizardStep is the wizard step that fixes a failure in engine step name:
// taskdef, cluster, service, loadbalancer, https, or review.
func WizardStep(name string) string {
	if w, ok := stepsInWords[name]; ok {
		return w.wizard
	}
	return "review"
}
