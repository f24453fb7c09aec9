package sandbox

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// lbProvisioningTime is how long (simulated) a new load balancer stays
// provisioning; real ALBs take one to three minutes.
const lbProvisioningTime = 90 * time.Second

// Load balancer states the sandbox moves through.
const (
	lbProvisioning = "provisioning"
	lbActive       = "active"
)

// elbNamePattern is the character set of load balancer and target group
// names: alphanumerics and hyphens.
var elbNamePattern = regexp.MustCompile(`^[a-zA-Z0-9-]+$`)

type elbLoadBalancerOut struct {
	LoadBalancerArn       string
	DNSName               string
	CanonicalHostedZoneID string `xml:"CanonicalHostedZoneId"`
	CreatedTime           isoTime
	LoadBalancerName      string
	Scheme                string
	VpcID                 string `xml:"VpcId"`
	State                 struct {
		Code string
	}
	Type              string
	AvailabilityZones []elbZoneOut `xml:"AvailabilityZones>member"`
	SecurityGroups    []string     `xml:"SecurityGroups>member"`
	IPAddressType     string       `xml:"IpAddressType"`
}

type elbZoneOut struct {
	ZoneName string
	SubnetID string `xml:"SubnetId"`
}

type loadBalancersOutput struct {
	LoadBalancers []elbLoadBalancerOut `xml:"LoadBalancers>member"`
	NextMarker    string               `xml:",omitempty"`
}

func (lb *elbLoadBalancer) out(region string) elbLoadBalancerOut {
	o := elbLoadBalancerOut{
		LoadBalancerArn:       lb.ARN,
		DNSName:               lb.DNSName,
		CanonicalHostedZoneID: albHostedZoneID(region),
		CreatedTime:           isoTime(lb.CreatedTime),
		LoadBalancerName:      lb.Name,
		Scheme:                lb.Scheme,
		VpcID:                 lb.VpcID,
		Type:                  lb.Type,
		SecurityGroups:        lb.SecurityGroups,
		IPAddressType:         lb.IPAddressType,
	}
	o.State.Code = lb.State
	for _, z := range lb.Zones {
		o.AvailabilityZones = append(o.AvailabilityZones, elbZoneOut(z))
	}
	return o
}

// albHostedZoneID is the Route 53 zone of a region's ALBs (for alias
// records); a few regions are listed, others get us-east-1's.
func albHostedZoneID(region string) string {
	switch region {
	case "us-east-2":
		return "Z3AADJGX6KTTL2"
	case "us-west-1":
		return "Z368ELLRRE2KJ0"
	case "us-west-2":
		return "Z1H1FL5HABSF5"
	case "eu-west-1":
		return "Z32O12XQLNTSW2"
	case "eu-central-1":
		return "Z215JYRZR1TBD5"
	}
	return "Z35SXDOTRQ7X7K"
}

// lbRequest is a parsed and validated CreateLoadBalancer.
type lbRequest struct {
	Name           string
	Scheme         string
	Type           string
	IPAddressType  string
	VpcID          string
	Zones          []elbZone
	SecurityGroups []string
	Tags           []elbTag
}

func elbCreateLoadBalancer(c *call, form url.Values) (any, error) {
	w := c.w
	req, err := parseLoadBalancerRequest(w, form)
	if err != nil {
		return nil, err
	}
	if i := slices.IndexFunc(w.elb.LoadBalancers, func(lb *elbLoadBalancer) bool { return lb.Name == req.Name }); i >= 0 {
		existing := w.elb.LoadBalancers[i]
		if !req.sameSettings(existing) {
			return nil, clientErr("DuplicateLoadBalancerName", "A load balancer with the same name '%s' exists, but with different settings", req.Name)
		}
		return &loadBalancersOutput{LoadBalancers: []elbLoadBalancerOut{existing.out(w.region)}}, nil
	}
	if len(w.elb.LoadBalancers) >= maxLoadBalancers {
		return nil, clientErr("TooManyLoadBalancers", "The maximum number of load balancers has been reached")
	}
	lb := &elbLoadBalancer{
		ARN:            w.elbARN(fmt.Sprintf("loadbalancer/app/%s/%s", req.Name, randomHex(16))),
		Name:           req.Name,
		DNSName:        lbDNSName(req.Name, req.Scheme, w.region),
		CreatedTime:    c.now,
		Scheme:         req.Scheme,
		Type:           req.Type,
		IPAddressType:  req.IPAddressType,
		VpcID:          req.VpcID,
		State:          lbProvisioning,
		Zones:          req.Zones,
		SecurityGroups: req.SecurityGroups,
		Tags:           req.Tags,
	}
	w.elb.LoadBalancers = append(w.elb.LoadBalancers, lb)
	w.scheduleActive(lb)
	return &loadBalancersOutput{LoadBalancers: []elbLoadBalancerOut{lb.out(w.region)}}, nil
}

