package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The service scheduler. Every change to a service or one of its tasks
// schedules a reconcile pass on the event queue; a pass compares the service
// with its desired state and launches or stops tasks, retires drained
// deployments and reports rollout progress. Tasks walk their lifecycle
// through events too, so nothing here needs a goroutine or a timer.

const (
	// healthPollInterval is how often a running task's targets are checked.
	healthPollInterval = 5 * time.Second
	// healthTimeout is how long after its grace period a task's targets may
	// stay unhealthy before the task is stopped as failing health checks.
	healthTimeout = 10 * time.Minute
	// maxFailuresWithoutBreaker bounds the retries of a deployment that has
	// no circuit breaker, so a crashing image cannot loop forever.
	maxFailuresWithoutBreaker = 10
	// crashTag is the image tag whose containers exit as soon as they start.
	crashTag = "crash"
)

// scheduleReconcile queues a reconcile pass for svc at now, once.
func (w *world) scheduleReconcile(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	if svc.ReconcilePending {
		return
	}
	svc.ReconcilePending = true
	w.at(now, func(t time.Time) {
		svc.ReconcilePending = false
		w.reconcile(cl, svc, t)
	})
}

// reconcile moves svc one step towards its desired state.
func (w *world) reconcile(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	switch svc.Status {
	case "DRAINING":
		w.drainService(cl, svc, now)
	case "ACTIVE":
		w.scalePrimary(cl, svc, now)
		w.drainOldDeployments(cl, svc, now)
		svc.pruneDeployments(cl, now)
		svc.checkSteadyState(cl, now)
		w.progressServiceDeployment(cl, svc, now)
	}
}

// liveTasks are the tasks of deployment id that should be running.
func liveTasks(cl *clusterRecord, id string) []*taskRecord {
	return slices.DeleteFunc(cl.tasksOf(id), func(t *taskRecord) bool { return t.DesiredStatus != "RUNNING" })
}

// isHealthy reports whether the task counts towards the healthy tasks.
func (t *taskRecord) isHealthy() bool {
	return t.DesiredStatus == "RUNNING" && t.LastStatus == "RUNNING" && t.Healthy
}

// occupying counts the service's tasks not yet STOPPED: maximumPercent
// bounds these, stopping ones included.
func (svc *serviceRecord) occupying(cl *clusterRecord) int {
	n := 0
	for _, d := range svc.DeploymentRecords {
		for _, t := range cl.tasksOf(d.ID) {
			if t.LastStatus != "STOPPED" {
				n++
			}
		}
	}
	return n
}

// percentOf is desired × pct / 100, rounded up or down.
func percentOf(desired int32, pct *int32, roundUp bool) int {
	p := int(derefOr(pct, 100))
	n := int(desired) * p
	if roundUp {
		return (n + 99) / 100
	}
	return n / 100
}

