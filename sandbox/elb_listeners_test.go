package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// requestCertificate asks ACM for a DNS-validated certificate, still
// PENDING_VALIDATION.
func (f *elbFixture) requestCertificate(t *testing.T, domain string) string {
	t.Helper()
	out, err := f.ACM.RequestCertificate(t.Context(), &acm.RequestCertificateInput{DomainName: aws.String(domain), ValidationMethod: acmtypes.ValidationMethodDns})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.CertificateArn)
}

// issueCertificates advances the clock past ACM's validation delay and
// checks the certificate was issued.
func (f *elbFixture) issueCertificates(t *testing.T, arn string) {
	t.Helper()
	f.Server.Clock().Advance(f.Server.opts.CertificateValidationDelay + time.Minute)
	out, err := f.ACM.DescribeCertificate(t.Context(), &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Certificate.Status != acmtypes.CertificateStatusIssued {
		t.Fatalf("certificate status = %s, want ISSUED", out.Certificate.Status)
	}
}

func httpsInput(lbARN, tgARN *string, certs ...string) *elb.CreateListenerInput {
	in := &elb.CreateListenerInput{LoadBalancerArn: lbARN, Protocol: elbtypes.ProtocolEnumHttps, Port: aws.Int32(443), DefaultActions: forward(tgARN)}
	for _, c := range certs {
		in.Certificates = append(in.Certificates, elbtypes.Certificate{CertificateArn: aws.String(c)})
	}
	return in
}

func TestELBHTTPListener(t *testing.T) {
	f := newELBFixture(t, Options{})
	ctx := t.Context()
	lb := f.createLB(t, "web")
	tg := f.createTG(t, "php-app")
	l := f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)
	if !lisARNPattern.MatchString(aws.ToString(l.ListenerArn)) {
		t.Errorf("ARN %s does not match %s", aws.ToString(l.ListenerArn), lisARNPattern)
	}
	action := l.DefaultActions[0]
	if action.Type != elbtypes.ActionTypeEnumForward || aws.ToString(action.TargetGroupArn) != aws.ToString(tg.TargetGroupArn) ||
		action.ForwardConfig == nil || aws.ToInt32(action.ForwardConfig.TargetGroups[0].Weight) != 1 {
		t.Errorf("default action = %+v, want forward with a weight-1 forward config", action)
	}
	if again := f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn); aws.ToString(again.ListenerArn) != aws.ToString(l.ListenerArn) {
		t.Error("identical CreateListener made a second listener")
	}

	tgs, err := f.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(tgs.TargetGroups) != 1 || len(tgs.TargetGroups[0].LoadBalancerArns) != 1 || tgs.TargetGroups[0].LoadBalancerArns[0] != aws.ToString(lb.LoadBalancerArn) {
		t.Errorf("target groups of the load balancer = %+v", tgs.TargetGroups)
	}

	// 80 → 443 redirect replaces the forward.
	redirect := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{
		Protocol: aws.String("HTTPS"), Port: aws.String("443"), StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp301,
	}}}
	mod, err := f.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, DefaultActions: redirect})
	if err != nil {
		t.Fatal(err)
	}
	rc := mod.Listeners[0].DefaultActions[0].RedirectConfig
	if rc == nil || aws.ToString(rc.Host) != "#{host}" || aws.ToString(rc.Path) != "/#{path}" || aws.ToString(rc.Query) != "#{query}" || aws.ToString(rc.Port) != "443" {
		t.Errorf("redirect = %+v, want placeholders for host, path and query", rc)
	}
	if mod.Listeners[0].Port == nil || aws.ToInt32(mod.Listeners[0].Port) != 80 {
		t.Errorf("port changed to %v by a ModifyListener that did not give one", mod.Listeners[0].Port)
	}

	listeners, err := f.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: lb.LoadBalancerArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(listeners.Listeners) != 1 || listeners.Listeners[0].DefaultActions[0].Type != elbtypes.ActionTypeEnumRedirect {
		t.Errorf("listeners = %+v", listeners.Listeners)
	}
	if _, err := f.ELB.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil {
		t.Fatal(err)
	}
	_, err = f.ELB.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(l.ListenerArn)}})
	wantAPIError(t, err, "ListenerNotFound")
}

