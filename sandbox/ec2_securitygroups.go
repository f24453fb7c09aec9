package sandbox

import (
	"cmp"
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Security groups and CreateTags (docs/aws-api.md §5.3).

// sgNamePattern is the character set EC2 allows in VPC security group
// names and descriptions.
var sgNamePattern = regexp.MustCompile(`^[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*$`)

type ec2SecurityGroupOut struct {
	OwnerID     string         `xml:"ownerId"`
	GroupID     string         `xml:"groupId"`
	GroupName   string         `xml:"groupName"`
	Description string         `xml:"groupDescription"`
	VpcID       string         `xml:"vpcId"`
	Ingress     []ec2IPPermOut `xml:"ipPermissions>item"`
	Egress      []ec2IPPermOut `xml:"ipPermissionsEgress>item"`
	Tags        []ec2Tag       `xml:"tagSet>item"`
}

// ec2IPPermOut is an IpPermission: one protocol and port range with the
// peers it admits.
type ec2IPPermOut struct {
	IPProtocol    string             `xml:"ipProtocol"`
	FromPort      *int               `xml:"fromPort,omitempty"`
	ToPort        *int               `xml:"toPort,omitempty"`
	Groups        []ec2GroupPairOut  `xml:"groups>item"`
	IPRanges      []ec2IPRangeOut    `xml:"ipRanges>item"`
	IPv6Ranges    []ec2IPv6RangeOut  `xml:"ipv6Ranges>item"`
	PrefixListIDs []ec2PrefixListOut `xml:"prefixListIds>item"`
}

type ec2GroupPairOut struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	VpcID       string `xml:"vpcId,omitempty"`
	Description string `xml:"description,omitempty"`
}

