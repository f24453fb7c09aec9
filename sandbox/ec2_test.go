package sandbox

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func filter(name string, values ...string) types.Filter {
	return types.Filter{Name: aws.String(name), Values: values}
}

// defaultVPC returns the seeded default VPC's id.
func defaultVPC(t *testing.T, env *testEnv) string {
	t.Helper()
	out, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("is-default", "true")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Vpcs) != 1 {
		t.Fatalf("got %d default VPCs, want 1", len(out.Vpcs))
	}
	return aws.ToString(out.Vpcs[0].VpcId)
}

// defaultSubnets returns the seeded subnets, sorted by AZ.
func defaultSubnets(t *testing.T, env *testEnv) []types.Subnet {
	t.Helper()
	out, err := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out.Subnets, func(i, j int) bool {
		return aws.ToString(out.Subnets[i].AvailabilityZone) < aws.ToString(out.Subnets[j].AvailabilityZone)
	})
	return out.Subnets
}

func TestEC2SeededDefaultVPC(t *testing.T) {
	env := newTestEnv(t)
	vpcs, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 {
		t.Fatalf("got %d VPCs, want 1", len(vpcs.Vpcs))
	}
	vpc := vpcs.Vpcs[0]
	if aws.ToString(vpc.CidrBlock) != "172.31.0.0/16" || !aws.ToBool(vpc.IsDefault) || vpc.State != types.VpcStateAvailable {
		t.Errorf("vpc = %+v, want available default 172.31.0.0/16", vpc)
	}
	if id := aws.ToString(vpc.VpcId); !regexp.MustCompile(`^vpc-0[0-9a-f]{16}$`).MatchString(id) {
		t.Errorf("VpcId %q is not in EC2's long id format", id)
	}

	subnets := defaultSubnets(t, env)
	wantCIDRs := []string{"172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"}
	wantZones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	if len(subnets) != 3 {
		t.Fatalf("got %d subnets, want 3", len(subnets))
	}
	for i, s := range subnets {
		if aws.ToString(s.AvailabilityZone) != wantZones[i] || aws.ToString(s.CidrBlock) != wantCIDRs[i] {
			t.Errorf("subnet %d = %s %s, want %s %s", i, aws.ToString(s.AvailabilityZone), aws.ToString(s.CidrBlock), wantZones[i], wantCIDRs[i])
		}
		if !aws.ToBool(s.DefaultForAz) || !aws.ToBool(s.MapPublicIpOnLaunch) || aws.ToString(s.VpcId) != aws.ToString(vpc.VpcId) {
			t.Errorf("subnet %d = %+v, want a public default subnet of the default VPC", i, s)
		}
		if got := aws.ToInt32(s.AvailableIpAddressCount); got != 4091 {
			t.Errorf("subnet %d has %d free addresses, want 4091", i, got)
		}
		if want := fmt.Sprintf("use1-az%d", i+1); aws.ToString(s.AvailabilityZoneId) != want {
			t.Errorf("subnet %d zone id = %s, want %s", i, aws.ToString(s.AvailabilityZoneId), want)
		}
	}

	azs, err := env.EC2.DescribeAvailabilityZones(t.Context(), &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, z := range azs.AvailabilityZones {
		names = append(names, aws.ToString(z.ZoneName))
		if z.State != types.AvailabilityZoneStateAvailable || aws.ToString(z.RegionName) != "us-east-1" {
			t.Errorf("zone %+v, want available in us-east-1", z)
		}
	}
	if !slices.Equal(names, wantZones) {
		t.Errorf("zones = %v, want %v", names, wantZones)
	}

	sgs, err := env.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupNames: []string{"default"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(sgs.SecurityGroups) != 1 || aws.ToString(sgs.SecurityGroups[0].VpcId) != aws.ToString(vpc.VpcId) {
		t.Fatalf("default security group = %+v", sgs.SecurityGroups)
	}
	egress := sgs.SecurityGroups[0].IpPermissionsEgress
	if len(egress) != 1 || aws.ToString(egress[0].IpProtocol) != "-1" || aws.ToString(egress[0].IpRanges[0].CidrIp) != "0.0.0.0/0" {
		t.Errorf("default egress = %+v, want all traffic to 0.0.0.0/0", egress)
	}

	if role := env.Server.regions["us-east-1"].executionRoleARN; role != "arn:aws:iam::000000000000:role/ecsTaskExecutionRole" {
		t.Errorf("seeded execution role = %q", role)
	}
}

func TestEC2DescribeFilters(t *testing.T) {
	env := newTestEnv(t)
	vpc := defaultVPC(t, env)
	subnets := defaultSubnets(t, env)
	tests := []struct {
		name    string
		filters []types.Filter
		ids     []string
		want    int
	}{
		{name: "no filter", want: 3},
		{name: "vpc-id", filters: []types.Filter{filter("vpc-id", vpc)}, want: 3},
		{name: "other vpc", filters: []types.Filter{filter("vpc-id", "vpc-0000000000000000f")}, want: 0},
		{name: "values are OR-ed", filters: []types.Filter{filter("availability-zone", "us-east-1a", "us-east-1c")}, want: 2},
		{name: "filters are AND-ed", filters: []types.Filter{filter("availability-zone", "us-east-1a"), filter("default-for-az", "false")}, want: 0},
		{name: "wildcard", filters: []types.Filter{filter("cidr-block", "172.31.1*")}, want: 1},
		{name: "explicit ids", ids: []string{aws.ToString(subnets[0].SubnetId), aws.ToString(subnets[2].SubnetId)}, want: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{Filters: tt.filters, SubnetIds: tt.ids})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Subnets) != tt.want {
				t.Errorf("got %d subnets, want %d", len(out.Subnets), tt.want)
			}
		})
	}
}