// scalePrimary launches or stops PRIMARY tasks to reach its desired count,
// within maximumPercent.
func (w *world) scalePrimary(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	p := svc.primary()
	hold := svc.strategyHold()
	if p.RolloutState == "FAILED" || p.GaveUp || (hold != nil && hold.holdsScaleUp()) {
		return
	}
	live := liveTasks(cl, p.ID)
	want := int(p.DesiredCount)
	switch {
	case len(live) > want:
		w.stopByScheduler(cl, svc, pickSurplus(live, len(live)-want), now)
	case len(live) < want:
		if !svc.onFargate() {
			svc.addEventOnce(now, "was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
			return
		}
		room := percentOf(svc.DesiredCount, svc.DeploymentConfiguration.MaximumPercent, false) - svc.occupying(cl)
		if hold != nil {
			room = want - len(live) // the new revision scales up beside the old one
		}
		if n := min(want-len(live), room); n > 0 {
			w.launchTasks(cl, svc, p, n, now)
		}
	}
}

// pickSurplus chooses n tasks to stop from live (oldest first), the ones
// that serve least first: those not yet healthy, then the newest healthy.
func pickSurplus(live []*taskRecord, n int) []*taskRecord {
	var unhealthy, healthy []*taskRecord
	for _, t := range live {
		if t.isHealthy() {
			healthy = append(healthy, t)
		} else {
			unhealthy = append(unhealthy, t)
		}
	}
	slices.Reverse(healthy)
	return append(unhealthy, healthy...)[:n]
}

// drainOldDeployments stops the tasks of non-PRIMARY deployments while
// keeping at least minimumHealthyPercent of the desired count healthy.
// Nothing is drained behind a FAILED primary: the old tasks are all the
// service has.
func (w *world) drainOldDeployments(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	if svc.primary().RolloutState == "FAILED" || svc.strategyHold() != nil {
		return
	}
	minHealthy := percentOf(svc.DesiredCount, svc.DeploymentConfiguration.MinimumHealthyPercent, true)
	healthy := 0
	for _, d := range svc.DeploymentRecords {
		for _, t := range liveTasks(cl, d.ID) {
			if t.isHealthy() {
				healthy++
			}
		}
	}
	var victims []*taskRecord
	for _, d := range svc.DeploymentRecords[1:] {
		live := liveTasks(cl, d.ID)
		stopped := 0
		for _, t := range pickSurplus(live, len(live)) {
			if t.isHealthy() {
				if healthy-1 < minHealthy {
					continue
				}
				healthy--
			}
			victims = append(victims, t)
			stopped++
		}
		if d.DesiredCount != int32(len(live)-stopped) {
			d.DesiredCount = int32(len(live) - stopped)
			d.UpdatedAt = epochSeconds(now)
		}
	}
	w.stopByScheduler(cl, svc, victims, now)
}

// pruneDeployments drops non-PRIMARY deployments whose tasks have all stopped.
func (svc *serviceRecord) pruneDeployments(cl *clusterRecord, now time.Time) {
	kept := svc.DeploymentRecords[:1]
	for _, d := range svc.DeploymentRecords[1:] {
		if slices.ContainsFunc(cl.tasksOf(d.ID), func(t *taskRecord) bool { return t.LastStatus != "STOPPED" }) {
			kept = append(kept, d)
		}
	}
	if len(kept) != len(svc.DeploymentRecords) {
		svc.DeploymentRecords = kept
		svc.primary().UpdatedAt = epochSeconds(now)
	}
}

// checkSteadyState completes the PRIMARY deployment once it is the only one
// and runs its desired count of healthy tasks, and reports a steady state.
func (svc *serviceRecord) checkSteadyState(cl *clusterRecord, now time.Time) {
	p := svc.primary()
	if len(svc.DeploymentRecords) != 1 || p.RolloutState == "FAILED" {
		return
	}
	live := liveTasks(cl, p.ID)
	if len(live) != int(p.DesiredCount) || slices.ContainsFunc(live, func(t *taskRecord) bool { return !t.isHealthy() }) {
		return
	}
	if p.RolloutState == "IN_PROGRESS" {
		p.RolloutState = "COMPLETED"
		p.RolloutStateReason = fmt.Sprintf("ECS deployment %s completed.", p.ID)
		p.UpdatedAt = epochSeconds(now)
		done := *p
		svc.LastCompleted = &done
		svc.addEvent(now, "(deployment %s) deployment completed.", p.ID)
	}
	if !svc.Steady {
		svc.Steady = true
		svc.addEvent(now, "has reached a steady state.")
	}
}

// drainService stops a DRAINING service's tasks and makes it INACTIVE once
// none is left.
func (w *world) drainService(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	var victims []*taskRecord
	for _, d := range svc.DeploymentRecords {
		victims = append(victims, liveTasks(cl, d.ID)...)
	}
	w.stopByScheduler(cl, svc, victims, now)
	if svc.occupying(cl) == 0 {
		svc.Status = "INACTIVE"
	}
}

// startDeployment makes a new PRIMARY deployment of the service's current
// task definition, load balancers and network; the others become ACTIVE
// and are drained by the scheduler.
func (w *world) startDeployment(svc *serviceRecord, now time.Time) {
	for _, d := range svc.DeploymentRecords {
		d.Status = "ACTIVE"
		d.UpdatedAt = epochSeconds(now)
	}
	d := svc.newDeployment(now, svc.TaskDefinition, svc.LoadBalancers)
	svc.DeploymentRecords = append([]*deploymentRecord{d}, svc.DeploymentRecords...)
	svc.Steady = false
}

// launchTasks starts n tasks of deployment d.
func (w *world) launchTasks(cl *clusterRecord, svc *serviceRecord, d *deploymentRecord, n int, now time.Time) {
	rec, _ := w.ecs.lookupTaskDefinition(d.TaskDefinition)
	ids := make([]string, 0, n)
	for range n {
		tr := w.newTaskRecord(cl, svc, d, rec, now)
		cl.Tasks[tr.ID] = tr
		w.at(now.Add(provisioningTime), func(t time.Time) { w.taskToPending(cl, tr, t) })
		ids = append(ids, "(task "+tr.ID+")")
	}
	svc.Steady = false
	svc.addEvent(now, "has started %d tasks: %s.", n, strings.Join(ids, " "))
}

// stopByScheduler stops tasks the scheduler no longer wants and reports it.
func (w *world) stopByScheduler(cl *clusterRecord, svc *serviceRecord, victims []*taskRecord, now time.Time) {
	if len(victims) == 0 {
		return
	}
	ids := make([]string, 0, len(victims))
	draining := 0
	for _, t := range victims {
		if len(t.Targets) > 0 {
			draining++
		}
		w.stopTaskRecord(cl, t, now, "ServiceSchedulerInitiated", fmt.Sprintf("Scaling activity initiated by (deployment %s)", t.StartedBy))
		ids = append(ids, "(task "+t.ID+")")
	}
	if draining > 0 {
		svc.addEvent(now, "has begun draining connections on %d tasks.", draining)
	}
	svc.Steady = false
	svc.addEvent(now, "has stopped %d running tasks: %s.", len(victims), strings.Join(ids, " "))
}

// serviceOf returns the service whose deployment started t, if any.
func (cl *clusterRecord) serviceOf(t *taskRecord) *serviceRecord {
	svc := cl.Services[t.Service]
	if svc == nil || svc.deploymentByID(t.StartedBy) == nil {
		return nil
	}
	return svc
}

// deploymentByID finds one of the service's deployments.
func (svc *serviceRecord) deploymentByID(id string) *deploymentRecord {
	for _, d := range svc.DeploymentRecords {
		if d.ID == id {
			return d
		}
	}
	return nil
}

// rescheduleOwner queues a reconcile pass for the task's service, if any.
func (w *world) rescheduleOwner(cl *clusterRecord, t *taskRecord, now time.Time) {
	if svc := cl.serviceOf(t); svc != nil {
		w.scheduleReconcile(cl, svc, now)
	}
}

// taskToPending ends PROVISIONING: the ENI is attached and the log
// configuration checked, as the Fargate agent does before pulling images.
func (w *world) taskToPending(cl *clusterRecord, t *taskRecord, now time.Time) {
	if t.DesiredStatus != "RUNNING" {
		return
	}
	if len(t.Attachments) > 0 && t.ENI.PrivateIP == "" {
		w.failTask(cl, t, now, "TaskFailedToStart", "ResourceInitializationError: unable to create the task ENI: the subnet has no free IP addresses")
		return
	}
	rec, _ := w.ecs.lookupTaskDefinition(t.TaskDefinitionArn)
	if reason := w.prepareLogs(&rec.Def, now); reason != "" {
		w.failTask(cl, t, now, "TaskFailedToStart", reason)
		return
	}
	t.LastStatus = "PENDING"
	t.Connectivity = "CONNECTED"
	at := epochSeconds(now)
	t.ConnectivityAt = &at
	t.PullStartedAt = &at
	for i := range t.Attachments {
		t.Attachments[i].Status = "ATTACHED"
	}
	t.Version++
	w.at(now.Add(pendingTime), func(tm time.Time) { w.taskToRunning(cl, t, tm) })
}

// prepareLogs checks every awslogs container's log group, creating it when
// awslogs-create-group is "true"; it returns the stoppedReason of a task
// that cannot start, or "".
func (w *world) prepareLogs(td *taskDefinition, now time.Time) string {
	for _, cd := range td.ContainerDefinitions {
		lc := cd.LogConfiguration
		if lc == nil || lc.LogDriver != "awslogs" {
			continue
		}
		group := lc.Options["awslogs-group"]
		switch {
		case w.logGroupExists(group):
		case lc.Options["awslogs-create-group"] == "true":
			w.createLogGroupIfMissing(group, now)
		default:
			return "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1"
		}
	}
	return ""
}

// taskToRunning starts the containers. A container whose image is tagged
// "crash" exits at once, failing the task; otherwise the task registers
// in its service's target groups.
func (w *world) taskToRunning(cl *clusterRecord, t *taskRecord, now time.Time) {
	if t.DesiredStatus != "RUNNING" {
		return
	}
	rec, _ := w.ecs.lookupTaskDefinition(t.TaskDefinitionArn)
	at := epochSeconds(now)
	t.PullStoppedAt = &at
	t.StartedAt = &at
	t.Version++
	crashed := false
	for i := range t.Containers {
		ct := &t.Containers[i]
		cd := rec.Def.ContainerDefinitions[i]
		ct.LastStatus = "RUNNING"
		ct.RuntimeID = fmt.Sprintf("%s-%d", t.ID, rand.Uint32())
		if cd.HealthCheck != nil {
			// The sandbox's containers pass their health checks at once.
			ct.HealthStatus = "HEALTHY"
			t.HealthStatus = "HEALTHY"
		}
		w.writeStartupLogs(t, cd, now)
		if imageTag(cd.Image) == crashTag {
			ct.LastStatus = "STOPPED"
			exit := int32(1)
			ct.ExitCode = &exit
			crashed = crashed || derefOr(cd.Essential, true)
		}
	}
	if crashed {
		w.failTask(cl, t, now, "EssentialContainerExited", "Essential container in task exited")
		return
	}
	t.LastStatus = "RUNNING"
	w.registerTargets(cl, t, now)
	w.rescheduleOwner(cl, t, now)
}

// imageTag is the tag of an image reference ("php:crash" → "crash"; "" when
// it has none).
func imageTag(image string) string {
	image, _, _ = strings.Cut(image, "@")
	name := image[strings.LastIndex(image, "/")+1:]
	_, tag, _ := strings.Cut(name, ":")
	return tag
}

// writeStartupLogs writes the first lines of an awslogs container's stream
// "<prefix>/<container>/<task id>".
func (w *world) writeStartupLogs(t *taskRecord, cd containerDefinition, now time.Time) {
	lc := cd.LogConfiguration
	if lc == nil || lc.LogDriver != "awslogs" {
		return
	}
	lines := []string{fmt.Sprintf("Starting %s (image %s)", cd.Name, cd.Image)}
	for _, pm := range cd.PortMappings {
		lines = append(lines, fmt.Sprintf("Listening on 0.0.0.0:%d/%s", derefOr(pm.ContainerPort, 0), pm.Protocol))
	}
	if imageTag(cd.Image) == crashTag {
		lines = append(lines, "Fatal error: application exited with status 1")
	} else {
		lines = append(lines, "Ready to accept connections")
	}
	stream := lc.Options["awslogs-stream-prefix"] + "/" + cd.Name + "/" + t.ID
	w.putLogLines(lc.Options["awslogs-group"], stream, lines, now)
}

// registerTargets registers the running task's IP in each target group of
// its deployment and starts watching their health; a task without load
// balancers is healthy as soon as it runs.
func (w *world) registerTargets(cl *clusterRecord, t *taskRecord, now time.Time) {
	svc := cl.serviceOf(t)
	if svc == nil {
		t.Healthy = true
		return
	}
	for _, lb := range svc.deploymentByID(t.StartedBy).LoadBalancers {
		port := derefOr(lb.ContainerPort, 0)
		w.registerTarget(lb.TargetGroupArn, t.ENI.PrivateIP, port, now)
		t.Targets = append(t.Targets, taskTarget{TargetGroupArn: lb.TargetGroupArn, Port: port})
		svc.addEvent(now, "registered 1 targets in (target-group %s)", lb.TargetGroupArn)
	}
	if len(t.Targets) == 0 {
		t.Healthy = true
		return
	}
	grace := time.Duration(derefOr(svc.HealthCheckGracePeriodSeconds, 0)) * time.Second
	t.HealthDeadline = now.Add(grace + healthTimeout)
	w.at(now.Add(healthPollInterval), func(tm time.Time) { w.pollHealth(cl, t, tm) })
}

// pollHealth checks a running task's targets until they are all healthy or
// the deadline passes, when the task is stopped as a failure.
func (w *world) pollHealth(cl *clusterRecord, t *taskRecord, now time.Time) {
	if t.DesiredStatus != "RUNNING" || t.Healthy {
		return
	}
	healthy := true
	for _, tg := range t.Targets {
		if w.targetState(tg.TargetGroupArn, t.ENI.PrivateIP, tg.Port) != "healthy" {
			healthy = false
		}
	}
	switch {
	case healthy:
		t.Healthy = true
		t.Version++
		w.rescheduleOwner(cl, t, now)
	case !now.Before(t.HealthDeadline):
		w.failTask(cl, t, now, "ServiceSchedulerInitiated", fmt.Sprintf("Task failed ELB health checks in (target-group %s)", t.Targets[0].TargetGroupArn))
	default:
		w.at(now.Add(healthPollInterval), func(tm time.Time) { w.pollHealth(cl, t, tm) })
	}
}

// failTask stops a task that failed and counts it against its deployment.
func (w *world) failTask(cl *clusterRecord, t *taskRecord, now time.Time, code, reason string) {
	w.stopTaskRecord(cl, t, now, code, reason)
	if svc := cl.serviceOf(t); svc != nil {
		w.recordFailure(svc, svc.deploymentByID(t.StartedBy), now)
	}
}

// recordFailure counts a failed task; when the circuit breaker's threshold
// is reached the deployment FAILS and, with rollback, the service returns
// to its last completed deployment.
func (w *world) recordFailure(svc *serviceRecord, d *deploymentRecord, now time.Time) {
	d.FailedTasks++
	d.UpdatedAt = epochSeconds(now)
	if d != svc.primary() || d.RolloutState != "IN_PROGRESS" {
		return
	}
	cb := svc.DeploymentConfiguration.DeploymentCircuitBreaker
	if cb == nil || !cb.Enable {
		if d.FailedTasks >= maxFailuresWithoutBreaker && !d.GaveUp {
			d.GaveUp = true
			svc.addEvent(now, "is unable to consistently start tasks successfully. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
		}
		return
	}
	if int(d.FailedTasks) < breakerThreshold(svc.DesiredCount) {
		return
	}
	d.RolloutState = "FAILED"
	d.RolloutStateReason = "ECS deployment circuit breaker: tasks failed to start."
	svc.addEvent(now, "(deployment %s) deployment failed: tasks failed to start.", d.ID)
	if w.serviceDeploymentFailed(svc, d, cb.Rollback, now) {
		return
	}
	if cb.Rollback && svc.LastCompleted != nil && !d.Rollback {
		last := svc.LastCompleted
		svc.TaskDefinition = last.TaskDefinition
		svc.LoadBalancers = last.LoadBalancers
		svc.NetworkConfiguration = last.NetworkConfiguration
		svc.addEvent(now, "rolling back to deployment %s.", last.ID)
		w.startDeployment(svc, now)
		svc.primary().Rollback = true
	}
}

// breakerThreshold is the circuit breaker's failed-task threshold:
// half the desired count, at least 3 and at most 200.
func breakerThreshold(desired int32) int {
	return max(3, min(200, (int(desired)+1)/2))
}

// stopTaskRecord begins stopping a task: its targets are deregistered
// (DEACTIVATING), then it walks STOPPING and DEPROVISIONING to STOPPED.
func (w *world) stopTaskRecord(cl *clusterRecord, t *taskRecord, now time.Time, code, reason string) {
	if t.DesiredStatus == "STOPPED" {
		return
	}
	at := epochSeconds(now)
	t.DesiredStatus = "STOPPED"
	t.StopCode = code
	t.StoppedReason = reason
	t.StoppingAt = &at
	t.Version++
	next := now
	if t.LastStatus == "RUNNING" && len(t.Targets) > 0 {
		t.LastStatus = "DEACTIVATING"
		svc := cl.serviceOf(t)
		for _, tg := range t.Targets {
			w.deregisterTarget(tg.TargetGroupArn, t.ENI.PrivateIP, tg.Port, now)
			if svc != nil {
				svc.addEvent(now, "deregistered 1 targets in (target-group %s)", tg.TargetGroupArn)
			}
		}
		next = now.Add(deactivatingTime)
	}
	w.at(next, func(tm time.Time) { w.taskToStopping(cl, t, tm) })
	w.rescheduleOwner(cl, t, now)
}

// taskToStopping sends the containers their stop signal.
func (w *world) taskToStopping(cl *clusterRecord, t *taskRecord, now time.Time) {
	t.LastStatus = "STOPPING"
	t.Version++
	w.at(now.Add(stoppingTime), func(tm time.Time) { w.taskToDeprovisioning(cl, t, tm) })
}

// taskToDeprovisioning records the containers' exit and detaches the ENI.
func (w *world) taskToDeprovisioning(cl *clusterRecord, t *taskRecord, now time.Time) {
	t.LastStatus = "DEPROVISIONING"
	at := epochSeconds(now)
	t.ExecutionStoppedAt = &at
	for i := range t.Containers {
		ct := &t.Containers[i]
		if ct.LastStatus == "RUNNING" && ct.ExitCode == nil {
			exit := int32(0)
			ct.ExitCode = &exit
		}
		ct.LastStatus = "STOPPED"
	}
	for i := range t.Attachments {
		t.Attachments[i].Status = "DETACHED"
	}
	t.Version++
	w.at(now.Add(deprovisioningTime), func(tm time.Time) { w.taskToStopped(cl, t, tm) })
}

// taskToStopped deletes the ENI and lets the scheduler use the freed
// capacity; the stopped task stays visible for an hour.
func (w *world) taskToStopped(cl *clusterRecord, t *taskRecord, now time.Time) {
	t.LastStatus = "STOPPED"
	at := epochSeconds(now)
	t.StoppedAt = &at
	t.Connectivity = ""
	for i := range t.Attachments {
		t.Attachments[i].Status = "DELETED"
	}
	if t.ENI.ID != "" {
		w.deleteENI(t.ENI.ID)
	}
	t.Version++
	w.rescheduleOwner(cl, t, now)
	w.at(now.Add(stoppedRetention), func(time.Time) { delete(cl.Tasks, t.ID) })
}

// addEventOnce adds an event unless it is already the newest one, so a
// condition the scheduler keeps meeting is reported once.
func (svc *serviceRecord) addEventOnce(now time.Time, message string) {
	full := fmt.Sprintf("(service %s) %s", svc.ServiceName, message)
	if len(svc.Events) > 0 && svc.Events[0].Message == full {
		return
	}
	svc.addEvent(now, "%s", message)
}

// resumeTask schedules the next lifecycle step of a task loaded from a
// snapshot, timed from the timestamp of the step it last took.
func (w *world) resumeTask(cl *clusterRecord, t *taskRecord) {
	at := func(ts *epochSeconds, d time.Duration) time.Time { return time.Time(*ts).Add(d) }
	switch {
	case t.LastStatus == "STOPPED":
		w.at(at(t.StoppedAt, stoppedRetention), func(time.Time) { delete(cl.Tasks, t.ID) })
	case t.LastStatus == "DEPROVISIONING":
		w.at(at(t.ExecutionStoppedAt, deprovisioningTime), func(tm time.Time) { w.taskToStopped(cl, t, tm) })
	case t.LastStatus == "STOPPING":
		w.at(at(t.StoppingAt, stoppingTime), func(tm time.Time) { w.taskToDeprovisioning(cl, t, tm) })
	case t.DesiredStatus == "STOPPED":
		w.at(at(t.StoppingAt, deactivatingTime), func(tm time.Time) { w.taskToStopping(cl, t, tm) })
	case t.LastStatus == "PROVISIONING":
		w.at(at(&t.CreatedAt, provisioningTime), func(tm time.Time) { w.taskToPending(cl, t, tm) })
	case t.LastStatus == "PENDING":
		w.at(at(t.PullStartedAt, pendingTime), func(tm time.Time) { w.taskToRunning(cl, t, tm) })
	case !t.Healthy:
		w.at(at(t.StartedAt, healthPollInterval), func(tm time.Time) { w.pollHealth(cl, t, tm) })
	}
}
