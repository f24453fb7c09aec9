package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// ECS's own history of a service: one service deployment per deployment
// (rolling or not) and one service revision per configuration deployed,
// answered by ListServiceDeployments, DescribeServiceDeployments and
// DescribeServiceRevisions (docs/aws-api.md §9.3, §10.4).

// Service deployment statuses.
const (
	sdInProgress         = "IN_PROGRESS"
	sdSuccessful         = "SUCCESSFUL"
	sdStopped            = "STOPPED"
	sdRollbackInProgress = "ROLLBACK_IN_PROGRESS"
	sdRollbackSuccessful = "ROLLBACK_SUCCESSFUL"
	sdRollbackFailed     = "ROLLBACK_FAILED"
)

// serviceHistory is a service's deployments (oldest first) and revisions.
type serviceHistory struct {
	Deployments []*serviceDeploymentRecord
	Revisions   []*serviceRevision
	// RevisionOf maps a deployment id (Service.deployments[].id) to the
	// ARN of the revision it runs.
	RevisionOf map[string]string
}

// serviceRevision is a ServiceRevision, state and wire shape alike.
type serviceRevision struct {
	ServiceRevisionArn       string                         `json:"serviceRevisionArn"`
	ServiceArn               string                         `json:"serviceArn"`
	ClusterArn               string                         `json:"clusterArn"`
	TaskDefinition           string                         `json:"taskDefinition"`
	CapacityProviderStrategy []capacityProviderStrategyItem `json:"capacityProviderStrategy,omitempty"`
	LaunchType               string                         `json:"launchType,omitempty"`
	PlatformVersion          string                         `json:"platformVersion,omitempty"`
	PlatformFamily           string                         `json:"platformFamily,omitempty"`
	LoadBalancers            []loadBalancer                 `json:"loadBalancers"`
	NetworkConfiguration     *networkConfiguration          `json:"networkConfiguration,omitempty"`
	ContainerImages          []containerImage               `json:"containerImages"`
	ResolvedConfiguration    *resolvedConfiguration         `json:"resolvedConfiguration,omitempty"`
	CreatedAt                epochSeconds                   `json:"createdAt"`
}

type containerImage struct {
	ContainerName string `json:"containerName"`
	Image         string `json:"image"`
	ImageDigest   string `json:"imageDigest"`
}

type resolvedConfiguration struct {
	LoadBalancers []resolvedLoadBalancer `json:"loadBalancers"`
}

type resolvedLoadBalancer struct {
	TargetGroupArn         string `json:"targetGroupArn"`
	ProductionListenerRule string `json:"productionListenerRule,omitempty"`
}

// serviceDeploymentRecord is one service deployment with what its stages
// need. Plain data, so it survives a snapshot; Seq invalidates timers
// scheduled for a stage the deployment has left.
type serviceDeploymentRecord struct {
	Arn              string
	ServiceArn       string
	ClusterArn       string
	Config           deploymentConfiguration
	Strategy         string
	TargetRevision   string
	TargetDeployment string
	SourceRevisions  []string
	SourceDeployment string
	Status           string
	StatusReason     string
	Stage            string
	CreatedAt        epochSeconds
	UpdatedAt        epochSeconds
	FinishedAt       *epochSeconds
	StoppedAt        *epochSeconds
	Rollback         *sdRollback
	Hooks            []hookDetail
	// Shifting is set for blue/green, canary and linear deployments that
	// have a running revision to shift traffic from.
	Shifting bool
	Traffic  []trafficShift
	// GreenPercent is the share of production traffic on the new revision.
	GreenPercent float64
	TestOnGreen  bool
	// FailedTasks and BreakerTriggered keep the circuit breaker's count
	// once the failed deployment's record is gone.
	FailedTasks      int32
	BreakerTriggered bool
	// Waiting says what the current stage waits for: "timer" (until
	// NextAt, then NextStage), "hook", "tasks" or "drain".
	Waiting   string
	NextAt    *epochSeconds
	NextStage string
	Seq       int
}

// trafficShift is one load balancer's pair of target groups and rules.
type trafficShift struct {
	ProductionRule string
	TestRule       string
	BlueTG         string
	GreenTG        string
}

type sdRollback struct {
	Reason             string       `json:"reason"`
	StartedAt          epochSeconds `json:"startedAt"`
	ServiceRevisionArn string       `json:"serviceRevisionArn,omitempty"`
}

