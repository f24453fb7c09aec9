package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go"

	"github.com/ecsconsole/ecsconsole"
)

// errWaitingForDNS parks a deployment whose certificate awaits DNS
// validation once everything else is done; its job is snoozed.
var errWaitingForDNS = errors.New("waiting for the certificate's DNS validation")

// errStopped ends a wait because a sibling step failed.
var errStopped = errors.New("stopped because another step failed")

// stepError ends a deployment: the failing step, the outcome it implies and
// AWS's error code and message (or the engine's own sentence).
type stepError struct {
	step    string
	status  ecsconsole.DeploymentStatus
	code    string
	message string
}

func (e *stepError) Error() string {
	return fmt.Sprintf("step %s: %s: %s", e.step, e.code, e.message)
}

// failure is an error a step returns for a problem that is not an AWS
// error, such as a name taken by an incompatible resource. It ends the
// deployment with status, code and message (a sentence for the user).
type failure struct {
	status        ecsconsole.DeploymentStatus
	code, message string
}

func (f *failure) Error() string { return f.code + ": " + f.message }

func fail(code, format string, args ...any) error {
	return &failure{status: ecsconsole.StatusFailed, code: code, message: fmt.Sprintf(format, args...)}
}

// run is one attempt at applying one deployment.
type run struct {
	e    *Engine
	d    ecsconsole.Deployment
	spec *ecsconsole.Spec
	aws  Clients
	// done holds the steps an earlier attempt finished, by name.
	done map[string]ecsconsole.DeploymentStep
	// running holds when the steps an earlier attempt left running started.
	running map[string]time.Time
	shared  *shared

	mu      sync.Mutex
	results map[string]result
	nodes   map[string]*node

	// stop is closed by the first step failure: steps not yet started are
	// skipped and waits end, while AWS calls already made finish and are
	// recorded. failed is that failure.
	stop     chan struct{}
	stopOnce sync.Once
	failed   error
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
		e.opts.Logger.Warn("stored spec no longer parses", "deployment_id", id, "err", err)
		return e.store.FinishDeployment(ctx, id, ecsconsole.DeploymentResult{Status: ecsconsole.StatusFailed,
			ErrorCode: "InvalidSpec", ErrorMessage: "the stored spec no longer passes the console's checks; deploy a corrected spec"})
	}
	clients, err := e.clients(ctx, spec.Region)
	if err != nil {
		return err
	}
	steps, err := e.store.Steps(ctx, id)
	if err != nil {
		return err
	}
	r := &run{e: e, d: d, spec: spec, aws: clients, done: map[string]ecsconsole.DeploymentStep{}, running: map[string]time.Time{},
		shared: newShared(), results: map[string]result{}, stop: make(chan struct{})}
	for _, st := range steps {
		if st.Status == ecsconsole.StepSucceeded {
			r.done[st.Name] = st
		}
		if st.Status == ecsconsole.StepRunning && st.StartedAt != nil {
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
		return r.e.store.FinishDeployment(ctx, id, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded})
	case errors.Is(err, errWaitingForDNS):
		if err := r.e.store.SetDeploymentOutputs(ctx, id, r.outputs(false)); err != nil {
			return err
		}
		if err := r.e.store.SetDeploymentStatus(ctx, id, ecsconsole.StatusWaitingForDNS); err != nil {
			return err
		}
		return errWaitingForDNS
	case errors.As(err, &se):
		r.e.opts.Logger.Info("deployment ended", "deployment_id", id, "status", se.status, "step", se.step, "code", se.code)
		if err := r.e.store.SetDeploymentOutputs(ctx, id, r.outputs(false)); err != nil {
			return err
		}
		return r.e.store.FinishDeployment(ctx, id, ecsconsole.DeploymentResult{Status: se.status,
			ErrorStep: se.step, ErrorCode: se.code, ErrorMessage: se.message})
	}
	return err
}

// interrupt ends a deployment whose job will not be retried again. The
// cause is logged; the deployment says so in words.
func (e *Engine) interrupt(ctx context.Context, id int64, cause error) {
	e.opts.Logger.Error("apply gave up after repeated interruptions", "deployment_id", id, "err", cause)
	err := e.store.FinishDeployment(ctx, id, ecsconsole.DeploymentResult{Status: ecsconsole.StatusInterrupted,
		ErrorCode: "Interrupted", ErrorMessage: "the console could not finish applying this deployment after repeated attempts; see its log"})
	if err != nil {
		e.opts.Logger.Error("recording interrupted deployment", "deployment_id", id, "err", err)
	}
}

