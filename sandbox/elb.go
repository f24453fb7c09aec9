package sandbox

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// elbState is the ELBv2 part of a region (docs/aws-api.md §4): application load
// balancers, target groups with their targets, listeners and rules. Plain
// data, so the world can be saved as JSON; which load balancers use a target
// group is derived from listeners and rules, never stored.
type elbState struct {
	LoadBalancers []*elbLoadBalancer
	TargetGroups  []*elbTargetGroup
	Listeners     []*elbListener
	Rules         []*elbRule
}

// elbLoadBalancer is a load balancer. State goes provisioning → active.
type elbLoadBalancer struct {
	ARN            string
	Name           string
	DNSName        string
	CreatedTime    time.Time
	Scheme         string
	Type           string
	IPAddressType  string
	VpcID          string
	State          string
	Zones          []elbZone
	SecurityGroups []string
	Tags           []elbTag
}

// elbZone is one subnet a load balancer is attached to.
type elbZone struct {
	ZoneName string
	SubnetID string
}

// elbTargetGroup is a target group and its registered targets.
type elbTargetGroup struct {
	ARN             string
	Name            string
	Protocol        string
	Port            int
	VpcID           string
	TargetType      string
	ProtocolVersion string
	IPAddressType   string
	HealthCheck     elbHealthCheck
	Attributes      []elbAttribute
	Targets         []*elbTarget
	Tags            []elbTag
}

// elbHealthCheck is a target group's health check settings.
type elbHealthCheck struct {
	Enabled   bool
	Protocol  string
	Port      string
	Path      string
	Interval  int
	Timeout   int
	Healthy   int
	Unhealthy int
	HTTPCode  string
	GrpcCode  string
}

// elbTarget is a registered target. State is initial, healthy or
// draining; RegisteredAt tells the two initial reasons apart and
// DrainingSince dates the end of draining.
type elbTarget struct {
	ID            string
	Port          int
	Zone          string
	State         string
	RegisteredAt  time.Time
	DrainingSince time.Time `json:",omitzero"`
}

// Target health states and the reasons DescribeTargetHealth gives
// (docs/aws-api.md §4.5).
const (
	targetInitial  = "initial"
	targetHealthy  = "healthy"
	targetDraining = "draining"
	targetUnused   = "unused"
)

// elbListener is a listener; Certificates[0] is its default certificate
// and ExtraCertificates the SNI list of AddListenerCertificates.
type elbListener struct {
	ARN               string
	LoadBalancerARN   string
	DefaultRuleARN    string
	Port              int
	Protocol          string
	SslPolicy         string
	Certificates      []string
	ExtraCertificates []string
	DefaultActions    []elbAction
	Tags              []elbTag
}

// elbRule is a non-default listener rule.
type elbRule struct {
	ARN         string
	ListenerARN string
	Priority    int
	Conditions  []elbCondition
	Actions     []elbAction
	Tags        []elbTag
}

// elbTag is a tag, on the wire and in state.
type elbTag struct {
	Key   string
	Value string
}

// elbAttribute is a target group attribute.
type elbAttribute struct {
	Key   string
	Value string
}

// ALB quotas (docs/aws-api.md §4.9).
const (
	maxLoadBalancers     = 50
	maxTargetGroups      = 3000
	maxListenersPerLB    = 50
	maxRulesPerLB        = 100
	maxCertificatesPerLB = 25
	maxTargetsPerGroup   = 1000
	maxTags              = 50
	maxSecurityGroups    = 5
)

// restore reschedules what was in flight when the state was saved (load
// balancers provisioning, targets checking or draining), after a Load.
func (st *elbState) restore(w *world) {
	for _, lb := range st.LoadBalancers {
		if lb.State == lbProvisioning {
			w.scheduleActive(lb)
		}
	}
	for _, tg := range st.TargetGroups {
		for _, t := range tg.Targets {
			switch t.State {
			case targetInitial:
				w.scheduleHealthChecks(tg, t, t.RegisteredAt)
			case targetDraining:
				w.scheduleDrained(tg, t)
			}
		}
	}
}