// hookDetail is a DeploymentLifecycleHookDetail plus the stage it holds.
type hookDetail struct {
	HookID        string        `json:"hookId"`
	TargetType    string        `json:"targetType"`
	TargetArn     string        `json:"targetArn,omitempty"`
	Status        string        `json:"status"`
	ExpiresAt     *epochSeconds `json:"expiresAt,omitempty"`
	TimeoutAction string        `json:"timeoutAction,omitempty"`
	Stage         string        `json:"-"`
}

// beginServiceDeployment records the service deployment of the PRIMARY
// deployment just started (by CreateService or UpdateService) and, for a
// strategy with a revision to shift from, starts its lifecycle stages.
func (w *world) beginServiceDeployment(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	h := &svc.History
	if h.RevisionOf == nil {
		h.RevisionOf = map[string]string{}
	}
	h.stopInProgress("A newer service deployment started.", now)
	d := svc.primary()
	sd := &serviceDeploymentRecord{
		Arn:              w.ecsARN(fmt.Sprintf("service-deployment/%s/%s/%s", cl.Name, svc.ServiceName, randomID(21))),
		ServiceArn:       svc.ServiceArn,
		ClusterArn:       svc.ClusterArn,
		Config:           svc.DeploymentConfiguration,
		Strategy:         strategyOf(svc.DeploymentConfiguration),
		TargetDeployment: d.ID,
		Status:           sdInProgress,
		CreatedAt:        epochSeconds(now),
		UpdatedAt:        epochSeconds(now),
	}
	for _, old := range svc.DeploymentRecords[1:] {
		if arn := h.RevisionOf[old.ID]; arn != "" && !slices.Contains(sd.SourceRevisions, arn) {
			sd.SourceRevisions = append(sd.SourceRevisions, arn)
		}
	}
	if sd.Strategy != strategyRolling && len(svc.DeploymentRecords) > 1 {
		sd.SourceDeployment = svc.DeploymentRecords[1].ID
		sd.Traffic = w.planTraffic(svc, d)
		sd.Shifting = len(sd.Traffic) > 0
	}
	rev := w.newServiceRevision(cl, svc, d, sd)
	h.Revisions = append(h.Revisions, rev)
	h.RevisionOf[d.ID] = rev.ServiceRevisionArn
	sd.TargetRevision = rev.ServiceRevisionArn
	h.Deployments = append(h.Deployments, sd)
	if sd.Shifting {
		w.enterStage(cl, svc, sd, "PRE_SCALE_UP", now)
		return
	}
	sd.Stage = "SCALE_UP"
	sd.Waiting = "tasks"
}

// planTraffic picks, for each load balancer with an advancedConfiguration,
// the blue target group (the one the production rule weighs more; the
// service's own target group on a tie) and the green one the new tasks
// register in, and points deployment d's load balancers at green.
func (w *world) planTraffic(svc *serviceRecord, d *deploymentRecord) []trafficShift {
	var shifts []trafficShift
	lbs := slices.Clone(d.LoadBalancers)
	for i, lb := range lbs {
		ac := lb.AdvancedConfiguration
		if ac == nil {
			continue
		}
		blue, green := lb.TargetGroupArn, ac.AlternateTargetGroupArn
		if w.elb.forwardWeight(ac.ProductionListenerRule, green) > w.elb.forwardWeight(ac.ProductionListenerRule, blue) {
			blue, green = green, blue
		}
		lbs[i].TargetGroupArn = green
		shifts = append(shifts, trafficShift{ProductionRule: ac.ProductionListenerRule, TestRule: ac.TestListenerRule, BlueTG: blue, GreenTG: green})
	}
	d.LoadBalancers = lbs
	return shifts
}