type ec2IPRangeOut struct {
	CidrIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ec2IPv6RangeOut struct {
	CidrIPv6    string `xml:"cidrIpv6"`
	Description string `xml:"description,omitempty"`
}

type ec2PrefixListOut struct {
	PrefixListID string `xml:"prefixListId"`
	Description  string `xml:"description,omitempty"`
}

// ec2RuleOut is a SecurityGroupRule as AuthorizeSecurityGroupIngress returns it.
type ec2RuleOut struct {
	RuleID       string           `xml:"securityGroupRuleId"`
	GroupID      string           `xml:"groupId"`
	GroupOwnerID string           `xml:"groupOwnerId"`
	IsEgress     bool             `xml:"isEgress"`
	IPProtocol   string           `xml:"ipProtocol"`
	FromPort     int              `xml:"fromPort"`
	ToPort       int              `xml:"toPort"`
	CidrIPv4     string           `xml:"cidrIpv4,omitempty"`
	CidrIPv6     string           `xml:"cidrIpv6,omitempty"`
	PrefixListID string           `xml:"prefixListId,omitempty"`
	Referenced   *ec2ReferencedSG `xml:"referencedGroupInfo"`
	Description  string           `xml:"description,omitempty"`
}

type ec2ReferencedSG struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

func (g *ec2SecurityGroup) resourceID() string        { return g.ID }
func (g *ec2SecurityGroup) tagMap() map[string]string { return g.Tags }

func (g *ec2SecurityGroup) filterValues(name string) ([]string, bool) {
	switch name {
	case "group-id":
		return []string{g.ID}, true
	case "group-name":
		return []string{g.Name}, true
	case "vpc-id":
		return []string{g.VpcID}, true
	case "description":
		return []string{g.Description}, true
	}
	if field, ok := strings.CutPrefix(name, "ip-permission."); ok {
		return ruleFilterValues(g.Ingress, field)
	}
	if field, ok := strings.CutPrefix(name, "egress.ip-permission."); ok {
		return ruleFilterValues(g.Egress, field)
	}
	return nil, false
}

// ruleFilterValues gives the ip-permission.* filter values of rules.
func ruleFilterValues(rules []sgRule, field string) ([]string, bool) {
	var out []string
	for _, r := range rules {
		switch field {
		case "protocol":
			out = append(out, r.Protocol)
		case "from-port":
			out = append(out, strconv.Itoa(r.FromPort))
		case "to-port":
			out = append(out, strconv.Itoa(r.ToPort))
		case "cidr":
			out = append(out, r.CidrIPv4)
		case "ipv6-cidr":
			out = append(out, r.CidrIPv6)
		case "group-id":
			out = append(out, r.GroupID)
		case "prefix-list-id":
			out = append(out, r.PrefixListID)
		default:
			return nil, false
		}
	}
	return out, true
}

type describeSecurityGroupsOutput struct {
	ec2Response
	SecurityGroups []ec2SecurityGroupOut `xml:"securityGroupInfo>item"`
	NextToken      string                `xml:"nextToken,omitempty"`
}

func ec2DescribeSecurityGroups(c *call, form url.Values) (any, error) {
	st := c.w.ec2
	all := st.SecurityGroups
	// GroupName.N only looks in the default VPC (other VPCs need the
	// group-name filter).
	if names := ec2Strings(form, "GroupName"); len(names) > 0 {
		all = nil
		for _, n := range names {
			g := st.securityGroupByName(st.defaultVPC().ID, n)
			if g == nil {
				return nil, clientErr("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", n, st.defaultVPC().ID)
			}
			all = append(all, g)
		}
	}
	groups, next, err := selectResources(form, all, "GroupId", errGroupNotFound)
	if err != nil {
		return nil, err
	}
	out := &describeSecurityGroupsOutput{NextToken: next}
	for _, g := range groups {
		out.SecurityGroups = append(out.SecurityGroups, ec2SecurityGroupOut{
			OwnerID:     c.w.account,
			GroupID:     g.ID,
			GroupName:   g.Name,
			Description: g.Description,
			VpcID:       g.VpcID,
			Ingress:     permissionsOut(g.Ingress, c.w.account),
			Egress:      permissionsOut(g.Egress, c.w.account),
			Tags:        ec2Tags(g.Tags),
		})
	}
	return out, nil
}

func errGroupNotFound(id string) error {
	return clientErr("InvalidGroup.NotFound", "The security group '%s' does not exist", id)
}

// permissionsOut regroups one-peer rules into IpPermissions by protocol
// and port range, in the order the ranges were first authorized.
func permissionsOut(rules []sgRule, account string) []ec2IPPermOut {
	var out []ec2IPPermOut
	index := map[string]int{}
	for _, r := range rules {
		key := fmt.Sprintf("%s/%d/%d", r.Protocol, r.FromPort, r.ToPort)
		i, ok := index[key]
		if !ok {
			p := ec2IPPermOut{IPProtocol: r.Protocol}
			if r.Protocol != "-1" {
				p.FromPort, p.ToPort = &r.FromPort, &r.ToPort
			}
			out = append(out, p)
			i = len(out) - 1
			index[key] = i
		}
		p := &out[i]
		switch {
		case r.CidrIPv4 != "":
			p.IPRanges = append(p.IPRanges, ec2IPRangeOut{r.CidrIPv4, r.Description})
		case r.CidrIPv6 != "":
			p.IPv6Ranges = append(p.IPv6Ranges, ec2IPv6RangeOut{r.CidrIPv6, r.Description})
		case r.PrefixListID != "":
			p.PrefixListIDs = append(p.PrefixListIDs, ec2PrefixListOut{r.PrefixListID, r.Description})
		default:
			p.Groups = append(p.Groups, ec2GroupPairOut{UserID: account, GroupID: r.GroupID, Description: r.Description})
		}
	}
	return out
}

type createSecurityGroupOutput struct {
	ec2Response
	Return  bool     `xml:"return"`
	GroupID string   `xml:"groupId"`
	Tags    []ec2Tag `xml:"tagSet>item"`
}

func ec2CreateSecurityGroup(c *call, form url.Values) (any, error) {
	st := c.w.ec2
	name, desc := form.Get("GroupName"), form.Get("GroupDescription")
	if err := validateGroupText("GroupName", name); err != nil {
		return nil, err
	}
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, clientErr("InvalidParameterValue", "Group names may not be in the format sg-*.")
	}
	if _, ok := form["GroupDescription"]; !ok {
		return nil, clientErr("MissingParameter", "The request must contain the parameter GroupDescription")
	}
	if err := validateGroupText("GroupDescription", desc); err != nil {
		return nil, err
	}
	vpc, err := vpcOrDefault(st, form.Get("VpcId"))
	if err != nil {
		return nil, err
	}
	if st.securityGroupByName(vpc.ID, name) != nil {
		return nil, clientErr("InvalidGroup.Duplicate", "The security group '%s' already exists for VPC '%s'", name, vpc.ID)
	}
	tags, err := parseTagSpecifications(form, "security-group")
	if err != nil {
		return nil, err
	}
	sg := newSecurityGroup(name, desc, vpc.ID)
	if len(tags) > 0 {
		sg.Tags = tags
	}
	st.SecurityGroups = append(st.SecurityGroups, sg)
	return &createSecurityGroupOutput{Return: true, GroupID: sg.ID, Tags: ec2Tags(tags)}, nil
}