// registerELB adds the ELBv2 operations to s.
func (s *Server) registerELB() {
	ops := map[string]queryOp{
		"CreateLoadBalancer":            elbCreateLoadBalancer,
		"DescribeLoadBalancers":         elbDescribeLoadBalancers,
		"DeleteLoadBalancer":            elbDeleteLoadBalancer,
		"CreateTargetGroup":             elbCreateTargetGroup,
		"DescribeTargetGroups":          elbDescribeTargetGroups,
		"ModifyTargetGroup":             elbModifyTargetGroup,
		"DeleteTargetGroup":             elbDeleteTargetGroup,
		"DescribeTargetGroupAttributes": elbDescribeTargetGroupAttributes,
		"ModifyTargetGroupAttributes":   elbModifyTargetGroupAttributes,
		"RegisterTargets":               elbRegisterTargets,
		"DeregisterTargets":             elbDeregisterTargets,
		"DescribeTargetHealth":          elbDescribeTargetHealth,
		"CreateListener":                elbCreateListener,
		"DescribeListeners":             elbDescribeListeners,
		"ModifyListener":                elbModifyListener,
		"DeleteListener":                elbDeleteListener,
		"CreateRule":                    elbCreateRule,
		"DescribeRules":                 elbDescribeRules,
		"DeleteRule":                    elbDeleteRule,
		"ModifyRule":                    elbModifyRule,
		"AddListenerCertificates":       elbAddListenerCertificates,
		"DescribeListenerCertificates":  elbDescribeListenerCertificates,
		"AddTags":                       elbAddTags,
		"RemoveTags":                    elbRemoveTags,
		"DescribeTags":                  elbDescribeTags,
	}
	for name, op := range ops {
		s.queryOps[elbVersion+":"+name] = op
	}
}

// elbARN builds an ELBv2 ARN; resource is e.g. "targetgroup/web/0123…".
func (w *world) elbARN(resource string) string {
	return fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:%s", w.region, w.account, resource)
}

func (st *elbState) loadBalancer(arn string) *elbLoadBalancer {
	for _, lb := range st.LoadBalancers {
		if lb.ARN == arn {
			return lb
		}
	}
	return nil
}

func (st *elbState) targetGroup(arn string) *elbTargetGroup {
	for _, tg := range st.TargetGroups {
		if tg.ARN == arn {
			return tg
		}
	}
	return nil
}

func (st *elbState) listener(arn string) *elbListener {
	for _, l := range st.Listeners {
		if l.ARN == arn {
			return l
		}
	}
	return nil
}

func (st *elbState) rule(arn string) *elbRule {
	for _, r := range st.Rules {
		if r.ARN == arn {
			return r
		}
	}
	return nil
}

// listenersOf returns a load balancer's listeners.
func (st *elbState) listenersOf(lbARN string) []*elbListener {
	var out []*elbListener
	for _, l := range st.Listeners {
		if l.LoadBalancerARN == lbARN {
			out = append(out, l)
		}
	}
	return out
}

// rulesOf returns a listener's non-default rules.
func (st *elbState) rulesOf(listenerARN string) []*elbRule {
	var out []*elbRule
	for _, r := range st.Rules {
		if r.ListenerARN == listenerARN {
			out = append(out, r)
		}
	}
	return out
}

// loadBalancersOf derives TargetGroup.LoadBalancerArns: the load balancers
// whose listener default actions or rules forward to the group.
func (st *elbState) loadBalancersOf(tgARN string) []string {
	var out []string
	add := func(lbARN string, actions []elbAction) {
		if !slices.Contains(out, lbARN) && slices.ContainsFunc(actions, func(a elbAction) bool { return slices.Contains(a.targetGroups(), tgARN) }) {
			out = append(out, lbARN)
		}
	}
	for _, l := range st.Listeners {
		add(l.LoadBalancerARN, l.DefaultActions)
		for _, r := range st.rulesOf(l.ARN) {
			add(l.LoadBalancerARN, r.Actions)
		}
	}
	return out
}

// elbValidation is awsQuery's generic input error.
func elbValidation(format string, args ...any) *apiError {
	return clientErr("ValidationError", format, args...)
}

// elbPage applies Marker and PageSize (1–400) to a Describe result.
func elbPage[T any](form url.Values, items []T) ([]T, string, error) {
	size, present, err := formInt(form, "PageSize", "ValidationError")
	if err != nil {
		return nil, "", err
	}
	if present && (size < 1 || size > 400) {
		return nil, "", elbValidation("%s", constraintMessage(size, "pageSize", "Member must have value between 1 and 400"))
	}
	marker := form.Get("Marker")
	return page(items, marker, size, elbValidation("Invalid marker '%s'", marker))
}

// elbTagKeyPattern is the model's TagKey/TagValue pattern.
var elbTagKeyPattern = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)

