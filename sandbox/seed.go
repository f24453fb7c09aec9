package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// Default VPC layout AWS gives every account in every region.
const (
	defaultVPCCIDR = "172.31.0.0/16"
	// defaultZoneCount is how many AZs (and default subnets) are seeded.
	defaultZoneCount = 3
)

// newWorld seeds a region: default VPC 172.31.0.0/16, one default subnet in
// each of three AZs, the default security group, the execution role.
func newWorld(account, region string, now time.Time, opts Options) *world {
	w := &world{
		account:          account,
		region:           region,
		executionRoleARN: fmt.Sprintf("arn:aws:iam::%s:role/ecsTaskExecutionRole", account),
		ec2:              &ec2State{},
		elb:              &elbState{},
		ecs:              &ecsState{},
		acm:              &acmState{},
		logs:             &logsState{},
	}
	seedDefaultVPC(w.ec2, region)
	return w
}

// seedDefaultVPC adds the default VPC, its AZs, subnets 172.31.0.0/20,
// 172.31.16.0/20, 172.31.32.0/20 and its default security group.
func seedDefaultVPC(st *ec2State, region string) {
	vpc := &ec2VPC{
		ID:            newEC2ID("vpc"),
		CIDR:          defaultVPCCIDR,
		DhcpOptionsID: newEC2ID("dopt"),
		IsDefault:     true,
	}
	st.VPCs = append(st.VPCs, vpc)
	for i := range defaultZoneCount {
		zone := ec2Zone{
			Name: fmt.Sprintf("%s%c", region, 'a'+i),
			ID:   fmt.Sprintf("%s-az%d", zoneIDPrefix(region), i+1),
		}
		st.Zones = append(st.Zones, zone)
		st.Subnets = append(st.Subnets, &ec2Subnet{
			ID:           newEC2ID("subnet"),
			VpcID:        vpc.ID,
			CIDR:         fmt.Sprintf("172.31.%d.0/20", 16*i),
			Zone:         zone.Name,
			ZoneID:       zone.ID,
			DefaultForAz: true,
			MapPublicIP:  true,
		})
	}
	st.SecurityGroups = append(st.SecurityGroups, newDefaultSecurityGroup(vpc.ID))
}

// newDefaultSecurityGroup is a VPC's "default" group: all traffic in from
// members of the group itself, all traffic out.
func newDefaultSecurityGroup(vpcID string) *ec2SecurityGroup {
	sg := newSecurityGroup("default", "default VPC security group", vpcID)
	sg.Ingress = append(sg.Ingress, sgRule{ID: newRuleID(), Protocol: "-1", FromPort: -1, ToPort: -1, GroupID: sg.ID})
	return sg
}

// zoneIDPrefix abbreviates a region the way AZ ids do: us-east-1 → use1,
// ap-southeast-2 → apse2, eu-central-1 → euc1.
func zoneIDPrefix(region string) string {
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return region
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for _, dir := range parts[1 : len(parts)-1] {
		switch dir {
		case "northeast", "northwest", "southeast", "southwest":
			b.WriteString(dir[:1] + dir[5:6])
		default:
			b.WriteString(dir[:1])
		}
	}
	b.WriteString(parts[len(parts)-1])
	return b.String()
}
