package sandbox

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// The lifecycle stages of a blue/green, canary or linear service deployment
// in simulated time (docs/aws-api.md §10.3): the new (green) revision
// scales up in the alternate target group, test traffic moves to it, then
// production traffic by the weights of the production listener rule's
// forward action — all at once, canaryPercent then the rest, or
// stepPercent at a time — then the bake time, and only then are the old
// (blue) tasks stopped. Pause hooks hold a stage until
// ContinueServiceDeployment or their timeout.

// stageTime is how long a stage with nothing to wait for takes.
const stageTime = 10 * time.Second

// enterStage moves sd to stage, runs the stage's hooks and, unless a pause
// hook holds it, the stage itself.
func (w *world) enterStage(cl *clusterRecord, svc *serviceRecord, sd *serviceDeploymentRecord, stage string, now time.Time) {
	sd.Stage = stage
	sd.Seq++
	sd.Waiting = ""
	sd.NextAt = nil
	sd.UpdatedAt = epochSeconds(now)
	paused := false
	for _, h := range sd.Config.LifecycleHooks {
		if !slices.Contains(h.LifecycleStages, stage) {
			continue
		}
		detail := hookDetail{HookID: "ecs-hook-" + randomID(43), TargetType: cmpOr(h.TargetType, "AWS_LAMBDA"), TargetArn: h.HookTargetArn, Stage: stage, Status: "SUCCEEDED"}
		if detail.TargetType == "PAUSE" {
			detail.HookID = "ecs-pause-" + randomID(43)
			minutes, action := int32(1440), "ROLLBACK"
			if tc := h.TimeoutConfiguration; tc != nil {
				minutes = derefOr(tc.TimeoutInMinutes, minutes)
				action = cmpOr(tc.Action, action)
			}
			expires := epochSeconds(now.Add(time.Duration(minutes) * time.Minute))
			detail.Status, detail.ExpiresAt, detail.TimeoutAction = "AWAITING_ACTION", &expires, action
			w.scheduleHookTimeout(cl, svc, sd, detail.HookID, time.Time(expires))
			paused = true
		}
		sd.Hooks = append(sd.Hooks, detail)
	}
	if paused {
		sd.Waiting = "hook"
		svc.addEvent(now, "(service-deployment %s) is paused at %s, awaiting ContinueServiceDeployment.", sd.Arn, stage)
		return
	}
	w.runStage(cl, svc, sd, now)
}

// cmpOr is v, or def when v is empty.
func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// runStage does what sd's stage does and schedules the next one.
func (w *world) runStage(cl *clusterRecord, svc *serviceRecord, sd *serviceDeploymentRecord, now time.Time) {
	next := func(stage string, after time.Duration) {
		sd.Waiting = "timer"
		at := epochSeconds(now.Add(after))
		sd.NextAt, sd.NextStage = &at, stage
		w.scheduleStage(cl, svc, sd, stage, now.Add(after))
	}
	switch sd.Stage {
	case "PRE_SCALE_UP":
		next("SCALE_UP", stageTime)
	case "SCALE_UP":
		sd.Waiting = "tasks"
		w.scheduleReconcile(cl, svc, now)
	case "POST_SCALE_UP":
		next("TEST_TRAFFIC_SHIFT", stageTime)
	case "TEST_TRAFFIC_SHIFT":
		w.shiftTest(sd, true)
		next("POST_TEST_TRAFFIC_SHIFT", stageTime)
	case "POST_TEST_TRAFFIC_SHIFT":
		next("PRE_PRODUCTION_TRAFFIC_SHIFT", stageTime)
	case "PRE_PRODUCTION_TRAFFIC_SHIFT":
		next("PRODUCTION_TRAFFIC_SHIFT", stageTime)
	case "PRODUCTION_TRAFFIC_SHIFT":
		pct, bake := nextShift(sd)
		w.shiftProduction(sd, pct)
		svc.addEvent(now, "(service-deployment %s) shifted %s%% of production traffic to the new service revision.", sd.Arn, formatPercent(pct))
		if pct >= 100 {
			next("POST_PRODUCTION_TRAFFIC_SHIFT", stageTime)
		} else {
			next("PRE_PRODUCTION_TRAFFIC_SHIFT", bake)
		}
	case "POST_PRODUCTION_TRAFFIC_SHIFT":
		next("BAKE_TIME", stageTime)
	case "BAKE_TIME":
		next("CLEAN_UP", time.Duration(derefOr(sd.Config.BakeTimeInMinutes, 0))*time.Minute)
	case "CLEAN_UP":
		sd.Waiting = "drain"
		w.scheduleReconcile(cl, svc, now)
	}
}