// scheduleActive ends the load balancer's provisioning.
func (w *world) scheduleActive(lb *elbLoadBalancer) {
	w.at(lb.CreatedTime.Add(lbProvisioningTime), func(time.Time) { lb.State = lbActive })
}

// lbDNSName is <name>-<digits>.<region>.elb.amazonaws.com, with an
// internal- prefix for internal load balancers.
func lbDNSName(name, scheme, region string) string {
	host := fmt.Sprintf("%s-%d.%s.elb.amazonaws.com", name, 1_000_000_000+rand.IntN(1_000_000_000), region)
	if scheme == "internal" {
		return "internal-" + host
	}
	return host
}

// sameSettings reports whether a repeated CreateLoadBalancer asks for what
// exists, which AWS answers with the existing load balancer.
func (req lbRequest) sameSettings(lb *elbLoadBalancer) bool {
	sameSet := func(a, b []string) bool {
		a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
		return slices.Equal(a, b)
	}
	subnets := func(zones []elbZone) []string {
		var ids []string
		for _, z := range zones {
			ids = append(ids, z.SubnetID)
		}
		return ids
	}
	return req.Scheme == lb.Scheme && req.Type == lb.Type && req.IPAddressType == lb.IPAddressType &&
		sameSet(subnets(req.Zones), subnets(lb.Zones)) && sameSet(req.SecurityGroups, lb.SecurityGroups)
}

// parseLoadBalancerRequest reads and validates CreateLoadBalancer's input.
func parseLoadBalancerRequest(w *world, form url.Values) (lbRequest, error) {
	req := lbRequest{
		Name:          form.Get("Name"),
		Scheme:        cmp.Or(form.Get("Scheme"), "internet-facing"),
		Type:          cmp.Or(form.Get("Type"), "application"),
		IPAddressType: cmp.Or(form.Get("IpAddressType"), "ipv4"),
	}
	if err := validateLoadBalancerName(req.Name); err != nil {
		return req, err
	}
	if err := checkEnum("scheme", req.Scheme, "internet-facing", "internal"); err != nil {
		return req, err
	}
	if err := checkEnum("type", req.Type, "application", "network", "gateway"); err != nil {
		return req, err
	}
	if req.Type != "application" {
		return req, elbValidation("Load balancer type '%s' is not supported by the sandbox; only 'application' is", req.Type)
	}
	if err := checkEnum("ipAddressType", req.IPAddressType, "ipv4", "dualstack"); err != nil {
		return req, err
	}
	var err error
	if req.Zones, req.VpcID, err = parseLoadBalancerSubnets(w, form); err != nil {
		return req, err
	}
	if req.SecurityGroups, err = loadBalancerSecurityGroups(w, form, req.VpcID); err != nil {
		return req, err
	}
	req.Tags, err = parseELBTags(form, "Tags")
	return req, err
}

// validateLoadBalancerName enforces the Name rules: ≤ 32 alphanumerics and
// hyphens, no leading or trailing hyphen, no "internal-" prefix.
func validateLoadBalancerName(name string) error {
	switch {
	case name == "":
		return elbValidation("%s", constraintMessage(name, "name", "Member must have length greater than or equal to 1"))
	case len(name) > 32:
		return elbValidation("Load balancer name '%s' cannot be longer than '32' characters", name)
	case !elbNamePattern.MatchString(name):
		return elbValidation("Load balancer name '%s' can only contain characters that are alphanumeric characters and hyphens(-)", name)
	case strings.HasPrefix(name, "-") || strings.HasSuffix(name, "-"):
		return elbValidation("Load balancer name '%s' cannot begin or end with '-'", name)
	case strings.HasPrefix(strings.ToLower(name), "internal-"):
		return elbValidation("Load balancer name '%s' cannot begin with 'internal-'", name)
	}
	return nil
}

