package sandbox

import (
	"math"
	"net/url"
	"slices"
	"strings"
)

// The deployment strategies of the ECS deployment controller: what
// CreateService and UpdateService accept and refuse (docs/aws-api.md §10.1,
// §10.2). The running deployment is in ecs_strategy_stages.go.

// Deployment strategies (DeploymentConfiguration.strategy).
const (
	strategyRolling   = "ROLLING"
	strategyBlueGreen = "BLUE_GREEN"
	strategyCanary    = "CANARY"
	strategyLinear    = "LINEAR"
)

// maxBakeMinutes bounds every bake time: 24 hours.
const maxBakeMinutes = 1440

// maxHookTimeoutMinutes bounds a lifecycle hook's timeout: 14 days.
const maxHookTimeoutMinutes = 14 * 24 * 60

// strategyConfiguration is the strategy part of DeploymentConfiguration.
type strategyConfiguration struct {
	Strategy            string               `json:"strategy,omitempty"`
	BakeTimeInMinutes   *int32               `json:"bakeTimeInMinutes,omitempty"`
	CanaryConfiguration *canaryConfiguration `json:"canaryConfiguration,omitempty"`
	LinearConfiguration *linearConfiguration `json:"linearConfiguration,omitempty"`
	LifecycleHooks      []lifecycleHook      `json:"lifecycleHooks,omitempty"`
}

type canaryConfiguration struct {
	CanaryPercent           *float64 `json:"canaryPercent,omitempty"`
	CanaryBakeTimeInMinutes *int32   `json:"canaryBakeTimeInMinutes,omitempty"`
}

type linearConfiguration struct {
	StepPercent           *float64 `json:"stepPercent,omitempty"`
	StepBakeTimeInMinutes *int32   `json:"stepBakeTimeInMinutes,omitempty"`
}

// lifecycleHook is a DeploymentLifecycleHook. AWS_LAMBDA hooks cannot run
// here (the sandbox has no Lambda): they succeed at once. PAUSE hooks wait
// for ContinueServiceDeployment or their timeout, as on AWS.
type lifecycleHook struct {
	HookTargetArn        string             `json:"hookTargetArn,omitempty"`
	RoleArn              string             `json:"roleArn,omitempty"`
	LifecycleStages      []string           `json:"lifecycleStages"`
	TargetType           string             `json:"targetType,omitempty"`
	TimeoutConfiguration *hookTimeoutConfig `json:"timeoutConfiguration,omitempty"`
	HookDetails          any                `json:"hookDetails,omitempty"`
}

type hookTimeoutConfig struct {
	TimeoutInMinutes *int32 `json:"timeoutInMinutes,omitempty"`
	Action           string `json:"action,omitempty"`
}

// advancedConfiguration is a load balancer's blue/green settings.
type advancedConfiguration struct {
	AlternateTargetGroupArn string `json:"alternateTargetGroupArn,omitempty"`
	ProductionListenerRule  string `json:"productionListenerRule,omitempty"`
	TestListenerRule        string `json:"testListenerRule,omitempty"`
	RoleArn                 string `json:"roleArn,omitempty"`
}