func TestELBListenerValidation(t *testing.T) {
	f := newELBFixture(t, Options{})
	lb := f.createLB(t, "web")
	other := f.createLB(t, "other")
	tg := f.createTG(t, "php-app")
	f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)
	tcp, err := f.ELB.CreateTargetGroup(t.Context(), &elb.CreateTargetGroupInput{
		Name: aws.String("tcp"), Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(8080), VpcId: aws.String(f.vpc), TargetType: elbtypes.TargetTypeEnumIp,
	})
	if err != nil {
		t.Fatal(err)
	}
	pending := f.requestCertificate(t, "app.example.com")
	http := func(port int32, actions []elbtypes.Action) *elb.CreateListenerInput {
		return &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(port), DefaultActions: actions}
	}
	unknownTG := aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/0123456789abcdef")
	loop := []elbtypes.Action{{Type: elbtypes.ActionTypeEnumRedirect, RedirectConfig: &elbtypes.RedirectActionConfig{StatusCode: elbtypes.RedirectActionStatusCodeEnumHttp302}}}
	fixed := func(code string) []elbtypes.Action {
		return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumFixedResponse, FixedResponseConfig: &elbtypes.FixedResponseActionConfig{StatusCode: aws.String(code)}}}
	}
	withCert := http(8080, forward(tg.TargetGroupArn))
	withCert.Certificates = []elbtypes.Certificate{{CertificateArn: aws.String(pending)}}
	tests := []struct {
		name string
		in   *elb.CreateListenerInput
		code string
	}{
		{"port in use", http(80, fixed("404")), "DuplicateListener"},
		{"port 0", http(0, fixed("404")), "ValidationError"},
		{"HTTPS without a certificate", httpsInput(lb.LoadBalancerArn, tg.TargetGroupArn), "ValidationError"},
		{"HTTPS with two certificates", httpsInput(lb.LoadBalancerArn, tg.TargetGroupArn, pending, pending), "ValidationError"},
		{"HTTP with a certificate", withCert, "ValidationError"},
		{"unknown certificate", httpsInput(lb.LoadBalancerArn, tg.TargetGroupArn, "arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-4000-8000-000000000000"), "CertificateNotFound"},
		{"certificate pending validation", httpsInput(lb.LoadBalancerArn, tg.TargetGroupArn, pending), "UnsupportedCertificate"},
		{"unknown target group", http(81, forward(unknownTG)), "TargetGroupNotFound"},
		{"TCP target group", http(81, forward(tcp.TargetGroups[0].TargetGroupArn)), "IncompatibleProtocols"},
		{"redirect loop", http(81, loop), "InvalidLoadBalancerAction"},
		{"fixed response 302", http(81, fixed("302")), "ValidationError"},
		{"TCP listener on an ALB", &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumTcp, Port: aws.Int32(81), DefaultActions: fixed("404")}, "UnsupportedProtocol"},
		{"target group of another load balancer", &elb.CreateListenerInput{LoadBalancerArn: other.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(tg.TargetGroupArn)}, "TargetGroupAssociationLimit"},
		{"unknown load balancer", &elb.CreateListenerInput{LoadBalancerArn: aws.String(aws.ToString(lb.LoadBalancerArn) + "0"), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: fixed("404")}, "LoadBalancerNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.CreateListener(t.Context(), tt.in)
			wantAPIError(t, err, tt.code)
		})
	}
}

