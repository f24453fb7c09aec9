package sandbox

import (
	"slices"
	"strings"
	"time"
)

// The service deployment operations: ListServiceDeployments,
// DescribeServiceDeployments, DescribeServiceRevisions,
// StopServiceDeployment and ContinueServiceDeployment (docs/aws-api.md
// §9.3, §10.4).

type listServiceDeploymentsInput struct {
	Cluster   string   `json:"cluster"`
	Service   string   `json:"service"`
	Status    []string `json:"status"`
	CreatedAt *struct {
		Before *epochSeconds `json:"before"`
		After  *epochSeconds `json:"after"`
	} `json:"createdAt"`
	NextToken  string `json:"nextToken"`
	MaxResults *int32 `json:"maxResults"`
}

type serviceDeploymentBrief struct {
	ServiceDeploymentArn     string        `json:"serviceDeploymentArn"`
	ServiceArn               string        `json:"serviceArn"`
	ClusterArn               string        `json:"clusterArn"`
	StartedAt                epochSeconds  `json:"startedAt"`
	CreatedAt                epochSeconds  `json:"createdAt"`
	FinishedAt               *epochSeconds `json:"finishedAt,omitempty"`
	TargetServiceRevisionArn string        `json:"targetServiceRevisionArn"`
	Status                   string        `json:"status"`
	StatusReason             string        `json:"statusReason,omitempty"`
}

type listServiceDeploymentsOutput struct {
	ServiceDeployments []serviceDeploymentBrief `json:"serviceDeployments"`
	NextToken          *string                  `json:"nextToken,omitempty"`
}

