package sandbox

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// elbFixture is a sandbox with the default VPC's ids at hand.
type elbFixture struct {
	*testEnv
	vpc     string
	subnets []string // one per AZ, a b c
}

func newELBFixture(t *testing.T, opts Options) *elbFixture {
	t.Helper()
	env := newTestEnvWith(t, opts)
	f := &elbFixture{testEnv: env, vpc: defaultVPC(t, env)}
	for _, s := range defaultSubnets(t, env) {
		f.subnets = append(f.subnets, aws.ToString(s.SubnetId))
	}
	return f
}

func (f *elbFixture) createLB(t *testing.T, name string) elbtypes.LoadBalancer {
	t.Helper()
	out, err := f.ELB.CreateLoadBalancer(t.Context(), &elb.CreateLoadBalancerInput{Name: aws.String(name), Subnets: f.subnets[:2]})
	if err != nil {
		t.Fatal(err)
	}
	return out.LoadBalancers[0]
}

func (f *elbFixture) createTG(t *testing.T, name string) elbtypes.TargetGroup {
	t.Helper()
	out, err := f.ELB.CreateTargetGroup(t.Context(), f.tgInput(name))
	if err != nil {
		t.Fatal(err)
	}
	return out.TargetGroups[0]
}

func (f *elbFixture) tgInput(name string) *elb.CreateTargetGroupInput {
	return &elb.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(f.vpc), TargetType: elbtypes.TargetTypeEnumIp,
	}
}

// forward is a default action forwarding to one target group.
func forward(tgARN *string) []elbtypes.Action {
	return []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: tgARN}}
}

