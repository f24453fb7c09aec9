package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/ecsconsole/ecsconsole/store"
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

// tagKey tags everything apply creates with the deployment that made it, so
// that a resumed apply finds what an earlier attempt created.
const tagKey = "ecsconsole:deployment"

// stepGraph is the dependency graph of DESIGN.md §5 for spec: each step
// with the steps it waits for, listed in an order where dependencies come
// first. Steps the spec does not need are absent.
func stepGraph(spec *Spec) []graphNode {
	lb, https := spec.LoadBalancer != nil, spec.LoadBalancer != nil && spec.LoadBalancer.HTTPS != nil
	var nodes []graphNode
	add := func(cond bool, name string, deps ...string) {
		if cond {
			nodes = append(nodes, graphNode{name: name, deps: deps})
		}
	}
	add(lb, stepLoadBalancerSG)
	add(spec.Service.NewSecurityGroup != nil, stepTaskSG, ifThen(lb, stepLoadBalancerSG)...)
	add(true, stepTaskDefinition)
	add(true, stepCluster)
	add(lb, stepTargetGroup)
	add(lb, stepLoadBalancer, stepLoadBalancerSG)
	add(lb, stepLoadBalancerActive, stepLoadBalancer)
	add(lb, stepHTTPListener, stepLoadBalancerActive, stepTargetGroup)
	add(https, stepCertificate)
	add(https, stepCertificateIssued, stepCertificate)
	serviceDeps := []string{stepTaskDefinition, stepCluster}
	serviceDeps = append(serviceDeps, ifThen(spec.Service.NewSecurityGroup != nil, stepTaskSG)...)
	serviceDeps = append(serviceDeps, ifThen(lb, stepHTTPListener)...)
	add(true, stepService, serviceDeps...)
	add(true, stepServiceStable, stepService)
	add(true, stepTaskAddresses, stepServiceStable)
	add(https, stepHTTPSListener, stepCertificateIssued, stepHTTPListener)
	add(https && spec.LoadBalancer.HTTPS.RedirectHTTP, stepHTTPRedirect, stepHTTPSListener, stepServiceStable)
	return nodes
}

type graphNode struct {
	name string
	deps []string
}

func ifThen(cond bool, name string) []string {
	if cond {
		return []string{name}
	}
	return nil
}

// errWaitingForDNS parks a deployment whose certificate awaits DNS
// validation once everything else is done; its job is snoozed.
var errWaitingForDNS = errors.New("waiting for the certificate's DNS validation")

// stepError ends a deployment: the failing step, the outcome it implies and
// AWS's error code and message (or the engine's own).
type stepError struct {
	step    string
	status  store.DeploymentStatus
	code    string
	message string
}

func (e *stepError) Error() string {
	return fmt.Sprintf("step %s: %s: %s", e.step, e.code, e.message)
}

// failure is an error a step returns for a problem that is not an AWS
// error, such as a name taken by an incompatible resource. It fails the
// deployment with code and message.
type failure struct {
	status        store.DeploymentStatus
	code, message string
}

func (f *failure) Error() string { return f.code + ": " + f.message }

func fail(code, format string, args ...any) error {
	return &failure{status: store.StatusFailed, code: code, message: fmt.Sprintf(format, args...)}
}

// run is one attempt at applying one deployment.
type run struct {
	e     *Engine
	d     store.Deployment
	spec  *Spec
	aws   Clients
	nodes map[string]*node
	// done holds the steps an earlier attempt finished, by name.
	done map[string]store.DeploymentStep
	// running holds when the steps an earlier attempt left running started.
	running map[string]time.Time

	vpcMu sync.Mutex
	vpc   string

	// Step results, each written by its step before the step's node is
	// done and read by the steps after it.
	lbSG, taskSG              securityGroupResult
	taskDef                   taskDefinitionResult
	cluster, targetGroup      resourceResult
	loadBalancer              loadBalancerResult
	lbActive                  struct{}
	httpListener              resourceResult
	certificate, certIssued   certificateResult
	service                   serviceResult
	stable                    stableResult
	tasks                     []store.TaskAddress
	httpsListener, redirected resourceResult
}

