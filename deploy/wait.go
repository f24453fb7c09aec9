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

	"github.com/ecsconsole/ecsconsole/store"
)

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	return sleepUnless(ctx, d, nil)
}

// sleepUnless waits d, or until wake is closed (nil: never), or ctx ends.
func sleepUnless(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-wake:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	return nil
}

// poll calls check until it reports done or fails, sleeping between calls
// with a doubling interval (PollInterval up to MaxPollInterval) and
// recording each new progress report on the step. Past timeout it fails
// with the last progress, which ends the deployment as interrupted.
func (r *run) poll(ctx context.Context, step string, timeout time.Duration, check func(context.Context) (done bool, progress string, err error)) error {
	deadline := time.Now().Add(timeout)
	interval := r.e.opts.PollInterval
	recorded := ""
	for {
		done, progress, err := check(ctx)
		if done || err != nil {
			return err
		}
		if progress != recorded {
			if err := r.e.store.SetStepProgress(ctx, r.d.ID, step, progress); err != nil {
				return err
			}
			recorded = progress
		}
		left := time.Until(deadline)
		if left <= 0 {
			return &failure{status: store.StatusInterrupted, code: "Timeout",
				message: fmt.Sprintf("not done after %s: %s", timeout, progress)}
		}
		if err := sleep(ctx, min(interval, left)); err != nil {
			return err
		}
		interval = min(2*interval, r.e.opts.MaxPollInterval)
	}
}

// waitLoadBalancerActive waits until the new load balancer leaves
// provisioning.
func (r *run) waitLoadBalancerActive(ctx context.Context, rec *stepRecord) (struct{}, error) {
	rec.action, rec.arn = store.ActionWait, r.loadBalancer.ARN
	name := r.spec.LoadBalancer.Name
	err := r.poll(ctx, stepLoadBalancerActive, r.e.opts.LoadBalancerTimeout, func(ctx context.Context) (bool, string, error) {
		out, err := r.aws.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{r.loadBalancer.ARN}})
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
	return struct{}{}, err
}

// stableResult is the service-stable step's recorded result.
type stableResult struct {
	RunningCount int32 `json:"runningCount"`
}

// waitServiceStable waits until the service has one deployment, of this
// revision, COMPLETED, with running == desired and, behind a load balancer,
// every target healthy. A deployment of this revision that ECS's circuit
// breaker marks FAILED ends the deployment rolled_back_by_ecs (failed when
// the breaker does not roll back).
func (r *run) waitServiceStable(ctx context.Context, rec *stepRecord) (stableResult, error) {
	rec.action, rec.arn = store.ActionWait, r.service.ARN
	var res stableResult
	err := r.poll(ctx, stepServiceStable, r.e.opts.StableTimeout, func(ctx context.Context) (bool, string, error) {
		svc, err := lookup{r.aws}.service(ctx, r.spec.Cluster.Name, r.spec.Service.Name)
		if err != nil {
			return false, "", err
		}
		if svc == nil {
			return false, "", fail("ServiceNotFound", "service %s disappeared during the deployment", r.spec.Service.Name)
		}
		if err := r.rolloutFailure(svc); err != nil {
			return false, "", err
		}
		res.RunningCount = svc.RunningCount
		progress := fmt.Sprintf("%d of %d tasks running, %d deployments", svc.RunningCount, svc.DesiredCount, len(svc.Deployments))
		if len(svc.Deployments) != 1 || svc.RunningCount != svc.DesiredCount {
			return false, progress, nil
		}
		d := svc.Deployments[0]
		if aws.ToString(d.TaskDefinition) != r.taskDef.ARN || d.RolloutState != ecstypes.DeploymentRolloutStateCompleted {
			return false, progress + ", rollout " + string(d.RolloutState), nil
		}
		return r.targetsHealthy(ctx, svc.DesiredCount)
	})
	return res, err
}

// rolloutFailure reports this revision's deployment marked FAILED by the
// circuit breaker, or gone from the service altogether: ECS rolled back and
// already retired it, or someone else deployed over it.
func (r *run) rolloutFailure(svc *ecstypes.Service) error {
	status := store.StatusFailed
	if cb := r.spec.Service.CircuitBreaker; cb != nil && cb.Rollback {
		status = store.StatusRolledBackByECS
	}
	ours := false
	for _, d := range svc.Deployments {
		if !r.isOurDeployment(d) {
			continue
		}
		ours = true
		if d.RolloutState == ecstypes.DeploymentRolloutStateFailed {
			return &failure{status: status, code: "DeploymentFailed", message: aws.ToString(d.RolloutStateReason)}
		}
	}
	if !ours {
		// ECS may retire a failed deployment before a poll sees it FAILED;
		// its event says whether the circuit breaker did it. Only events
		// since this deployment began, naming its ECS deployment when known,
		// count: an older failure is not this one's.
		for _, ev := range svc.Events {
			msg := aws.ToString(ev.Message)
			if !strings.Contains(msg, "deployment failed") || aws.ToTime(ev.CreatedAt).Before(r.service.Since) {
				continue
			}
			if id := r.service.ECSDeploymentID; id != "" && !strings.Contains(msg, id) {
				continue
			}
			return &failure{status: status, code: "DeploymentFailed", message: msg}
		}
		return &failure{status: status, code: "DeploymentReplaced",
			message: fmt.Sprintf("the service now runs %s instead of this deployment's revision", aws.ToString(svc.TaskDefinition))}
	}
	return nil
}

// isOurDeployment reports whether an ECS deployment is the one rolling out
// this deployment's revision: by its id when recorded, else by revision.
func (r *run) isOurDeployment(d ecstypes.Deployment) bool {
	if id := r.service.ECSDeploymentID; id != "" {
		return aws.ToString(d.Id) == id
	}
	return aws.ToString(d.TaskDefinition) == r.taskDef.ARN
}

// targetsHealthy reports whether the target group has at least want
// healthy targets and none still starting or unhealthy (draining ones
// are leaving). Without a load balancer there is nothing to check.
func (r *run) targetsHealthy(ctx context.Context, want int32) (bool, string, error) {
	if r.spec.LoadBalancer == nil {
		return true, "", nil
	}
	out, err := r.aws.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(r.targetGroup.ARN)})
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

// collectTaskAddresses reads the running tasks' private and public IPs.
func (r *run) collectTaskAddresses(ctx context.Context, rec *stepRecord) ([]store.TaskAddress, error) {
	rec.arn = r.service.ARN
	list, err := r.aws.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(r.spec.Cluster.Name),
		ServiceName: aws.String(r.spec.Service.Name), DesiredStatus: ecstypes.DesiredStatusRunning})
	if err != nil || len(list.TaskArns) == 0 {
		return nil, err
	}
	tasks, err := r.aws.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(r.spec.Cluster.Name), Tasks: list.TaskArns})
	if err != nil {
		return nil, err
	}
	var addrs []store.TaskAddress
	eniTask := map[string]int{}
	for _, t := range tasks.Tasks {
		a := store.TaskAddress{TaskARN: aws.ToString(t.TaskArn), Images: containerImages(t)}
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
	if !r.spec.Service.AssignPublicIP || len(eniTask) == 0 {
		return addrs, nil
	}
	ids := make([]string, 0, len(eniTask))
	for id := range eniTask {
		ids = append(ids, id)
	}
	enis, err := r.aws.EC2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: ids})
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
