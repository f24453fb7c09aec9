package deploy

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecsconsole/ecsconsole/store"
)

// loadBalancerResult is the load-balancer step's recorded result.
type loadBalancerResult struct {
	ARN     string `json:"arn"`
	DNSName string `json:"dnsName"`
}

func (r *run) elbTags() []elbtypes.Tag {
	return []elbtypes.Tag{{Key: aws.String(tagKey), Value: aws.String(r.tagValue())}}
}

// ensureTargetGroup reuses the target group of that name when it matches
// (ip targets, the container port, the VPC) or creates it. A same-named
// group that does not match fails the step: changing it would break
// whatever uses it.
func (r *run) ensureTargetGroup(ctx context.Context, rec *stepRecord) (resourceResult, error) {
	tg := r.spec.LoadBalancer.TargetGroup
	vpc, err := r.vpcID(ctx)
	if err != nil {
		return resourceResult{}, err
	}
	found, err := lookup{r.aws}.targetGroup(ctx, tg.Name)
	if err != nil {
		return resourceResult{}, err
	}
	if found != nil {
		if aws.ToInt32(found.Port) != tg.ContainerPort || found.TargetType != elbtypes.TargetTypeEnumIp || aws.ToString(found.VpcId) != vpc {
			return resourceResult{}, fail("TargetGroupMismatch",
				"target group %s exists with port %d, target type %s in %s; the spec needs port %d, target type ip in %s: rename the target group in the spec",
				tg.Name, aws.ToInt32(found.Port), found.TargetType, aws.ToString(found.VpcId), tg.ContainerPort, vpc)
		}
		rec.action, rec.arn = store.ActionReuse, aws.ToString(found.TargetGroupArn)
		return resourceResult{ARN: rec.arn}, nil
	}
	path := tg.HealthCheckPath
	if path == "" {
		path = "/"
	}
	out, err := r.aws.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(tg.Name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(tg.ContainerPort),
		VpcId: aws.String(vpc), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String(path),
		Tags: r.elbTags(),
	})
	if err != nil {
		return resourceResult{}, err
	}
	rec.action, rec.arn = store.ActionCreate, aws.ToString(out.TargetGroups[0].TargetGroupArn)
	return resourceResult{ARN: rec.arn}, nil
}

// ensureLoadBalancer reuses the load balancer of that name or creates an
// internet-facing ALB in the spec's subnets with its security group.
func (r *run) ensureLoadBalancer(ctx context.Context, rec *stepRecord) (loadBalancerResult, error) {
	lb := r.spec.LoadBalancer
	found, err := lookup{r.aws}.loadBalancer(ctx, lb.Name)
	if err != nil {
		return loadBalancerResult{}, err
	}
	if found != nil {
		rec.action, rec.arn = store.ActionReuse, aws.ToString(found.LoadBalancerArn)
		return loadBalancerResult{ARN: rec.arn, DNSName: aws.ToString(found.DNSName)}, nil
	}
	subnets := lb.Subnets
	if len(subnets) == 0 {
		subnets = r.spec.Service.Subnets
	}
	out, err := r.aws.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String(lb.Name), Subnets: subnets, SecurityGroups: []string{r.lbSG.ID},
		Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing, Type: elbtypes.LoadBalancerTypeEnumApplication,
		Tags: r.elbTags(),
	})
	if err != nil {
		return loadBalancerResult{}, err
	}
	made := out.LoadBalancers[0]
	rec.action, rec.arn = store.ActionCreate, aws.ToString(made.LoadBalancerArn)
	return loadBalancerResult{ARN: rec.arn, DNSName: aws.ToString(made.DNSName)}, nil
}

// forwardToTargetGroup is the listener action sending everything to the
// service's target group.
func (r *run) forwardToTargetGroup() []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(r.targetGroup.ARN)}}
}

// redirectToHTTPS is the port 80 action once HTTPS works.
func redirectToHTTPS() []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
		Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301,
	}}}
}

// ensureHTTPListener makes port 80 forward to the target group. An existing
// redirect to HTTPS is kept when the spec still asks for it, so that a
// redeploy does not briefly serve plain HTTP.
func (r *run) ensureHTTPListener(ctx context.Context, rec *stepRecord) (resourceResult, error) {
	l, err := lookup{r.aws}.listener(ctx, r.loadBalancer.ARN, 80)
	if err != nil {
		return resourceResult{}, err
	}
	switch {
	case l == nil:
		out, err := r.aws.ELB.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(r.loadBalancer.ARN), Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: r.forwardToTargetGroup(), Tags: r.elbTags(),
		})
		if err != nil {
			return resourceResult{}, err
		}
		rec.action, rec.arn = store.ActionCreate, aws.ToString(out.Listeners[0].ListenerArn)
	case forwardsTo(l, r.targetGroup.ARN) || redirects(l) && r.wantsRedirect():
		rec.action, rec.arn = store.ActionReuse, aws.ToString(l.ListenerArn)
	default:
		if err := r.modifyListener(ctx, l, r.forwardToTargetGroup(), nil); err != nil {
			return resourceResult{}, err
		}
		rec.action, rec.arn = store.ActionUpdate, aws.ToString(l.ListenerArn)
	}
	return resourceResult{ARN: rec.arn}, nil
}