// stepFuncs binds every step name to its function and result.
func (r *run) stepFuncs() map[string]stepFunc {
	return map[string]stepFunc{
		stepLoadBalancerSG:     step(r, stepLoadBalancerSG, &r.lbSG, r.ensureLoadBalancerSG),
		stepTaskSG:             step(r, stepTaskSG, &r.taskSG, r.ensureTaskSG),
		stepTaskDefinition:     step(r, stepTaskDefinition, &r.taskDef, r.ensureTaskDefinition),
		stepCluster:            step(r, stepCluster, &r.cluster, r.ensureCluster),
		stepTargetGroup:        step(r, stepTargetGroup, &r.targetGroup, r.ensureTargetGroup),
		stepLoadBalancer:       step(r, stepLoadBalancer, &r.loadBalancer, r.ensureLoadBalancer),
		stepLoadBalancerActive: step(r, stepLoadBalancerActive, &r.lbActive, r.waitLoadBalancerActive),
		stepHTTPListener:       step(r, stepHTTPListener, &r.httpListener, r.ensureHTTPListener),
		stepCertificate:        step(r, stepCertificate, &r.certificate, r.ensureCertificate),
		stepCertificateIssued:  step(r, stepCertificateIssued, &r.certIssued, r.waitCertificateIssued),
		stepService:            step(r, stepService, &r.service, r.ensureService),
		stepServiceStable:      step(r, stepServiceStable, &r.stable, r.waitServiceStable),
		stepTaskAddresses:      step(r, stepTaskAddresses, &r.tasks, r.collectTaskAddresses),
		stepHTTPSListener:      step(r, stepHTTPSListener, &r.httpsListener, r.ensureHTTPSListener),
		stepHTTPRedirect:       step(r, stepHTTPRedirect, &r.redirected, r.ensureRedirect),
	}
}

// outputs gathers what the steps found or made. The URL is HTTPS once the
// 443 listener serves (final), else the load balancer's HTTP address.
func (r *run) outputs(final bool) store.Outputs {
	o := store.Outputs{LoadBalancerDNS: r.loadBalancer.DNSName, Tasks: r.tasks, ARNs: map[string]string{}}
	if o.LoadBalancerDNS != "" {
		o.URL = "http://" + o.LoadBalancerDNS
	}
	if final && r.httpsListener.ARN != "" && r.certIssued.Domain != "" && !strings.HasPrefix(r.certIssued.Domain, "*") {
		o.URL = "https://" + r.certIssued.Domain
	}
	for role, arn := range map[string]string{
		"cluster": r.cluster.ARN, "service": r.service.ARN, "taskDefinition": r.taskDef.ARN,
		"loadBalancer": r.loadBalancer.ARN, "targetGroup": r.targetGroup.ARN, "httpListener": r.httpListener.ARN,
		"httpsListener": r.httpsListener.ARN, "certificate": r.certificate.ARN,
		"loadBalancerSecurityGroup": r.lbSG.ID, "taskSecurityGroup": r.taskSG.ID,
	} {
		if arn != "" {
			o.ARNs[role] = arn
		}
	}
	return o
}

// node is a step's completion: closed done, then err.
type node struct {
	done chan struct{}
	err  error
}

// apply runs (or resumes) deployment id and records its outcome. It
// returns errWaitingForDNS when the deployment is parked, and other errors
// when the attempt was interrupted and should be retried.
func (e *Engine) apply(ctx context.Context, id int64) error {
	d, err := e.store.StartDeployment(ctx, id)
	if err != nil {
		return err
	}
	if d.Status.Finished() {
		return nil // a duplicate run of a job that already finished
	}
	spec, err := Parse(d.Spec)
	if err != nil {
		return e.store.FinishDeployment(ctx, id, store.DeploymentResult{Status: store.StatusFailed,
			ErrorCode: "InvalidSpec", ErrorMessage: err.Error()})
	}
	clients, err := e.clients(ctx, spec.Region)
	if err != nil {
		return err
	}
	steps, err := e.store.Steps(ctx, id)
	if err != nil {
		return err
	}
	r := &run{e: e, d: d, spec: spec, aws: clients, done: map[string]store.DeploymentStep{}, running: map[string]time.Time{}}
	for _, st := range steps {
		if st.Status == store.StepSucceeded {
			r.done[st.Name] = st
		}
		if st.Status == store.StepRunning && st.StartedAt != nil {
			r.running[st.Name] = *st.StartedAt
		}
	}
	e.opts.Logger.Info("applying deployment", "deployment_id", id, "service", d.ServiceKey, "resumed_steps", len(r.done))
	return r.finish(ctx, r.execute(ctx))
}

