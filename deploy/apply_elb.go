package deploy

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/ecsconsole/ecsconsole"
)

func elbTags(tags map[string]string) []elbtypes.Tag {
	return awsTags(tags, func(k, v *string) elbtypes.Tag { return elbtypes.Tag{Key: k, Value: v} })
}

// decideTargetGroup reuses this service's target group of that name when
// it matches (ip targets, the container port, the VPC), or creates it. A
// same-named group of another service, or one that does not match, is
// refused: changing it would break whatever uses it.
func decideTargetGroup(ctx context.Context, s *stepCtx) (decision, error) {
	tg := s.spec.LoadBalancer.TargetGroup
	vpc, err := s.vpcID(ctx)
	if err != nil {
		return decision{}, err
	}
	found, err := s.l().targetGroup(ctx, tg.Name)
	if err != nil {
		return decision{}, err
	}
	if found == nil {
		return decision{Action: ecsconsole.ActionCreate, Name: tg.Name, live: vpc, Reason: fmt.Sprintf("target group %s does not exist", tg.Name)}, nil
	}
	arn := aws.ToString(found.TargetGroupArn)
	tags, err := s.l().elbTags(ctx, arn)
	if err != nil {
		return decision{}, err
	}
	reuse := decision{Action: ecsconsole.ActionReuse, Name: tg.Name, Reason: fmt.Sprintf("target group %s exists with port %d", tg.Name, tg.ContainerPort)}
	if aws.ToInt32(found.Port) != tg.ContainerPort || found.TargetType != elbtypes.TargetTypeEnumIp || aws.ToString(found.VpcId) != vpc {
		reuse = decision{Action: ecsconsole.ActionRefuse, Name: tg.Name, Code: "TargetGroupMismatch", Reason: fmt.Sprintf(
			"target group %s exists with port %d, target type %s in %s; the spec needs port %d, target type ip in %s: rename the target group in the spec",
			tg.Name, aws.ToInt32(found.Port), found.TargetType, aws.ToString(found.VpcId), tg.ContainerPort, vpc)}
	}
	d, err := s.owned(ctx, "target group "+tg.Name, tags, "name another target group in the spec", result{ARN: arn}, reuse)
	if d.resumed && reuse.Action == ecsconsole.ActionRefuse {
		return reuse, err
	}
	return d, err
}

// applyTargetGroup creates the target group (tagged) when decided.
func applyTargetGroup(ctx context.Context, s *stepCtx, d decision) (result, error) {
	if !d.creates() {
		return d.Found, nil
	}
	tg := s.spec.LoadBalancer.TargetGroup
	path := tg.HealthCheckPath
	if path == "" {
		path = "/"
	}
	out, err := s.aws.ELB.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(tg.Name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(tg.ContainerPort),
		VpcId: aws.String(d.live.(string)), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String(path),
		Tags: elbTags(s.tags()),
	})
	if err != nil {
		return result{}, err
	}
	return result{ARN: aws.ToString(out.TargetGroups[0].TargetGroupArn)}, nil
}

// decideLoadBalancer reuses this service's load balancer of that name, or
// creates an internet-facing ALB.
func decideLoadBalancer(ctx context.Context, s *stepCtx) (decision, error) {
	name := s.spec.LoadBalancer.Name
	found, err := s.l().loadBalancer(ctx, name)
	if err != nil {
		return decision{}, err
	}
	if found == nil {
		return decision{Action: ecsconsole.ActionCreate, Name: name, Reason: fmt.Sprintf("load balancer %s does not exist", name)}, nil
	}
	arn := aws.ToString(found.LoadBalancerArn)
	tags, err := s.l().elbTags(ctx, arn)
	if err != nil {
		return decision{}, err
	}
	return s.owned(ctx, "load balancer "+name, tags, "name another load balancer in the spec",
		result{ARN: arn, DNSName: aws.ToString(found.DNSName)},
		decision{Action: ecsconsole.ActionReuse, Name: name, Reason: fmt.Sprintf("load balancer %s exists (%s)", name, aws.ToString(found.DNSName))})
}

