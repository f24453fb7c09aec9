package deploy

import (
	"context"
	"encoding/json"
	"time"

	"github.com/ecsconsole/ecsconsole"
)

// Step names, as stored in deployment_steps.
const (
	stepLoadBalancerSG     = "load-balancer-security-group"
	stepTaskSG             = "task-security-group"
	stepTaskDefinition     = "task-definition"
	stepCluster            = "cluster"
	stepTargetGroup        = "target-group"
	stepLoadBalancer       = "load-balancer"
	stepLoadBalancerActive = "load-balancer-active"
	stepHTTPListener       = "http-listener"
	stepCertificate        = "certificate"
	stepCertificateIssued  = "certificate-issued"
	stepService            = "service"
	stepServiceStable      = "service-stable"
	stepTaskAddresses      = "task-addresses"
	stepHTTPSListener      = "https-listener"
	stepHTTPRedirect       = "http-redirect"
)

// stepDef declares one step of a deployment, in the one place plan and
// apply both read: plan runs decide on every step that names a resource
// and lists its decisions; apply runs decide, then apply with that
// decision. So they cannot disagree. Adding a step is adding an entry to
// stepDefs (and its functions).
type stepDef struct {
	name  string // as stored in deployment_steps
	title string // as a person reads it
	// resource is what the plan calls the thing the step decides about
	// ("target group"); "" for waits and reads, which the plan leaves out.
	resource string
	// field is the spec's field naming that resource, for refusals.
	field string
	// when says whether the spec needs the step (nil: always).
	when func(*ecsconsole.Spec) bool
	// deps are the steps it waits for. Those the spec does not need are
	// dropped. A step reads the results of its dependencies and of theirs,
	// and of nothing else (stepCtx.dep enforces it).
	deps []string
	// parkOn names a step whose completion ends this wait by parking the
	// deployment (errWaitingForDNS) rather than holding a worker.
	parkOn string
	// decide reads the live state and decides what to do, calling no
	// mutating API.
	decide func(ctx context.Context, s *stepCtx) (decision, error)
	// apply carries out a decision other than refuse and returns what the
	// step found or made.
	apply func(ctx context.Context, s *stepCtx, d decision) (result, error)
	// output adds the step's result to the deployment's outputs.
	output func(o *ecsconsole.Outputs, res result)
}

// decision is a step's verdict on the live state.
type decision struct {
	// Action is ecsconsole.ActionCreate, ActionReuse, ActionUpdate, ActionRefuse
	// or ActionWait ("" for a step that only reads).
	Action string
	// Name is the resource as the plan names it.
	Name string
	// Reason says why, in a sentence for a person.
	Reason string
	// Code is the error code a refusal ends the deployment with.
	Code string
	// Found is the existing resource (reuse, update, or what an earlier
	// attempt of this deployment made); zero when it is to be created.
	Found result
	// resumed marks a resource an earlier attempt of this deployment made:
	// it is recorded as created by this deployment, not reused.
	resumed bool
	// alsoUpdate says a resumed resource still needs the step's update.
	alsoUpdate bool
	// live is what decide read that apply needs (a listener, missing rules).
	live any
}

// result is what a step found or made, recorded with the step (its
// Detail) so that a resumed apply continues from it. Each step fills the
// members it has.
type result struct {
	ARN             string                   `json:"arn,omitempty"`
	ID              string                   `json:"id,omitempty"` // security groups
	DNSName         string                   `json:"dnsName,omitempty"`
	Domain          string                   `json:"domain,omitempty"`
	Status          string                   `json:"status,omitempty"`
	Revision        int32                    `json:"revision,omitempty"`
	TaskDefinition  string                   `json:"taskDefinition,omitempty"`
	ECSDeploymentID string                   `json:"ecsDeploymentId,omitempty"`
	Since           time.Time                `json:"since,omitzero"`
	RunningCount    int32                    `json:"runningCount,omitempty"`
	Tasks           []ecsconsole.TaskAddress `json:"tasks,omitempty"`
}

