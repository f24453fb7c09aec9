package sandbox

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// httpCodePattern is an ALB matcher: codes or ranges, comma-separated.
var httpCodePattern = regexp.MustCompile(`^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$`)

type elbTargetGroupOut struct {
	TargetGroupArn             string
	TargetGroupName            string
	Protocol                   string `xml:",omitempty"`
	Port                       int    `xml:",omitempty"`
	VpcID                      string `xml:"VpcId,omitempty"`
	HealthCheckProtocol        string `xml:",omitempty"`
	HealthCheckPort            string `xml:",omitempty"`
	HealthCheckEnabled         bool
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	HealthCheckPath            string `xml:",omitempty"`
	Matcher                    *elbMatcher
	LoadBalancerArns           []string `xml:"LoadBalancerArns>member"`
	TargetType                 string
	ProtocolVersion            string `xml:",omitempty"`
	IPAddressType              string `xml:"IpAddressType"`
}

type elbMatcher struct {
	HTTPCode string `xml:"HttpCode,omitempty"`
	GrpcCode string `xml:",omitempty"`
}

type targetGroupsOutput struct {
	TargetGroups []elbTargetGroupOut `xml:"TargetGroups>member"`
	NextMarker   string              `xml:",omitempty"`
}

func (st *elbState) targetGroupOut(tg *elbTargetGroup) elbTargetGroupOut {
	hc := tg.HealthCheck
	o := elbTargetGroupOut{
		TargetGroupArn:             tg.ARN,
		TargetGroupName:            tg.Name,
		Protocol:                   tg.Protocol,
		Port:                       tg.Port,
		VpcID:                      tg.VpcID,
		HealthCheckProtocol:        hc.Protocol,
		HealthCheckPort:            hc.Port,
		HealthCheckEnabled:         hc.Enabled,
		HealthCheckIntervalSeconds: hc.Interval,
		HealthCheckTimeoutSeconds:  hc.Timeout,
		HealthyThresholdCount:      hc.Healthy,
		UnhealthyThresholdCount:    hc.Unhealthy,
		HealthCheckPath:            hc.Path,
		LoadBalancerArns:           st.loadBalancersOf(tg.ARN),
		TargetType:                 tg.TargetType,
		ProtocolVersion:            tg.ProtocolVersion,
		IPAddressType:              tg.IPAddressType,
	}
	if hc.HTTPCode != "" || hc.GrpcCode != "" {
		o.Matcher = &elbMatcher{HTTPCode: hc.HTTPCode, GrpcCode: hc.GrpcCode}
	}
	return o
}

// isHTTP reports whether a protocol is one an ALB speaks.
func isHTTP(protocol string) bool { return protocol == "HTTP" || protocol == "HTTPS" }

func elbCreateTargetGroup(c *call, form url.Values) (any, error) {
	w := c.w
	tg, err := parseTargetGroup(w, form)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(w.elb.TargetGroups, func(o *elbTargetGroup) bool { return o.Name == tg.Name }); i >= 0 {
		existing := w.elb.TargetGroups[i]
		if !existing.sameSettings(tg) {
			return nil, clientErr("DuplicateTargetGroupName", "A target group with the same name '%s' exists, but with different settings", tg.Name)
		}
		return &targetGroupsOutput{TargetGroups: []elbTargetGroupOut{w.elb.targetGroupOut(existing)}}, nil
	}
	if len(w.elb.TargetGroups) >= maxTargetGroups {
		return nil, clientErr("TooManyTargetGroups", "The maximum number of target groups has been reached")
	}
	tg.ARN = w.elbARN(fmt.Sprintf("targetgroup/%s/%s", tg.Name, randomHex(16)))
	tg.Attributes = defaultTargetGroupAttributes()
	w.elb.TargetGroups = append(w.elb.TargetGroups, tg)
	return &targetGroupsOutput{TargetGroups: []elbTargetGroupOut{w.elb.targetGroupOut(tg)}}, nil
}

// sameSettings compares everything CreateTargetGroup sets but tags.
func (tg *elbTargetGroup) sameSettings(o *elbTargetGroup) bool {
	return tg.Protocol == o.Protocol && tg.Port == o.Port && tg.VpcID == o.VpcID && tg.TargetType == o.TargetType &&
		tg.ProtocolVersion == o.ProtocolVersion && tg.IPAddressType == o.IPAddressType && tg.HealthCheck == o.HealthCheck
}