// validateGroupText checks a security group name or description: 1–255
// characters from EC2's VPC character set.
func validateGroupText(param, v string) error {
	if v == "" || len(v) > 255 {
		return clientErr("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Length must be between 1 and 255 characters.", v, param)
	}
	if !sgNamePattern.MatchString(v) {
		return clientErr("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Only a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* are allowed.", v, param)
	}
	return nil
}

// vpcOrDefault resolves an optional VpcId parameter.
func vpcOrDefault(st *ec2State, id string) (*ec2VPC, error) {
	if id == "" {
		if v := st.defaultVPC(); v != nil {
			return v, nil
		}
		return nil, clientErr("VPCIdNotSpecified", "No default VPC for this user")
	}
	if v := st.vpc(id); v != nil {
		return v, nil
	}
	return nil, errVpcNotFound(id)
}

type authorizeIngressOutput struct {
	ec2Response
	Return bool         `xml:"return"`
	Rules  []ec2RuleOut `xml:"securityGroupRuleSet>item"`
}

func ec2AuthorizeSecurityGroupIngress(c *call, form url.Values) (any, error) {
	st := c.w.ec2
	sg, err := targetGroupOfRequest(st, form)
	if err != nil {
		return nil, err
	}
	rules, err := parsePermissions(st, form)
	if err != nil {
		return nil, err
	}
	for i, r := range rules {
		if slices.ContainsFunc(sg.Ingress, r.samePermission) || slices.ContainsFunc(rules[:i], r.samePermission) {
			return nil, clientErr("InvalidPermission.Duplicate", "the specified rule %q already exists", r.describe())
		}
	}
	out := &authorizeIngressOutput{Return: true}
	for _, r := range rules {
		r.ID = newRuleID()
		sg.Ingress = append(sg.Ingress, r)
		out.Rules = append(out.Rules, r.out(sg.ID, c.w.account))
	}
	return out, nil
}

func ec2RevokeSecurityGroupIngress(c *call, form url.Values) (any, error) {
	st := c.w.ec2
	sg, err := targetGroupOfRequest(st, form)
	if err != nil {
		return nil, err
	}
	var remove []int
	for _, id := range ec2Strings(form, "SecurityGroupRuleId") {
		i := slices.IndexFunc(sg.Ingress, func(r sgRule) bool { return r.ID == id })
		if i < 0 {
			return nil, clientErr("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '%s' does not exist", id)
		}
		remove = append(remove, i)
	}
	var rules []sgRule
	if len(remove) == 0 || ec2List(form, "IpPermissions").Present {
		if rules, err = parsePermissions(st, form); err != nil {
			return nil, err
		}
	}
	for _, r := range rules {
		i := slices.IndexFunc(sg.Ingress, r.samePermission)
		if i < 0 {
			return nil, clientErr("InvalidPermission.NotFound", "The specified rule does not exist in this security group.")
		}
		remove = append(remove, i)
	}
	sg.Ingress = slices.DeleteFunc(sg.Ingress, func(r sgRule) bool {
		return slices.ContainsFunc(remove, func(i int) bool { return sg.Ingress[i].ID == r.ID })
	})
	return &ec2Return{Return: true}, nil
}

// targetGroupOfRequest finds the group an Authorize/Revoke call names by
// GroupId, or by GroupName in the default VPC.
func targetGroupOfRequest(st *ec2State, form url.Values) (*ec2SecurityGroup, error) {
	if id := form.Get("GroupId"); id != "" {
		if sg := st.securityGroup(id); sg != nil {
			return sg, nil
		}
		return nil, errGroupNotFound(id)
	}
	name := form.Get("GroupName")
	if name == "" {
		return nil, clientErr("MissingParameter", "The request must contain the parameter groupName or groupId")
	}
	vpc := st.defaultVPC()
	if sg := st.securityGroupByName(vpc.ID, name); sg != nil {
		return sg, nil
	}
	return nil, clientErr("InvalidGroup.NotFound", "The security group '%s' does not exist in default VPC '%s'", name, vpc.ID)
}