// finish records the outcome of an attempt. Errors other than a step's
// failure are returned for the job to be retried.
func (r *run) finish(ctx context.Context, err error) error {
	id := r.d.ID
	var se *stepError
	switch {
	case err == nil:
		if err := r.e.store.SetDeploymentOutputs(ctx, id, r.outputs(true)); err != nil {
			return err
		}
		return r.e.store.FinishDeployment(ctx, id, store.DeploymentResult{Status: store.StatusSucceeded})
	case errors.Is(err, errWaitingForDNS):
		if err := r.e.store.SetDeploymentOutputs(ctx, id, r.outputs(false)); err != nil {
			return err
		}
		if err := r.e.store.SetDeploymentStatus(ctx, id, store.StatusWaitingForDNS); err != nil {
			return err
		}
		return errWaitingForDNS
	case errors.As(err, &se):
		r.e.opts.Logger.Info("deployment ended", "deployment_id", id, "status", se.status, "step", se.step, "code", se.code)
		if err := r.e.store.SetDeploymentOutputs(ctx, id, r.outputs(false)); err != nil {
			return err
		}
		return r.e.store.FinishDeployment(ctx, id, store.DeploymentResult{Status: se.status,
			ErrorStep: se.step, ErrorCode: se.code, ErrorMessage: se.message})
	}
	return err
}

// interrupt ends a deployment whose job will not be retried again.
func (e *Engine) interrupt(ctx context.Context, id int64, cause error) {
	err := e.store.FinishDeployment(ctx, id, store.DeploymentResult{Status: store.StatusInterrupted,
		ErrorCode: "Interrupted", ErrorMessage: "apply gave up after repeated interruptions: " + cause.Error()})
	if err != nil {
		e.opts.Logger.Error("recording interrupted deployment", "deployment_id", id, "err", err)
	}
}

// execute runs every step of the graph, each as soon as its dependencies
// are done, and returns the first failure (a *stepError), else an
// interruption, else errWaitingForDNS, else nil.
func (r *run) execute(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	fns := r.stepFuncs()
	graph := stepGraph(r.spec)
	r.nodes = map[string]*node{}
	for _, gn := range graph {
		r.nodes[gn.name] = &node{done: make(chan struct{})}
	}
	var wg sync.WaitGroup
	for _, gn := range graph {
		n := r.nodes[gn.name]
		deps := make([]*node, len(gn.deps))
		for i, dep := range gn.deps {
			deps[i] = r.nodes[dep]
		}
		wg.Go(func() {
			defer close(n.done)
			n.err = r.runNode(ctx, gn, deps, fns[gn.name])
			if n.err != nil && !errors.Is(n.err, errWaitingForDNS) && !errors.Is(n.err, errYield) {
				cancel(n.err)
			}
		})
	}
	wg.Wait()
	// The first failure cancelled the rest, so the cause names it; a
	// cancelled parent (the worker stopping) is an interruption.
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	for _, n := range r.nodes {
		if errors.Is(n.err, errYield) {
			return errYield
		}
	}
	for _, n := range r.nodes {
		if errors.Is(n.err, errWaitingForDNS) {
			return n.err
		}
	}
	return nil
}

// errDependency marks a step not run because a step it needs did not finish.
var errDependency = errors.New("a step it depends on did not finish")

