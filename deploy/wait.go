package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecsconsole/ecsconsole"
)

// wait bounds one poll: its step (for progress and its durable state; ""
// records none), its deadline (or its timeout, counted from when the
// step's wait first began) and what happens at it, and the channel that
// parks it.
type wait struct {
	step     string
	deadline time.Time
	// timeout, when set, replaces deadline: the wait ends timeout after it
	// first began, whatever slices ended and consoles died since.
	timeout time.Duration
	// timedOut is the error past the deadline, given the last progress.
	timedOut func(progress string) error
	// park, once closed, ends the wait with errWaitingForDNS.
	park <-chan struct{}
}

// poll is the one way the engine waits: it calls check until it reports
// done or fails, sleeping between calls with a doubling interval
// (PollInterval up to MaxPollInterval), recording each new progress report
// on the step, and ending at the deadline with w.timedOut. A sibling's
// failure ends it with errStopped, the worker stopping with ctx's error.
//
// A step's wait is durable: when it began and the interval it has grown to
// are stored on the step (store.BeginWait), so that a wait continued in
// the next work slice, or resumed after a crash, keeps its limit and its
// backoff instead of starting both again.
func (s *stepCtx) poll(ctx context.Context, w wait, check func(context.Context) (done bool, progress string, err error)) error {
	interval := s.e.opts.PollInterval
	if w.step != "" {
		stored, err := s.e.store.BeginWait(ctx, s.d.ID, w.step)
		if err != nil {
			return err
		}
		if w.timeout > 0 {
			w.deadline = stored.StartedAt.Add(w.timeout)
		}
		if stored.PollInterval > 0 {
			interval = min(stored.PollInterval, s.e.opts.MaxPollInterval)
		}
	} else if w.timeout > 0 {
		w.deadline = time.Now().Add(w.timeout)
	}
	recorded := ""
	for {
		done, progress, err := check(ctx)
		if done || err != nil {
			return err
		}
		if progress != recorded && w.step != "" {
			if err := s.e.store.SetStepProgress(ctx, s.d.ID, w.step, progress); err != nil {
				return err
			}
			recorded = progress
		}
		left := time.Until(w.deadline)
		if left <= 0 {
			return w.timedOut(progress)
		}
		select {
		case <-s.stop:
			return errStopped
		default:
		}
		select {
		case <-w.park:
			return errWaitingForDNS
		default:
		}
		if err := yieldBefore(ctx, min(interval, left)); err != nil {
			return err // the attempt's slice ends first: the next continues (slice.go)
		}
		t := time.NewTimer(min(interval, left))
		select {
		case <-t.C:
		case <-w.park: // checked once more, then parked
		case <-s.stop:
			t.Stop()
			return errStopped
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		}
		t.Stop()
		if next := min(2*interval, s.e.opts.MaxPollInterval); next != interval {
			interval = next
			if w.step != "" {
				if err := s.e.store.SetPollInterval(ctx, s.d.ID, w.step, interval); err != nil {
					return err
				}
			}
		}
	}
}

// interrupted is the timeout of a wait that ends the deployment as
// interrupted, with the wait's last progress.
func interrupted(timeout time.Duration) func(string) error {
	return func(progress string) error {
		return &failure{status: ecsconsole.StatusInterrupted, code: "Timeout", message: fmt.Sprintf("not done after %s: %s", timeout, progress)}
	}
}

// waitLoadBalancerActive waits until the new load balancer leaves
// provisioning.
func waitLoadBalancerActive(ctx context.Context, s *stepCtx, _ decision) (result, error) {
	lb := s.dep(stepLoadBalancer)
	name := s.spec.LoadBalancer.Name
	timeout := s.e.opts.LoadBalancerTimeout
	err := s.poll(ctx, wait{step: stepLoadBalancerActive, timeout: timeout, timedOut: interrupted(timeout)}, func(ctx context.Context) (bool, string, error) {
		out, err := s.aws.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb.ARN}})
		if err != nil {
			return false, "", err
		}
		if len(out.LoadBalancers) == 0 || out.LoadBalancers[0].State == nil {
			return false, "", fail("LoadBalancerNotFound", "load balancer %s disappeared while provisioning", name)
		}
		st := out.LoadBalancers[0].State
		switch st.Code {
		case elbtypes.LoadBalancerStateEnumActive:
			return true, "", nil
		case elbtypes.LoadBalancerStateEnumFailed:
			return false, "", fail("LoadBalancerFailed", "load balancer %s failed to provision: %s", name, aws.ToString(st.Reason))
		}
		return false, fmt.Sprintf("load balancer %s is %s", name, st.Code), nil
	})
	return result{ARN: lb.ARN}, err
}