func (r *run) wantsRedirect() bool {
	return r.spec.LoadBalancer.HTTPS != nil && r.spec.LoadBalancer.HTTPS.RedirectHTTP
}

func (r *run) modifyListener(ctx context.Context, l *elbtypes.Listener, actions []elbtypes.Action, certs []elbtypes.Certificate) error {
	_, err := r.aws.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, DefaultActions: actions, Certificates: certs})
	return err
}

// ensureHTTPSListener makes port 443 serve the certificate and forward to
// the target group.
func (r *run) ensureHTTPSListener(ctx context.Context, rec *stepRecord) (resourceResult, error) {
	l, err := lookup{r.aws}.listener(ctx, r.loadBalancer.ARN, 443)
	if err != nil {
		return resourceResult{}, err
	}
	certs := []elbtypes.Certificate{{CertificateArn: aws.String(r.certificate.ARN)}}
	switch {
	case l == nil:
		out, err := r.aws.ELB.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(r.loadBalancer.ARN), Port: aws.Int32(443), Protocol: elbtypes.ProtocolEnumHttps,
			Certificates: certs, DefaultActions: r.forwardToTargetGroup(), Tags: r.elbTags(),
		})
		if err != nil {
			return resourceResult{}, err
		}
		rec.action, rec.arn = store.ActionCreate, aws.ToString(out.Listeners[0].ListenerArn)
	case forwardsTo(l, r.targetGroup.ARN) && servesCertificate(l, r.certificate.ARN):
		rec.action, rec.arn = store.ActionReuse, aws.ToString(l.ListenerArn)
	default:
		if err := r.modifyListener(ctx, l, r.forwardToTargetGroup(), certs); err != nil {
			return resourceResult{}, err
		}
		rec.action, rec.arn = store.ActionUpdate, aws.ToString(l.ListenerArn)
	}
	return resourceResult{ARN: rec.arn}, nil
}

// ensureRedirect turns port 80 into a redirect to 443; it runs only once
// the 443 listener exists and the service is stable behind it.
func (r *run) ensureRedirect(ctx context.Context, rec *stepRecord) (resourceResult, error) {
	l, err := lookup{r.aws}.listener(ctx, r.loadBalancer.ARN, 80)
	if err != nil {
		return resourceResult{}, err
	}
	if l == nil {
		return resourceResult{}, fail("ListenerNotFound", "the port 80 listener of %s disappeared during the deployment", r.spec.LoadBalancer.Name)
	}
	rec.arn = aws.ToString(l.ListenerArn)
	if redirects(l) {
		rec.action = store.ActionReuse
		return resourceResult{ARN: rec.arn}, nil
	}
	if err := r.modifyListener(ctx, l, redirectToHTTPS(), nil); err != nil {
		return resourceResult{}, err
	}
	rec.action = store.ActionUpdate
	return resourceResult{ARN: rec.arn}, nil
}

func forwardsTo(l *elbtypes.Listener, tgARN string) bool {
	for _, a := range l.DefaultActions {
		if a.Type == elbtypes.ActionTypeEnumForward && aws.ToString(a.TargetGroupArn) == tgARN {
			return true
		}
		if a.Type == elbtypes.ActionTypeEnumForward && a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) == 1 &&
			aws.ToString(a.ForwardConfig.TargetGroups[0].TargetGroupArn) == tgARN {
			return true
		}
	}
	return false
}

func redirects(l *elbtypes.Listener) bool {
	for _, a := range l.DefaultActions {
		if a.Type == elbtypes.ActionTypeEnumRedirect && a.RedirectConfig != nil && aws.ToString(a.RedirectConfig.Protocol) == "HTTPS" {
			return true
		}
	}
	return false
}

func servesCertificate(l *elbtypes.Listener, certARN string) bool {
	for _, c := range l.Certificates {
		if aws.ToString(c.CertificateArn) == certARN {
			return true
		}
	}
	return false
}

// targetGroup returns the target group named name, or nil.
func (l lookup) targetGroup(ctx context.Context, name string) (*elbtypes.TargetGroup, error) {
	out, err := l.c.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{name}})
	if apiErrorCode(err) == "TargetGroupNotFound" {
		return nil, nil
	}
	if err != nil || len(out.TargetGroups) == 0 {
		return nil, err
	}
	return &out.TargetGroups[0], nil
}

// loadBalancer returns the load balancer named name, or nil.
func (l lookup) loadBalancer(ctx context.Context, name string) (*elbtypes.LoadBalancer, error) {
	out, err := l.c.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{name}})
	if apiErrorCode(err) == "LoadBalancerNotFound" {
		return nil, nil
	}
	if err != nil || len(out.LoadBalancers) == 0 {
		return nil, err
	}
	return &out.LoadBalancers[0], nil
}

// listener returns the load balancer's listener on port, or nil.
func (l lookup) listener(ctx context.Context, lbARN string, port int32) (*elbtypes.Listener, error) {
	out, err := l.c.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)})
	if err != nil {
		return nil, err
	}
	for _, ls := range out.Listeners {
		if aws.ToInt32(ls.Port) == port {
			return &ls, nil
		}
	}
	return nil, nil
}