// listServiceDeployments lists a service's deployments, newest first.
func listServiceDeployments(c *call, in *listServiceDeploymentsInput) (any, error) {
	if in.Service == "" {
		return nil, invalid("service must be specified.")
	}
	_, svc, err := c.w.ecs.service(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	var briefs []serviceDeploymentBrief
	for _, sd := range slices.Backward(svc.History.Deployments) {
		if len(in.Status) > 0 && !slices.Contains(in.Status, sd.Status) {
			continue
		}
		if ca := in.CreatedAt; ca != nil {
			created := time.Time(sd.CreatedAt)
			if (ca.Before != nil && !created.Before(time.Time(*ca.Before))) || (ca.After != nil && !created.After(time.Time(*ca.After))) {
				continue
			}
		}
		briefs = append(briefs, serviceDeploymentBrief{
			ServiceDeploymentArn: sd.Arn, ServiceArn: sd.ServiceArn, ClusterArn: sd.ClusterArn,
			StartedAt: sd.CreatedAt, CreatedAt: sd.CreatedAt, FinishedAt: sd.FinishedAt,
			TargetServiceRevisionArn: sd.TargetRevision, Status: sd.Status, StatusReason: sd.StatusReason,
		})
	}
	page, next, err := ecsPage(briefs, in.NextToken, in.MaxResults, 20)
	if err != nil {
		return nil, err
	}
	return listServiceDeploymentsOutput{ServiceDeployments: page, NextToken: next}, nil
}

type describeServiceDeploymentsInput struct {
	ServiceDeploymentArns []string `json:"serviceDeploymentArns"`
}

// serviceDeploymentView is a ServiceDeployment on the wire.
type serviceDeploymentView struct {
	ServiceDeploymentArn     string                  `json:"serviceDeploymentArn"`
	ServiceArn               string                  `json:"serviceArn"`
	ClusterArn               string                  `json:"clusterArn"`
	CreatedAt                epochSeconds            `json:"createdAt"`
	StartedAt                epochSeconds            `json:"startedAt"`
	UpdatedAt                epochSeconds            `json:"updatedAt"`
	FinishedAt               *epochSeconds           `json:"finishedAt,omitempty"`
	StoppedAt                *epochSeconds           `json:"stoppedAt,omitempty"`
	SourceServiceRevisions   []revisionSummary       `json:"sourceServiceRevisions"`
	TargetServiceRevision    revisionSummary         `json:"targetServiceRevision"`
	Status                   string                  `json:"status"`
	StatusReason             string                  `json:"statusReason,omitempty"`
	LifecycleStage           string                  `json:"lifecycleStage,omitempty"`
	DeploymentConfiguration  deploymentConfiguration `json:"deploymentConfiguration"`
	Rollback                 *sdRollback             `json:"rollback,omitempty"`
	DeploymentCircuitBreaker *breakerView            `json:"deploymentCircuitBreaker,omitempty"`
	LifecycleHookDetails     []hookDetail            `json:"lifecycleHookDetails,omitempty"`
}

type revisionSummary struct {
	Arn                              string   `json:"arn"`
	RequestedTaskCount               int32    `json:"requestedTaskCount"`
	RunningTaskCount                 int32    `json:"runningTaskCount"`
	PendingTaskCount                 int32    `json:"pendingTaskCount"`
	RequestedProductionTrafficWeight *float64 `json:"requestedProductionTrafficWeight,omitempty"`
	RequestedTestTrafficWeight       *float64 `json:"requestedTestTrafficWeight,omitempty"`
}

type breakerView struct {
	Status       string `json:"status"`
	FailureCount int32  `json:"failureCount"`
	Threshold    int32  `json:"threshold"`
}

type describeServiceDeploymentsOutput struct {
	ServiceDeployments []serviceDeploymentView `json:"serviceDeployments"`
	Failures           []failure               `json:"failures"`
}

func describeServiceDeployments(c *call, in *describeServiceDeploymentsInput) (any, error) {
	if len(in.ServiceDeploymentArns) == 0 || len(in.ServiceDeploymentArns) > 20 {
		return nil, invalid("serviceDeploymentArns must contain between 1 and 20 items.")
	}
	out := describeServiceDeploymentsOutput{ServiceDeployments: []serviceDeploymentView{}, Failures: []failure{}}
	for _, arn := range in.ServiceDeploymentArns {
		cl, svc, sd := c.w.ecs.serviceDeploymentByARN(arn)
		if sd == nil {
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		out.ServiceDeployments = append(out.ServiceDeployments, sd.view(cl, svc))
	}
	return out, nil
}

// view renders the service deployment with its revisions' task counts and
// traffic as of now.
func (sd *serviceDeploymentRecord) view(cl *clusterRecord, svc *serviceRecord) serviceDeploymentView {
	v := serviceDeploymentView{
		ServiceDeploymentArn: sd.Arn, ServiceArn: sd.ServiceArn, ClusterArn: sd.ClusterArn,
		CreatedAt: sd.CreatedAt, StartedAt: sd.CreatedAt, UpdatedAt: sd.UpdatedAt,
		FinishedAt: sd.FinishedAt, StoppedAt: sd.StoppedAt,
		SourceServiceRevisions: []revisionSummary{},
		Status:                 sd.Status, StatusReason: sd.StatusReason, LifecycleStage: sd.Stage,
		DeploymentConfiguration: sd.Config, Rollback: sd.Rollback,
		LifecycleHookDetails: sd.Hooks,
	}
	green := sd.GreenPercent
	test := 0.0
	if sd.TestOnGreen {
		test = 100
	}
	summary := func(revision, deploymentID string, prod, test float64) revisionSummary {
		s := revisionSummary{Arn: revision}
		if d := svc.deploymentByID(deploymentID); d != nil {
			s.RequestedTaskCount = d.DesiredCount
			for _, t := range liveTasks(cl, d.ID) {
				if t.LastStatus == "RUNNING" {
					s.RunningTaskCount++
				} else {
					s.PendingTaskCount++
				}
			}
		}
		if sd.Shifting {
			s.RequestedProductionTrafficWeight, s.RequestedTestTrafficWeight = &prod, &test
		}
		return s
	}
	v.TargetServiceRevision = summary(sd.TargetRevision, sd.TargetDeployment, green, test)
	for i, rev := range sd.SourceRevisions {
		id := ""
		if i == 0 {
			id = sd.SourceDeployment
		}
		v.SourceServiceRevisions = append(v.SourceServiceRevisions, summary(rev, id, 100-green, 100-test))
	}
	if cb := sd.Config.DeploymentCircuitBreaker; cb != nil && cb.Enable {
		bv := &breakerView{Status: "MONITORING", Threshold: int32(breakerThreshold(svc.DesiredCount)), FailureCount: sd.FailedTasks}
		if d := svc.deploymentByID(sd.TargetDeployment); d != nil {
			bv.FailureCount = d.FailedTasks
		}
		switch {
		case sd.BreakerTriggered:
			bv.Status = "TRIGGERED"
		case sd.Status == sdSuccessful:
			bv.Status = "MONITORING_COMPLETE"
		}
		v.DeploymentCircuitBreaker = bv
	} else {
		v.DeploymentCircuitBreaker = &breakerView{Status: "DISABLED"}
	}
	return v
}

type describeServiceRevisionsInput struct {
	ServiceRevisionArns []string `json:"serviceRevisionArns"`
}

type describeServiceRevisionsOutput struct {
	ServiceRevisions []serviceRevision `json:"serviceRevisions"`
	Failures         []failure         `json:"failures"`
}

func describeServiceRevisions(c *call, in *describeServiceRevisionsInput) (any, error) {
	if len(in.ServiceRevisionArns) == 0 || len(in.ServiceRevisionArns) > 20 {
		return nil, invalid("serviceRevisionArns must contain between 1 and 20 items.")
	}
	out := describeServiceRevisionsOutput{ServiceRevisions: []serviceRevision{}, Failures: []failure{}}
	for _, arn := range in.ServiceRevisionArns {
		rev := c.w.ecs.serviceRevisionByARN(arn)
		if rev == nil {
			out.Failures = append(out.Failures, missing(arn))
			continue
		}
		out.ServiceRevisions = append(out.ServiceRevisions, *rev)
	}
	return out, nil
}

// serviceRevisionByARN finds a service revision in any cluster.
func (e *ecsState) serviceRevisionByARN(arn string) *serviceRevision {
	if !strings.Contains(arn, ":service-revision/") {
		return nil
	}
	for _, cl := range e.Clusters {
		for _, svc := range cl.Services {
			for _, rev := range svc.History.Revisions {
				if rev.ServiceRevisionArn == arn {
					return rev
				}
			}
		}
	}
	return nil
}

type stopServiceDeploymentInput struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	StopType             string `json:"stopType"`
}

type serviceDeploymentArnOutput struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
}

