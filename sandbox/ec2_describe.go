package sandbox

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// EC2 Describe operations (docs/aws-api.md §5.3). Wire shapes use the XML names
// of the ec2 model; lists are <item>s.

type ec2VPCOut struct {
	VpcID           string         `xml:"vpcId"`
	OwnerID         string         `xml:"ownerId"`
	State           string         `xml:"state"`
	CidrBlock       string         `xml:"cidrBlock"`
	CidrAssociation []ec2CidrAssoc `xml:"cidrBlockAssociationSet>item"`
	DhcpOptionsID   string         `xml:"dhcpOptionsId"`
	InstanceTenancy string         `xml:"instanceTenancy"`
	IsDefault       bool           `xml:"isDefault"`
	Tags            []ec2Tag       `xml:"tagSet>item"`
}

type ec2CidrAssoc struct {
	AssociationID string `xml:"associationId"`
	CidrBlock     string `xml:"cidrBlock"`
	State         string `xml:"cidrBlockState>state"`
}

type ec2SubnetOut struct {
	SubnetID                string   `xml:"subnetId"`
	SubnetArn               string   `xml:"subnetArn"`
	State                   string   `xml:"state"`
	OwnerID                 string   `xml:"ownerId"`
	VpcID                   string   `xml:"vpcId"`
	CidrBlock               string   `xml:"cidrBlock"`
	AvailableIPAddressCount int      `xml:"availableIpAddressCount"`
	AvailabilityZone        string   `xml:"availabilityZone"`
	AvailabilityZoneID      string   `xml:"availabilityZoneId"`
	DefaultForAz            bool     `xml:"defaultForAz"`
	MapPublicIPOnLaunch     bool     `xml:"mapPublicIpOnLaunch"`
	AssignIpv6OnCreation    bool     `xml:"assignIpv6AddressOnCreation"`
	Tags                    []ec2Tag `xml:"tagSet>item"`
}

type ec2ZoneOut struct {
	ZoneName           string `xml:"zoneName"`
	ZoneID             string `xml:"zoneId"`
	ZoneState          string `xml:"zoneState"`
	RegionName         string `xml:"regionName"`
	GroupName          string `xml:"groupName"`
	NetworkBorderGroup string `xml:"networkBorderGroup"`
	OptInStatus        string `xml:"optInStatus"`
	ZoneType           string `xml:"zoneType"`
}

type ec2ENIOut struct {
	NetworkInterfaceID string              `xml:"networkInterfaceId"`
	SubnetID           string              `xml:"subnetId"`
	VpcID              string              `xml:"vpcId"`
	AvailabilityZone   string              `xml:"availabilityZone"`
	Description        string              `xml:"description"`
	OwnerID            string              `xml:"ownerId"`
	RequesterID        string              `xml:"requesterId"`
	RequesterManaged   bool                `xml:"requesterManaged"`
	Status             string              `xml:"status"`
	MacAddress         string              `xml:"macAddress"`
	PrivateIPAddress   string              `xml:"privateIpAddress"`
	PrivateDNSName     string              `xml:"privateDnsName"`
	SourceDestCheck    bool                `xml:"sourceDestCheck"`
	InterfaceType      string              `xml:"interfaceType"`
	Groups             []ec2GroupID        `xml:"groupSet>item"`
	Association        *ec2ENIAssociation  `xml:"association"`
	PrivateIPs         []ec2ENIPrivateAddr `xml:"privateIpAddressesSet>item"`
	Tags               []ec2Tag            `xml:"tagSet>item"`
}

type ec2GroupID struct {
	GroupID   string `xml:"groupId"`
	GroupName string `xml:"groupName"`
}

type ec2ENIAssociation struct {
	PublicIP      string `xml:"publicIp"`
	PublicDNSName string `xml:"publicDnsName"`
	IPOwnerID     string `xml:"ipOwnerId"`
}

type ec2ENIPrivateAddr struct {
	PrivateIPAddress string             `xml:"privateIpAddress"`
	PrivateDNSName   string             `xml:"privateDnsName"`
	Primary          bool               `xml:"primary"`
	Association      *ec2ENIAssociation `xml:"association"`
}

// ecsRequesterID is the AWS-owned account that creates Fargate task ENIs.
const ecsRequesterID = "578734482556"

func (v *ec2VPC) resourceID() string           { return v.ID }
func (v *ec2VPC) tagMap() map[string]string    { return v.Tags }
func (s *ec2Subnet) resourceID() string        { return s.ID }
func (s *ec2Subnet) tagMap() map[string]string { return s.Tags }
func (e *ec2ENI) resourceID() string           { return e.ID }
func (e *ec2ENI) tagMap() map[string]string    { return e.Tags }

func (v *ec2VPC) filterValues(name string) ([]string, bool) {
	switch name {
	case "vpc-id":
		return []string{v.ID}, true
	case "cidr", "cidr-block-association.cidr-block":
		return []string{v.CIDR}, true
	case "is-default", "isDefault":
		return []string{strconv.FormatBool(v.IsDefault)}, true
	case "state":
		return []string{"available"}, true
	case "dhcp-options-id":
		return []string{v.DhcpOptionsID}, true
	}
	return nil, false
}

