package sandbox

import (
	"net/url"
	"slices"
)

// Weighted forward actions on listener rules: ModifyRule, and the weights
// ECS moves between a service's two target groups during blue/green, canary
// and linear deployments (docs/aws-api.md §4.7, §10.3).

// elbModifyRule replaces a rule's conditions and/or actions. A default rule
// takes actions only (its conditions are fixed), as on AWS.
func elbModifyRule(c *call, form url.Values) (any, error) {
	st := c.w.elb
	arn := form.Get("RuleArn")
	r := st.rule(arn)
	var l *elbListener
	if r == nil {
		l = st.listenerOfDefaultRule(arn)
		if l == nil {
			return nil, clientErr("RuleNotFound", "One or more rules not found")
		}
	}
	hasConditions := len(memberList(form, "Conditions").Items) > 0
	hasActions := len(memberList(form, "Actions").Items) > 0
	if r == nil && hasConditions {
		return nil, clientErr("OperationNotPermitted", "Default rule '%s' cannot be modified with conditions", arn)
	}
	var conditions []elbCondition
	var actions []elbAction
	var err error
	if hasConditions {
		if conditions, err = parseConditions(form); err != nil {
			return nil, err
		}
	}
	if hasActions {
		if actions, err = parseActions(form, "Actions"); err != nil {
			return nil, err
		}
		listenerARN := arn
		if r != nil {
			listenerARN = r.ListenerARN
		} else {
			listenerARN = l.ARN
		}
		lb := st.loadBalancer(st.listener(listenerARN).LoadBalancerARN)
		if err := st.checkActionTargets(lb, actions); err != nil {
			return nil, err
		}
	}
	if r == nil {
		if hasActions {
			l.DefaultActions = actions
			c.w.startHealthChecks(actionTargetGroups(actions), c.now)
		}
		return &rulesOutput{Rules: []elbRuleOut{l.defaultRuleOut()}}, nil
	}
	if hasConditions {
		r.Conditions = conditions
	}
	if hasActions {
		r.Actions = actions
		c.w.startHealthChecks(actionTargetGroups(actions), c.now)
	}
	return &rulesOutput{Rules: []elbRuleOut{r.out()}}, nil
}

// listenerOfDefaultRule finds the listener whose default rule is arn.
func (st *elbState) listenerOfDefaultRule(arn string) *elbListener {
	for _, l := range st.Listeners {
		if l.DefaultRuleARN == arn {
			return l
		}
	}
	return nil
}

// ruleActions returns the actions of a rule or of a listener's default
// rule, and whether arn names one.
func (st *elbState) ruleActions(arn string) ([]elbAction, bool) {
	if r := st.rule(arn); r != nil {
		return r.Actions, true
	}
	if l := st.listenerOfDefaultRule(arn); l != nil {
		return l.DefaultActions, true
	}
	return nil, false
}

// forwardAction is the rule's forward action, or nil when the rule is gone
// or does not forward.
func (st *elbState) forwardAction(arn string) *elbAction {
	actions := []elbAction(nil)
	if r := st.rule(arn); r != nil {
		actions = r.Actions
	} else if l := st.listenerOfDefaultRule(arn); l != nil {
		actions = l.DefaultActions
	}
	for i := range actions {
		if actions[i].Type == "forward" && actions[i].ForwardConfig != nil {
			return &actions[i]
		}
	}
	return nil
}

// forwardWeight is the weight the rule's forward action gives tg (0 when
// it does not name it).
func (st *elbState) forwardWeight(ruleARN, tg string) int {
	a := st.forwardAction(ruleARN)
	if a == nil {
		return 0
	}
	for _, t := range a.ForwardConfig.TargetGroups {
		if t.TargetGroupArn == tg {
			return t.Weight
		}
	}
	return 0
}

// setForwardWeights sets the weights of the rule's forward action for the
// target groups named in weights, adding a group the action lacks, as ECS
// does with ModifyRule through its infrastructure role. A forward to more
// than one group carries no single TargetGroupArn on the wire.
func (st *elbState) setForwardWeights(ruleARN string, weights map[string]int) {
	a := st.forwardAction(ruleARN)
	if a == nil {
		return
	}
	for _, tg := range sortedKeys(weights) {
		i := slices.IndexFunc(a.ForwardConfig.TargetGroups, func(t elbTargetGroupTuple) bool { return t.TargetGroupArn == tg })
		if i < 0 {
			a.ForwardConfig.TargetGroups = append(a.ForwardConfig.TargetGroups, elbTargetGroupTuple{TargetGroupArn: tg})
			i = len(a.ForwardConfig.TargetGroups) - 1
		}
		a.ForwardConfig.TargetGroups[i].Weight = weights[tg]
	}
	if len(a.ForwardConfig.TargetGroups) > 1 {
		a.TargetGroupArn = ""
	}
}