// newServiceRevision describes what deployment d runs.
func (w *world) newServiceRevision(cl *clusterRecord, svc *serviceRecord, d *deploymentRecord, sd *serviceDeploymentRecord) *serviceRevision {
	rev := &serviceRevision{
		ServiceRevisionArn:       w.ecsARN(fmt.Sprintf("service-revision/%s/%s/%d", cl.Name, svc.ServiceName, rand.Int64N(8e18)+1e18)),
		ServiceArn:               svc.ServiceArn,
		ClusterArn:               svc.ClusterArn,
		TaskDefinition:           d.TaskDefinition,
		CapacityProviderStrategy: d.CapacityProviderStrategy,
		LaunchType:               d.LaunchType,
		PlatformVersion:          d.PlatformVersion,
		PlatformFamily:           d.PlatformFamily,
		LoadBalancers:            nonNil(svc.LoadBalancers),
		NetworkConfiguration:     d.NetworkConfiguration,
		ContainerImages:          []containerImage{},
		CreatedAt:                sd.CreatedAt,
	}
	if rec, ok := w.ecs.lookupTaskDefinition(d.TaskDefinition); ok {
		for _, cd := range rec.Def.ContainerDefinitions {
			rev.ContainerImages = append(rev.ContainerImages, containerImage{ContainerName: cd.Name, Image: cd.Image, ImageDigest: w.imageDigest(cd.Image)})
		}
	}
	if len(d.LoadBalancers) > 0 {
		rc := &resolvedConfiguration{LoadBalancers: []resolvedLoadBalancer{}}
		for _, lb := range d.LoadBalancers {
			r := resolvedLoadBalancer{TargetGroupArn: lb.TargetGroupArn}
			if lb.AdvancedConfiguration != nil {
				r.ProductionListenerRule = lb.AdvancedConfiguration.ProductionListenerRule
			}
			rc.LoadBalancers = append(rc.LoadBalancers, r)
		}
		rev.ResolvedConfiguration = rc
	}
	return rev
}

