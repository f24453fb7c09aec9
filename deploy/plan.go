package deploy

import (
	"context"
	"fmt"

	"github.com/ecsconsole/ecsconsole"
)

// Plan is what apply would do to each resource, read from the live state.
type Plan struct {
	Items []PlanItem `json:"items"`
}

// PlanItem is one step's decision about its resource: create, reuse,
// update or refuse, and why.
type PlanItem struct {
	Step     string `json:"step"`     // the step's stored name, e.g. "target-group"
	Resource string `json:"resource"` // e.g. "target group"
	Name     string `json:"name"`
	Action   string `json:"action"` // ecsconsole.ActionCreate, ActionReuse, ActionUpdate or ActionRefuse
	Reason   string `json:"reason"` // a sentence, e.g. "target group php-app exists with port 8080"
}

// Refused returns the items the plan refuses.
func (p Plan) Refused() []PlanItem {
	var out []PlanItem
	for _, it := range p.Items {
		if it.Action == ecsconsole.ActionRefuse {
			out = append(out, it)
		}
	}
	return out
}

// Plan checks that the resources spec names exist (a *ValidationError
// naming the field when one does not), then runs every step's decision
// against the live state, with describe calls only: the decisions apply
// would make now. Each step sees its dependencies as their decisions leave
// them: what exists, or nothing yet when it is to be created.
func (e *Engine) Plan(ctx context.Context, spec *ecsconsole.Spec) (Plan, error) {
	clients, err := e.clients(ctx, spec.Region)
	if err != nil {
		return Plan{}, err
	}
	if err := checkNamedResources(ctx, lookup{clients}, spec); err != nil {
		return Plan{}, err
	}
	sh := newShared()
	results := map[string]result{}
	var plan Plan
	for _, n := range stepGraph(spec) {
		if n.def.resource == "" {
			continue // a wait or a read: nothing to decide
		}
		s := &stepCtx{e: e, spec: spec, aws: clients, node: &n, results: results, shared: sh, planning: true}
		d, err := n.def.decide(ctx, s)
		if err != nil {
			return Plan{}, fmt.Errorf("planning %s of %s: %w", n.name, spec.ServiceKey(), asSpecProblem(err))
		}
		plan.Items = append(plan.Items, PlanItem{Step: n.name, Resource: n.def.resource, Name: d.Name, Action: d.Action,
			Reason: d.Reason}) // the action is its own field: no "→ refuse" in a sentence shown to people
		results[n.name] = d.Found
	}
	return plan, nil
}