func (f *elbFixture) createHTTPListener(t *testing.T, lbARN, tgARN *string) elbtypes.Listener {
	t.Helper()
	out, err := f.ELB.CreateListener(t.Context(), &elb.CreateListenerInput{
		LoadBalancerArn: lbARN, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80), DefaultActions: forward(tgARN),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Listeners[0]
}

// addSubnet adds a second subnet to an AZ of the default VPC (the sandbox
// has no CreateSubnet).
func (f *elbFixture) addSubnet(t *testing.T, zone, cidr string) string {
	t.Helper()
	f.Server.mu.Lock()
	defer f.Server.mu.Unlock()
	st := f.Server.regions["us-east-1"].ec2
	sn := &ec2Subnet{ID: newEC2ID("subnet"), VpcID: f.vpc, CIDR: cidr, Zone: zone, ZoneID: "use1-az9"}
	st.Subnets = append(st.Subnets, sn)
	return sn.ID
}

var (
	lbARNPattern  = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/[0-9a-f]{16}$`)
	lbDNSPattern  = regexp.MustCompile(`^web-\d+\.us-east-1\.elb\.amazonaws\.com$`)
	tgARNPattern  = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/php-app/[0-9a-f]{16}$`)
	lisARNPattern = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}$`)
)

func TestELBCreateLoadBalancer(t *testing.T) {
	f := newELBFixture(t, Options{})
	lb := f.createLB(t, "web")
	if !lbARNPattern.MatchString(aws.ToString(lb.LoadBalancerArn)) {
		t.Errorf("ARN %s does not match %s", aws.ToString(lb.LoadBalancerArn), lbARNPattern)
	}
	if !lbDNSPattern.MatchString(aws.ToString(lb.DNSName)) {
		t.Errorf("DNSName %s does not match %s", aws.ToString(lb.DNSName), lbDNSPattern)
	}
	if lb.State.Code != elbtypes.LoadBalancerStateEnumProvisioning || lb.Type != elbtypes.LoadBalancerTypeEnumApplication || lb.Scheme != elbtypes.LoadBalancerSchemeEnumInternetFacing {
		t.Errorf("state/type/scheme = %s/%s/%s", lb.State.Code, lb.Type, lb.Scheme)
	}
	if aws.ToString(lb.VpcId) != f.vpc || len(lb.AvailabilityZones) != 2 || aws.ToString(lb.AvailabilityZones[1].ZoneName) != "us-east-1b" {
		t.Errorf("vpc %s, zones %+v", aws.ToString(lb.VpcId), lb.AvailabilityZones)
	}
	if len(lb.SecurityGroups) != 1 || describeGroup(t, f.testEnv, lb.SecurityGroups[0]).GroupName == nil {
		t.Errorf("security groups = %v, want the VPC's default group", lb.SecurityGroups)
	}
	if lb.CreatedTime == nil || time.Since(*lb.CreatedTime) > time.Minute {
		t.Errorf("CreatedTime = %v", lb.CreatedTime)
	}

	again := f.createLB(t, "web")
	if aws.ToString(again.LoadBalancerArn) != aws.ToString(lb.LoadBalancerArn) {
		t.Errorf("same name and settings made a second load balancer %s", aws.ToString(again.LoadBalancerArn))
	}

	f.Server.Clock().Advance(lbProvisioningTime)
	out, err := f.ELB.DescribeLoadBalancers(t.Context(), &elb.DescribeLoadBalancersInput{Names: []string{"web"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.LoadBalancers[0].State.Code; got != elbtypes.LoadBalancerStateEnumActive {
		t.Errorf("after %v state = %s, want active", lbProvisioningTime, got)
	}
}

func TestELBLoadBalancerValidation(t *testing.T) {
	f := newELBFixture(t, Options{})
	f.createLB(t, "taken")
	sameAZ := f.addSubnet(t, "us-east-1a", "172.31.48.0/20")
	tests := []struct {
		name string
		in   elb.CreateLoadBalancerInput
		code string
	}{
		{"one subnet", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: f.subnets[:1]}, "ValidationError"},
		{"no subnets", elb.CreateLoadBalancerInput{Name: aws.String("a")}, "ValidationError"},
		{"two subnets in one AZ", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: []string{f.subnets[0], sameAZ, f.subnets[1]}}, "InvalidConfigurationRequest"},
		{"unknown subnet", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: []string{f.subnets[0], "subnet-0123456789abcdef0"}}, "SubnetNotFound"},
		{"unknown security group", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: f.subnets[:2], SecurityGroups: []string{"sg-0123456789abcdef0"}}, "InvalidSecurityGroup"},
		{"name too long", elb.CreateLoadBalancerInput{Name: aws.String("a23456789012345678901234567890123"), Subnets: f.subnets[:2]}, "ValidationError"},
		{"name with underscore", elb.CreateLoadBalancerInput{Name: aws.String("my_alb"), Subnets: f.subnets[:2]}, "ValidationError"},
		{"name ends with hyphen", elb.CreateLoadBalancerInput{Name: aws.String("alb-"), Subnets: f.subnets[:2]}, "ValidationError"},
		{"name starts with internal-", elb.CreateLoadBalancerInput{Name: aws.String("internal-alb"), Subnets: f.subnets[:2]}, "ValidationError"},
		{"bad scheme", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: f.subnets[:2], Scheme: "public"}, "ValidationError"},
		{"same name, other subnets", elb.CreateLoadBalancerInput{Name: aws.String("taken"), Subnets: f.subnets[1:]}, "DuplicateLoadBalancerName"},
		{"duplicate tag keys", elb.CreateLoadBalancerInput{Name: aws.String("a"), Subnets: f.subnets[:2], Tags: []elbtypes.Tag{{Key: aws.String("k")}, {Key: aws.String("k")}}}, "DuplicateTagKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.CreateLoadBalancer(t.Context(), &tt.in)
			wantAPIError(t, err, tt.code)
		})
	}
	lbs, err := f.ELB.DescribeLoadBalancers(t.Context(), &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lbs.LoadBalancers) != 1 {
		t.Errorf("rejected calls left %d load balancers, want 1", len(lbs.LoadBalancers))
	}
}

func TestELBDescribeLoadBalancersNotFound(t *testing.T) {
	f := newELBFixture(t, Options{})
	lb := f.createLB(t, "web")
	tests := []struct {
		name string
		in   elb.DescribeLoadBalancersInput
	}{
		{"unknown name", elb.DescribeLoadBalancersInput{Names: []string{"web", "nope"}}},
		{"unknown arn", elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(lb.LoadBalancerArn) + "0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.DescribeLoadBalancers(t.Context(), &tt.in)
			wantAPIError(t, err, "LoadBalancerNotFound")
		})
	}
}

func TestELBLoadBalancerAvailableWaiter(t *testing.T) {
	f := newELBFixture(t, Options{Speed: 1000})
	lb := f.createLB(t, "web")
	w := elb.NewLoadBalancerAvailableWaiter(f.ELB, func(o *elb.LoadBalancerAvailableWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	in := &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(lb.LoadBalancerArn)}}
	if err := w.Wait(t.Context(), in, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestELBTargetGroups(t *testing.T) {
	f := newELBFixture(t, Options{})
	tg := f.createTG(t, "php-app")
	if !tgARNPattern.MatchString(aws.ToString(tg.TargetGroupArn)) {
		t.Errorf("ARN %s does not match %s", aws.ToString(tg.TargetGroupArn), tgARNPattern)
	}
	// AWS's defaults for an HTTP target group (docs/aws-api.md §4.5).
	defaults := map[string]string{
		"protocol": string(tg.HealthCheckProtocol), "port": aws.ToString(tg.HealthCheckPort), "path": aws.ToString(tg.HealthCheckPath),
		"enabled": fmt.Sprint(aws.ToBool(tg.HealthCheckEnabled)), "interval": fmt.Sprint(aws.ToInt32(tg.HealthCheckIntervalSeconds)),
		"timeout": fmt.Sprint(aws.ToInt32(tg.HealthCheckTimeoutSeconds)), "healthy": fmt.Sprint(aws.ToInt32(tg.HealthyThresholdCount)),
		"unhealthy": fmt.Sprint(aws.ToInt32(tg.UnhealthyThresholdCount)), "matcher": aws.ToString(tg.Matcher.HttpCode),
	}
	wantDefaults := map[string]string{
		"protocol": "HTTP", "port": "traffic-port", "path": "/", "enabled": "true", "interval": "30",
		"timeout": "5", "healthy": "5", "unhealthy": "2", "matcher": "200",
	}
	if !maps.Equal(defaults, wantDefaults) {
		t.Errorf("health check defaults = %v, want %v", defaults, wantDefaults)
	}
	if tg.TargetType != elbtypes.TargetTypeEnumIp || aws.ToInt32(tg.Port) != 8080 || aws.ToString(tg.VpcId) != f.vpc || len(tg.LoadBalancerArns) != 0 {
		t.Errorf("target group = %+v", tg)
	}
	if again := f.createTG(t, "php-app"); aws.ToString(again.TargetGroupArn) != aws.ToString(tg.TargetGroupArn) {
		t.Error("same name and settings made a second target group")
	}

	mod, err := f.ELB.ModifyTargetGroup(t.Context(), &elb.ModifyTargetGroupInput{
		TargetGroupArn: tg.TargetGroupArn, HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(10), Matcher: &elbtypes.Matcher{HttpCode: aws.String("200-299")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := mod.TargetGroups[0]; aws.ToString(m.HealthCheckPath) != "/health" || aws.ToInt32(m.HealthCheckIntervalSeconds) != 10 || aws.ToString(m.Matcher.HttpCode) != "200-299" {
		t.Errorf("modified = %+v", m)
	}

	attrs, err := f.ELB.ModifyTargetGroupAttributes(t.Context(), &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn, Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(attrs.Attributes, func(a elbtypes.TargetGroupAttribute) bool {
		return aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" && aws.ToString(a.Value) == "30"
	}) {
		t.Errorf("attributes = %+v, want deregistration delay 30", attrs.Attributes)
	}
}

func TestELBTargetGroupValidation(t *testing.T) {
	f := newELBFixture(t, Options{})
	f.createTG(t, "taken")
	with := func(change func(in *elb.CreateTargetGroupInput)) *elb.CreateTargetGroupInput {
		in := f.tgInput("tg")
		change(in)
		return in
	}
	tests := []struct {
		name string
		in   *elb.CreateTargetGroupInput
		code string
	}{
		{"name too long", with(func(in *elb.CreateTargetGroupInput) { in.Name = aws.String("t23456789012345678901234567890123") }), "ValidationError"},
		{"name with dot", with(func(in *elb.CreateTargetGroupInput) { in.Name = aws.String("php.app") }), "ValidationError"},
		{"name starts with hyphen", with(func(in *elb.CreateTargetGroupInput) { in.Name = aws.String("-tg") }), "ValidationError"},
		{"port 0", with(func(in *elb.CreateTargetGroupInput) { in.Port = aws.Int32(0) }), "ValidationError"},
		{"port 65536", with(func(in *elb.CreateTargetGroupInput) { in.Port = aws.Int32(65536) }), "ValidationError"},
		{"no port", with(func(in *elb.CreateTargetGroupInput) { in.Port = nil }), "ValidationError"},
		{"unknown vpc", with(func(in *elb.CreateTargetGroupInput) { in.VpcId = aws.String("vpc-0123456789abcdef0") }), "ValidationError"},
		{"interval 4", with(func(in *elb.CreateTargetGroupInput) { in.HealthCheckIntervalSeconds = aws.Int32(4) }), "ValidationError"},
		{"timeout not below interval", with(func(in *elb.CreateTargetGroupInput) {
			in.HealthCheckIntervalSeconds, in.HealthCheckTimeoutSeconds = aws.Int32(10), aws.Int32(10)
		}), "ValidationError"},
		{"healthy threshold 11", with(func(in *elb.CreateTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(11) }), "ValidationError"},
		{"matcher 600", with(func(in *elb.CreateTargetGroupInput) { in.Matcher = &elbtypes.Matcher{HttpCode: aws.String("600")} }), "ValidationError"},
		{"path without slash", with(func(in *elb.CreateTargetGroupInput) { in.HealthCheckPath = aws.String("health") }), "ValidationError"},
		{"TCP health check on HTTP", with(func(in *elb.CreateTargetGroupInput) { in.HealthCheckProtocol = elbtypes.ProtocolEnumTcp }), "ValidationError"},
		{"disabled health check on ip", with(func(in *elb.CreateTargetGroupInput) { in.HealthCheckEnabled = aws.Bool(false) }), "ValidationError"},
		{"same name, other port", with(func(in *elb.CreateTargetGroupInput) { in.Name, in.Port = aws.String("taken"), aws.Int32(9090) }), "DuplicateTargetGroupName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.CreateTargetGroup(t.Context(), tt.in)
			wantAPIError(t, err, tt.code)
		})
	}
}

func TestELBDescribeTargetGroupsPaginates(t *testing.T) {
	f := newELBFixture(t, Options{})
	for i := range 12 {
		f.createTG(t, fmt.Sprintf("tg-%02d", i))
	}
	p := elb.NewDescribeTargetGroupsPaginator(f.ELB, &elb.DescribeTargetGroupsInput{PageSize: aws.Int32(5)})
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tg := range out.TargetGroups {
			names = append(names, aws.ToString(tg.TargetGroupName))
		}
	}
	if pages != 3 || len(names) != 12 || names[0] != "tg-00" || names[11] != "tg-11" {
		t.Errorf("got %d pages with %v, want 3 pages of tg-00…tg-11", pages, names)
	}

	tests := []struct {
		name string
		in   elb.DescribeTargetGroupsInput
		code string
	}{
		{"unknown name", elb.DescribeTargetGroupsInput{Names: []string{"tg-00", "nope"}}, "TargetGroupNotFound"},
		{"unknown arn", elb.DescribeTargetGroupsInput{TargetGroupArns: []string{"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/0123456789abcdef"}}, "TargetGroupNotFound"},
		{"unknown load balancer", elb.DescribeTargetGroupsInput{LoadBalancerArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/x/0123456789abcdef")}, "LoadBalancerNotFound"},
		{"page size 401", elb.DescribeTargetGroupsInput{PageSize: aws.Int32(401)}, "ValidationError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.DescribeTargetGroups(t.Context(), &tt.in)
			wantAPIError(t, err, tt.code)
		})
	}
}

// targetHealth returns each target's state and reason, keyed "ip:port".
func (f *elbFixture) targetHealth(t *testing.T, tgARN *string) map[string]string {
	t.Helper()
	out, err := f.ELB.DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		key := fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))
		got[key] = fmt.Sprintf("%s %s", d.TargetHealth.State, d.TargetHealth.Reason)
	}
	return got
}

func TestELBTargetLifecycle(t *testing.T) {
	f := newELBFixture(t, Options{})
	ctx := t.Context()
	tg := f.createTG(t, "php-app")
	targets := []elbtypes.TargetDescription{{Id: aws.String("172.31.0.10")}, {Id: aws.String("172.31.16.10"), Port: aws.Int32(9000)}}
	if _, err := f.ELB.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets}); err != nil {
		t.Fatal(err)
	}
	step := func(name string, want map[string]string) {
		t.Helper()
		if got := f.targetHealth(t, tg.TargetGroupArn); !maps.Equal(got, want) {
			t.Errorf("%s: targets = %v, want %v", name, got, want)
		}
	}
	step("unattached", map[string]string{"172.31.0.10:8080": "unused Target.NotInUse", "172.31.16.10:9000": "unused Target.NotInUse"})

	lb := f.createLB(t, "web")
	f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)
	step("attached", map[string]string{"172.31.0.10:8080": "initial Elb.RegistrationInProgress", "172.31.16.10:9000": "initial Elb.RegistrationInProgress"})
	f.Server.Clock().Advance(31 * time.Second)
	step("checking", map[string]string{"172.31.0.10:8080": "initial Elb.InitialHealthChecking", "172.31.16.10:9000": "initial Elb.InitialHealthChecking"})
	// Healthy after interval (30 s) × healthy threshold (5).
	f.Server.Clock().Advance(150 * time.Second)
	step("passed", map[string]string{"172.31.0.10:8080": "healthy ", "172.31.16.10:9000": "healthy "})

	if _, err := f.ELB.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets[:1]}); err != nil {
		t.Fatal(err)
	}
	step("draining", map[string]string{"172.31.0.10:8080": "draining Target.DeregistrationInProgress", "172.31.16.10:9000": "healthy "})
	f.Server.Clock().Advance(300 * time.Second)
	step("drained", map[string]string{"172.31.16.10:9000": "healthy "})

	_, err := f.ELB.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets[:1]})
	wantAPIError(t, err, "InvalidTarget")
}

func TestELBRegisterTargetsValidation(t *testing.T) {
	f := newELBFixture(t, Options{})
	tg := f.createTG(t, "php-app")
	tests := []struct {
		name   string
		tgARN  *string
		target elbtypes.TargetDescription
		code   string
	}{
		{"public address", tg.TargetGroupArn, elbtypes.TargetDescription{Id: aws.String("8.8.8.8")}, "InvalidTarget"},
		{"not an address", tg.TargetGroupArn, elbtypes.TargetDescription{Id: aws.String("i-0123456789abcdef0")}, "InvalidTarget"},
		{"outside the VPC without an AZ", tg.TargetGroupArn, elbtypes.TargetDescription{Id: aws.String("10.0.0.5")}, "ValidationError"},
		{"port 0", tg.TargetGroupArn, elbtypes.TargetDescription{Id: aws.String("172.31.0.10"), Port: aws.Int32(0)}, "ValidationError"},
		{"unknown target group", aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/0123456789abcdef"), elbtypes.TargetDescription{Id: aws.String("172.31.0.10")}, "TargetGroupNotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.ELB.RegisterTargets(t.Context(), &elb.RegisterTargetsInput{TargetGroupArn: tt.tgARN, Targets: []elbtypes.TargetDescription{tt.target}})
			wantAPIError(t, err, tt.code)
		})
	}
	// A private address outside the VPC is accepted with an AZ.
	_, err := f.ELB.RegisterTargets(t.Context(), &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []elbtypes.TargetDescription{{Id: aws.String("10.0.0.5"), AvailabilityZone: aws.String("all")}}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestELBTargetInServiceWaiter(t *testing.T) {
	f := newELBFixture(t, Options{Speed: 1000})
	tg := f.createTG(t, "php-app")
	lb := f.createLB(t, "web")
	f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)
	targets := []elbtypes.TargetDescription{{Id: aws.String("172.31.32.7")}}
	if _, err := f.ELB.RegisterTargets(t.Context(), &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets}); err != nil {
		t.Fatal(err)
	}
	w := elb.NewTargetInServiceWaiter(f.ELB, func(o *elb.TargetInServiceWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	})
	if err := w.Wait(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets}, 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestELBDeleteLoadBalancerDetachesTargetGroups(t *testing.T) {
	f := newELBFixture(t, Options{})
	ctx := t.Context()
	tg := f.createTG(t, "php-app")
	lb := f.createLB(t, "web")
	f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)

	_, err := f.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn})
	wantAPIError(t, err, "ResourceInUse")

	if _, err := f.ELB.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}); err != nil {
		t.Fatal(err)
	}
	_, err = f.ELB.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(lb.LoadBalancerArn)}})
	wantAPIError(t, err, "LoadBalancerNotFound")
	tgs, err := f.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{aws.ToString(tg.TargetGroupArn)}})
	if err != nil {
		t.Fatal(err)
	}
	if arns := tgs.TargetGroups[0].LoadBalancerArns; len(arns) != 0 {
		t.Errorf("LoadBalancerArns after delete = %v, want none", arns)
	}
	if _, err := f.ELB.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: tg.TargetGroupArn}); err != nil {
		t.Fatal(err)
	}
	_, err = f.ELB.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"php-app"}})
	wantAPIError(t, err, "TargetGroupNotFound")
}

func TestELBTags(t *testing.T) {
	f := newELBFixture(t, Options{})
	ctx := t.Context()
	lb := f.createLB(t, "web")
	tg := f.createTG(t, "php-app")
	arns := []string{aws.ToString(lb.LoadBalancerArn), aws.ToString(tg.TargetGroupArn)}
	tags := []elbtypes.Tag{{Key: aws.String("ecsconsole:deployment"), Value: aws.String("42")}, {Key: aws.String("app"), Value: aws.String("php")}}
	if _, err := f.ELB.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns, Tags: tags}); err != nil {
		t.Fatal(err)
	}
	// Re-adding a key overwrites its value.
	if _, err := f.ELB.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns[1:], Tags: []elbtypes.Tag{{Key: aws.String("app"), Value: aws.String("web")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := f.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: arns})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"ecsconsole:deployment=42", "app=php"}, {"ecsconsole:deployment=42", "app=web"}}
	for i, d := range out.TagDescriptions {
		var got []string
		for _, tag := range d.Tags {
			got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
		}
		if aws.ToString(d.ResourceArn) != arns[i] || !slices.Equal(got, want[i]) {
			t.Errorf("tags of %s = %v, want %v", aws.ToString(d.ResourceArn), got, want[i])
		}
	}

	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown load balancer", func() error {
			_, err := f.ELB.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{arns[0] + "0"}})
			return err
		}, "LoadBalancerNotFound"},
		{"unknown target group", func() error {
			_, err := f.ELB.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arns[1] + "0"}, Tags: tags})
			return err
		}, "TargetGroupNotFound"},
		{"duplicate keys", func() error {
			_, err := f.ELB.AddTags(ctx, &elb.AddTagsInput{ResourceArns: arns, Tags: append(tags, tags[0])})
			return err
		}, "DuplicateTagKeys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code) })
	}
}

// TestELBAndEC2ConcurrentRequests drives both query protocols from many
// goroutines at once (run with -race).
func TestELBAndEC2ConcurrentRequests(t *testing.T) {
	f := newELBFixture(t, Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 80)
	for i := range 20 {
		wg.Go(func() {
			name := fmt.Sprintf("tg-%02d", i)
			if _, err := f.ELB.CreateTargetGroup(t.Context(), f.tgInput(name)); err != nil {
				errs <- err
			}
			if _, err := f.ELB.DescribeTargetGroups(t.Context(), &elb.DescribeTargetGroupsInput{}); err != nil {
				errs <- err
			}
			if _, err := f.EC2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String("concurrent")}); err != nil {
				errs <- err
			}
			if _, err := f.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	tgs, err := f.ELB.DescribeTargetGroups(t.Context(), &elb.DescribeTargetGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	sgs, err := f.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tgs.TargetGroups) != 20 || len(sgs.SecurityGroups) != 21 {
		t.Errorf("got %d target groups and %d security groups, want 20 and 21 (with the default)", len(tgs.TargetGroups), len(sgs.SecurityGroups))
	}
}

// TestELBRestoreReschedules checks that lifecycles in flight survive a
// JSON snapshot: the state is round-tripped and its events dropped, as
// Load does, then restore must bring them back.
func TestELBRestoreReschedules(t *testing.T) {
	f := newELBFixture(t, Options{})
	lb := f.createLB(t, "web")
	tg := f.createTG(t, "php-app")
	f.createHTTPListener(t, lb.LoadBalancerArn, tg.TargetGroupArn)
	targets := []elbtypes.TargetDescription{{Id: aws.String("172.31.0.10")}, {Id: aws.String("172.31.16.10")}}
	if _, err := f.ELB.RegisterTargets(t.Context(), &elb.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ELB.DeregisterTargets(t.Context(), &elb.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: targets[1:]}); err != nil {
		t.Fatal(err)
	}

	f.Server.mu.Lock()
	w := f.Server.regions["us-east-1"]
	buf, err := json.Marshal(w.elb)
	if err == nil {
		w.elb, w.events = &elbState{}, eventQueue{}
		err = json.Unmarshal(buf, w.elb)
		w.elb.restore(w)
	}
	f.Server.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}

	f.Server.Clock().Advance(5 * time.Minute)
	lbs, err := f.ELB.DescribeLoadBalancers(t.Context(), &elb.DescribeLoadBalancersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := lbs.LoadBalancers[0].State.Code; got != elbtypes.LoadBalancerStateEnumActive {
		t.Errorf("restored load balancer is %s, want active", got)
	}
	want := map[string]string{"172.31.0.10:8080": "healthy "}
	if got := f.targetHealth(t, tg.TargetGroupArn); !maps.Equal(got, want) {
		t.Errorf("restored targets = %v, want %v (healthy, the draining one gone)", got, want)
	}
}