// parseELBTags reads Tags.member.N.Key/Value, rejecting repeated keys and
// values outside the model's constraints.
func parseELBTags(form url.Values, name string) ([]elbTag, error) {
	var tags []elbTag
	for _, item := range memberList(form, name).Items {
		t := elbTag{Key: form.Get(item + ".Key"), Value: form.Get(item + ".Value")}
		switch {
		case t.Key == "" || len(t.Key) > 128 || !elbTagKeyPattern.MatchString(t.Key):
			return nil, elbValidation("%s", constraintMessage(t.Key, item+".key", "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ and have length between 1 and 128"))
		case len(t.Value) > 256 || !elbTagKeyPattern.MatchString(t.Value):
			return nil, elbValidation("%s", constraintMessage(t.Value, item+".value", "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$ and have length at most 256"))
		case slices.ContainsFunc(tags, func(o elbTag) bool { return o.Key == t.Key }):
			return nil, clientErr("DuplicateTagKeys", "Tag key '%s' is duplicated", t.Key)
		}
		tags = append(tags, t)
	}
	if len(tags) > maxTags {
		return nil, clientErr("TooManyTags", "A resource can have at most %d tags", maxTags)
	}
	return tags, nil
}

// mergeELBTags adds or overwrites tags, keeping first-added order.
func mergeELBTags(tags, add []elbTag) []elbTag {
	for _, t := range add {
		if i := slices.IndexFunc(tags, func(o elbTag) bool { return o.Key == t.Key }); i >= 0 {
			tags[i].Value = t.Value
		} else {
			tags = append(tags, t)
		}
	}
	return tags
}

// tagsOf finds the tags of any ELBv2 resource by ARN, with the not-found
// error of its kind.
func (st *elbState) tagsOf(arn string) (*[]elbTag, error) {
	switch {
	case strings.Contains(arn, ":loadbalancer/"):
		if lb := st.loadBalancer(arn); lb != nil {
			return &lb.Tags, nil
		}
		return nil, errLoadBalancerNotFound()
	case strings.Contains(arn, ":targetgroup/"):
		if tg := st.targetGroup(arn); tg != nil {
			return &tg.Tags, nil
		}
		return nil, errTargetGroupNotFound()
	case strings.Contains(arn, ":listener/"):
		if l := st.listener(arn); l != nil {
			return &l.Tags, nil
		}
		return nil, errListenerNotFound()
	case strings.Contains(arn, ":listener-rule/"):
		if r := st.rule(arn); r != nil {
			return &r.Tags, nil
		}
		return nil, clientErr("RuleNotFound", "One or more rules not found")
	}
	return nil, elbValidation("'%s' is not a valid load balancer, target group, listener or rule ARN", arn)
}

func errLoadBalancerNotFound() error {
	return clientErr("LoadBalancerNotFound", "One or more load balancers not found")
}

func errTargetGroupNotFound() error {
	return clientErr("TargetGroupNotFound", "One or more target groups not found")
}

func errListenerNotFound() error {
	return clientErr("ListenerNotFound", "One or more listeners not found")
}

// resourceTags resolves every ResourceArns.member.N (1–20) to its tags.
func (st *elbState) resourceTags(form url.Values) ([]string, []*[]elbTag, error) {
	arns := memberStrings(form, "ResourceArns")
	if len(arns) == 0 || len(arns) > 20 {
		return nil, nil, elbValidation("%s", constraintMessage(len(arns), "resourceArns", "Member must have length between 1 and 20"))
	}
	var tags []*[]elbTag
	for _, arn := range arns {
		t, err := st.tagsOf(arn)
		if err != nil {
			return nil, nil, err
		}
		tags = append(tags, t)
	}
	return arns, tags, nil
}

func elbAddTags(c *call, form url.Values) (any, error) {
	_, targets, err := c.w.elb.resourceTags(form)
	if err != nil {
		return nil, err
	}
	add, err := parseELBTags(form, "Tags")
	if err != nil {
		return nil, err
	}
	for _, t := range targets {
		if len(mergeELBTags(slices.Clone(*t), add)) > maxTags {
			return nil, clientErr("TooManyTags", "A resource can have at most %d tags", maxTags)
		}
	}
	for _, t := range targets {
		*t = mergeELBTags(*t, add)
	}
	return nil, nil
}

func elbRemoveTags(c *call, form url.Values) (any, error) {
	_, targets, err := c.w.elb.resourceTags(form)
	if err != nil {
		return nil, err
	}
	keys := memberStrings(form, "TagKeys")
	for _, t := range targets {
		*t = slices.DeleteFunc(*t, func(tag elbTag) bool { return slices.Contains(keys, tag.Key) })
	}
	return nil, nil
}

type elbTagDescription struct {
	ResourceArn string
	Tags        []elbTag `xml:"Tags>member"`
}

type describeTagsOutput struct {
	TagDescriptions []elbTagDescription `xml:"TagDescriptions>member"`
}

func elbDescribeTags(c *call, form url.Values) (any, error) {
	arns, tags, err := c.w.elb.resourceTags(form)
	if err != nil {
		return nil, err
	}
	out := &describeTagsOutput{}
	for i, arn := range arns {
		out.TagDescriptions = append(out.TagDescriptions, elbTagDescription{ResourceArn: arn, Tags: *tags[i]})
	}
	return out, nil
}