// hookStages are the stages a hook may name; pause hooks may not use the
// two shifting stages, which only Lambda hooks can watch.
var hookStages = []string{"RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}

// mergeStrategy applies the strategy members set in req to base.
func mergeStrategy(base *strategyConfiguration, req strategyConfiguration) {
	if req.Strategy != "" {
		base.Strategy = req.Strategy
	}
	if req.BakeTimeInMinutes != nil {
		base.BakeTimeInMinutes = req.BakeTimeInMinutes
	}
	if req.CanaryConfiguration != nil {
		base.CanaryConfiguration = req.CanaryConfiguration
	}
	if req.LinearConfiguration != nil {
		base.LinearConfiguration = req.LinearConfiguration
	}
	if req.LifecycleHooks != nil {
		base.LifecycleHooks = req.LifecycleHooks
	}
}

// usesStrategyFields reports whether a request sets anything only the ECS
// deployment controller accepts.
func usesStrategyFields(conf *deploymentConfiguration, lbs []loadBalancer) bool {
	if conf != nil {
		sc := conf.strategyConfiguration
		if sc.Strategy != "" || sc.BakeTimeInMinutes != nil || sc.CanaryConfiguration != nil || sc.LinearConfiguration != nil || len(sc.LifecycleHooks) > 0 {
			return true
		}
	}
	return slices.ContainsFunc(lbs, func(lb loadBalancer) bool { return lb.AdvancedConfiguration != nil })
}

// checkController refuses strategy fields on the CODE_DEPLOY and EXTERNAL
// controllers, before the sandbox's own refusal of those controllers.
func checkController(ctrl *deploymentController, conf *deploymentConfiguration, lbs []loadBalancer) error {
	if ctrl == nil || ctrl.Type == "" || ctrl.Type == "ECS" {
		return nil
	}
	if !slices.Contains([]string{"CODE_DEPLOY", "EXTERNAL"}, ctrl.Type) {
		return invalid("Invalid deployment controller type %q.", ctrl.Type)
	}
	if usesStrategyFields(conf, lbs) {
		return invalid("The deployment strategy, bake time, canary and linear configurations, lifecycle hooks and advancedConfiguration are only supported for services that use the ECS deployment controller.")
	}
	return nil
}

// checkStrategy validates a service's merged deployment configuration
// against its load balancers and ELBv2.
func (w *world) checkStrategy(conf deploymentConfiguration, lbs []loadBalancer) error {
	sc := conf.strategyConfiguration
	strategy := strategyOf(conf)
	if !slices.Contains([]string{strategyRolling, strategyBlueGreen, strategyCanary, strategyLinear}, strategy) {
		return invalid("Invalid deployment strategy %q. Valid values are ROLLING, BLUE_GREEN, CANARY and LINEAR.", strategy)
	}
	if sc.CanaryConfiguration != nil && strategy != strategyCanary {
		return invalid("canaryConfiguration is only valid when the deployment strategy is CANARY.")
	}
	if sc.LinearConfiguration != nil && strategy != strategyLinear {
		return invalid("linearConfiguration is only valid when the deployment strategy is LINEAR.")
	}
	if b := sc.BakeTimeInMinutes; b != nil && (*b < 0 || *b > maxBakeMinutes) {
		return invalid("bakeTimeInMinutes must be between 0 and %d.", maxBakeMinutes)
	}
	if strategy == strategyBlueGreen && sc.BakeTimeInMinutes == nil {
		return invalid("bakeTimeInMinutes must be specified when the deployment strategy is BLUE_GREEN.")
	}
	if err := checkCanaryLinear(sc); err != nil {
		return err
	}
	if err := checkHooks(sc.LifecycleHooks, w); err != nil {
		return err
	}
	advanced := 0
	for _, lb := range lbs {
		if lb.AdvancedConfiguration == nil {
			continue
		}
		advanced++
		if err := w.checkAdvanced(lb); err != nil {
			return err
		}
	}
	if strategy != strategyRolling && advanced == 0 {
		return invalid("The %s deployment strategy requires a load balancer with an advancedConfiguration (alternateTargetGroupArn, productionListenerRule and roleArn).", strategy)
	}
	return nil
}

// strategyOf is the configuration's strategy; ROLLING when unset.
func strategyOf(conf deploymentConfiguration) string {
	if conf.Strategy == "" {
		return strategyRolling
	}
	return conf.Strategy
}

// checkCanaryLinear applies the ranges of the canary and linear settings:
// percentages in steps of 0.1, bake times up to 24 hours.
func checkCanaryLinear(sc strategyConfiguration) error {
	if c := sc.CanaryConfiguration; c != nil {
		if p := c.CanaryPercent; p != nil && (*p < 0.1 || *p > 100 || !tenths(*p)) {
			return invalid("canaryPercent must be a multiple of 0.1 between 0.1 and 100.0.")
		}
		if b := c.CanaryBakeTimeInMinutes; b != nil && (*b < 0 || *b > maxBakeMinutes) {
			return invalid("canaryBakeTimeInMinutes must be between 0 and %d.", maxBakeMinutes)
		}
	}
	if l := sc.LinearConfiguration; l != nil {
		if p := l.StepPercent; p != nil && (*p < 3 || *p > 100 || !tenths(*p)) {
			return invalid("stepPercent must be a multiple of 0.1 between 3.0 and 100.0.")
		}
		if b := l.StepBakeTimeInMinutes; b != nil && (*b < 0 || *b > maxBakeMinutes) {
			return invalid("stepBakeTimeInMinutes must be between 0 and %d.", maxBakeMinutes)
		}
	}
	return nil
}

// tenths reports whether p is a multiple of 0.1 (to float precision).
func tenths(p float64) bool {
	return math.Abs(p*10-math.Round(p*10)) < 1e-6
}

// checkHooks validates lifecycle hooks: known stages, a target and role for
// Lambda hooks, none for pause hooks, and timeouts in range.
func checkHooks(hooks []lifecycleHook, w *world) error {
	for _, h := range hooks {
		kind := h.TargetType
		if kind == "" {
			kind = "AWS_LAMBDA"
		}
		if kind != "AWS_LAMBDA" && kind != "PAUSE" {
			return invalid("Invalid lifecycle hook targetType %q. Valid values are AWS_LAMBDA and PAUSE.", h.TargetType)
		}
		if len(h.LifecycleStages) == 0 {
			return invalid("lifecycleStages must be specified for a deployment lifecycle hook.")
		}
		for _, st := range h.LifecycleStages {
			if !slices.Contains(hookStages, st) {
				return invalid("Invalid lifecycle stage %q for a deployment lifecycle hook.", st)
			}
			if kind == "PAUSE" && (st == "TEST_TRAFFIC_SHIFT" || st == "PRODUCTION_TRAFFIC_SHIFT") {
				return invalid("PAUSE hooks cannot be configured at the %s lifecycle stage.", st)
			}
		}
		switch {
		case kind == "AWS_LAMBDA" && h.HookTargetArn == "":
			return invalid("hookTargetArn must be specified for an AWS_LAMBDA lifecycle hook.")
		case kind == "AWS_LAMBDA" && h.RoleArn == "":
			return invalid("roleArn must be specified for an AWS_LAMBDA lifecycle hook.")
		case kind == "AWS_LAMBDA" && !w.roleExists(h.RoleArn):
			return invalid("The role %s does not exist or cannot be assumed by Amazon ECS.", h.RoleArn)
		case kind == "PAUSE" && h.HookTargetArn != "":
			return invalid("hookTargetArn is not applicable to PAUSE lifecycle hooks.")
		}
		if tc := h.TimeoutConfiguration; tc != nil {
			if m := tc.TimeoutInMinutes; m != nil && (*m < 1 || *m > maxHookTimeoutMinutes) {
				return invalid("timeoutInMinutes must be between 1 and %d.", maxHookTimeoutMinutes)
			}
			if tc.Action != "" && tc.Action != "CONTINUE" && tc.Action != "ROLLBACK" {
				return invalid("Invalid lifecycle hook timeout action %q. Valid values are CONTINUE and ROLLBACK.", tc.Action)
			}
		}
	}
	return nil
}

// checkAdvanced validates one load balancer's advancedConfiguration: the
// alternate target group, the listener rules (forward actions that name
// both target groups) and the role ECS changes them with.
func (w *world) checkAdvanced(lb loadBalancer) error {
	ac := lb.AdvancedConfiguration
	switch {
	case ac.AlternateTargetGroupArn == "":
		return invalid("advancedConfiguration.alternateTargetGroupArn must be specified.")
	case ac.ProductionListenerRule == "":
		return invalid("advancedConfiguration.productionListenerRule must be specified for an Application Load Balancer.")
	case ac.RoleArn == "":
		return invalid("advancedConfiguration.roleArn must be specified: Amazon ECS needs an infrastructure role to change the load balancer.")
	case ac.AlternateTargetGroupArn == lb.TargetGroupArn:
		return invalid("The alternate target group must differ from the target group %s.", lb.TargetGroupArn)
	}
	if !w.roleExists(ac.RoleArn) {
		return invalid("The role %s does not exist or cannot be assumed by Amazon ECS.", ac.RoleArn)
	}
	primary, _ := w.lookupTargetGroup(lb.TargetGroupArn)
	alt, ok := w.lookupTargetGroup(ac.AlternateTargetGroupArn)
	if !ok {
		return invalid("Unable to find target group %s.", ac.AlternateTargetGroupArn)
	}
	if alt.TargetType != primary.TargetType {
		return invalid("The alternate target group %s has target type %s, but the target group %s has %s.", alt.ARN, alt.TargetType, primary.ARN, primary.TargetType)
	}
	for _, rule := range []struct{ name, arn string }{{"productionListenerRule", ac.ProductionListenerRule}, {"testListenerRule", ac.TestListenerRule}} {
		if rule.arn == "" {
			continue
		}
		if err := w.checkTrafficRule(rule.name, rule.arn, lb.TargetGroupArn, ac.AlternateTargetGroupArn); err != nil {
			return err
		}
	}
	return nil
}

// checkTrafficRule requires a listener rule ECS can shift: it exists, its
// only action is a forward, and the forward names both target groups.
func (w *world) checkTrafficRule(name, arn, primary, alternate string) error {
	actions, ok := w.elb.ruleActions(arn)
	if !ok {
		return invalid("Unable to find the listener rule %s (%s).", arn, name)
	}
	for _, a := range actions {
		if a.Type != "forward" {
			return invalid("The listener rule %s (%s) has a %s action. Blue/green, canary and linear deployments need listener rules whose actions are all forward actions.", arn, name, a.Type)
		}
	}
	tgs := actionTargetGroups(actions)
	for _, tg := range []string{primary, alternate} {
		if !slices.Contains(tgs, tg) {
			return invalid("The target group %s is not associated with the listener rule %s (%s): the rule must forward to both the target group and the alternate target group.", tg, arn, name)
		}
	}
	return nil
}

// roleExists reports whether arn is one of the account's roles that
// ecs.amazonaws.com may assume and that is not service-linked.
func (w *world) roleExists(arn string) bool {
	for _, r := range seededRoles(w.account, rolesCreated) {
		if r.Arn != arn || strings.HasPrefix(r.Path, "/aws-service-role/") {
			continue
		}
		trust, err := url.QueryUnescape(r.AssumeRolePolicyDocument)
		return err == nil && strings.Contains(trust, `"ecs.amazonaws.com"`)
	}
	return false
}