// waitServiceStable waits until this deployment's own ECS deployment (the
// one rolling out its revision) is the service's only one, COMPLETED, with
// running == desired and, behind a load balancer, every target healthy.
// The rollout's end is judged by rollout.
func waitServiceStable(ctx context.Context, s *stepCtx, _ decision) (result, error) {
	svcRes := s.dep(stepService)
	res := result{ARN: svcRes.ARN}
	timeout := s.e.opts.StableTimeout
	ours := rolloutOf{id: svcRes.ECSDeploymentID, taskDefinition: s.dep(stepTaskDefinition).ARN, since: svcRes.Since,
		rollback: s.spec.Service.CircuitBreaker != nil && s.spec.Service.CircuitBreaker.Rollback}
	err := s.poll(ctx, wait{step: stepServiceStable, timeout: timeout, timedOut: interrupted(timeout)}, func(ctx context.Context) (bool, string, error) {
		svc, err := s.l().service(ctx, s.spec.Cluster.Name, s.spec.Service.Name)
		if err != nil {
			return false, "", err
		}
		if svc == nil {
			return false, "", fail("ServiceNotFound", "service %s disappeared during the deployment", s.spec.Service.Name)
		}
		d, err := ours.judge(svc)
		if err != nil {
			return false, "", err
		}
		res.RunningCount = svc.RunningCount
		progress := fmt.Sprintf("%d of %d tasks running, %d deployments", svc.RunningCount, svc.DesiredCount, len(svc.Deployments))
		if len(svc.Deployments) != 1 || svc.RunningCount != svc.DesiredCount {
			return false, progress, nil
		}
		if d.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
			return false, progress + ", rollout " + string(d.RolloutState), nil
		}
		return s.targetsHealthy(ctx, svc.DesiredCount)
	})
	return res, err
}

// rolloutOf identifies this deployment's ECS deployment: by id when
// recorded, else the PRIMARY one running its revision; since is when it
// was asked for, and rollback whether the circuit breaker rolls back.
type rolloutOf struct {
	id, taskDefinition string
	since              time.Time
	rollback           bool
}

// judge finds this deployment's ECS deployment in svc and says how its
// rollout stands. It is an error when the rollout ended otherwise than
// well:
//   - ECS marked it FAILED (circuit breaker) and rolled back — the "rolling
//     back" event, or another PRIMARY deployment, shows it: rolled_back_by_ecs;
//     FAILED without rolling back: failed;
//   - it is gone, and an event since it began says it failed: the same;
//   - another revision's deployment replaced it: superseded, naming it.
//
// A new PRIMARY deployment of the same revision (someone forced a new
// deployment) is followed instead.
func (o *rolloutOf) judge(svc *ecstypes.Service) (ecstypes.Deployment, error) {
	var mine, primary *ecstypes.Deployment
	for i, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			primary = &svc.Deployments[i]
		}
		if o.id != "" && aws.ToString(d.Id) == o.id || o.id == "" && aws.ToString(d.Status) == "PRIMARY" && aws.ToString(d.TaskDefinition) == o.taskDefinition {
			mine = &svc.Deployments[i]
		}
	}
	if mine != nil && mine.RolloutState == ecstypes.DeploymentRolloutStateFailed {
		return ecstypes.Deployment{}, o.failed(svc, aws.ToString(mine.RolloutStateReason), primary != nil && primary != mine)
	}
	if mine == nil {
		if ev, ok := o.failureEvent(svc); ok {
			return ecstypes.Deployment{}, o.failed(svc, ev, false)
		}
	}
	if mine == nil || mine != primary {
		if primary != nil && aws.ToString(primary.TaskDefinition) == o.taskDefinition {
			o.id = aws.ToString(primary.Id) // the same revision, deployed again: follow it
			return *primary, nil
		}
		by := "no deployment"
		if primary != nil {
			by = fmt.Sprintf("ECS deployment %s of revision %s", aws.ToString(primary.Id), revisionOf(aws.ToString(primary.TaskDefinition)))
		}
		return ecstypes.Deployment{}, &failure{status: ecsconsole.StatusSuperseded, code: "DeploymentSuperseded", message: fmt.Sprintf(
			"the service was updated by someone else before this deployment's revision %s was stable: it now runs %s", revisionOf(o.taskDefinition), by)}
	}
	return *mine, nil
}

// failed is the outcome of this deployment's failed rollout: rolled back
// by ECS when the circuit breaker rolls back and ECS did (another PRIMARY
// deployment, or its "rolling back" event), else failed.
func (o *rolloutOf) failed(svc *ecstypes.Service, reason string, replaced bool) error {
	if o.rollback && (replaced || o.event(svc, "rolling back") != "") {
		return &failure{status: ecsconsole.StatusRolledBackByECS, code: "DeploymentFailed", message: reason + "; ECS rolled the service back to revision " +
			revisionOf(aws.ToString(svc.TaskDefinition))}
	}
	return &failure{status: ecsconsole.StatusFailed, code: "DeploymentFailed", message: reason}
}

