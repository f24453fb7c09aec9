package sandbox

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Listener and rule actions (docs/aws-api.md §4.6 "Actions"). The same structs
// are state and wire shape.

// elbAction is an Action.
type elbAction struct {
	Type                string
	TargetGroupArn      string `xml:",omitempty"`
	Order               int
	RedirectConfig      *elbRedirect      `xml:",omitempty"`
	FixedResponseConfig *elbFixedResponse `xml:",omitempty"`
	ForwardConfig       *elbForward       `xml:",omitempty"`
}

type elbRedirect struct {
	Protocol   string
	Port       string
	Host       string
	Path       string
	Query      string
	StatusCode string
}

type elbFixedResponse struct {
	MessageBody string `xml:",omitempty"`
	StatusCode  string
	ContentType string `xml:",omitempty"`
}

type elbForward struct {
	TargetGroups                []elbTargetGroupTuple `xml:"TargetGroups>member"`
	TargetGroupStickinessConfig elbStickiness
}

type elbTargetGroupTuple struct {
	TargetGroupArn string
	Weight         int
}

type elbStickiness struct {
	Enabled         bool
	DurationSeconds int `xml:",omitempty"`
}

var (
	redirectProtocolPattern = regexp.MustCompile(`^(HTTPS?|#\{protocol\})$`)
	fixedStatusPattern      = regexp.MustCompile(`^(2|4|5)\d\d$`)
)

// targetGroups lists the groups an action forwards to.
func (a elbAction) targetGroups() []string {
	if a.ForwardConfig != nil {
		var out []string
		for _, t := range a.ForwardConfig.TargetGroups {
			out = append(out, t.TargetGroupArn)
		}
		return out
	}
	if a.TargetGroupArn != "" {
		return []string{a.TargetGroupArn}
	}
	return nil
}

// parseActions reads name.member.N as a rule's (or a listener's default)
// actions. The sandbox supports the terminal actions only (forward,
// redirect, fixed-response), so exactly one is allowed.
func parseActions(form url.Values, name string) ([]elbAction, error) {
	items := memberList(form, name).Items
	if len(items) == 0 {
		return nil, elbValidation("%s", constraintMessage("[]", strings.ToLower(name[:1])+name[1:], "Member must have length greater than or equal to 1"))
	}
	if len(items) > 1 {
		return nil, clientErr("InvalidLoadBalancerAction", "A rule can have only one forward, redirect or fixed-response action, and the sandbox does not support authentication actions")
	}
	a, err := parseAction(form, items[0])
	if err != nil {
		return nil, err
	}
	return []elbAction{a}, nil
}

func parseAction(form url.Values, p string) (elbAction, error) {
	a := elbAction{Type: form.Get(p + ".Type"), Order: 1}
	if err := checkEnum(p+".type", a.Type, "forward", "authenticate-oidc", "authenticate-cognito", "redirect", "fixed-response"); err != nil {
		return a, err
	}
	if order, present, err := formInt(form, p+".Order", "ValidationError"); err != nil {
		return a, err
	} else if present {
		if order < 1 || order > 50000 {
			return a, elbValidation("%s", constraintMessage(order, p+".order", "Member must have value between 1 and 50000"))
		}
		a.Order = order
	}
	switch a.Type {
	case "forward":
		return a, parseForward(form, p, &a)
	case "redirect":
		return a, parseRedirect(form, p, &a)
	case "fixed-response":
		return a, parseFixedResponse(form, p, &a)
	}
	return a, clientErr("InvalidLoadBalancerAction", "The sandbox does not support '%s' actions", a.Type)
}

// parseForward reads TargetGroupArn and/or ForwardConfig; AWS echoes a
// simple forward as both, with weight 1 and stickiness off.
func parseForward(form url.Values, p string, a *elbAction) error {
	a.TargetGroupArn = form.Get(p + ".TargetGroupArn")
	fc := &elbForward{}
	for _, item := range memberList(form, p+".ForwardConfig.TargetGroups").Items {
		weight, present, err := formInt(form, item+".Weight", "ValidationError")
		if err != nil {
			return err
		}
		if !present {
			weight = 1
		}
		if weight < 0 || weight > 999 {
			return elbValidation("%s", constraintMessage(weight, item+".weight", "Member must have value between 0 and 999"))
		}
		fc.TargetGroups = append(fc.TargetGroups, elbTargetGroupTuple{TargetGroupArn: form.Get(item + ".TargetGroupArn"), Weight: weight})
	}
	enabled, _, err := formBool(form, p+".ForwardConfig.TargetGroupStickinessConfig.Enabled", "ValidationError")
	if err != nil {
		return err
	}
	fc.TargetGroupStickinessConfig.Enabled = enabled
	if d, present, err := formInt(form, p+".ForwardConfig.TargetGroupStickinessConfig.DurationSeconds", "ValidationError"); err != nil {
		return err
	} else if present {
		fc.TargetGroupStickinessConfig.DurationSeconds = d
	}
	switch {
	case len(fc.TargetGroups) == 0 && a.TargetGroupArn == "":
		return elbValidation("A target group ARN must be specified for forward actions")
	case len(fc.TargetGroups) == 0:
		fc.TargetGroups = []elbTargetGroupTuple{{TargetGroupArn: a.TargetGroupArn, Weight: 1}}
	case len(fc.TargetGroups) > 5:
		return elbValidation("A forward action can have at most 5 target groups")
	case a.TargetGroupArn != "" && (len(fc.TargetGroups) != 1 || fc.TargetGroups[0].TargetGroupArn != a.TargetGroupArn):
		return clientErr("InvalidLoadBalancerAction", "You cannot specify both a target group ARN and a different forward config")
	case len(fc.TargetGroups) == 1:
		a.TargetGroupArn = fc.TargetGroups[0].TargetGroupArn
	}
	a.ForwardConfig = fc
	return nil
}