// resource is the ARN, or the ID of a resource that has no ARN.
func (r result) resource() string {
	if r.ARN != "" {
		return r.ARN
	}
	return r.ID
}

// readResult reads a recorded step result. Task addresses were once
// recorded as a bare list.
func readResult(detail json.RawMessage) (result, error) {
	var res result
	if len(detail) > 0 && detail[0] == '[' {
		return res, json.Unmarshal(detail, &res.Tasks)
	}
	if len(detail) == 0 {
		return res, nil
	}
	return res, json.Unmarshal(detail, &res)
}

func hasLoadBalancer(s *ecsconsole.Spec) bool { return s.LoadBalancer != nil }
func hasHTTPS(s *ecsconsole.Spec) bool        { return s.LoadBalancer != nil && s.LoadBalancer.HTTPS != nil }
func hasTaskSG(s *ecsconsole.Spec) bool       { return s.Service.NewSecurityGroup != nil }
func redirectsHTTP(s *ecsconsole.Spec) bool   { return hasHTTPS(s) && s.LoadBalancer.HTTPS.RedirectHTTP }

// stepDefs is every step, dependencies first: the graph of docs/design.md §5.
func stepDefs() []stepDef {
	return []stepDef{
		{name: stepLoadBalancerSG, title: "Load balancer security group", resource: "security group", field: "loadBalancer.name", when: hasLoadBalancer,
			decide: decideLoadBalancerSG, apply: applySecurityGroup, output: outputARN("loadBalancerSecurityGroup")},
		{name: stepTaskSG, title: "Task security group", resource: "security group", field: "service.newSecurityGroup.name", when: hasTaskSG,
			deps: []string{stepLoadBalancerSG}, decide: decideTaskSG, apply: applySecurityGroup, output: outputARN("taskSecurityGroup")},
		{name: stepTaskDefinition, title: "Task definition revision", resource: "task definition", field: "taskDefinition.family",
			decide: decideTaskDefinition, apply: applyTaskDefinition, output: outputARN("taskDefinition")},
		{name: stepCluster, title: "Cluster", resource: "cluster", field: "cluster.name",
			decide: decideCluster, apply: applyCluster, output: outputARN("cluster")},
		{name: stepTargetGroup, title: "Target group", resource: "target group", field: "loadBalancer.targetGroup.name", when: hasLoadBalancer,
			decide: decideTargetGroup, apply: applyTargetGroup, output: outputARN("targetGroup")},
		{name: stepLoadBalancer, title: "Load balancer", resource: "load balancer", field: "loadBalancer.name", when: hasLoadBalancer,
			deps: []string{stepLoadBalancerSG}, decide: decideLoadBalancer, apply: applyLoadBalancer, output: outputLoadBalancer},
		{name: stepLoadBalancerActive, title: "Load balancer active", when: hasLoadBalancer,
			deps: []string{stepLoadBalancer}, decide: decideWait, apply: waitLoadBalancerActive},
		{name: stepHTTPListener, title: "HTTP listener (port 80)", resource: "listener", field: "loadBalancer.name", when: hasLoadBalancer,
			deps: []string{stepLoadBalancerActive, stepTargetGroup}, decide: decideHTTPListener, apply: applyHTTPListener, output: outputARN("httpListener")},
		{name: stepCertificate, title: "Certificate", resource: "certificate", field: "loadBalancer.https.requestDomain", when: hasHTTPS,
			decide: decideCertificate, apply: applyCertificate, output: outputARN("certificate")},
		{name: stepCertificateIssued, title: "Certificate issued (DNS validation)", when: hasHTTPS,
			deps: []string{stepCertificate}, parkOn: stepServiceStable, decide: decideWait, apply: waitCertificateIssued},
		{name: stepService, title: "Service", resource: "service", field: "service.name",
			deps: []string{stepTaskDefinition, stepCluster, stepTaskSG, stepHTTPListener}, decide: decideService, apply: applyService, output: outputARN("service")},
		{name: stepServiceStable, title: "Service stable", deps: []string{stepService}, decide: decideWait, apply: waitServiceStable},
		{name: stepTaskAddresses, title: "Task addresses", deps: []string{stepServiceStable}, decide: decideRead, apply: collectTaskAddresses,
			output: func(o *ecsconsole.Outputs, res result) { o.Tasks = res.Tasks }},
		{name: stepHTTPSListener, title: "HTTPS listener (port 443)", resource: "listener", field: "loadBalancer.name", when: hasHTTPS,
			deps: []string{stepCertificateIssued, stepHTTPListener}, decide: decideHTTPSListener, apply: applyHTTPSListener, output: outputARN("httpsListener")},
		{name: stepHTTPRedirect, title: "Redirect HTTP to HTTPS", resource: "listener", field: "loadBalancer.https.redirectHttp", when: redirectsHTTP,
			deps: []string{stepHTTPSListener, stepServiceStable}, decide: decideRedirect, apply: applyRedirect},
	}
}