func TestEC2Errors(t *testing.T) {
	env := newTestEnv(t)
	vpc := defaultVPC(t, env)
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"unknown vpc", func() error {
			_, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{VpcIds: []string{"vpc-0123456789abcdef0"}})
			return err
		}, "InvalidVpcID.NotFound"},
		{"unknown subnet", func() error {
			_, err := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{SubnetIds: []string{"subnet-0123456789abcdef0"}})
			return err
		}, "InvalidSubnetID.NotFound"},
		{"unknown security group", func() error {
			_, err := env.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{"sg-0123456789abcdef0"}})
			return err
		}, "InvalidGroup.NotFound"},
		{"unknown network interface", func() error {
			_, err := env.EC2.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-0123456789abcdef0"}})
			return err
		}, "InvalidNetworkInterfaceID.NotFound"},
		{"unknown filter", func() error {
			_, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("colour", "red")}})
			return err
		}, "InvalidParameterValue"},
		{"MaxResults below 5", func() error {
			_, err := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{MaxResults: aws.Int32(4)})
			return err
		}, "InvalidParameterValue"},
		{"dry run", func() error {
			_, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{DryRun: aws.Bool(true)})
			return err
		}, "DryRunOperation"},
		{"security group in unknown vpc", func() error {
			_, err := env.EC2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("web"), Description: aws.String("web"), VpcId: aws.String("vpc-0123456789abcdef0")})
			return err
		}, "InvalidVpcID.NotFound"},
		{"security group named sg-", func() error {
			_, err := env.EC2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("sg-web"), Description: aws.String("web"), VpcId: aws.String(vpc)})
			return err
		}, "InvalidParameterValue"},
		{"default group exists", func() error {
			_, err := env.EC2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String("default"), Description: aws.String("again"), VpcId: aws.String(vpc)})
			return err
		}, "InvalidGroup.Duplicate"},
		{"authorize on unknown group", func() error {
			_, err := env.EC2.AuthorizeSecurityGroupIngress(t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: aws.String("sg-0123456789abcdef0"), IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), CidrIp: aws.String("0.0.0.0/0")})
			return err
		}, "InvalidGroup.NotFound"},
		{"tag unknown subnet", func() error {
			_, err := env.EC2.CreateTags(t.Context(), &ec2.CreateTagsInput{Resources: []string{"subnet-0123456789abcdef0"}, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
			return err
		}, "InvalidSubnetID.NotFound"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantAPIError(t, tt.call(), tt.code) })
	}
}