func (s *ec2Subnet) filterValues(name string) ([]string, bool) {
	switch name {
	case "subnet-id":
		return []string{s.ID}, true
	case "vpc-id":
		return []string{s.VpcID}, true
	case "availability-zone", "availabilityZone":
		return []string{s.Zone}, true
	case "availability-zone-id", "availabilityZoneId":
		return []string{s.ZoneID}, true
	case "cidr-block", "cidr", "cidrBlock":
		return []string{s.CIDR}, true
	case "default-for-az", "defaultForAz":
		return []string{strconv.FormatBool(s.DefaultForAz)}, true
	case "map-public-ip-on-launch":
		return []string{strconv.FormatBool(s.MapPublicIP)}, true
	case "available-ip-address-count":
		return []string{fmt.Sprint(s.availableIPs())}, true
	case "state":
		return []string{"available"}, true
	}
	return nil, false
}

func (e *ec2ENI) filterValues(name string) ([]string, bool) {
	switch name {
	case "network-interface-id":
		return []string{e.ID}, true
	case "subnet-id":
		return []string{e.SubnetID}, true
	case "vpc-id":
		return []string{e.VpcID}, true
	case "availability-zone":
		return []string{e.Zone}, true
	case "description":
		return []string{e.Description}, true
	case "group-id":
		return e.Groups, true
	case "status":
		return []string{"in-use"}, true
	case "private-ip-address", "addresses.private-ip-address":
		return []string{e.PrivateIP}, true
	case "association.public-ip":
		if e.PublicIP == "" {
			return nil, true
		}
		return []string{e.PublicIP}, true
	case "mac-address":
		return []string{e.MacAddress}, true
	case "requester-managed":
		return []string{"true"}, true
	case "requester-id":
		return []string{ecsRequesterID}, true
	case "interface-type":
		return []string{"interface"}, true
	}
	return nil, false
}

