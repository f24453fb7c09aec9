package sandbox

import (
	"cmp"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Listeners, rules and listener certificates (docs/aws-api.md §4.6–§4.8).

// defaultSSLPolicy is what AWS applies to an HTTPS listener created
// through the API without one.
const defaultSSLPolicy = "ELBSecurityPolicy-2016-08"

// sslPolicies are the predefined policies the sandbox knows.
func sslPolicies() []string {
	return []string{
		"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
		"ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS-1-2-2017-01",
		"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10", "ELBSecurityPolicy-FS-2018-06",
		"ELBSecurityPolicy-TLS-1-1-2017-01", "ELBSecurityPolicy-2015-05",
	}
}

type elbListenerOut struct {
	ListenerArn     string
	LoadBalancerArn string
	Port            int
	Protocol        string
	Certificates    []elbCertificateOut `xml:"Certificates>member"`
	SslPolicy       string              `xml:",omitempty"`
	DefaultActions  []elbAction         `xml:"DefaultActions>member"`
}

type elbCertificateOut struct {
	CertificateArn string
	IsDefault      *bool `xml:",omitempty"`
}

type listenersOutput struct {
	Listeners  []elbListenerOut `xml:"Listeners>member"`
	NextMarker string           `xml:",omitempty"`
}

func (l *elbListener) out() elbListenerOut {
	o := elbListenerOut{
		ListenerArn:     l.ARN,
		LoadBalancerArn: l.LoadBalancerARN,
		Port:            l.Port,
		Protocol:        l.Protocol,
		SslPolicy:       l.SslPolicy,
		DefaultActions:  l.DefaultActions,
	}
	for _, arn := range l.Certificates {
		o.Certificates = append(o.Certificates, elbCertificateOut{CertificateArn: arn})
	}
	return o
}

// lastPathElement is an ARN's last path element: a load balancer's or
// listener's id, from which child ARNs are built.
func lastPathElement(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func elbCreateListener(c *call, form url.Values) (any, error) {
	w, st := c.w, c.w.elb
	lb := st.loadBalancer(form.Get("LoadBalancerArn"))
	if lb == nil {
		return nil, errLoadBalancerNotFound()
	}
	l := &elbListener{LoadBalancerARN: lb.ARN}
	if err := applyListenerForm(form, l, true); err != nil {
		return nil, err
	}
	for _, other := range st.listenersOf(lb.ARN) {
		if other.Port == l.Port && other.sameSettings(l) {
			return &listenersOutput{Listeners: []elbListenerOut{other.out()}}, nil
		}
	}
	if err := w.validateListener(lb, l, ""); err != nil {
		return nil, err
	}
	if len(st.listenersOf(lb.ARN)) >= maxListenersPerLB {
		return nil, clientErr("TooManyListeners", "You've reached the limit on the number of listeners per load balancer (%d)", maxListenersPerLB)
	}
	tags, err := parseELBTags(form, "Tags")
	if err != nil {
		return nil, err
	}
	base := fmt.Sprintf("app/%s/%s", lb.Name, lastPathElement(lb.ARN))
	l.ARN = w.elbARN(fmt.Sprintf("listener/%s/%s", base, randomHex(16)))
	l.DefaultRuleARN = w.elbARN(fmt.Sprintf("listener-rule/%s/%s/%s", base, lastPathElement(l.ARN), randomHex(16)))
	l.Tags = tags
	st.Listeners = append(st.Listeners, l)
	for _, cert := range l.Certificates {
		w.markCertificateInUse(cert, lb.ARN)
	}
	w.startHealthChecks(actionTargetGroups(l.DefaultActions), c.now)
	return &listenersOutput{Listeners: []elbListenerOut{l.out()}}, nil
}

// sameSettings reports whether a repeated CreateListener asks for what
// exists, which AWS answers with the existing listener.
func (l *elbListener) sameSettings(o *elbListener) bool {
	return l.Protocol == o.Protocol && (l.SslPolicy == o.SslPolicy || o.SslPolicy == "") &&
		slices.Equal(l.Certificates, o.Certificates) && reflect.DeepEqual(l.DefaultActions, o.DefaultActions)
}

// applyListenerForm applies the Port, Protocol, SslPolicy, Certificates and
// DefaultActions given to l. Creating, Port, Protocol and DefaultActions are
// required; modifying, only what is given changes, and switching HTTPS to
// HTTP drops the policy and certificates.
func applyListenerForm(form url.Values, l *elbListener, creating bool) error {
	port, hasPort, err := formInt(form, "Port", "ValidationError")
	if err != nil {
		return err
	}
	if hasPort {
		if err := checkPort("port", port); err != nil {
			return err
		}
		l.Port = port
	} else if creating {
		return elbValidation("A port must be specified for application load balancer listeners")
	}
	if protocol := form.Get("Protocol"); protocol != "" {
		if err := checkEnum("protocol", protocol, "HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP", "GENEVE"); err != nil {
			return err
		}
		if l.Protocol == "HTTPS" && protocol == "HTTP" {
			l.SslPolicy, l.Certificates, l.ExtraCertificates = "", nil, nil
		}
		l.Protocol = protocol
	} else if creating {
		return elbValidation("A protocol must be specified for application load balancer listeners")
	}
	if policy := form.Get("SslPolicy"); policy != "" {
		l.SslPolicy = policy
	}
	if certs := memberList(form, "Certificates"); certs.Present {
		l.Certificates = nil
		for _, item := range certs.Items {
			l.Certificates = append(l.Certificates, form.Get(item+".CertificateArn"))
		}
	}
	if memberList(form, "DefaultActions").Present || creating {
		if l.DefaultActions, err = parseActions(form, "DefaultActions"); err != nil {
			return err
		}
	}
	return nil
}

// validateListener checks a listener as created or modified: an HTTP or
// HTTPS protocol, exactly one ISSUED certificate for HTTPS (none for
// HTTP), a known SSL policy, a port free on the load balancer and
// forwardable target groups. self is the listener's own ARN when modifying.
func (w *world) validateListener(lb *elbLoadBalancer, l *elbListener, self string) error {
	if !isHTTP(l.Protocol) {
		return clientErr("UnsupportedProtocol", "Protocol '%s' is not supported for load balancers of type 'application'", l.Protocol)
	}
	if err := w.checkListenerTLS(l); err != nil {
		return err
	}
	for _, other := range w.elb.listenersOf(lb.ARN) {
		if other.ARN != self && other.Port == l.Port {
			return clientErr("DuplicateListener", "A listener already exists on this port for this load balancer '%s'", lb.ARN)
		}
	}
	return w.elb.checkActionTargets(lb, l.DefaultActions)
}

// checkListenerTLS applies the certificate and SSL policy rules, filling
// in the default policy for HTTPS.
func (w *world) checkListenerTLS(l *elbListener) error {
	if l.Protocol == "HTTP" {
		if len(l.Certificates) > 0 {
			return elbValidation("A certificate cannot be specified for HTTP listeners")
		}
		if l.SslPolicy != "" {
			return elbValidation("An SSL policy cannot be specified for HTTP listeners")
		}
		return nil
	}
	switch {
	case len(l.Certificates) == 0:
		return elbValidation("A certificate must be specified for HTTPS listeners")
	case len(l.Certificates) > 1:
		return elbValidation("Only one default certificate can be specified for a listener; add others with AddListenerCertificates")
	}
	if err := w.checkCertificate(l.Certificates[0]); err != nil {
		return err
	}
	l.SslPolicy = cmp.Or(l.SslPolicy, defaultSSLPolicy)
	if !slices.Contains(sslPolicies(), l.SslPolicy) {
		return clientErr("SSLPolicyNotFound", "SSL policy '%s' not found", l.SslPolicy)
	}
	return nil
}

// checkCertificate asks ACM: unknown certificates are not found, and
// certificates not yet ISSUED (pending validation, failed, …) unsupported.
func (w *world) checkCertificate(arn string) error {
	status, ok := w.certificateStatus(arn)
	if !ok {
		return clientErr("CertificateNotFound", "Certificate '%s' not found", arn)
	}
	if status != "ISSUED" {
		return clientErr("UnsupportedCertificate", "The certificate '%s' must have a fully-qualified domain name, a supported signature, and a supported key size.", arn)
	}
	return nil
}

func elbDescribeListeners(c *call, form url.Values) (any, error) {
	st := c.w.elb
	lbARN, arns := form.Get("LoadBalancerArn"), memberStrings(form, "ListenerArns")
	var listeners []*elbListener
	switch {
	case lbARN != "" && len(arns) > 0:
		return nil, elbValidation("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	case lbARN != "":
		if st.loadBalancer(lbARN) == nil {
			return nil, errLoadBalancerNotFound()
		}
		listeners = st.listenersOf(lbARN)
	case len(arns) > 0:
		for _, arn := range arns {
			l := st.listener(arn)
			if l == nil {
				return nil, clientErr("ListenerNotFound", "Listener '%s' not found", arn)
			}
			listeners = append(listeners, l)
		}
	default:
		return nil, elbValidation("You must specify either listener ARNs or a load balancer ARN")
	}
	pageListeners, next, err := elbPage(form, listeners)
	if err != nil {
		return nil, err
	}
	out := &listenersOutput{NextMarker: next}
	for _, l := range pageListeners {
		out.Listeners = append(out.Listeners, l.out())
	}
	return out, nil
}

func elbModifyListener(c *call, form url.Values) (any, error) {
	w, st := c.w, c.w.elb
	l := st.listener(form.Get("ListenerArn"))
	if l == nil {
		return nil, errListenerNotFound()
	}
	lb := st.loadBalancer(l.LoadBalancerARN)
	changed := *l
	changed.Certificates = slices.Clone(l.Certificates)
	changed.DefaultActions = slices.Clone(l.DefaultActions)
	if err := applyListenerForm(form, &changed, false); err != nil {
		return nil, err
	}
	if err := w.validateListener(lb, &changed, l.ARN); err != nil {
		return nil, err
	}
	oldCerts := l.allCertificates()
	*l = changed
	for _, cert := range l.Certificates {
		w.markCertificateInUse(cert, lb.ARN)
	}
	w.releaseUnusedCertificates(lb.ARN, oldCerts)
	w.startHealthChecks(actionTargetGroups(l.DefaultActions), c.now)
	return &listenersOutput{Listeners: []elbListenerOut{l.out()}}, nil
}

func (l *elbListener) allCertificates() []string {
	return append(slices.Clone(l.Certificates), l.ExtraCertificates...)
}

// releaseUnusedCertificates tells ACM which of certs no listener of the
// load balancer serves any more.
func (w *world) releaseUnusedCertificates(lbARN string, certs []string) {
	for _, cert := range certs {
		used := slices.ContainsFunc(w.elb.listenersOf(lbARN), func(l *elbListener) bool {
			return slices.Contains(l.allCertificates(), cert)
		})
		if !used {
			w.releaseCertificate(cert, lbARN)
		}
	}
}

func elbDeleteListener(c *call, form url.Values) (any, error) {
	l := c.w.elb.listener(form.Get("ListenerArn"))
	if l == nil {
		return nil, errListenerNotFound()
	}
	c.w.removeListener(l)
	return nil, nil
}

// removeListener deletes a listener with its rules and releases its
// certificates.
func (w *world) removeListener(l *elbListener) {
	st := w.elb
	st.Rules = slices.DeleteFunc(st.Rules, func(r *elbRule) bool { return r.ListenerARN == l.ARN })
	st.Listeners = slices.DeleteFunc(st.Listeners, func(o *elbListener) bool { return o == l })
	w.releaseUnusedCertificates(l.LoadBalancerARN, l.allCertificates())
}

type elbRuleOut struct {
	RuleArn    string
	Priority   string
	Conditions []elbCondition `xml:"Conditions>member"`
	Actions    []elbAction    `xml:"Actions>member"`
	IsDefault  bool
}

type rulesOutput struct {
	Rules      []elbRuleOut `xml:"Rules>member"`
	NextMarker string       `xml:",omitempty"`
}

func (r *elbRule) out() elbRuleOut {
	return elbRuleOut{RuleArn: r.ARN, Priority: strconv.Itoa(r.Priority), Conditions: r.Conditions, Actions: r.Actions}
}

// defaultRuleOut is the listener's default rule as DescribeRules shows it.
func (l *elbListener) defaultRuleOut() elbRuleOut {
	return elbRuleOut{RuleArn: l.DefaultRuleARN, Priority: "default", Actions: l.DefaultActions, IsDefault: true}
}

func elbCreateRule(c *call, form url.Values) (any, error) {
	w, st := c.w, c.w.elb
	l := st.listener(form.Get("ListenerArn"))
	if l == nil {
		return nil, errListenerNotFound()
	}
	priority, present, err := formInt(form, "Priority", "ValidationError")
	if err != nil {
		return nil, err
	}
	if !present || priority < 1 || priority > 50000 {
		return nil, elbValidation("%s", constraintMessage(form.Get("Priority"), "priority", "Member must have value between 1 and 50000"))
	}
	if slices.ContainsFunc(st.rulesOf(l.ARN), func(r *elbRule) bool { return r.Priority == priority }) {
		return nil, clientErr("PriorityInUse", "Priority '%d' is currently in use", priority)
	}
	r := &elbRule{ListenerARN: l.ARN, Priority: priority}
	if r.Conditions, err = parseConditions(form); err != nil {
		return nil, err
	}
	if r.Actions, err = parseActions(form, "Actions"); err != nil {
		return nil, err
	}
	lb := st.loadBalancer(l.LoadBalancerARN)
	if err := st.checkActionTargets(lb, r.Actions); err != nil {
		return nil, err
	}
	if st.ruleCount(lb.ARN) >= maxRulesPerLB {
		return nil, clientErr("TooManyRules", "You've reached the limit on the number of rules per load balancer (%d)", maxRulesPerLB)
	}
	if r.Tags, err = parseELBTags(form, "Tags"); err != nil {
		return nil, err
	}
	r.ARN = strings.Replace(l.DefaultRuleARN, "/"+lastPathElement(l.DefaultRuleARN), "/"+randomHex(16), 1)
	st.Rules = append(st.Rules, r)
	w.startHealthChecks(actionTargetGroups(r.Actions), c.now)
	return &rulesOutput{Rules: []elbRuleOut{r.out()}}, nil
}

// ruleCount is the number of non-default rules on a load balancer.
func (st *elbState) ruleCount(lbARN string) int {
	n := 0
	for _, l := range st.listenersOf(lbARN) {
		n += len(st.rulesOf(l.ARN))
	}
	return n
}

func elbDescribeRules(c *call, form url.Values) (any, error) {
	st := c.w.elb
	listenerARN, arns := form.Get("ListenerArn"), memberStrings(form, "RuleArns")
	var rules []elbRuleOut
	switch {
	case listenerARN != "" && len(arns) > 0:
		return nil, elbValidation("Rule ARNs and a listener ARN cannot be specified at the same time")
	case listenerARN != "":
		l := st.listener(listenerARN)
		if l == nil {
			return nil, errListenerNotFound()
		}
		own := st.rulesOf(l.ARN)
		slices.SortFunc(own, func(a, b *elbRule) int { return a.Priority - b.Priority })
		for _, r := range own {
			rules = append(rules, r.out())
		}
		rules = append(rules, l.defaultRuleOut())
	case len(arns) > 0:
		for _, arn := range arns {
			r, err := st.ruleOut(arn)
			if err != nil {
				return nil, err
			}
			rules = append(rules, r)
		}
	default:
		return nil, elbValidation("You must specify either rule ARNs or a listener ARN")
	}
	pageRules, next, err := elbPage(form, rules)
	if err != nil {
		return nil, err
	}
	return &rulesOutput{Rules: pageRules, NextMarker: next}, nil
}

// ruleOut finds a rule by ARN, default rules included.
func (st *elbState) ruleOut(arn string) (elbRuleOut, error) {
	if r := st.rule(arn); r != nil {
		return r.out(), nil
	}
	for _, l := range st.Listeners {
		if l.DefaultRuleARN == arn {
			return l.defaultRuleOut(), nil
		}
	}
	return elbRuleOut{}, clientErr("RuleNotFound", "One or more rules not found")
}

func elbDeleteRule(c *call, form url.Values) (any, error) {
	st := c.w.elb
	arn := form.Get("RuleArn")
	if st.rule(arn) == nil {
		if _, err := st.ruleOut(arn); err == nil {
			return nil, clientErr("OperationNotPermitted", "Default rule '%s' cannot be deleted", arn)
		}
		return nil, clientErr("RuleNotFound", "One or more rules not found")
	}
	st.Rules = slices.DeleteFunc(st.Rules, func(r *elbRule) bool { return r.ARN == arn })
	return nil, nil
}

type listenerCertificatesOutput struct {
	Certificates []elbCertificateOut `xml:"Certificates>member"`
	NextMarker   string              `xml:",omitempty"`
}

// elbAddListenerCertificates adds to an HTTPS listener's SNI list;
// certificates already there are not repeated.
func elbAddListenerCertificates(c *call, form url.Values) (any, error) {
	w, st := c.w, c.w.elb
	l := st.listener(form.Get("ListenerArn"))
	if l == nil {
		return nil, errListenerNotFound()
	}
	if l.Protocol != "HTTPS" {
		return nil, elbValidation("Certificates can only be added to HTTPS listeners")
	}
	var arns []string
	for _, item := range memberList(form, "Certificates").Items {
		arn := form.Get(item + ".CertificateArn")
		if err := w.checkCertificate(arn); err != nil {
			return nil, err
		}
		arns = append(arns, arn)
	}
	if len(arns) == 0 {
		return nil, elbValidation("%s", constraintMessage("[]", "certificates", "Member must not be null"))
	}
	added := 0
	for _, arn := range arns {
		if !slices.Contains(l.ExtraCertificates, arn) {
			added++
		}
	}
	if st.extraCertificateCount(l.LoadBalancerARN)+added > maxCertificatesPerLB {
		return nil, clientErr("TooManyCertificates", "You've reached the limit on the number of certificates per load balancer (%d)", maxCertificatesPerLB)
	}
	out := &listenerCertificatesOutput{}
	isDefault := false
	for _, arn := range arns {
		if !slices.Contains(l.ExtraCertificates, arn) {
			l.ExtraCertificates = append(l.ExtraCertificates, arn)
		}
		w.markCertificateInUse(arn, l.LoadBalancerARN)
		out.Certificates = append(out.Certificates, elbCertificateOut{CertificateArn: arn, IsDefault: &isDefault})
	}
	return out, nil
}

// extraCertificateCount counts the SNI certificates of a load balancer's
// listeners (the quota excludes default certificates).
func (st *elbState) extraCertificateCount(lbARN string) int {
	n := 0
	for _, l := range st.listenersOf(lbARN) {
		n += len(l.ExtraCertificates)
	}
	return n
}

// elbDescribeListenerCertificates lists the default certificate
// (IsDefault true) and the SNI list.
func elbDescribeListenerCertificates(c *call, form url.Values) (any, error) {
	l := c.w.elb.listener(form.Get("ListenerArn"))
	if l == nil {
		return nil, errListenerNotFound()
	}
	var certs []elbCertificateOut
	isDefault, notDefault := true, false
	for _, arn := range l.Certificates {
		certs = append(certs, elbCertificateOut{CertificateArn: arn, IsDefault: &isDefault})
	}
	for _, arn := range l.ExtraCertificates {
		certs = append(certs, elbCertificateOut{CertificateArn: arn, IsDefault: &notDefault})
	}
	pageCerts, next, err := elbPage(form, certs)
	if err != nil {
		return nil, err
	}
	return &listenerCertificatesOutput{Certificates: pageCerts, NextMarker: next}, nil
}
