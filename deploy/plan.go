package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/ecsconsole/ecsconsole/store"
)

// Plan is what apply would do to each resource, read from the live state.
type Plan struct {
	Items []PlanItem `json:"items"`
}

// PlanItem is one resource's fate: create, reuse or update, and why.
type PlanItem struct {
	Resource string `json:"resource"` // e.g. "target group"
	Name     string `json:"name"`
	Action   string `json:"action"` // store.ActionCreate, ActionReuse or ActionUpdate
	Reason   string `json:"reason"` // e.g. "target group php-app exists with port 8080 → reuse"
}

// Plan reads the live state of spec's resources with describe calls only
// and says what apply would do to each.
func (e *Engine) Plan(ctx context.Context, spec *Spec) (Plan, error) {
	clients, err := e.clients(ctx, spec.Region)
	if err != nil {
		return Plan{}, err
	}
	p := planner{l: lookup{clients}, spec: spec}
	steps := []func(context.Context) error{p.securityGroups, p.taskDefinition, p.cluster}
	if spec.LoadBalancer != nil {
		steps = append(steps, p.targetGroup, p.loadBalancer)
	}
	steps = append(steps, p.service)
	if spec.LoadBalancer != nil && spec.LoadBalancer.HTTPS != nil {
		steps = append(steps, p.certificate)
	}
	for _, s := range steps {
		if err := s(ctx); err != nil {
			return Plan{}, fmt.Errorf("planning %s: %w", spec.ServiceKey(), err)
		}
	}
	return Plan{Items: p.items}, nil
}

// planner accumulates plan items.
type planner struct {
	l     lookup
	spec  *Spec
	items []PlanItem
	// lbARN is the existing load balancer's, for its listeners.
	lbARN string
}

func (p *planner) add(resource, name, action, format string, args ...any) {
	p.items = append(p.items, PlanItem{Resource: resource, Name: name, Action: action,
		Reason: fmt.Sprintf(format, args...) + " → " + action})
}

func (p *planner) securityGroups(ctx context.Context) error {
	var names []string
	if p.spec.LoadBalancer != nil {
		names = append(names, loadBalancerSGName(p.spec.LoadBalancer))
	}
	if sg := p.spec.Service.NewSecurityGroup; sg != nil {
		names = append(names, sg.Name)
	}
	if len(names) == 0 {
		return nil
	}
	vpc, err := p.l.vpcOf(ctx, p.spec.Service.Subnets)
	if err != nil {
		return err
	}
	for _, name := range names {
		sg, err := p.l.securityGroup(ctx, vpc, name)
		switch {
		case err != nil:
			return err
		case sg == nil:
			p.add("security group", name, store.ActionCreate, "security group %s does not exist in %s", name, vpc)
		default:
			p.add("security group", name, store.ActionReuse, "security group %s exists (%s)", name, aws.ToString(sg.GroupId))
		}
	}
	return nil
}

func (p *planner) taskDefinition(ctx context.Context) error {
	in, err := decodeTaskDefinition(p.spec.TaskDefinition)
	if err != nil {
		return err
	}
	family := aws.ToString(in.Family)
	td, err := p.l.taskDefinition(ctx, family)
	switch {
	case err != nil:
		return err
	case td == nil || td.Status != ecstypes.TaskDefinitionStatusActive:
		p.add("task definition", family, store.ActionCreate, "family %s has no active revision", family)
	case sameTaskDefinition(in, td):
		p.add("task definition", family, store.ActionReuse, "task definition identical to revision %d", td.Revision)
	default:
		p.add("task definition", family, store.ActionCreate, "task definition differs from revision %d: a new revision", td.Revision)
	}
	return nil
}

func (p *planner) cluster(ctx context.Context) error {
	name := p.spec.Cluster.Name
	c, err := p.l.cluster(ctx, name)
	switch {
	case err != nil:
		return err
	case c == nil:
		p.add("cluster", name, store.ActionCreate, "cluster %s does not exist", name)
	default:
		p.add("cluster", name, store.ActionReuse, "cluster %s exists", name)
	}
	return nil
}

func (p *planner) targetGroup(ctx context.Context) error {
	tg := p.spec.LoadBalancer.TargetGroup
	found, err := p.l.targetGroup(ctx, tg.Name)
	switch {
	case err != nil:
		return err
	case found == nil:
		p.add("target group", tg.Name, store.ActionCreate, "target group %s does not exist", tg.Name)
	case aws.ToInt32(found.Port) != tg.ContainerPort:
		p.add("target group", tg.Name, store.ActionCreate, "target group %s exists with port %d, not %d: apply will fail; rename it in the spec",
			tg.Name, aws.ToInt32(found.Port), tg.ContainerPort)
	default:
		p.add("target group", tg.Name, store.ActionReuse, "target group %s exists with port %d", tg.Name, tg.ContainerPort)
	}
	return nil
}