// outputs gathers what the steps found or made. The URL is HTTPS once the
// 443 listener serves (final), else the load balancer's HTTP address.
func (r *run) outputs(final bool) ecsconsole.Outputs {
	o := ecsconsole.Outputs{ARNs: map[string]string{}}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range stepGraph(r.spec) {
		if res, ok := r.results[n.name]; ok && n.def.output != nil {
			n.def.output(&o, res)
		}
	}
	if domain := r.results[stepCertificateIssued].Domain; final && o.ARNs["httpsListener"] != "" && domain != "" && !strings.HasPrefix(domain, "*") {
		o.URL = "https://" + domain
	}
	return o
}

// fail records the first step failure and stops the rest.
func (r *run) fail(err error) {
	r.stopOnce.Do(func() {
		r.failed = err
		close(r.stop)
	})
}

// execute runs every step of the graph, each as soon as its dependencies
// are done, and returns the first failure (a *stepError), else an
// interruption, else errWaitingForDNS, else nil. A failure does not cancel
// AWS calls already made: they finish and are recorded.
func (r *run) execute(ctx context.Context) error {
	graph := stepGraph(r.spec)
	r.nodes = map[string]*node{}
	for _, gn := range graph {
		r.nodes[gn.name] = &node{done: make(chan struct{})}
	}
	var wg sync.WaitGroup
	for _, gn := range graph {
		n := r.nodes[gn.name]
		wg.Go(func() {
			defer close(n.done)
			n.err = r.runNode(ctx, &gn)
			if isStepFailure(n.err) {
				r.fail(n.err)
			}
		})
	}
	wg.Wait()
	if r.failed != nil {
		return r.failed
	}
	var interrupted, yielded, parked error
	for _, gn := range graph {
		switch err := r.nodes[gn.name].err; {
		case err == nil, errors.Is(err, errDependency):
		case errors.Is(err, errWaitingForDNS):
			parked = err
		case errors.Is(err, errYield):
			yielded = err
		default:
			interrupted = err
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if interrupted != nil {
		return interrupted
	}
	if yielded != nil {
		return yielded
	}
	return parked
}

// errDependency marks a step not run because a step it needs did not finish.
var errDependency = errors.New("a step it depends on did not finish")

// runNode waits for a step's dependencies, then runs it. A step whose
// dependency failed, or that would start after another step failed, is
// recorded as skipped; one held back by the certificate's DNS validation
// or a stopping worker is not recorded.
func (r *run) runNode(ctx context.Context, gn *graphNode) error {
	for _, dep := range gn.deps {
		dn := r.nodes[dep]
		select {
		case <-dn.done:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		if dn.err != nil {
			if r.stopped() {
				r.recordSkipped(ctx, gn.name, "not run: "+StepTitle(dep)+" did not finish")
			}
			return fmt.Errorf("%w: %w", errDependency, dn.err)
		}
	}
	if _, ok := r.done[gn.name]; !ok && r.stopped() {
		r.recordSkipped(ctx, gn.name, "not run: "+r.failedStep()+" failed")
		return errDependency
	}
	return r.runStep(ctx, gn)
}

func (r *run) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// failedStep is the title of the step whose failure stopped the run.
func (r *run) failedStep() string {
	var se *stepError
	if errors.As(r.failed, &se) {
		return StepTitle(se.step)
	}
	return "another step"
}

func isStepFailure(err error) bool {
	var se *stepError
	return errors.As(err, &se)
}

func (r *run) recordSkipped(ctx context.Context, name, why string) {
	err := r.e.store.FinishStep(context.WithoutCancel(ctx), r.d.ID, name, ecsconsole.StepResult{Status: ecsconsole.StepSkipped, ErrorMessage: why})
	if err != nil {
		r.e.opts.Logger.Error("recording skipped step", "deployment_id", r.d.ID, "step", name, "err", err)
	}
}

// stepCtx builds the context a step's functions get: the results of the
// steps it may read, as they stand now (all of them are done).
func (r *run) stepCtx(gn *graphNode) *stepCtx {
	r.mu.Lock()
	defer r.mu.Unlock()
	results := make(map[string]result, len(gn.reads))
	for name := range gn.reads {
		results[name] = r.results[name]
	}
	s := &stepCtx{e: r.e, spec: r.spec, d: r.d, aws: r.aws, node: gn, results: results, shared: r.shared, stop: r.stop}
	if p := gn.def.parkOn; p != "" {
		if pn, ok := r.nodes[p]; ok {
			s.park = pn.done
		}
	}
	return s
}

// runStep runs one step: decide, then apply the decision. A step an
// earlier attempt finished is not run again: its recorded result is used.
// Otherwise the step is written to deployment_steps before its AWS calls
// and after them, with the action, the resource, the AWS request id, calls,
// retries and error.
func (r *run) runStep(ctx context.Context, gn *graphNode) error {
	name := gn.name
	if prior, ok := r.done[name]; ok {
		res, err := readResult(prior.Detail)
		if err != nil {
			return fmt.Errorf("reading recorded result of step %s: %w", name, err)
		}
		r.setResult(name, res)
		return nil
	}
	ctx, err := r.startStep(ctx, name) // slice.go
	if err != nil {
		return err
	}
	calls := &callRecorder{}
	sc := r.stepCtx(gn)
	sctx := withRecorder(ctx, calls)
	dec, err := gn.def.decide(sctx, sc)
	var res result
	if err == nil {
		if dec.Action == ecsconsole.ActionRefuse {
			err = fail(dec.Code, "%s", dec.Reason)
		} else {
			res, err = gn.def.apply(sctx, sc, dec)
		}
	}
	if errors.Is(err, errWaitingForDNS) || errors.Is(err, errYield) || err != nil && ctx.Err() != nil {
		// Still running: continued when the job wakes (or, the worker
		// stopping, resumed later). The calls this slice made still count.
		n, retries, _ := calls.totals()
		if cerr := r.e.store.AddStepCalls(context.WithoutCancel(ctx), r.d.ID, name, n, retries); cerr != nil {
			r.e.opts.Logger.Error("counting a step's calls", "deployment_id", r.d.ID, "step", name, "err", cerr)
		}
		return err
	}
	out := ecsconsole.StepResult{Status: ecsconsole.StepSucceeded, Action: dec.Action, ResourceARN: res.resource()}
	if out.ResourceARN == "" {
		out.ResourceARN = dec.Found.resource()
	}
	out.Calls, out.Retries, out.AWSRequestID = calls.totals()
	var stepErr error
	switch {
	case errors.Is(err, errStopped):
		out.Status, out.ErrorMessage = ecsconsole.StepSkipped, "stopped: "+r.failedStep()+" failed"
		stepErr = errDependency
	case err != nil:
		stepErr = r.classify(name, err)
		out.Status = ecsconsole.StepFailed
		var se *stepError
		if errors.As(stepErr, &se) {
			out.ErrorCode, out.ErrorMessage = se.code, se.message
		} else {
			r.e.opts.Logger.Error("step interrupted", "deployment_id", r.d.ID, "step", name, "err", err)
			out.ErrorCode, out.ErrorMessage = "Interrupted", "the console could not finish this step and will try again; see its log"
			if isLastAttempt(ctx) {
				out.ErrorMessage = "the console could not finish this step and has no attempt left; see its log"
			}
		}
	default:
		r.setResult(name, res)
		if out.Detail, err = json.Marshal(res); err != nil {
			return fmt.Errorf("recording result of step %s: %w", name, err)
		}
	}
	if err := r.e.store.FinishStep(context.WithoutCancel(ctx), r.d.ID, name, out); err != nil {
		return err
	}
	return stepErr
}

func (r *run) setResult(name string, res result) {
	r.mu.Lock()
	r.results[name] = res
	r.mu.Unlock()
}

// classify turns a step's error into the deployment's outcome: AWS errors
// and the engine's own failures end it (*stepError); anything else (a lost
// connection, a database error) is returned as is, to be retried.
func (r *run) classify(name string, err error) error {
	var f *failure
	if errors.As(err, &f) {
		return &stepError{step: name, status: f.status, code: f.code, message: f.message}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &stepError{step: name, status: ecsconsole.StatusFailed, code: ae.ErrorCode(), message: ae.ErrorMessage()}
	}
	return err
}