// parseLoadBalancerSubnets applies the ALB subnet rules: Subnets or
// SubnetMappings (not both), every subnet known and in one VPC, at most one
// per AZ, and at least two AZs.
func parseLoadBalancerSubnets(w *world, form url.Values) ([]elbZone, string, error) {
	ids := memberStrings(form, "Subnets")
	if mappings := memberList(form, "SubnetMappings"); mappings.Present {
		if len(ids) > 0 {
			return nil, "", elbValidation("You can specify subnets or subnet mappings, not both")
		}
		for _, m := range mappings.Items {
			ids = append(ids, form.Get(m+".SubnetId"))
		}
	}
	var zones []elbZone
	vpcID := ""
	for _, id := range ids {
		sn := w.ec2.subnet(id)
		if sn == nil {
			return nil, "", clientErr("SubnetNotFound", "The subnet ID '%s' is not valid", id)
		}
		if vpcID != "" && sn.VpcID != vpcID {
			return nil, "", clientErr("InvalidConfigurationRequest", "All subnets must belong to the same VPC: '%s' is in '%s', not '%s'", id, sn.VpcID, vpcID)
		}
		vpcID = sn.VpcID
		if slices.ContainsFunc(zones, func(z elbZone) bool { return z.SubnetID == id }) {
			continue
		}
		if slices.ContainsFunc(zones, func(z elbZone) bool { return z.ZoneName == sn.Zone }) {
			return nil, "", clientErr("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		zones = append(zones, elbZone{ZoneName: sn.Zone, SubnetID: sn.ID})
	}
	if len(zones) < 2 {
		return nil, "", elbValidation("At least two subnets in two different Availability Zones must be specified")
	}
	return zones, vpcID, nil
}

// loadBalancerSecurityGroups reads SecurityGroups (≤ 5, each in the load
// balancer's VPC); none given means the VPC's default group.
func loadBalancerSecurityGroups(w *world, form url.Values, vpcID string) ([]string, error) {
	ids := memberStrings(form, "SecurityGroups")
	if len(ids) == 0 {
		if sg := w.ec2.securityGroupByName(vpcID, "default"); sg != nil {
			return []string{sg.ID}, nil
		}
		return nil, nil
	}
	if len(ids) > maxSecurityGroups {
		return nil, elbValidation("%s", constraintMessage(len(ids), "securityGroups", fmt.Sprintf("Member must have length less than or equal to %d", maxSecurityGroups)))
	}
	for _, id := range ids {
		sg := w.ec2.securityGroup(id)
		if sg == nil || sg.VpcID != vpcID {
			return nil, clientErr("InvalidSecurityGroup", "Security group '%s' does not exist in VPC '%s'", id, vpcID)
		}
	}
	return slices.Compact(slices.Clone(ids)), nil
}

// checkEnum rejects a value outside the model's enum.
func checkEnum(member, v string, allowed ...string) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	return elbValidation("%s", constraintMessage(v, member, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]"))
}

func elbDescribeLoadBalancers(c *call, form url.Values) (any, error) {
	st := c.w.elb
	arns, names := memberStrings(form, "LoadBalancerArns"), memberStrings(form, "Names")
	if len(arns) > 0 && len(names) > 0 {
		return nil, elbValidation("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	lbs := st.LoadBalancers
	if len(arns) > 0 || len(names) > 0 {
		var err error
		if lbs, err = pickLoadBalancers(st, arns, names); err != nil {
			return nil, err
		}
	}
	pageLBs, next, err := elbPage(form, lbs)
	if err != nil {
		return nil, err
	}
	out := &loadBalancersOutput{NextMarker: next}
	for _, lb := range pageLBs {
		out.LoadBalancers = append(out.LoadBalancers, lb.out(c.w.region))
	}
	return out, nil
}

// pickLoadBalancers resolves explicit ARNs or names; any unknown one fails
// the whole call.
func pickLoadBalancers(st *elbState, arns, names []string) ([]*elbLoadBalancer, error) {
	var missing []string
	var picked []*elbLoadBalancer
	for _, arn := range arns {
		if lb := st.loadBalancer(arn); lb != nil {
			picked = append(picked, lb)
		} else {
			missing = append(missing, arn)
		}
	}
	for _, name := range names {
		if i := slices.IndexFunc(st.LoadBalancers, func(lb *elbLoadBalancer) bool { return lb.Name == name }); i >= 0 {
			picked = append(picked, st.LoadBalancers[i])
		} else {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, clientErr("LoadBalancerNotFound", "Load balancers '[%s]' not found", strings.Join(missing, ", "))
	}
	return picked, nil
}

// elbDeleteLoadBalancer removes a load balancer with its listeners and
// rules; its target groups stay, unattached. Deleting an unknown load
// balancer succeeds, as on AWS.
func elbDeleteLoadBalancer(c *call, form url.Values) (any, error) {
	st := c.w.elb
	arn := form.Get("LoadBalancerArn")
	if st.loadBalancer(arn) == nil {
		return nil, nil
	}
	for _, l := range st.listenersOf(arn) {
		c.w.removeListener(l)
	}
	st.LoadBalancers = slices.DeleteFunc(st.LoadBalancers, func(lb *elbLoadBalancer) bool { return lb.ARN == arn })
	return nil, nil
}