func TestEC2SecurityGroupRules(t *testing.T) {
	env := newTestEnv(t)
	vpc := defaultVPC(t, env)
	ctx := t.Context()
	alb, err := env.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
		GroupName: aws.String("php-app-alb"), Description: aws.String("ALB: 80/443 from the internet"), VpcId: aws.String(vpc),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeSecurityGroup, Tags: []types.Tag{{Key: aws.String("app"), Value: aws.String("php")}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := env.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("php-app-tasks"), Description: aws.String("tasks"), VpcId: aws.String(vpc)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String("php-app-alb"), Description: aws.String("again"), VpcId: aws.String(vpc)})
	wantAPIError(t, err, "InvalidGroup.Duplicate")

	web := []types.IpPermission{
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(80), ToPort: aws.Int32(80), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0"), Description: aws.String("http")}}},
		{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(443), ToPort: aws.Int32(443), IpRanges: []types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}, Ipv6Ranges: []types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}},
	}
	auth, err := env.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: alb.GroupId, IpPermissions: web})
	if err != nil {
		t.Fatal(err)
	}
	if !aws.ToBool(auth.Return) || len(auth.SecurityGroupRules) != 3 {
		t.Errorf("authorize returned %v with %d rules, want true with 3", aws.ToBool(auth.Return), len(auth.SecurityGroupRules))
	}
	_, err = env.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: alb.GroupId, IpPermissions: web[:1]})
	wantAPIError(t, err, "InvalidPermission.Duplicate")

	fromALB := []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(8080), ToPort: aws.Int32(8080), UserIdGroupPairs: []types.UserIdGroupPair{{GroupId: alb.GroupId}}}}
	if _, err := env.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: tasks.GroupId, IpPermissions: fromALB}); err != nil {
		t.Fatal(err)
	}
	// A host-bits CIDR is stored canonically, through the legacy flat form.
	if _, err := env.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: tasks.GroupId, IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22), CidrIp: aws.String("10.1.2.3/16")}); err != nil {
		t.Fatal(err)
	}

	got := describeGroup(t, env, aws.ToString(tasks.GroupId))
	if len(got.IpPermissions) != 2 {
		t.Fatalf("task group permissions = %+v, want 2", got.IpPermissions)
	}
	if pair := got.IpPermissions[0].UserIdGroupPairs; len(pair) != 1 || aws.ToString(pair[0].GroupId) != aws.ToString(alb.GroupId) {
		t.Errorf("8080 source = %+v, want the ALB group", pair)
	}
	if cidr := aws.ToString(got.IpPermissions[1].IpRanges[0].CidrIp); cidr != "10.1.0.0/16" {
		t.Errorf("22 source = %s, want 10.1.0.0/16", cidr)
	}

	albGroup := describeGroup(t, env, aws.ToString(alb.GroupId))
	if len(albGroup.IpPermissions) != 2 || len(albGroup.IpPermissions[1].Ipv6Ranges) != 1 || albGroup.Tags[0].Value == nil {
		t.Errorf("alb group = %+v, want 80 and 443 (with ::/0) and its tag", albGroup)
	}

	if _, err := env.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: alb.GroupId, IpPermissions: web[:1]}); err != nil {
		t.Fatal(err)
	}
	_, err = env.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: alb.GroupId, IpPermissions: web[:1]})
	wantAPIError(t, err, "InvalidPermission.NotFound")
	if n := len(describeGroup(t, env, aws.ToString(alb.GroupId)).IpPermissions); n != 1 {
		t.Errorf("after revoke %d permissions, want 1", n)
	}

	byFilter, err := env.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []types.Filter{filter("vpc-id", vpc), filter("group-name", "php-app-*"), filter("tag:app", "php")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byFilter.SecurityGroups) != 1 || aws.ToString(byFilter.SecurityGroups[0].GroupId) != aws.ToString(alb.GroupId) {
		t.Errorf("filtered groups = %+v, want only the tagged ALB group", byFilter.SecurityGroups)
	}
}

func describeGroup(t *testing.T, env *testEnv, id string) types.SecurityGroup {
	t.Helper()
	out, err := env.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return out.SecurityGroups[0]
}