// failureEvent finds the event saying this deployment's rollout failed:
// since it began, naming its ECS deployment when known.
func (o *rolloutOf) failureEvent(svc *ecstypes.Service) (string, bool) {
	msg := o.event(svc, "deployment failed")
	if msg == "" || o.id != "" && !strings.Contains(msg, o.id) {
		return "", false
	}
	return msg, true
}

// event is the newest service event since the rollout began containing
// text, or "".
func (o *rolloutOf) event(svc *ecstypes.Service, text string) string {
	for _, ev := range svc.Events {
		if msg := aws.ToString(ev.Message); strings.Contains(msg, text) && !aws.ToTime(ev.CreatedAt).Before(o.since) {
			return msg
		}
	}
	return ""
}

// targetsHealthy reports whether the target group has at least want
// healthy targets and none still starting or unhealthy (draining ones
// are leaving). Without a load balancer there is nothing to check.
func (s *stepCtx) targetsHealthy(ctx context.Context, want int32) (bool, string, error) {
	if s.spec.LoadBalancer == nil {
		return true, "", nil
	}
	out, err := s.aws.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(s.dep(stepTargetGroup).ARN)})
	if err != nil {
		return false, "", err
	}
	var healthy, other int32
	for _, t := range out.TargetHealthDescriptions {
		switch {
		case t.TargetHealth == nil:
			other++
		case t.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy:
			healthy++
		case t.TargetHealth.State != elbtypes.TargetHealthStateEnumDraining:
			other++
		}
	}
	progress := fmt.Sprintf("%d of %d targets healthy, %d not yet", healthy, want, other)
	return healthy >= want && other == 0, progress, nil
}

// collectTaskAddresses reads the running tasks' private and public IPs and
// image digests. It runs after the service is stable, so what it cannot
// read never changes the outcome: the step succeeds and says what it could
// not read (only the worker stopping leaves it to be resumed).
func collectTaskAddresses(ctx context.Context, s *stepCtx, _ decision) (result, error) {
	res := result{ARN: s.dep(stepService).ARN}
	tasks, err := s.taskAddresses(ctx)
	switch {
	case err == nil:
		res.Tasks = tasks
	case ctx.Err() != nil:
		return res, err
	default:
		s.e.opts.Logger.Warn("reading task addresses after the service was stable", "deployment_id", s.d.ID, "err", err)
		note := "The service is stable, but its tasks could not be read (" + unreadReason(err) +
			"): their addresses and image digests are not recorded"
		if err := s.e.store.SetStepProgress(ctx, s.d.ID, stepTaskAddresses, note); err != nil {
			return res, err
		}
	}
	return res, nil
}

// unreadReason says in a few words why a read failed: AWS's error code, or
// that AWS did not answer.
func unreadReason(err error) string {
	if code := apiErrorCode(err); code != "" {
		return "AWS answered " + code
	}
	return "AWS did not answer"
}

func (s *stepCtx) taskAddresses(ctx context.Context) ([]ecsconsole.TaskAddress, error) {
	list, err := s.aws.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(s.spec.Cluster.Name),
		ServiceName: aws.String(s.spec.Service.Name), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil || len(list.TaskArns) == 0 {
		return nil, err
	}
	tasks, err := s.aws.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(s.spec.Cluster.Name), Tasks: list.TaskArns})
	if err != nil {
		return nil, err
	}
	var addrs []ecsconsole.TaskAddress
	eniTask := map[string]int{}
	for _, t := range tasks.Tasks {
		a := ecsconsole.TaskAddress{TaskARN: aws.ToString(t.TaskArn), Images: containerImages(t)}
		for _, att := range t.Attachments {
			for _, kv := range att.Details {
				switch aws.ToString(kv.Name) {
				case "privateIPv4Address":
					a.PrivateIP = aws.ToString(kv.Value)
				case "networkInterfaceId":
					eniTask[aws.ToString(kv.Value)] = len(addrs)
				}
			}
		}
		addrs = append(addrs, a)
	}
	if !s.spec.Service.AssignPublicIP || len(eniTask) == 0 {
		return addrs, nil
	}
	ids := make([]string, 0, len(eniTask))
	for id := range eniTask {
		ids = append(ids, id)
	}
	enis, err := s.aws.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ids})
	if err != nil {
		return nil, err
	}
	for _, n := range enis.NetworkInterfaces {
		if n.Association != nil {
			addrs[eniTask[aws.ToString(n.NetworkInterfaceId)]].PublicIP = aws.ToString(n.Association.PublicIp)
		}
	}
	return addrs, nil
}