func TestELBHTTPSListener(t *testing.T) {
	f := newELBFixture(t, Options{})
	ctx := t.Context()
	lb := f.createLB(t, "web")
	tg := f.createTG(t, "php-app")
	cert := f.requestCertificate(t, "app.example.com")
	_, err := f.ELB.CreateListener(ctx, httpsInput(lb.LoadBalancerArn, tg.TargetGroupArn, cert))
	wantAPIError(t, err, "UnsupportedCertificate")

	f.issueCertificates(t, cert)
	out, err := f.ELB.CreateListener(ctx, httpsInput(lb.LoadBalancerArn, tg.TargetGroupArn, cert))
	if err != nil {
		t.Fatal(err)
	}
	l := out.Listeners[0]
	if aws.ToString(l.SslPolicy) != defaultSSLPolicy || len(l.Certificates) != 1 || aws.ToString(l.Certificates[0].CertificateArn) != cert {
		t.Errorf("listener = %+v, want the default policy and the certificate", l)
	}
	desc, err := f.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(cert)})
	if err != nil {
		t.Fatal(err)
	}
	if inUse := desc.Certificate.InUseBy; len(inUse) != 1 || inUse[0] != aws.ToString(lb.LoadBalancerArn) {
		t.Errorf("certificate InUseBy = %v, want the load balancer", inUse)
	}

	sni := f.requestCertificate(t, "www.example.com")
	_, err = f.ELB.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: l.ListenerArn, Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(sni)}}})
	wantAPIError(t, err, "UnsupportedCertificate")
	f.issueCertificates(t, sni)
	for range 2 { // adding twice does not duplicate
		if _, err := f.ELB.AddListenerCertificates(ctx, &elb.AddListenerCertificatesInput{ListenerArn: l.ListenerArn, Certificates: []elbtypes.Certificate{{CertificateArn: aws.String(sni)}}}); err != nil {
			t.Fatal(err)
		}
	}
	certs, err := f.ELB.DescribeListenerCertificates(ctx, &elb.DescribeListenerCertificatesInput{ListenerArn: l.ListenerArn})
	if err != nil {
		t.Fatal(err)
	}
	if len(certs.Certificates) != 2 || !aws.ToBool(certs.Certificates[0].IsDefault) || aws.ToBool(certs.Certificates[1].IsDefault) || aws.ToString(certs.Certificates[1].CertificateArn) != sni {
		t.Errorf("listener certificates = %+v, want the default then the SNI certificate", certs.Certificates)
	}

	// HTTPS → HTTP drops the certificate and policy.
	mod, err := f.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8443)})
	if err != nil {
		t.Fatal(err)
	}
	if m := mod.Listeners[0]; len(m.Certificates) != 0 || m.SslPolicy != nil {
		t.Errorf("after switching to HTTP: certificates %+v, policy %v", m.Certificates, aws.ToString(m.SslPolicy))
	}
	_, err = f.ELB.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: l.ListenerArn, Protocol: elbtypes.ProtocolEnumHttps})
	wantAPIError(t, err, "ValidationError")
}

func TestELBRules(t *testing.T) {
	f := newELBFixture(t, Options{})
	ctx := t.Context()
	lb := f.createLB(t, "web")
	tg := f.createTG(t, "php-app")
	api := f.createTG(t, "api")
	l := f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)
	hostRule := func(priority int32, host string) *elb.CreateRuleInput {
		return &elb.CreateRuleInput{
			ListenerArn: l.ListenerArn, Priority: aws.Int32(priority), Actions: forward(api.TargetGroupArn),
			Conditions: []elbtypes.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &elbtypes.HostHeaderConditionConfig{Values: []string{host}}}},
		}
	}
	for _, in := range []*elb.CreateRuleInput{hostRule(20, "b.example.com"), hostRule(10, "a.example.com")} {
		if _, err := f.ELB.CreateRule(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := f.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: l.ListenerArn})
	if err != nil {
		t.Fatal(err)
	}
	var priorities []string
	for _, r := range rules.Rules {
		priorities = append(priorities, aws.ToString(r.Priority))
	}
	if len(priorities) != 3 || priorities[0] != "10" || priorities[1] != "20" || priorities[2] != "default" || !aws.ToBool(rules.Rules[2].IsDefault) {
		t.Errorf("rule priorities = %v, want [10 20 default]", priorities)
	}
	if cond := rules.Rules[0].Conditions[0]; cond.HostHeaderConfig == nil || cond.HostHeaderConfig.Values[0] != "a.example.com" {
		t.Errorf("rule 10 condition = %+v", cond)
	}
	tgs, err := f.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"api"}})
	if err != nil {
		t.Fatal(err)
	}
	if arns := tgs.TargetGroups[0].LoadBalancerArns; len(arns) != 1 || arns[0] != aws.ToString(lb.LoadBalancerArn) {
		t.Errorf("a rule's target group has LoadBalancerArns %v, want the load balancer", arns)
	}

	noConditions := hostRule(30, "c.example.com")
	noConditions.Conditions = []elbtypes.RuleCondition{{Field: aws.String("host-header")}}
	tests := []struct {
		name string
		in   *elb.CreateRuleInput
		code string
	}{
		{"priority in use", hostRule(10, "c.example.com"), "PriorityInUse"},
		{"priority 0", hostRule(0, "c.example.com"), "ValidationError"},
		{"priority 50001", hostRule(50001, "c.example.com"), "ValidationError"},
		{"condition without values", noConditions, "ValidationError"},
		{"unknown listener", &elb.CreateRuleInput{ListenerArn: aws.String(aws.ToString(l.ListenerArn) + "0"), Priority: aws.Int32(1), Actions: forward(api.TargetGroupArn), Conditions: hostRule(1, "x.example.com").Conditions}, "ListenerNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.CreateRule(ctx, tt.in)
			wantAPIError(t, err, tt.code)
		})
	}
}