func TestEC2CreateTagsAndTagFilters(t *testing.T) {
	env := newTestEnv(t)
	subnets := defaultSubnets(t, env)
	vpc := defaultVPC(t, env)
	_, err := env.EC2.CreateTags(t.Context(), &ec2.CreateTagsInput{
		Resources: []string{aws.ToString(subnets[1].SubnetId), vpc},
		Tags:      []types.Tag{{Key: aws.String("tier"), Value: aws.String("public")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		filter types.Filter
		want   int
	}{
		{"tag:key", filter("tag:tier", "public"), 1},
		{"tag:key other value", filter("tag:tier", "private"), 0},
		{"tag-key", filter("tag-key", "tier"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{Filters: []types.Filter{tt.filter}})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Subnets) != tt.want {
				t.Errorf("got %d subnets, want %d", len(out.Subnets), tt.want)
			}
		})
	}
	vpcs, err := env.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{Filters: []types.Filter{filter("tag:tier", "public")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vpcs.Vpcs) != 1 || aws.ToString(vpcs.Vpcs[0].Tags[0].Key) != "tier" {
		t.Errorf("tagged VPCs = %+v", vpcs.Vpcs)
	}
}

func TestEC2SecurityGroupPagination(t *testing.T) {
	env := newTestEnv(t)
	for i := range 12 {
		if _, err := env.EC2.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("g%02d", i)), Description: aws.String("paged")}); err != nil {
			t.Fatal(err)
		}
	}
	p := ec2.NewDescribeSecurityGroupsPaginator(env.EC2, &ec2.DescribeSecurityGroupsInput{MaxResults: aws.Int32(5)})
	var pages, groups int
	seen := map[string]bool{}
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.SecurityGroups {
			seen[aws.ToString(g.GroupId)] = true
			groups++
		}
	}
	// 12 created + the default group = 13 = 5 + 5 + 3.
	if pages != 3 || groups != 13 || len(seen) != 13 {
		t.Errorf("got %d pages, %d groups (%d distinct), want 3 pages of 13 distinct groups", pages, groups, len(seen))
	}
}

func TestEC2TaskENIsAllocateDistinctAddresses(t *testing.T) {
	env := newTestEnv(t)
	subnet := defaultSubnets(t, env)[0]
	subnetID := aws.ToString(subnet.SubnetId)
	prefix := netip.MustParsePrefix(aws.ToString(subnet.CidrBlock))

	w := env.Server.regions["us-east-1"]
	env.Server.mu.Lock()
	public := w.createTaskENI(subnetID, nil, true, "arn:aws:ecs:us-east-1:000000000000:attachment/a")
	private := w.createTaskENI(subnetID, nil, false, "arn:aws:ecs:us-east-1:000000000000:attachment/b")
	gone := w.createTaskENI(subnetID, nil, false, "arn:aws:ecs:us-east-1:000000000000:attachment/c")
	w.deleteENI(gone.ID)
	reused := w.createTaskENI(subnetID, nil, false, "arn:aws:ecs:us-east-1:000000000000:attachment/d")
	env.Server.mu.Unlock()

	ips := []string{public.PrivateIP, private.PrivateIP, reused.PrivateIP}
	for _, ip := range ips {
		if !prefix.Contains(netip.MustParseAddr(ip)) {
			t.Errorf("private IP %s outside %s", ip, prefix)
		}
	}
	if public.PrivateIP == private.PrivateIP || reused.PrivateIP != gone.PrivateIP {
		t.Errorf("addresses %v: want distinct, and the deleted ENI's address reused", ips)
	}

	out, err := env.EC2.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter("subnet-id", subnetID)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NetworkInterfaces) != 3 {
		t.Fatalf("got %d ENIs, want 3", len(out.NetworkInterfaces))
	}
	byID := map[string]types.NetworkInterface{}
	for _, n := range out.NetworkInterfaces {
		byID[aws.ToString(n.NetworkInterfaceId)] = n
	}
	pub := byID[public.ID]
	if pub.Association == nil || aws.ToString(pub.Association.PublicIp) != public.PublicIP || public.PublicIP == "" {
		t.Errorf("public ENI association = %+v, want public IP %q", pub.Association, public.PublicIP)
	}
	if byID[private.ID].Association != nil {
		t.Errorf("private ENI has association %+v", byID[private.ID].Association)
	}
	if aws.ToString(pub.PrivateIpAddress) != public.PrivateIP || pub.Status != types.NetworkInterfaceStatusInUse || !aws.ToBool(pub.RequesterManaged) {
		t.Errorf("public ENI = %+v", pub)
	}

	byDesc, err := env.EC2.DescribeNetworkInterfaces(t.Context(), &ec2.DescribeNetworkInterfacesInput{Filters: []types.Filter{filter("description", "*attachment/d")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(byDesc.NetworkInterfaces) != 1 || aws.ToString(byDesc.NetworkInterfaces[0].NetworkInterfaceId) != reused.ID {
		t.Errorf("description filter = %+v, want the reused ENI", byDesc.NetworkInterfaces)
	}
	subnets, _ := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{SubnetIds: []string{subnetID}})
	if got := aws.ToInt32(subnets.Subnets[0].AvailableIpAddressCount); got != 4091-3 {
		t.Errorf("free addresses = %d, want %d", got, 4091-3)
	}
}