// applyLoadBalancer creates the ALB in the spec's subnets with its
// security group when decided.
func applyLoadBalancer(ctx context.Context, s *stepCtx, d decision) (result, error) {
	if !d.creates() {
		return d.Found, nil
	}
	lb := s.spec.LoadBalancer
	subnets := lb.Subnets
	if len(subnets) == 0 {
		subnets = s.spec.Service.Subnets
	}
	out, err := s.aws.ELB.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String(lb.Name), Subnets: subnets, SecurityGroups: []string{s.dep(stepLoadBalancerSG).ID},
		Scheme: elbtypes.LoadBalancerSchemeEnumInternetFacing, Type: elbtypes.LoadBalancerTypeEnumApplication,
		Tags: elbTags(s.tags()),
	})
	if err != nil {
		return result{}, err
	}
	made := out.LoadBalancers[0]
	return result{ARN: aws.ToString(made.LoadBalancerArn), DNSName: aws.ToString(made.DNSName)}, nil
}

// forwardToTargetGroup is the listener action sending everything to the
// service's target group.
func (s *stepCtx) forwardToTargetGroup() []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(s.dep(stepTargetGroup).ARN)}}
}

// redirectToHTTPS is the port 80 action once HTTPS works.
func redirectToHTTPS() []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
		Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301,
	}}}
}

// decideListener finds the load balancer's listener on port: create it
// on a new load balancer or when absent; otherwise ok says whether it
// already does what the spec asks (reuse) or not (update). A listener an
// earlier attempt of this deployment made is recorded as created.
func (s *stepCtx) decideListener(ctx context.Context, name string, port int32, ok func(*elbtypes.Listener) (bool, string)) (decision, error) {
	lbARN := s.dep(stepLoadBalancer).ARN
	if lbARN == "" {
		return decision{Action: ecsconsole.ActionCreate, Name: name, Reason: "a new load balancer has no listeners"}, nil
	}
	l, err := s.l().listener(ctx, lbARN, port)
	if err != nil {
		return decision{}, err
	}
	if l == nil {
		return decision{Action: ecsconsole.ActionCreate, Name: name, Reason: fmt.Sprintf("load balancer has no port %d listener", port)}, nil
	}
	found := result{ARN: aws.ToString(l.ListenerArn)}
	good, why := ok(l)
	d := decision{Action: ecsconsole.ActionUpdate, Name: name, Found: found, live: l, Reason: why}
	if good {
		d.Action = ecsconsole.ActionReuse
	}
	if !s.planning {
		tags, err := s.l().elbTags(ctx, found.ARN)
		if err != nil {
			return decision{}, err
		}
		if tags[tagKey] == s.tagValue() {
			return decision{Action: ecsconsole.ActionCreate, Name: name, Found: found, live: l, resumed: true, alsoUpdate: !good,
				Reason: fmt.Sprintf("the port %d listener was made by an earlier attempt of this deployment", port)}, nil
		}
	}
	return d, nil
}

// decideHTTPListener wants port 80 forwarding to the target group. An
// existing redirect to HTTPS is kept when the spec still asks for it, so
// that a redeploy does not briefly serve plain HTTP.
func decideHTTPListener(ctx context.Context, s *stepCtx) (decision, error) {
	tgName := s.spec.LoadBalancer.TargetGroup.Name
	return s.decideListener(ctx, "HTTP:80", 80, func(l *elbtypes.Listener) (bool, string) {
		switch {
		case redirects(l) && redirectsHTTP(s.spec):
			return true, "port 80 redirects to HTTPS"
		case forwardsTo(l, s.dep(stepTargetGroup).ARN):
			return true, "port 80 forwards to target group " + tgName
		}
		return false, "port 80 does not yet forward to target group " + tgName
	})
}

// applyHTTPListener creates or changes the port 80 listener as decided.
func applyHTTPListener(ctx context.Context, s *stepCtx, d decision) (result, error) {
	switch {
	case d.creates():
		out, err := s.aws.ELB.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(s.dep(stepLoadBalancer).ARN), Port: aws.Int32(80), Protocol: elbtypes.ProtocolEnumHttp,
			DefaultActions: s.forwardToTargetGroup(), Tags: elbTags(s.tags()),
		})
		if err != nil {
			return result{}, err
		}
		return result{ARN: aws.ToString(out.Listeners[0].ListenerArn)}, nil
	case d.updates():
		return d.Found, s.modifyListener(ctx, d.Found.ARN, s.forwardToTargetGroup(), nil)
	}
	return d.Found, nil
}