// parseTargetGroup reads and validates CreateTargetGroup's input.
func parseTargetGroup(w *world, form url.Values) (*elbTargetGroup, error) {
	tg := &elbTargetGroup{
		Name:          form.Get("Name"),
		Protocol:      form.Get("Protocol"),
		VpcID:         form.Get("VpcId"),
		TargetType:    cmp.Or(form.Get("TargetType"), "instance"),
		IPAddressType: cmp.Or(form.Get("IpAddressType"), "ipv4"),
	}
	if err := validateTargetGroupName(tg.Name); err != nil {
		return nil, err
	}
	if err := checkEnum("targetType", tg.TargetType, "instance", "ip", "lambda", "alb"); err != nil {
		return nil, err
	}
	if err := checkEnum("ipAddressType", tg.IPAddressType, "ipv4", "ipv6"); err != nil {
		return nil, err
	}
	port, hasPort, err := formInt(form, "Port", "ValidationError")
	if err != nil {
		return nil, err
	}
	tg.Port = port
	if tg.TargetType != "lambda" {
		if err := validateTargetGroupNetwork(w, tg, hasPort); err != nil {
			return nil, err
		}
	}
	if v := form.Get("ProtocolVersion"); v != "" {
		if !isHTTP(tg.Protocol) {
			return nil, elbValidation("A protocol version can only be specified for HTTP and HTTPS target groups")
		}
		if err := checkEnum("protocolVersion", v, "HTTP1", "HTTP2", "GRPC"); err != nil {
			return nil, err
		}
		tg.ProtocolVersion = v
	} else if isHTTP(tg.Protocol) {
		tg.ProtocolVersion = "HTTP1"
	}
	tg.HealthCheck = defaultHealthCheck(tg)
	if err := applyHealthCheck(form, tg); err != nil {
		return nil, err
	}
	tg.Tags, err = parseELBTags(form, "Tags")
	return tg, err
}

// validateTargetGroupName enforces ≤ 32 alphanumerics and hyphens, no
// leading or trailing hyphen.
func validateTargetGroupName(name string) error {
	switch {
	case name == "":
		return elbValidation("%s", constraintMessage(name, "name", "Member must have length greater than or equal to 1"))
	case len(name) > 32:
		return elbValidation("Target group name '%s' cannot be longer than '32' characters", name)
	case !elbNamePattern.MatchString(name):
		return elbValidation("Target group name '%s' can only contain characters that are alphanumeric characters or hyphens(-)", name)
	case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
		return elbValidation("Target group name '%s' cannot begin or end with '-'", name)
	}
	return nil
}

// validateTargetGroupNetwork checks what non-lambda groups need: a
// protocol, a port in 1–65535 and a known VPC.
func validateTargetGroupNetwork(w *world, tg *elbTargetGroup, hasPort bool) error {
	if tg.Protocol == "" {
		return elbValidation("A protocol must be specified")
	}
	if err := checkEnum("protocol", tg.Protocol, "HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"); err != nil {
		return err
	}
	if !hasPort {
		return elbValidation("A port must be specified")
	}
	if err := checkPort("port", tg.Port); err != nil {
		return err
	}
	if tg.VpcID == "" {
		return elbValidation("A VPC ID must be specified")
	}
	if w.ec2.vpc(tg.VpcID) == nil {
		return elbValidation("The VPC ID '%s' is not found", tg.VpcID)
	}
	return nil
}

// checkPort rejects a port outside 1–65535.
func checkPort(member string, port int) error {
	if port < 1 || port > 65535 {
		return elbValidation("%s", constraintMessage(port, member, "Member must have value between 1 and 65535"))
	}
	return nil
}

// defaultHealthCheck is AWS's default for the group's protocol
// (docs/aws-api.md §4.5).
func defaultHealthCheck(tg *elbTargetGroup) elbHealthCheck {
	hc := elbHealthCheck{Enabled: tg.TargetType != "lambda", Port: "traffic-port", Interval: 30, Timeout: 5, Healthy: 5, Unhealthy: 2}
	switch {
	case tg.TargetType == "lambda":
		hc.Interval, hc.Timeout, hc.Unhealthy, hc.Port = 35, 30, 2, ""
		hc.Path, hc.HTTPCode = "/", "200"
	case isHTTP(tg.Protocol):
		hc.Protocol, hc.Path, hc.HTTPCode = tg.Protocol, "/", "200"
		if tg.ProtocolVersion == "GRPC" {
			hc.Path, hc.HTTPCode, hc.GrpcCode = "/AWS.ALB/healthcheck", "", "12"
		}
	default:
		hc.Protocol, hc.Timeout, hc.Healthy = "TCP", 10, 5
	}
	return hc
}

