package sandbox

import (
	"crypto/rand"
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// ec2State is the EC2 part of a region: the networking other services
// build on. Plain data, so the world can be saved as JSON.
type ec2State struct {
	VPCs           []*ec2VPC
	Subnets        []*ec2Subnet
	SecurityGroups []*ec2SecurityGroup
	ENIs           []*ec2ENI
	Zones          []ec2Zone
}

// ec2Zone is an availability zone.
type ec2Zone struct {
	Name string // us-east-1a
	ID   string // use1-az1
}

// ec2VPC is a VPC.
type ec2VPC struct {
	ID            string
	CIDR          string
	DhcpOptionsID string
	IsDefault     bool
	Tags          map[string]string
}

// ec2Subnet is a subnet; UsedIPs holds the private addresses handed out to
// ENIs so no two interfaces share one.
type ec2Subnet struct {
	ID           string
	VpcID        string
	CIDR         string
	Zone         string
	ZoneID       string
	DefaultForAz bool
	MapPublicIP  bool
	Tags         map[string]string
	UsedIPs      map[string]bool
}

// ec2SecurityGroup is a VPC security group. Rules are kept one peer per
// rule, as AWS's security-group-rule model does, and regrouped into
// IpPermissions on output.
type ec2SecurityGroup struct {
	ID          string
	Name        string
	Description string
	VpcID       string
	Ingress     []sgRule
	Egress      []sgRule
	Tags        map[string]string
}

// sgRule is one security group rule: a protocol, a port range (-1 when the
// protocol has none) and exactly one peer.
type sgRule struct {
	ID           string
	Protocol     string // tcp, udp, icmp, -1 or a protocol number
	FromPort     int
	ToPort       int
	CidrIPv4     string
	CidrIPv6     string
	PrefixListID string
	GroupID      string
	Description  string
}

// ec2ENI is an elastic network interface (Fargate tasks get one each).
type ec2ENI struct {
	ID          string
	SubnetID    string
	VpcID       string
	Zone        string
	Description string
	MacAddress  string
	PrivateIP   string
	PublicIP    string
	Groups      []string
	Tags        map[string]string
}

// ec2Return is the output of EC2 calls that only report success.
type ec2Return struct {
	ec2Response
	Return bool `xml:"return"`
}

// registerEC2 adds the EC2 operations to s.
func (s *Server) registerEC2() {
	ops := map[string]queryOp{
		"DescribeVpcs":                  ec2DescribeVpcs,
		"DescribeSubnets":               ec2DescribeSubnets,
		"DescribeAvailabilityZones":     ec2DescribeAvailabilityZones,
		"DescribeSecurityGroups":        ec2DescribeSecurityGroups,
		"CreateSecurityGroup":           ec2CreateSecurityGroup,
		"AuthorizeSecurityGroupIngress": ec2AuthorizeSecurityGroupIngress,
		"RevokeSecurityGroupIngress":    ec2RevokeSecurityGroupIngress,
		"DescribeNetworkInterfaces":     ec2DescribeNetworkInterfaces,
		"CreateTags":                    ec2CreateTags,
	}
	for name, op := range ops {
		s.queryOps[ec2Version+":"+name] = ec2DryRun(op)
	}
}

// ec2DryRun answers DryRun=true the way EC2 does: the call is checked but
// not executed, and success is reported as the DryRunOperation error.
func ec2DryRun(op queryOp) queryOp {
	return func(c *call, form url.Values) (any, error) {
		dry, _, err := formBool(form, "DryRun", "InvalidParameterValue")
		if err != nil {
			return nil, err
		}
		if dry {
			return nil, clientErr("DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		}
		return op(c, form)
	}
}

func (st *ec2State) vpc(id string) *ec2VPC {
	for _, v := range st.VPCs {
		if v.ID == id {
			return v
		}
	}
	return nil
}

func (st *ec2State) defaultVPC() *ec2VPC {
	for _, v := range st.VPCs {
		if v.IsDefault {
			return v
		}
	}
	return nil
}

func (st *ec2State) subnet(id string) *ec2Subnet {
	for _, s := range st.Subnets {
		if s.ID == id {
			return s
		}
	}
	return nil
}

func (st *ec2State) securityGroup(id string) *ec2SecurityGroup {
	for _, g := range st.SecurityGroups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

// securityGroupByName finds a group by name within a VPC.
func (st *ec2State) securityGroupByName(vpcID, name string) *ec2SecurityGroup {
	for _, g := range st.SecurityGroups {
		if g.VpcID == vpcID && g.Name == name {
			return g
		}
	}
	return nil
}

func (st *ec2State) eni(id string) *ec2ENI {
	for _, e := range st.ENIs {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// newSecurityGroup makes a group with AWS's default egress rule (all
// traffic to 0.0.0.0/0) and no ingress.
func newSecurityGroup(name, description, vpcID string) *ec2SecurityGroup {
	return &ec2SecurityGroup{
		ID:          newEC2ID("sg"),
		Name:        name,
		Description: description,
		VpcID:       vpcID,
		Egress:      []sgRule{{ID: newRuleID(), Protocol: "-1", FromPort: -1, ToPort: -1, CidrIPv4: "0.0.0.0/0"}},
	}
}

func newRuleID() string { return newEC2ID("sgr") }

// newEC2ID returns an id in EC2's long format: the prefix, a hyphen and 17
// hex digits, the first of which is 0 for every id AWS issues today.
func newEC2ID(prefix string) string { return prefix + "-0" + randomHex(16) }

// allocatePrivateIP hands out the lowest free address of the subnet. AWS
// reserves the first four addresses and the last one of every subnet.
func (s *ec2Subnet) allocatePrivateIP() (string, bool) {
	prefix, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return "", false
	}
	if s.UsedIPs == nil {
		s.UsedIPs = map[string]bool{}
	}
	ip := prefix.Masked().Addr()
	for range 4 {
		ip = ip.Next()
	}
	for ; prefix.Contains(ip.Next()); ip = ip.Next() {
		if !s.UsedIPs[ip.String()] {
			s.UsedIPs[ip.String()] = true
			return ip.String(), true
		}
	}
	return "", false
}

// availableIPs is the subnet's free address count as DescribeSubnets shows it.
func (s *ec2Subnet) availableIPs() int {
	prefix, err := netip.ParsePrefix(s.CIDR)
	if err != nil {
		return 0
	}
	return 1<<(32-prefix.Bits()) - 5 - len(s.UsedIPs)
}

// newPublicIP picks an unused address from an Amazon-owned range.
func (st *ec2State) newPublicIP() string {
	for {
		b := randomBytes(3)
		ip := fmt.Sprintf("3.%d.%d.%d", 80+b[0]%64, b[1], 1+b[2]%254)
		if !slices.ContainsFunc(st.ENIs, func(e *ec2ENI) bool { return e.PublicIP == ip }) {
			return ip
		}
	}
}

// newMacAddress returns a locally administered unicast MAC, as ENIs have.
func newMacAddress() string {
	b := randomBytes(5)
	return fmt.Sprintf("02:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4])
}

// randomBytes returns n random bytes.
func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// ec2Tag is a tag on the wire (tagSet/item).
type ec2Tag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// ec2Tags renders a tag map sorted by key.
func ec2Tags(tags map[string]string) []ec2Tag {
	out := make([]ec2Tag, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, ec2Tag{k, tags[k]})
	}
	return out
}

// parseTagSpecifications reads TagSpecification.N for resourceType; tags
// meant for other resource types are an error, as on EC2.
func parseTagSpecifications(form url.Values, resourceType string) (map[string]string, error) {
	tags := map[string]string{}
	for _, spec := range ec2List(form, "TagSpecification").Items {
		if rt := form.Get(spec + ".ResourceType"); rt != resourceType {
			return nil, clientErr("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", rt)
		}
		if err := parseEC2Tags(form, spec+".Tag", tags); err != nil {
			return nil, err
		}
	}
	return tags, nil
}

// parseEC2Tags reads name.N.Key/Value into tags, enforcing EC2's key rules.
func parseEC2Tags(form url.Values, name string, tags map[string]string) error {
	for _, item := range ec2List(form, name).Items {
		key, value := form.Get(item+".Key"), form.Get(item+".Value")
		switch {
		case key == "" || len(key) > 127:
			return clientErr("InvalidParameterValue", "Tag key must be between 1 and 127 characters, got %d.", len(key))
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			return clientErr("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		case len(value) > 255:
			return clientErr("InvalidParameterValue", "Tag value for key '%s' must be at most 255 characters.", key)
		}
		tags[key] = value
	}
	return nil
}

// ec2Resource is what the generic Describe machinery needs of a resource.
type ec2Resource interface {
	resourceID() string
	tagMap() map[string]string
	// filterValues returns the resource's values for a filter name; ok is
	// false when the name is not a filter of this resource type.
	filterValues(name string) (values []string, ok bool)
}

// selectResources applies a Describe call's explicit ids (idParam.N, e.g.
// VpcId.N; any unknown one fails the call with notFound), filters and
// pagination to all.
func selectResources[T ec2Resource](form url.Values, all []T, idParam string, notFound func(id string) error) (items []T, next string, err error) {
	if ids := ec2Strings(form, idParam); len(ids) > 0 {
		var picked []T
		for _, id := range ids {
			i := slices.IndexFunc(all, func(r T) bool { return r.resourceID() == id })
			if i < 0 {
				return nil, "", notFound(id)
			}
			picked = append(picked, all[i])
		}
		all = picked
	}
	filters := ec2Filters(form)
	var matched []T
	for _, r := range all {
		ok, err := matchesFilters(r, filters)
		if err != nil {
			return nil, "", err
		}
		if ok {
			matched = append(matched, r)
		}
	}
	size, present, err := formInt(form, "MaxResults", "InvalidParameterValue")
	if err != nil {
		return nil, "", err
	}
	if present && (size < 5 || size > 1000) {
		return nil, "", clientErr("InvalidParameterValue", "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", size)
	}
	token := form.Get("NextToken")
	return page(matched, token, size, clientErr("InvalidParameterValue", "The token '%s' is invalid.", token))
}

// matchesFilters reports whether r passes every filter (values OR-ed
// within a filter, filters AND-ed). Tag filters work on every resource.
func matchesFilters(r ec2Resource, filters []ec2Filter) (bool, error) {
	for _, f := range filters {
		values, ok := tagFilterValues(r.tagMap(), f.Name)
		if !ok {
			values, ok = r.filterValues(f.Name)
		}
		if !ok {
			return false, clientErr("InvalidParameterValue", "The filter '%s' is invalid", f.Name)
		}
		if !anyMatches(f.Values, values) {
			return false, nil
		}
	}
	return true, nil
}

// tagFilterValues handles tag:<key>, tag-key and tag-value.
func tagFilterValues(tags map[string]string, name string) ([]string, bool) {
	if key, ok := strings.CutPrefix(name, "tag:"); ok {
		if v, has := tags[key]; has {
			return []string{v}, true
		}
		return nil, true
	}
	switch name {
	case "tag-key":
		return slices.Sorted(maps.Keys(tags)), true
	case "tag-value":
		var out []string
		for _, v := range tags {
			out = append(out, v)
		}
		return out, true
	}
	return nil, false
}

// anyMatches reports whether any pattern matches any value; EC2 filter
// values may use * and ? wildcards.
func anyMatches(patterns, values []string) bool {
	for _, p := range patterns {
		re := regexp.MustCompile("^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(p)) + "$")
		for _, v := range values {
			if re.MatchString(v) {
				return true
			}
		}
	}
	return false
}