// parsePermissions reads IpPermissions.N (or the legacy flat IpProtocol /
// FromPort / ToPort / CidrIp form) into one rule per peer.
func parsePermissions(st *ec2State, form url.Values) ([]sgRule, error) {
	perms := ec2List(form, "IpPermissions").Items
	prefix := ""
	if len(perms) == 0 {
		// Legacy form: the permission's members sit at the top level.
		if form.Get("IpProtocol") == "" {
			return nil, clientErr("MissingParameter", "No ip permissions were specified")
		}
		perms = []string{""}
	} else {
		prefix = "."
	}
	var rules []sgRule
	for _, p := range perms {
		base, err := parsePortRange(form, p+prefix)
		if err != nil {
			return nil, err
		}
		peers, err := parsePeers(st, form, p+prefix)
		if err != nil {
			return nil, err
		}
		for _, peer := range peers {
			r := base
			r.CidrIPv4, r.CidrIPv6, r.PrefixListID, r.GroupID, r.Description = peer.CidrIPv4, peer.CidrIPv6, peer.PrefixListID, peer.GroupID, peer.Description
			rules = append(rules, r)
		}
	}
	return rules, nil
}

// parsePortRange reads a permission's protocol and ports: tcp/udp need a
// range within 0–65535, icmp a type and code, other protocols none.
func parsePortRange(form url.Values, p string) (sgRule, error) {
	proto, err := normaliseProtocol(form.Get(p + "IpProtocol"))
	if err != nil {
		return sgRule{}, err
	}
	r := sgRule{Protocol: proto, FromPort: -1, ToPort: -1}
	from, hasFrom, err := formInt(form, p+"FromPort", "InvalidParameterValue")
	if err != nil {
		return r, err
	}
	to, hasTo, err := formInt(form, p+"ToPort", "InvalidParameterValue")
	if err != nil {
		return r, err
	}
	switch proto {
	case "tcp", "udp":
		if !hasFrom || !hasTo {
			return r, clientErr("InvalidParameterValue", "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
		}
		if from < 0 || to > 65535 || from > to {
			return r, clientErr("InvalidParameterValue", "Invalid TCP/UDP port range %d-%d: ports must be 0–65535 and from ≤ to.", from, to)
		}
		r.FromPort, r.ToPort = from, to
	case "icmp":
		if hasFrom && (from < -1 || from > 255) || hasTo && (to < -1 || to > 255) {
			return r, clientErr("InvalidParameterValue", "Invalid value for ICMP type or code: must be -1 to 255.")
		}
		if hasFrom {
			r.FromPort = from
		}
		if hasTo {
			r.ToPort = to
		}
	}
	return r, nil
}

// normaliseProtocol maps names and numbers to EC2's stored form: tcp, udp,
// icmp, -1 (all) or a protocol number.
func normaliseProtocol(p string) (string, error) {
	switch strings.ToLower(p) {
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	case "-1", "all":
		return "-1", nil
	}
	if n, err := strconv.Atoi(p); err == nil && n >= 0 && n <= 255 {
		return p, nil
	}
	return "", clientErr("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol.", p)
}

// parsePeers reads a permission's sources: IpRanges, Ipv6Ranges,
// PrefixListIds and Groups (or the legacy CidrIp / SourceSecurityGroupName).
func parsePeers(st *ec2State, form url.Values, p string) ([]sgRule, error) {
	var peers []sgRule
	if p == "" {
		if cidr := form.Get("CidrIp"); cidr != "" {
			form = url.Values{"IpRanges.1.CidrIp": {cidr}}
		} else if name := form.Get("SourceSecurityGroupName"); name != "" {
			form = url.Values{"Groups.1.GroupName": {name}}
		}
	}
	for _, item := range ec2List(form, p+"IpRanges").Items {
		cidr, err := canonicalCIDR(form.Get(item+".CidrIp"), false)
		if err != nil {
			return nil, err
		}
		peers = append(peers, sgRule{CidrIPv4: cidr, Description: form.Get(item + ".Description")})
	}
	for _, item := range ec2List(form, p+"Ipv6Ranges").Items {
		cidr, err := canonicalCIDR(form.Get(item+".CidrIpv6"), true)
		if err != nil {
			return nil, err
		}
		peers = append(peers, sgRule{CidrIPv6: cidr, Description: form.Get(item + ".Description")})
	}
	for _, item := range ec2List(form, p+"PrefixListIds").Items {
		peers = append(peers, sgRule{PrefixListID: form.Get(item + ".PrefixListId"), Description: form.Get(item + ".Description")})
	}
	for _, item := range ec2List(form, p+"Groups").Items {
		id, err := peerGroupID(st, form.Get(item+".GroupId"), form.Get(item+".GroupName"))
		if err != nil {
			return nil, err
		}
		peers = append(peers, sgRule{GroupID: id, Description: form.Get(item + ".Description")})
	}
	if len(peers) == 0 {
		return nil, clientErr("InvalidParameterValue", "Each permission needs a source: an IP range, an IPv6 range, a prefix list or a security group")
	}
	return peers, nil
}

// peerGroupID resolves a referenced security group by id, or by name in
// the default VPC.
func peerGroupID(st *ec2State, id, name string) (string, error) {
	if id != "" {
		if st.securityGroup(id) == nil {
			return "", errGroupNotFound(id)
		}
		return id, nil
	}
	if g := st.securityGroupByName(st.defaultVPC().ID, name); g != nil {
		return g.ID, nil
	}
	return "", errGroupNotFound(name)
}

// canonicalCIDR parses a CIDR and clears its host bits (EC2 stores
// 100.68.0.18/18 as 100.68.0.0/18).
func canonicalCIDR(s string, v6 bool) (string, error) {
	prefix, err := netip.ParsePrefix(s)
	if err != nil || prefix.Addr().Is6() != v6 {
		return "", clientErr("InvalidParameterValue", "CIDR block %s is malformed", s)
	}
	return prefix.Masked().String(), nil
}

// samePermission reports whether two rules admit the same traffic from the
// same peer (descriptions aside), which EC2 treats as a duplicate.
func (r sgRule) samePermission(o sgRule) bool {
	return r.Protocol == o.Protocol && r.FromPort == o.FromPort && r.ToPort == o.ToPort &&
		r.CidrIPv4 == o.CidrIPv4 && r.CidrIPv6 == o.CidrIPv6 && r.PrefixListID == o.PrefixListID && r.GroupID == o.GroupID
}

// describe renders a rule as EC2's duplicate message does:
// peer: 0.0.0.0/0, TCP, from port: 443, to port: 443, ALLOW.
func (r sgRule) describe() string {
	peer := cmp.Or(r.CidrIPv4, r.CidrIPv6, r.PrefixListID, r.GroupID)
	if r.Protocol == "-1" {
		return fmt.Sprintf("peer: %s, ALL, ALLOW", peer)
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
}

// out renders the rule as a SecurityGroupRule.
func (r sgRule) out(groupID, account string) ec2RuleOut {
	o := ec2RuleOut{
		RuleID: r.ID, GroupID: groupID, GroupOwnerID: account, IPProtocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, CidrIPv4: r.CidrIPv4, CidrIPv6: r.CidrIPv6,
		PrefixListID: r.PrefixListID, Description: r.Description,
	}
	if r.GroupID != "" {
		o.Referenced = &ec2ReferencedSG{GroupID: r.GroupID, UserID: account}
	}
	return o
}

// ec2CreateTags tags VPCs, subnets, security groups and ENIs. Every id is
// checked before any tag is written, so a bad id changes nothing.
func ec2CreateTags(c *call, form url.Values) (any, error) {
	st := c.w.ec2
	ids := ec2Strings(form, "ResourceId")
	if len(ids) == 0 {
		return nil, clientErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	tags := map[string]string{}
	if err := parseEC2Tags(form, "Tag", tags); err != nil {
		return nil, err
	}
	var targets []*map[string]string
	for _, id := range ids {
		t, err := st.tagsOf(id)
		if err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	for _, t := range targets {
		if *t == nil {
			*t = map[string]string{}
		}
		for k, v := range tags {
			(*t)[k] = v
		}
	}
	return &ec2Return{Return: true}, nil
}

// tagsOf finds the tag map of a taggable resource by id.
func (st *ec2State) tagsOf(id string) (*map[string]string, error) {
	switch {
	case strings.HasPrefix(id, "vpc-"):
		if v := st.vpc(id); v != nil {
			return &v.Tags, nil
		}
		return nil, errVpcNotFound(id)
	case strings.HasPrefix(id, "subnet-"):
		if s := st.subnet(id); s != nil {
			return &s.Tags, nil
		}
		return nil, errSubnetNotFound(id)
	case strings.HasPrefix(id, "sg-"):
		if g := st.securityGroup(id); g != nil {
			return &g.Tags, nil
		}
		return nil, errGroupNotFound(id)
	case strings.HasPrefix(id, "eni-"):
		if e := st.eni(id); e != nil {
			return &e.Tags, nil
		}
		return nil, errENINotFound(id)
	}
	return nil, clientErr("InvalidID", "The ID '%s' is not valid", id)
}