// applyHealthCheck applies the HealthCheck* and Matcher members given (by
// CreateTargetGroup or ModifyTargetGroup) and validates the result.
func applyHealthCheck(form url.Values, tg *elbTargetGroup) error {
	hc := tg.HealthCheck
	if v := form.Get("HealthCheckProtocol"); v != "" {
		if err := checkEnum("healthCheckProtocol", v, "HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"); err != nil {
			return err
		}
		if isHTTP(tg.Protocol) && !isHTTP(v) {
			return elbValidation("Health check protocol '%s' is not supported for target groups with the '%s' protocol", v, tg.Protocol)
		}
		hc.Protocol = v
	}
	if v := form.Get("HealthCheckPort"); v != "" {
		if n, err := strconv.Atoi(v); v != "traffic-port" && (err != nil || n < 1 || n > 65535) {
			return elbValidation("Health check port '%s' must be 'traffic-port' or a port between 1 and 65535", v)
		}
		hc.Port = v
	}
	if v, ok := form["HealthCheckPath"]; ok {
		if len(v[0]) < 1 || len(v[0]) > 1024 || !strings.HasPrefix(v[0], "/") {
			return elbValidation("Health check path '%s' must start with '/' and be 1 to 1024 characters long", v[0])
		}
		hc.Path = v[0]
	}
	enabled, hasEnabled, err := formBool(form, "HealthCheckEnabled", "ValidationError")
	if err != nil {
		return err
	}
	if hasEnabled {
		if !enabled && (tg.TargetType == "ip" || tg.TargetType == "instance") {
			return elbValidation("Health checks cannot be disabled for target groups with target type '%s'", tg.TargetType)
		}
		hc.Enabled = enabled
	}
	ranges := []struct {
		key, member string
		min, max    int
		field       *int
	}{
		{"HealthCheckIntervalSeconds", "healthCheckIntervalSeconds", 5, 300, &hc.Interval},
		{"HealthCheckTimeoutSeconds", "healthCheckTimeoutSeconds", 2, 120, &hc.Timeout},
		{"HealthyThresholdCount", "healthyThresholdCount", 2, 10, &hc.Healthy},
		{"UnhealthyThresholdCount", "unhealthyThresholdCount", 2, 10, &hc.Unhealthy},
	}
	for _, r := range ranges {
		n, present, err := formInt(form, r.key, "ValidationError")
		if err != nil {
			return err
		}
		if !present {
			continue
		}
		if n < r.min || n > r.max {
			return elbValidation("%s", constraintMessage(n, r.member, fmt.Sprintf("Member must have value between %d and %d", r.min, r.max)))
		}
		*r.field = n
	}
	if hc.Timeout >= hc.Interval {
		return elbValidation("Health check timeout '%d' must be smaller than the interval '%d'", hc.Timeout, hc.Interval)
	}
	if v := form.Get("Matcher.HttpCode"); v != "" {
		if !httpCodePattern.MatchString(v) || !httpCodesInRange(v) {
			return elbValidation("Health check matcher HTTP code '%s' must be codes or ranges between 200 and 499, such as '200' or '200-299'", v)
		}
		hc.HTTPCode = v
	}
	if v := form.Get("Matcher.GrpcCode"); v != "" {
		hc.GrpcCode = v
	}
	tg.HealthCheck = hc
	return nil
}

// httpCodesInRange reports whether every code of a matcher is in 200–499.
func httpCodesInRange(v string) bool {
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '-' }) {
		if n, _ := strconv.Atoi(part); n < 200 || n > 499 {
			return false
		}
	}
	return true
}

func elbDescribeTargetGroups(c *call, form url.Values) (any, error) {
	st := c.w.elb
	lbARN := form.Get("LoadBalancerArn")
	arns, names := memberStrings(form, "TargetGroupArns"), memberStrings(form, "Names")
	given := 0
	for _, b := range []bool{lbARN != "", len(arns) > 0, len(names) > 0} {
		if b {
			given++
		}
	}
	if given > 1 {
		return nil, elbValidation("A load balancer ARN, target group ARNs and target group names cannot be specified at the same time")
	}
	var groups []*elbTargetGroup
	switch {
	case lbARN != "":
		if st.loadBalancer(lbARN) == nil {
			return nil, errLoadBalancerNotFound()
		}
		for _, tg := range st.TargetGroups {
			if slices.Contains(st.loadBalancersOf(tg.ARN), lbARN) {
				groups = append(groups, tg)
			}
		}
	case len(arns) > 0:
		for _, arn := range arns {
			tg := st.targetGroup(arn)
			if tg == nil {
				return nil, clientErr("TargetGroupNotFound", "Target groups '%s' not found", arn)
			}
			groups = append(groups, tg)
		}
	case len(names) > 0:
		for _, name := range names {
			i := slices.IndexFunc(st.TargetGroups, func(tg *elbTargetGroup) bool { return tg.Name == name })
			if i < 0 {
				return nil, clientErr("TargetGroupNotFound", "One or more target groups not found")
			}
			groups = append(groups, st.TargetGroups[i])
		}
	default:
		groups = st.TargetGroups
	}
	pageGroups, next, err := elbPage(form, groups)
	if err != nil {
		return nil, err
	}
	out := &targetGroupsOutput{NextMarker: next}
	for _, tg := range pageGroups {
		out.TargetGroups = append(out.TargetGroups, st.targetGroupOut(tg))
	}
	return out, nil
}