func (p *planner) loadBalancer(ctx context.Context) error {
	name := p.spec.LoadBalancer.Name
	lb, err := p.l.loadBalancer(ctx, name)
	if err != nil {
		return err
	}
	if lb == nil {
		p.add("load balancer", name, store.ActionCreate, "load balancer %s does not exist", name)
		p.add("listener", "HTTP:80", store.ActionCreate, "a new load balancer has no listeners")
		if p.spec.LoadBalancer.HTTPS != nil {
			p.add("listener", "HTTPS:443", store.ActionCreate, "a new load balancer has no listeners")
		}
		return nil
	}
	p.lbARN = aws.ToString(lb.LoadBalancerArn)
	p.add("load balancer", name, store.ActionReuse, "load balancer %s exists (%s)", name, aws.ToString(lb.DNSName))
	return p.listeners(ctx)
}

func (p *planner) listeners(ctx context.Context) error {
	tg, err := p.l.targetGroup(ctx, p.spec.LoadBalancer.TargetGroup.Name)
	if err != nil {
		return err
	}
	tgARN := ""
	if tg != nil {
		tgARN = aws.ToString(tg.TargetGroupArn)
	}
	http, err := p.l.listener(ctx, p.lbARN, 80)
	if err != nil {
		return err
	}
	https := p.spec.LoadBalancer.HTTPS
	switch {
	case http == nil:
		p.add("listener", "HTTP:80", store.ActionCreate, "load balancer has no port 80 listener")
	case forwardsTo(http, tgARN) && (https == nil || !https.RedirectHTTP):
		p.add("listener", "HTTP:80", store.ActionReuse, "port 80 forwards to target group %s", p.spec.LoadBalancer.TargetGroup.Name)
	case redirects(http) && https != nil && https.RedirectHTTP:
		p.add("listener", "HTTP:80", store.ActionReuse, "port 80 redirects to HTTPS")
	default:
		p.add("listener", "HTTP:80", store.ActionUpdate, "port 80 does not yet do what the spec asks")
	}
	if https == nil {
		return nil
	}
	l, err := p.l.listener(ctx, p.lbARN, 443)
	switch {
	case err != nil:
		return err
	case l == nil:
		p.add("listener", "HTTPS:443", store.ActionCreate, "load balancer has no port 443 listener")
	case forwardsTo(l, tgARN):
		p.add("listener", "HTTPS:443", store.ActionReuse, "port 443 forwards to target group %s", p.spec.LoadBalancer.TargetGroup.Name)
	default:
		p.add("listener", "HTTPS:443", store.ActionUpdate, "port 443 forwards elsewhere")
	}
	return nil
}

func (p *planner) service(ctx context.Context) error {
	name := p.spec.Service.Name
	svc, err := p.l.service(ctx, p.spec.Cluster.Name, name)
	if err != nil {
		return err
	}
	if svc == nil {
		p.add("service", name, store.ActionCreate, "service %s does not exist in cluster %s", name, p.spec.Cluster.Name)
		return nil
	}
	// The service is up to date when it runs a revision identical to the
	// spec's, with the desired count.
	current := aws.ToString(svc.TaskDefinition)
	td, err := p.l.taskDefinition(ctx, current)
	if err != nil {
		return err
	}
	in, err := decodeTaskDefinition(p.spec.TaskDefinition)
	if err != nil {
		return err
	}
	if td != nil && sameTaskDefinition(in, td) && svc.DesiredCount == aws.ToInt32(p.spec.Service.DesiredCount) {
		p.add("service", name, store.ActionReuse, "service exists running revision %s with %d tasks", revisionOf(current), svc.DesiredCount)
		return nil
	}
	p.add("service", name, store.ActionUpdate, "service exists running revision %s", revisionOf(current))
	return nil
}

func (p *planner) certificate(ctx context.Context) error {
	h := p.spec.LoadBalancer.HTTPS
	if h.CertificateArn != "" {
		p.add("certificate", h.CertificateArn, store.ActionReuse, "the spec names certificate %s", h.CertificateArn)
		return nil
	}
	arn, err := p.l.certificateFor(ctx, h.RequestDomain)
	switch {
	case err != nil:
		return err
	case arn == "":
		p.add("certificate", h.RequestDomain, store.ActionCreate, "no certificate for %s: request one, validated by DNS", h.RequestDomain)
	default:
		p.add("certificate", h.RequestDomain, store.ActionReuse, "certificate for %s exists (%s)", h.RequestDomain, arn)
	}
	return nil
}