// stopServiceDeployment rolls an in-progress service deployment back. A
// shifting one returns all traffic to the old revision at once; a rolling
// one starts the last completed revision again.
func stopServiceDeployment(c *call, in *stopServiceDeploymentInput) (any, error) {
	cl, svc, sd := c.w.ecs.serviceDeploymentByARN(in.ServiceDeploymentArn)
	if sd == nil {
		return nil, clientErr("ServiceDeploymentNotFoundException", "The service deployment %s does not exist.", in.ServiceDeploymentArn)
	}
	if in.StopType != "" && in.StopType != "ROLLBACK" {
		return nil, invalid("Invalid stopType %q. The valid value is ROLLBACK.", in.StopType)
	}
	if sd.Status != sdInProgress || sd != svc.History.current() {
		return nil, clientErr("ConflictException", "The service deployment %s is %s; only an IN_PROGRESS service deployment can be stopped.", sd.Arn, sd.Status)
	}
	const reason = "Service deployment rolled back because of a StopServiceDeployment request."
	if sd.Shifting {
		if sd.Stage == "CLEAN_UP" {
			return nil, clientErr("ConflictException", "The service deployment %s is in CLEAN_UP: the old service revision is being stopped and can no longer take traffic back.", sd.Arn)
		}
		c.w.rollbackToBlue(cl, svc, sd, reason, c.now)
		return serviceDeploymentArnOutput{ServiceDeploymentArn: sd.Arn}, nil
	}
	last := svc.LastCompleted
	if last == nil || last.ID == sd.TargetDeployment {
		return nil, clientErr("ConflictException", "The service %s has no earlier service revision to roll back to.", svc.ServiceName)
	}
	sd.Status = sdRollbackInProgress
	sd.StatusReason = reason
	sd.UpdatedAt = epochSeconds(c.now)
	sd.Rollback = &sdRollback{Reason: reason, StartedAt: epochSeconds(c.now), ServiceRevisionArn: svc.History.RevisionOf[last.ID]}
	if d := svc.primary(); d.RolloutState == "IN_PROGRESS" {
		d.RolloutState = "FAILED"
		d.RolloutStateReason = "ECS deployment rolled back: " + reason
	}
	svc.TaskDefinition = last.TaskDefinition
	svc.LoadBalancers = last.LoadBalancers
	svc.NetworkConfiguration = last.NetworkConfiguration
	c.w.startDeployment(svc, c.now)
	svc.primary().Rollback = true
	c.w.scheduleReconcile(cl, svc, c.now)
	return serviceDeploymentArnOutput{ServiceDeploymentArn: sd.Arn}, nil
}

type continueServiceDeploymentInput struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
	HookID               string `json:"hookId"`
	Action               string `json:"action"`
}

// continueServiceDeployment answers a pause hook awaiting action.
func continueServiceDeployment(c *call, in *continueServiceDeploymentInput) (any, error) {
	if in.HookID == "" {
		return nil, invalid("hookId must be specified.")
	}
	action := cmpOr(in.Action, "CONTINUE")
	if action != "CONTINUE" && action != "ROLLBACK" {
		return nil, invalid("Invalid action %q. Valid values are CONTINUE and ROLLBACK.", in.Action)
	}
	cl, svc, sd := c.w.ecs.serviceDeploymentByARN(in.ServiceDeploymentArn)
	if sd == nil {
		return nil, clientErr("ServiceDeploymentNotFoundException", "The service deployment %s does not exist.", in.ServiceDeploymentArn)
	}
	h := sd.hook(in.HookID)
	switch {
	case h == nil:
		return nil, invalid("The lifecycle hook %s does not belong to the service deployment %s.", in.HookID, sd.Arn)
	case sd.Status != sdInProgress:
		return nil, clientErr("ConflictException", "The service deployment %s is %s; only an IN_PROGRESS service deployment can be continued.", sd.Arn, sd.Status)
	case h.Status != "AWAITING_ACTION":
		return nil, clientErr("ConflictException", "The lifecycle hook %s is %s, not AWAITING_ACTION.", in.HookID, h.Status)
	}
	h.Status = "SUCCEEDED"
	if action == "ROLLBACK" {
		c.w.rollbackToBlue(cl, svc, sd, "Service deployment rolled back because of a ContinueServiceDeployment request with action ROLLBACK.", c.now)
	} else {
		c.w.resumeAfterHook(cl, svc, sd, c.now)
	}
	return serviceDeploymentArnOutput{ServiceDeploymentArn: sd.Arn}, nil
}