// parseRedirect fills unspecified components with the #{…} placeholders
// AWS reports and refuses a redirect to the same URL (a loop).
func parseRedirect(form url.Values, p string, a *elbAction) error {
	rp := p + ".RedirectConfig."
	r := &elbRedirect{
		Protocol:   cmp.Or(form.Get(rp+"Protocol"), "#{protocol}"),
		Port:       cmp.Or(form.Get(rp+"Port"), "#{port}"),
		Host:       cmp.Or(form.Get(rp+"Host"), "#{host}"),
		Path:       cmp.Or(form.Get(rp+"Path"), "/#{path}"),
		Query:      cmp.Or(form.Get(rp+"Query"), "#{query}"),
		StatusCode: form.Get(rp + "StatusCode"),
	}
	if err := checkEnum(p+".redirectConfig.statusCode", r.StatusCode, "HTTP_301", "HTTP_302"); err != nil {
		return err
	}
	if !redirectProtocolPattern.MatchString(r.Protocol) {
		return elbValidation("%s", constraintMessage(r.Protocol, p+".redirectConfig.protocol", "Member must satisfy regular expression pattern: ^(HTTPS?|#\\{protocol\\})$"))
	}
	if n, err := strconv.Atoi(r.Port); r.Port != "#{port}" && (err != nil || n < 1 || n > 65535) {
		return clientErr("InvalidLoadBalancerAction", "The redirect port '%s' must be between 1 and 65535 or #{port}", r.Port)
	}
	if !strings.HasPrefix(r.Path, "/") {
		return clientErr("InvalidLoadBalancerAction", "The redirect path '%s' must start with '/'", r.Path)
	}
	if strings.HasPrefix(r.Query, "?") {
		return clientErr("InvalidLoadBalancerAction", "The redirect query '%s' must not start with '?'", r.Query)
	}
	if r.Protocol == "#{protocol}" && r.Port == "#{port}" && r.Host == "#{host}" && r.Path == "/#{path}" {
		return clientErr("InvalidLoadBalancerAction", "The redirect configuration is not valid: it must change at least one of protocol, port, host or path to avoid a redirect loop")
	}
	a.RedirectConfig = r
	return nil
}

func parseFixedResponse(form url.Values, p string, a *elbAction) error {
	fp := p + ".FixedResponseConfig."
	f := &elbFixedResponse{MessageBody: form.Get(fp + "MessageBody"), StatusCode: form.Get(fp + "StatusCode"), ContentType: form.Get(fp + "ContentType")}
	if !fixedStatusPattern.MatchString(f.StatusCode) {
		return elbValidation("%s", constraintMessage(f.StatusCode, p+".fixedResponseConfig.statusCode", "Member must satisfy regular expression pattern: ^(2|4|5)\\d\\d$"))
	}
	if f.ContentType != "" {
		if err := checkEnum(p+".fixedResponseConfig.contentType", f.ContentType, "text/plain", "text/css", "text/html", "application/javascript", "application/json"); err != nil {
			return err
		}
	}
	if len(f.MessageBody) > 1024 {
		return elbValidation("%s", constraintMessage(len(f.MessageBody), p+".fixedResponseConfig.messageBody", "Member must have length less than or equal to 1024"))
	}
	a.FixedResponseConfig = f
	return nil
}

// checkActionTargets checks the target groups actions forward to for a
// listener of lb: each exists, speaks HTTP(S), is in lb's VPC and serves no
// other load balancer (an ALB target group belongs to one).
func (st *elbState) checkActionTargets(lb *elbLoadBalancer, actions []elbAction) error {
	for _, a := range actions {
		for _, arn := range a.targetGroups() {
			tg := st.targetGroup(arn)
			switch {
			case tg == nil:
				return clientErr("TargetGroupNotFound", "Target group '%s' not found", arn)
			case !isHTTP(tg.Protocol) && tg.TargetType != "lambda":
				return clientErr("IncompatibleProtocols", "The target group '%s' uses the %s protocol, which an application load balancer cannot forward to", arn, tg.Protocol)
			case tg.VpcID != "" && tg.VpcID != lb.VpcID:
				return clientErr("InvalidConfigurationRequest", "The target group '%s' is in VPC '%s', not in the load balancer's VPC '%s'", arn, tg.VpcID, lb.VpcID)
			case slices.ContainsFunc(st.loadBalancersOf(arn), func(other string) bool { return other != lb.ARN }):
				return clientErr("TargetGroupAssociationLimit", "The following target groups cannot be associated with more than one load balancer: %s", arn)
			}
		}
	}
	return nil
}