// runNode waits for a step's dependencies, then runs it. A step whose
// dependency failed is recorded as skipped; one held back by the
// certificate's DNS validation or a stopping worker is not recorded.
func (r *run) runNode(ctx context.Context, gn graphNode, deps []*node, fn stepFunc) error {
	for i, dep := range deps {
		var err error
		select {
		case <-dep.done:
			err = dep.err
		case <-ctx.Done():
			err = context.Cause(ctx)
		}
		if err == nil {
			continue
		}
		if isStepFailure(context.Cause(ctx)) {
			r.recordSkipped(ctx, gn.name, gn.deps[i])
		}
		return fmt.Errorf("%w: %w", errDependency, err)
	}
	return fn(ctx)
}

func isStepFailure(err error) bool {
	var se *stepError
	return errors.As(err, &se)
}

func (r *run) recordSkipped(ctx context.Context, name, dep string) {
	err := r.e.store.FinishStep(context.WithoutCancel(ctx), r.d.ID, name, store.StepResult{Status: store.StepSkipped,
		ErrorMessage: "not run: " + dep + " did not finish"})
	if err != nil {
		r.e.opts.Logger.Error("recording skipped step", "deployment_id", r.d.ID, "step", name, "err", err)
	}
}

// stepFunc runs one step; it is built by step around a typed function.
type stepFunc func(ctx context.Context) error

// stepRecord is what a step reports besides its result: what it did and
// to which resource.
type stepRecord struct {
	action string
	arn    string
}

// step runs fn as the named step and stores its result in *out. A step an
// earlier attempt finished is not run again: its recorded result is used.
// Otherwise the step is written to deployment_steps before fn and after it,
// with the AWS request id, calls, retries and error.
func step[T any](r *run, name string, out *T, fn func(ctx context.Context, rec *stepRecord) (T, error)) stepFunc {
	return func(ctx context.Context) error {
		if prior, ok := r.done[name]; ok {
			if err := json.Unmarshal(prior.Detail, out); err != nil {
				return fmt.Errorf("reading recorded result of step %s: %w", name, err)
			}
			return nil
		}
		ctx, err := r.startStep(ctx, name)
		if err != nil {
			return err
		}
		calls := &callRecorder{}
		var rec stepRecord
		v, err := fn(withRecorder(ctx, calls), &rec)
		if errors.Is(err, errWaitingForDNS) || errors.Is(err, errYield) {
			return err // still running: continued when the job wakes
		}
		if err != nil && ctx.Err() != nil && !isStepFailure(context.Cause(ctx)) {
			return err // the worker is stopping: left running, resumed later
		}
		res := store.StepResult{Status: store.StepSucceeded, Action: rec.action, ResourceARN: rec.arn}
		res.Calls, res.Retries, res.AWSRequestID = calls.totals()
		var stepErr error
		if err != nil {
			stepErr = classify(ctx, name, err)
			res.Status = store.StepFailed
			var se *stepError
			if errors.As(stepErr, &se) {
				res.ErrorCode, res.ErrorMessage = se.code, se.message
			} else {
				res.ErrorCode, res.ErrorMessage = "Interrupted", err.Error()
			}
		} else {
			*out = v
			if res.Detail, err = json.Marshal(v); err != nil {
				return fmt.Errorf("recording result of step %s: %w", name, err)
			}
		}
		if err := r.e.store.FinishStep(context.WithoutCancel(ctx), r.d.ID, name, res); err != nil {
			return err
		}
		return stepErr
	}
}

// classify turns a step's error into the deployment's outcome: AWS errors
// and the engine's own failures end it (*stepError); anything else (a lost
// connection, a stopping worker) is returned as is, to be retried.
func classify(ctx context.Context, name string, err error) error {
	var f *failure
	if errors.As(err, &f) {
		return &stepError{step: name, status: f.status, code: f.code, message: f.message}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &stepError{step: name, status: store.StatusFailed, code: ae.ErrorCode(), message: ae.ErrorMessage()}
	}
	if cause := context.Cause(ctx); isStepFailure(cause) {
		return &stepError{step: name, status: store.StatusFailed, code: "Cancelled", message: "stopped because " + cause.Error()}
	}
	return err
}

// tags are put on everything apply creates.
func (r *run) tagValue() string { return strconv.FormatInt(r.d.ID, 10) }