func (s *stepCtx) modifyListener(ctx context.Context, arn string, actions []elbtypes.Action, certs []elbtypes.Certificate) error {
	_, err := s.aws.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(arn), DefaultActions: actions, Certificates: certs})
	return err
}

// decideHTTPSListener wants port 443 serving the certificate and
// forwarding to the target group.
func decideHTTPSListener(ctx context.Context, s *stepCtx) (decision, error) {
	tgName := s.spec.LoadBalancer.TargetGroup.Name
	cert := s.dep(stepCertificate).ARN
	return s.decideListener(ctx, "HTTPS:443", 443, func(l *elbtypes.Listener) (bool, string) {
		switch {
		case !servesCertificate(l, cert):
			return false, "port 443 does not serve this deployment's certificate"
		case !forwardsTo(l, s.dep(stepTargetGroup).ARN):
			return false, "port 443 does not yet forward to target group " + tgName
		}
		return true, "port 443 serves the certificate and forwards to target group " + tgName
	})
}

// applyHTTPSListener creates or changes the port 443 listener as decided.
func applyHTTPSListener(ctx context.Context, s *stepCtx, d decision) (result, error) {
	certs := []elbtypes.Certificate{{CertificateArn: aws.String(s.dep(stepCertificate).ARN)}}
	switch {
	case d.creates():
		out, err := s.aws.ELB.CreateListener(ctx, &elb.CreateListenerInput{
			LoadBalancerArn: aws.String(s.dep(stepLoadBalancer).ARN), Port: aws.Int32(443), Protocol: elbtypes.ProtocolEnumHttps,
			Certificates: certs, DefaultActions: s.forwardToTargetGroup(), Tags: elbTags(s.tags()),
		})
		if err != nil {
			return result{}, err
		}
		return result{ARN: aws.ToString(out.Listeners[0].ListenerArn)}, nil
	case d.updates():
		return d.Found, s.modifyListener(ctx, d.Found.ARN, s.forwardToTargetGroup(), certs)
	}
	return d.Found, nil
}

// decideRedirect wants port 80 redirecting to 443; it runs only once the
// 443 listener exists and the service is stable behind it.
func decideRedirect(ctx context.Context, s *stepCtx) (decision, error) {
	d := decision{Action: ecsconsole.ActionUpdate, Name: "HTTP:80 redirect", Reason: "port 80 will redirect to HTTPS once port 443 serves"}
	lbARN := s.dep(stepLoadBalancer).ARN
	if lbARN == "" {
		return d, nil
	}
	l, err := s.l().listener(ctx, lbARN, 80)
	if err != nil || l == nil {
		return d, err
	}
	d.Found, d.live = result{ARN: aws.ToString(l.ListenerArn)}, l
	if redirects(l) {
		d.Action, d.Reason = ecsconsole.ActionReuse, "port 80 redirects to HTTPS"
	}
	return d, nil
}

// applyRedirect turns port 80 into a redirect to HTTPS.
func applyRedirect(ctx context.Context, s *stepCtx, d decision) (result, error) {
	if !d.updates() {
		return d.Found, nil
	}
	if d.Found.ARN == "" {
		return result{}, fail("ListenerNotFound", "the port 80 listener of %s disappeared during the deployment", s.spec.LoadBalancer.Name)
	}
	return d.Found, s.modifyListener(ctx, d.Found.ARN, redirectToHTTPS(), nil)
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

// elbTags returns the tags of a load balancer, target group or listener.
func (l lookup) elbTags(ctx context.Context, arn string) (map[string]string, error) {
	out, err := l.c.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arn}})
	if err != nil {
		return nil, err
	}
	var tags []elbtypes.Tag
	for _, d := range out.TagDescriptions {
		tags = append(tags, d.Tags...)
	}
	return tagsOf(tags, func(t elbtypes.Tag) (*string, *string) { return t.Key, t.Value }), nil
}