// actionTargetGroups lists every group the actions forward to.
func actionTargetGroups(actions []elbAction) []string {
	var out []string
	for _, a := range actions {
		out = append(out, a.targetGroups()...)
	}
	return out
}

// elbCondition is a RuleCondition.
type elbCondition struct {
	Field                   string
	Values                  []string            `xml:"Values>member"`
	HostHeaderConfig        *elbConditionValues `xml:",omitempty"`
	PathPatternConfig       *elbConditionValues `xml:",omitempty"`
	HTTPHeaderConfig        *elbHeaderCondition `xml:"HttpHeaderConfig,omitempty"`
	QueryStringConfig       *elbQueryCondition  `xml:",omitempty"`
	HTTPRequestMethodConfig *elbConditionValues `xml:"HttpRequestMethodConfig,omitempty"`
	SourceIPConfig          *elbConditionValues `xml:"SourceIpConfig,omitempty"`
}

type elbConditionValues struct {
	Values []string `xml:"Values>member"`
}

type elbHeaderCondition struct {
	HTTPHeaderName string   `xml:"HttpHeaderName"`
	Values         []string `xml:"Values>member"`
}

type elbQueryCondition struct {
	Values []elbQueryPair `xml:"Values>member"`
}

type elbQueryPair struct {
	Key   string `xml:",omitempty"`
	Value string
}

// parseConditions reads CreateRule's Conditions.member.N: a known field,
// at least one value, at most one condition per field for host-header,
// path-pattern, http-request-method and source-ip.
func parseConditions(form url.Values) ([]elbCondition, error) {
	items := memberList(form, "Conditions").Items
	if len(items) == 0 {
		return nil, elbValidation("%s", constraintMessage("[]", "conditions", "Member must have length greater than or equal to 1"))
	}
	var out []elbCondition
	for _, item := range items {
		c, err := parseCondition(form, item)
		if err != nil {
			return nil, err
		}
		unique := c.Field != "http-header" && c.Field != "query-string"
		if unique && slices.ContainsFunc(out, func(o elbCondition) bool { return o.Field == c.Field }) {
			return nil, elbValidation("A rule can only have one '%s' condition", c.Field)
		}
		out = append(out, c)
	}
	return out, nil
}

func parseCondition(form url.Values, p string) (elbCondition, error) {
	c := elbCondition{Field: form.Get(p + ".Field"), Values: memberStrings(form, p+".Values")}
	if err := checkEnum(p+".field", c.Field, "http-header", "http-request-method", "host-header", "path-pattern", "query-string", "source-ip"); err != nil {
		return c, err
	}
	configValues := func(name string) *elbConditionValues {
		if v := memberStrings(form, p+"."+name+".Values"); len(v) > 0 {
			return &elbConditionValues{Values: v}
		}
		if len(c.Values) > 0 {
			return &elbConditionValues{Values: c.Values}
		}
		return nil
	}
	var values []string
	switch c.Field {
	case "host-header":
		c.HostHeaderConfig = configValues("HostHeaderConfig")
	case "path-pattern":
		c.PathPatternConfig = configValues("PathPatternConfig")
	case "http-request-method":
		c.HTTPRequestMethodConfig = configValues("HttpRequestMethodConfig")
	case "source-ip":
		c.SourceIPConfig = configValues("SourceIpConfig")
	case "http-header":
		c.HTTPHeaderConfig = &elbHeaderCondition{HTTPHeaderName: form.Get(p + ".HttpHeaderConfig.HttpHeaderName"), Values: memberStrings(form, p+".HttpHeaderConfig.Values")}
		values = c.HTTPHeaderConfig.Values
	case "query-string":
		c.QueryStringConfig = &elbQueryCondition{}
		for _, item := range memberList(form, p+".QueryStringConfig.Values").Items {
			c.QueryStringConfig.Values = append(c.QueryStringConfig.Values, elbQueryPair{Key: form.Get(item + ".Key"), Value: form.Get(item + ".Value")})
			values = append(values, form.Get(item+".Value"))
		}
	}
	for _, cfg := range []*elbConditionValues{c.HostHeaderConfig, c.PathPatternConfig, c.HTTPRequestMethodConfig, c.SourceIPConfig} {
		if cfg != nil {
			values = cfg.Values
		}
	}
	if len(values) == 0 {
		return c, elbValidation("A '%s' condition must have at least one value", c.Field)
	}
	for _, v := range values {
		if len(v) > 128 {
			return c, elbValidation("%s", constraintMessage(v, p+".values", "Member must have length less than or equal to 128"))
		}
	}
	if c.Field == "host-header" || c.Field == "path-pattern" {
		// AWS echoes the legacy Values next to the config for these two.
		c.Values = values
	} else {
		c.Values = nil
	}
	return c, nil
}