func elbModifyTargetGroup(c *call, form url.Values) (any, error) {
	st := c.w.elb
	tg := st.targetGroup(form.Get("TargetGroupArn"))
	if tg == nil {
		return nil, errTargetGroupNotFound()
	}
	if err := applyHealthCheck(form, tg); err != nil {
		return nil, err
	}
	return &targetGroupsOutput{TargetGroups: []elbTargetGroupOut{st.targetGroupOut(tg)}}, nil
}

// elbDeleteTargetGroup refuses while a listener or rule forwards to the
// group; an unknown group is already gone, which succeeds.
func elbDeleteTargetGroup(c *call, form url.Values) (any, error) {
	st := c.w.elb
	arn := form.Get("TargetGroupArn")
	if len(st.loadBalancersOf(arn)) > 0 {
		return nil, clientErr("ResourceInUse", "Target group '%s' is currently in use by a listener or a rule", arn)
	}
	st.TargetGroups = slices.DeleteFunc(st.TargetGroups, func(tg *elbTargetGroup) bool { return tg.ARN == arn })
	return nil, nil
}

// defaultTargetGroupAttributes are an ALB target group's attributes as
// created (docs/aws-api.md §4.5).
func defaultTargetGroupAttributes() []elbAttribute {
	return []elbAttribute{
		{"deregistration_delay.timeout_seconds", "300"},
		{"slow_start.duration_seconds", "0"},
		{"stickiness.enabled", "false"},
		{"stickiness.type", "lb_cookie"},
		{"stickiness.lb_cookie.duration_seconds", "86400"},
		{"load_balancing.algorithm.type", "round_robin"},
	}
}

// attributeRanges bounds the numeric attributes.
func attributeRange(key string) (lo, hi int, numeric bool) {
	switch key {
	case "deregistration_delay.timeout_seconds":
		return 0, 3600, true
	case "slow_start.duration_seconds":
		return 0, 900, true
	case "stickiness.lb_cookie.duration_seconds":
		return 1, 604800, true
	}
	return 0, 0, false
}

// deregistrationDelay is the group's draining time in seconds.
func (tg *elbTargetGroup) deregistrationDelay() int {
	for _, a := range tg.Attributes {
		if a.Key == "deregistration_delay.timeout_seconds" {
			n, _ := strconv.Atoi(a.Value)
			return n
		}
	}
	return 300
}

type targetGroupAttributesOutput struct {
	Attributes []elbAttribute `xml:"Attributes>member"`
}

func elbDescribeTargetGroupAttributes(c *call, form url.Values) (any, error) {
	tg := c.w.elb.targetGroup(form.Get("TargetGroupArn"))
	if tg == nil {
		return nil, errTargetGroupNotFound()
	}
	return &targetGroupAttributesOutput{Attributes: tg.Attributes}, nil
}

func elbModifyTargetGroupAttributes(c *call, form url.Values) (any, error) {
	tg := c.w.elb.targetGroup(form.Get("TargetGroupArn"))
	if tg == nil {
		return nil, errTargetGroupNotFound()
	}
	attrs := slices.Clone(tg.Attributes)
	for _, item := range memberList(form, "Attributes").Items {
		key, value := form.Get(item+".Key"), form.Get(item+".Value")
		i := slices.IndexFunc(attrs, func(a elbAttribute) bool { return a.Key == key })
		if i < 0 {
			return nil, elbValidation("Target group attribute key '%s' is not recognized", key)
		}
		if lo, hi, numeric := attributeRange(key); numeric {
			if n, err := strconv.Atoi(value); err != nil || n < lo || n > hi {
				return nil, elbValidation("Target group attribute '%s' must be between %d and %d, got '%s'", key, lo, hi, value)
			}
		}
		attrs[i].Value = value
	}
	tg.Attributes = attrs
	return &targetGroupAttributesOutput{Attributes: attrs}, nil
}