type describeVpcsOutput struct {
	ec2Response
	Vpcs      []ec2VPCOut `xml:"vpcSet>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}

func ec2DescribeVpcs(c *call, form url.Values) (any, error) {
	vpcs, next, err := selectResources(form, c.w.ec2.VPCs, "VpcId", errVpcNotFound)
	if err != nil {
		return nil, err
	}
	out := &describeVpcsOutput{NextToken: next}
	for _, v := range vpcs {
		out.Vpcs = append(out.Vpcs, ec2VPCOut{
			VpcID:           v.ID,
			OwnerID:         c.w.account,
			State:           "available",
			CidrBlock:       v.CIDR,
			CidrAssociation: []ec2CidrAssoc{{AssociationID: "vpc-cidr-assoc-" + strings.TrimPrefix(v.ID, "vpc-"), CidrBlock: v.CIDR, State: "associated"}},
			DhcpOptionsID:   v.DhcpOptionsID,
			InstanceTenancy: "default",
			IsDefault:       v.IsDefault,
			Tags:            ec2Tags(v.Tags),
		})
	}
	return out, nil
}

type describeSubnetsOutput struct {
	ec2Response
	Subnets   []ec2SubnetOut `xml:"subnetSet>item"`
	NextToken string         `xml:"nextToken,omitempty"`
}

func ec2DescribeSubnets(c *call, form url.Values) (any, error) {
	subnets, next, err := selectResources(form, c.w.ec2.Subnets, "SubnetId", errSubnetNotFound)
	if err != nil {
		return nil, err
	}
	out := &describeSubnetsOutput{NextToken: next}
	for _, s := range subnets {
		out.Subnets = append(out.Subnets, ec2SubnetOut{
			SubnetID:                s.ID,
			SubnetArn:               fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", c.w.region, c.w.account, s.ID),
			State:                   "available",
			OwnerID:                 c.w.account,
			VpcID:                   s.VpcID,
			CidrBlock:               s.CIDR,
			AvailableIPAddressCount: s.availableIPs(),
			AvailabilityZone:        s.Zone,
			AvailabilityZoneID:      s.ZoneID,
			DefaultForAz:            s.DefaultForAz,
			MapPublicIPOnLaunch:     s.MapPublicIP,
			Tags:                    ec2Tags(s.Tags),
		})
	}
	return out, nil
}

func errVpcNotFound(id string) error {
	return clientErr("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist", id)
}

func errSubnetNotFound(id string) error {
	return clientErr("InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
}

func errENINotFound(id string) error {
	return clientErr("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '%s' does not exist", id)
}

type describeAvailabilityZonesOutput struct {
	ec2Response
	Zones []ec2ZoneOut `xml:"availabilityZoneInfo>item"`
}

func ec2DescribeAvailabilityZones(c *call, form url.Values) (any, error) {
	var zones []ec2ZoneOut
	for _, z := range c.w.ec2.Zones {
		zones = append(zones, ec2ZoneOut{
			ZoneName:           z.Name,
			ZoneID:             z.ID,
			ZoneState:          "available",
			RegionName:         c.w.region,
			GroupName:          c.w.region,
			NetworkBorderGroup: c.w.region,
			OptInStatus:        "opt-in-not-required",
			ZoneType:           "availability-zone",
		})
	}
	zones, err := selectZones(form, zones)
	if err != nil {
		return nil, err
	}
	return &describeAvailabilityZonesOutput{Zones: zones}, nil
}

// selectZones applies ZoneName.N, ZoneId.N (unknown ones fail the call)
// and the filters.
func selectZones(form url.Values, zones []ec2ZoneOut) ([]ec2ZoneOut, error) {
	names, ids := ec2Strings(form, "ZoneName"), ec2Strings(form, "ZoneId")
	for _, n := range names {
		if !slices.ContainsFunc(zones, func(z ec2ZoneOut) bool { return z.ZoneName == n }) {
			return nil, clientErr("InvalidParameterValue", "The zone '%s' does not exist.", n)
		}
	}
	for _, id := range ids {
		if !slices.ContainsFunc(zones, func(z ec2ZoneOut) bool { return z.ZoneID == id }) {
			return nil, clientErr("InvalidParameterValue", "The zone ID '%s' does not exist.", id)
		}
	}
	filters := ec2Filters(form)
	var out []ec2ZoneOut
	for _, z := range zones {
		if len(names) > 0 && !slices.Contains(names, z.ZoneName) || len(ids) > 0 && !slices.Contains(ids, z.ZoneID) {
			continue
		}
		ok, err := matchesFilters(z, filters)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, z)
		}
	}
	return out, nil
}

func (z ec2ZoneOut) resourceID() string        { return z.ZoneName }
func (z ec2ZoneOut) tagMap() map[string]string { return nil }

func (z ec2ZoneOut) filterValues(name string) ([]string, bool) {
	switch name {
	case "zone-name":
		return []string{z.ZoneName}, true
	case "zone-id":
		return []string{z.ZoneID}, true
	case "region-name":
		return []string{z.RegionName}, true
	case "state":
		return []string{z.ZoneState}, true
	case "group-name":
		return []string{z.GroupName}, true
	case "network-border-group":
		return []string{z.NetworkBorderGroup}, true
	case "opt-in-status":
		return []string{z.OptInStatus}, true
	case "zone-type":
		return []string{z.ZoneType}, true
	}
	return nil, false
}

type describeNetworkInterfacesOutput struct {
	ec2Response
	NetworkInterfaces []ec2ENIOut `xml:"networkInterfaceSet>item"`
	NextToken         string      `xml:"nextToken,omitempty"`
}

func ec2DescribeNetworkInterfaces(c *call, form url.Values) (any, error) {
	st := c.w.ec2
	enis, next, err := selectResources(form, st.ENIs, "NetworkInterfaceId", errENINotFound)
	if err != nil {
		return nil, err
	}
	out := &describeNetworkInterfacesOutput{NextToken: next}
	for _, e := range enis {
		out.NetworkInterfaces = append(out.NetworkInterfaces, st.eniOut(e, c.w.account, c.w.region))
	}
	return out, nil
}

// eniOut renders an ENI as DescribeNetworkInterfaces shows a Fargate task's.
func (st *ec2State) eniOut(e *ec2ENI, account, region string) ec2ENIOut {
	var assoc *ec2ENIAssociation
	if e.PublicIP != "" {
		assoc = &ec2ENIAssociation{
			PublicIP:      e.PublicIP,
			PublicDNSName: publicDNSName(e.PublicIP, region),
			IPOwnerID:     "amazon",
		}
	}
	privateDNS := privateDNSName(e.PrivateIP, region)
	out := ec2ENIOut{
		NetworkInterfaceID: e.ID,
		SubnetID:           e.SubnetID,
		VpcID:              e.VpcID,
		AvailabilityZone:   e.Zone,
		Description:        e.Description,
		OwnerID:            account,
		RequesterID:        ecsRequesterID,
		RequesterManaged:   true,
		Status:             "in-use",
		MacAddress:         e.MacAddress,
		PrivateIPAddress:   e.PrivateIP,
		PrivateDNSName:     privateDNS,
		SourceDestCheck:    true,
		InterfaceType:      "interface",
		Association:        assoc,
		PrivateIPs:         []ec2ENIPrivateAddr{{PrivateIPAddress: e.PrivateIP, PrivateDNSName: privateDNS, Primary: true, Association: assoc}},
		Tags:               ec2Tags(e.Tags),
	}
	for _, id := range e.Groups {
		g := ec2GroupID{GroupID: id}
		if sg := st.securityGroup(id); sg != nil {
			g.GroupName = sg.Name
		}
		out.Groups = append(out.Groups, g)
	}
	return out
}

// privateDNSName is EC2's ip-10-0-1-25.ec2.internal (us-east-1) or
// ip-10-0-1-25.<region>.compute.internal elsewhere.
func privateDNSName(ip, region string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

// publicDNSName is EC2's ec2-3-90-1-2.compute-1.amazonaws.com (us-east-1)
// or ec2-….<region>.compute.amazonaws.com elsewhere.
func publicDNSName(ip, region string) string {
	host := "ec2-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" {
		return host + ".compute-1.amazonaws.com"
	}
	return host + "." + region + ".compute.amazonaws.com"
}