// nextShift is the production percentage of the next traffic step and the
// bake before the one after it: all at once for blue/green, canaryPercent
// then 100 for canary (default 5% and 10 minutes), stepPercent more each
// step for linear (default 10% and 6 minutes).
func nextShift(sd *serviceDeploymentRecord) (float64, time.Duration) {
	minutes := func(m int32) time.Duration { return time.Duration(m) * time.Minute }
	switch sd.Strategy {
	case strategyCanary:
		pct, bake := 5.0, int32(10)
		if c := sd.Config.CanaryConfiguration; c != nil {
			pct, bake = derefOr(c.CanaryPercent, pct), derefOr(c.CanaryBakeTimeInMinutes, bake)
		}
		if sd.GreenPercent < pct {
			return pct, minutes(bake)
		}
		return 100, 0
	case strategyLinear:
		step, bake := 10.0, int32(6)
		if l := sd.Config.LinearConfiguration; l != nil {
			step, bake = derefOr(l.StepPercent, step), derefOr(l.StepBakeTimeInMinutes, bake)
		}
		return math.Min(100, math.Round((sd.GreenPercent+step)*10)/10), minutes(bake)
	}
	return 100, 0
}

// formatPercent prints 5 as "5" and 2.5 as "2.5".
func formatPercent(p float64) string {
	return fmt.Sprintf("%g", p)
}

// ruleWeights turns a green percentage into forward weights (0–999 each):
// whole percentages as weights out of 100, tenths as weights out of 1000.
func ruleWeights(greenPct float64) (blue, green int) {
	if tenths := math.Round(greenPct * 10); math.Mod(tenths, 10) != 0 {
		return 1000 - int(tenths), int(tenths)
	}
	g := int(math.Round(greenPct))
	return 100 - g, g
}

// shiftProduction puts pct of each production rule's traffic on green.
func (w *world) shiftProduction(sd *serviceDeploymentRecord, pct float64) {
	sd.GreenPercent = pct
	blue, green := ruleWeights(pct)
	for _, t := range sd.Traffic {
		w.elb.setForwardWeights(t.ProductionRule, map[string]int{t.BlueTG: blue, t.GreenTG: green})
	}
}

// shiftTest sends each test rule's traffic all to green, or all to blue.
func (w *world) shiftTest(sd *serviceDeploymentRecord, toGreen bool) {
	sd.TestOnGreen = toGreen
	blue, green := 100, 0
	if toGreen {
		blue, green = 0, 100
	}
	for _, t := range sd.Traffic {
		if t.TestRule != "" {
			w.elb.setForwardWeights(t.TestRule, map[string]int{t.BlueTG: blue, t.GreenTG: green})
		}
	}
}

// scheduleStage enters stage at t unless sd has moved on by then.
func (w *world) scheduleStage(cl *clusterRecord, svc *serviceRecord, sd *serviceDeploymentRecord, stage string, t time.Time) {
	seq := sd.Seq
	w.at(t, func(now time.Time) {
		if sd.Seq == seq && sd.Status == sdInProgress {
			w.enterStage(cl, svc, sd, stage, now)
		}
	})
}