// randomID is n random letters and digits, the shape of a service
// deployment id.
func randomID(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// finish ends the service deployment with status.
func (sd *serviceDeploymentRecord) finish(status, reason string, now time.Time) {
	at := epochSeconds(now)
	sd.Status = status
	sd.StatusReason = reason
	sd.UpdatedAt = at
	sd.Waiting = ""
	sd.Seq++
	if status == sdStopped {
		sd.StoppedAt = &at
	}
	sd.FinishedAt = &at
}

// stopInProgress ends every service deployment still in progress as
// STOPPED with reason.
func (h *serviceHistory) stopInProgress(reason string, now time.Time) {
	for _, sd := range h.Deployments {
		if sd.Status == sdInProgress || sd.Status == sdRollbackInProgress {
			sd.finish(sdStopped, reason, now)
		}
	}
}

// current is the service's newest service deployment, or nil.
func (h *serviceHistory) current() *serviceDeploymentRecord {
	if len(h.Deployments) == 0 {
		return nil
	}
	return h.Deployments[len(h.Deployments)-1]
}

// strategyHold is the shifting service deployment that still needs the
// old revision's tasks (every stage before CLEAN_UP), or nil: while it
// holds, the scheduler neither drains old tasks nor limits the new ones
// by maximumPercent.
func (svc *serviceRecord) strategyHold() *serviceDeploymentRecord {
	sd := svc.History.current()
	if sd == nil || !sd.Shifting || sd.Status != sdInProgress || sd.Stage == "CLEAN_UP" {
		return nil
	}
	return sd
}

// holdsScaleUp reports whether the new revision may not start yet.
func (sd *serviceDeploymentRecord) holdsScaleUp() bool {
	return sd.Stage == "PRE_SCALE_UP" || sd.Stage == "RECONCILE_SERVICE"
}

// progressServiceDeployment ends the current service deployment when the
// scheduler has done its part: the new revision complete (SUCCESSFUL), the
// old one back alone after a rollback (ROLLBACK_SUCCESSFUL), or the
// rollback itself failed. Called after every reconcile pass.
func (w *world) progressServiceDeployment(cl *clusterRecord, svc *serviceRecord, now time.Time) {
	sd := svc.History.current()
	if sd == nil {
		return
	}
	p := svc.primary()
	switch sd.Status {
	case sdInProgress:
		switch {
		case sd.Shifting && sd.Stage == "SCALE_UP" && sd.Waiting == "tasks" && greenReady(cl, p):
			w.enterStage(cl, svc, sd, "POST_SCALE_UP", now)
		case (!sd.Shifting || sd.Stage == "CLEAN_UP") && p.ID == sd.TargetDeployment && p.RolloutState == "COMPLETED" && len(svc.DeploymentRecords) == 1:
			sd.Stage = "CLEAN_UP"
			sd.finish(sdSuccessful, "", now)
		}
	case sdRollbackInProgress:
		switch {
		case p.ID != sd.TargetDeployment && len(svc.DeploymentRecords) == 1 && p.RolloutState == "COMPLETED":
			sd.finish(sdRollbackSuccessful, sd.StatusReason, now)
		case p.Rollback && p.RolloutState == "FAILED":
			sd.finish(sdRollbackFailed, "The rollback failed: tasks failed to start.", now)
		}
	}
}

// greenReady reports whether deployment d runs its desired count of
// healthy tasks.
func greenReady(cl *clusterRecord, d *deploymentRecord) bool {
	live := liveTasks(cl, d.ID)
	return len(live) >= int(d.DesiredCount) && !slices.ContainsFunc(live, func(t *taskRecord) bool { return !t.isHealthy() })
}

// serviceDeploymentFailed is told that the circuit breaker failed
// deployment d. A shifting deployment with rollback returns to the old
// revision at once (its tasks still run) and reports true; otherwise the
// service deployment records the failure and the scheduler's own
// rollback, if any, goes on (false).
func (w *world) serviceDeploymentFailed(svc *serviceRecord, d *deploymentRecord, rollback bool, now time.Time) bool {
	sd := svc.History.current()
	if sd == nil || sd.TargetDeployment != d.ID || sd.Status != sdInProgress {
		return false
	}
	const reason = "Service deployment rolled back because the circuit breaker threshold was exceeded."
	sd.FailedTasks, sd.BreakerTriggered = d.FailedTasks, true
	cl := w.clusterOf(svc)
	switch {
	case sd.Shifting && rollback && cl != nil:
		w.rollbackToBlue(cl, svc, sd, reason, now)
		return true
	case rollback && svc.LastCompleted != nil:
		sd.Status = sdRollbackInProgress
		sd.StatusReason = reason
		sd.Rollback = &sdRollback{Reason: reason, StartedAt: epochSeconds(now), ServiceRevisionArn: svc.History.RevisionOf[svc.LastCompleted.ID]}
		sd.UpdatedAt = epochSeconds(now)
	default:
		sd.finish(sdStopped, "Service deployment failed: the circuit breaker threshold was exceeded.", now)
	}
	return false
}

// clusterOf finds the cluster holding svc.
func (w *world) clusterOf(svc *serviceRecord) *clusterRecord {
	for _, cl := range w.ecs.Clusters {
		if cl.Arn == svc.ClusterArn && cl.Services[svc.ServiceName] == svc {
			return cl
		}
	}
	return nil
}

// serviceDeploymentByARN finds a service deployment in any cluster.
func (e *ecsState) serviceDeploymentByARN(arn string) (*clusterRecord, *serviceRecord, *serviceDeploymentRecord) {
	for _, cl := range e.Clusters {
		for _, svc := range cl.Services {
			for _, sd := range svc.History.Deployments {
				if sd.Arn == arn {
					return cl, svc, sd
				}
			}
		}
	}
	return nil, nil, nil
}

// restoreServiceDeployment reschedules a loaded service deployment's timer
// and its pause hooks' timeouts.
func (w *world) restoreServiceDeployment(cl *clusterRecord, svc *serviceRecord) {
	sd := svc.History.current()
	if sd == nil || sd.Status != sdInProgress {
		return
	}
	if sd.Waiting == "timer" && sd.NextAt != nil {
		w.scheduleStage(cl, svc, sd, sd.NextStage, time.Time(*sd.NextAt))
	}
	for i := range sd.Hooks {
		if sd.Hooks[i].Status == "AWAITING_ACTION" && sd.Hooks[i].ExpiresAt != nil {
			w.scheduleHookTimeout(cl, svc, sd, sd.Hooks[i].HookID, time.Time(*sd.Hooks[i].ExpiresAt))
		}
	}
}

// checkNoShiftInProgress refuses a new deployment while a blue/green,
// canary or linear one is still shifting or rolling back: the sandbox does
// not model ECS's RECONCILE_SERVICE stage for a third revision.
func (svc *serviceRecord) checkNoShiftInProgress() error {
	sd := svc.History.current()
	if sd != nil && sd.Shifting && (sd.Status == sdInProgress || sd.Status == sdRollbackInProgress) {
		return invalid("The service deployment %s is still in progress (%s); stop it or wait for it to finish before starting another. (The sandbox does not model a third service revision.)", sd.Arn, sd.Stage)
	}
	return nil
}