// StepTitle is the name of a stored step as a person reads it, e.g.
// "Target group" for "target-group"; an unknown name is returned as is.
func StepTitle(name string) string {
	for _, d := range stepDefs() {
		if d.name == name {
			return d.title
		}
	}
	return name
}

// stepField is the spec field of the named step's resource.
func stepField(name string) string {
	for _, d := range stepDefs() {
		if d.name == name && d.field != "" {
			return d.field
		}
	}
	return "spec"
}

// StepOrder lists every step name in the order of the dependency graph
// (dependencies first), for showing a deployment's steps in order.
func StepOrder() []string {
	defs := stepDefs()
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.name
	}
	return names
}

// graphNode is a step the spec needs, with the dependencies it has in this
// spec's graph and every step it may read (its dependencies' closure).
type graphNode struct {
	def   stepDef
	name  string
	deps  []string
	reads map[string]bool
}

// stepGraph is the graph for spec: the steps it needs, dependencies first,
// each with its dependencies among them.
func stepGraph(spec *ecsconsole.Spec) []graphNode {
	var nodes []graphNode
	index := map[string]int{}
	for _, d := range stepDefs() {
		if d.when != nil && !d.when(spec) {
			continue
		}
		n := graphNode{def: d, name: d.name, reads: map[string]bool{}}
		for _, dep := range d.deps {
			i, ok := index[dep]
			if !ok {
				continue
			}
			n.deps = append(n.deps, dep)
			n.reads[dep] = true
			for r := range nodes[i].reads {
				n.reads[r] = true
			}
		}
		index[d.name] = len(nodes)
		nodes = append(nodes, n)
	}
	return nodes
}

// outputARN records a step's resource under role in the outputs' ARNs.
func outputARN(role string) func(o *ecsconsole.Outputs, res result) {
	return func(o *ecsconsole.Outputs, res result) {
		if id := res.resource(); id != "" {
			o.ARNs[role] = id
		}
	}
}

func outputLoadBalancer(o *ecsconsole.Outputs, res result) {
	outputARN("loadBalancer")(o, res)
	if res.DNSName != "" {
		o.LoadBalancerDNS = res.DNSName
		o.URL = "http://" + res.DNSName
	}
}

// decideWait is the decision of every wait: there is nothing to choose.
func decideWait(context.Context, *stepCtx) (decision, error) {
	return decision{Action: ecsconsole.ActionWait}, nil
}

// decideRead is the decision of a step that only reads.
func decideRead(context.Context, *stepCtx) (decision, error) { return decision{}, nil }

// updates reports whether applying d changes an existing resource: an
// update, or a resumed resource an earlier attempt left unfinished.
func (d decision) updates() bool {
	return d.Action == ecsconsole.ActionUpdate || d.resumed && d.alsoUpdate
}

// creates reports whether applying d makes a new resource (not one an
// earlier attempt made).
func (d decision) creates() bool { return d.Action == ecsconsole.ActionCreate && !d.resumed }