// scheduleHookTimeout takes a pause hook's timeout action at t unless it
// was answered by then.
func (w *world) scheduleHookTimeout(cl *clusterRecord, svc *serviceRecord, sd *serviceDeploymentRecord, hookID string, t time.Time) {
	w.at(t, func(now time.Time) {
		h := sd.hook(hookID)
		if h == nil || h.Status != "AWAITING_ACTION" || sd.Status != sdInProgress {
			return
		}
		h.Status = "TIMED_OUT"
		svc.addEvent(now, "(service-deployment %s) lifecycle hook %s timed out; action %s.", sd.Arn, hookID, h.TimeoutAction)
		if h.TimeoutAction == "CONTINUE" {
			w.resumeAfterHook(cl, svc, sd, now)
			return
		}
		w.rollbackToBlue(cl, svc, sd, fmt.Sprintf("Service deployment rolled back because the lifecycle hook %s timed out.", hookID), now)
	})
}

// hook finds one of sd's hook details.
func (sd *serviceDeploymentRecord) hook(id string) *hookDetail {
	for i := range sd.Hooks {
		if sd.Hooks[i].HookID == id {
			return &sd.Hooks[i]
		}
	}
	return nil
}

// resumeAfterHook runs the held stage once no pause hook awaits action.
func (w *world) resumeAfterHook(cl *clusterRecord, svc *serviceRecord, sd *serviceDeploymentRecord, now time.Time) {
	if slices.ContainsFunc(sd.Hooks, func(h hookDetail) bool { return h.Status == "AWAITING_ACTION" }) {
		return
	}
	sd.Seq++
	sd.Waiting = ""
	sd.UpdatedAt = epochSeconds(now)
	w.runStage(cl, svc, sd, now)
}

// rollbackToBlue returns a shifting service deployment to the old
// revision at once: every production and test rule back to 100% blue, the
// old deployment PRIMARY again and the new one's tasks drained.
func (w *world) rollbackToBlue(cl *clusterRecord, svc *serviceRecord, sd *serviceDeploymentRecord, reason string, now time.Time) {
	w.shiftProduction(sd, 0)
	w.shiftTest(sd, false)
	for i := range sd.Hooks {
		if sd.Hooks[i].Status == "AWAITING_ACTION" {
			sd.Hooks[i].Status = "FAILED"
		}
	}
	sd.Seq++
	sd.Waiting = ""
	sd.NextAt = nil
	sd.Status = sdRollbackInProgress
	sd.StatusReason = reason
	sd.UpdatedAt = epochSeconds(now)
	sd.Rollback = &sdRollback{Reason: reason, StartedAt: epochSeconds(now)}
	if len(sd.SourceRevisions) > 0 {
		sd.Rollback.ServiceRevisionArn = sd.SourceRevisions[0]
	}
	blue := svc.deploymentByID(sd.SourceDeployment)
	green := svc.deploymentByID(sd.TargetDeployment)
	if blue == nil || green == nil {
		sd.finish(sdRollbackFailed, "The old service revision is no longer running.", now)
		return
	}
	green.Status = "ACTIVE"
	if green.RolloutState == "IN_PROGRESS" {
		green.RolloutState = "FAILED"
		green.RolloutStateReason = "ECS deployment rolled back: " + reason
	}
	green.UpdatedAt = epochSeconds(now)
	blue.Status = "PRIMARY"
	blue.DesiredCount = svc.DesiredCount
	blue.UpdatedAt = epochSeconds(now)
	rest := slices.DeleteFunc(slices.Clone(svc.DeploymentRecords), func(d *deploymentRecord) bool { return d == blue })
	svc.DeploymentRecords = append([]*deploymentRecord{blue}, rest...)
	svc.TaskDefinition = blue.TaskDefinition
	svc.Steady = false
	svc.addEvent(now, "(service-deployment %s) rolling back: %s", sd.Arn, reason)
	w.scheduleReconcile(cl, svc, now)
}
