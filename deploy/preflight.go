package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ecsconsole/ecsconsole"
)

// checkNamedResources checks that what the spec names by id exists: its
// subnets (in one VPC; the load balancer's in distinct Availability Zones,
// at least two, with free addresses), its security groups (in that VPC)
// and its certificate (issued). Problems come back as a *ValidationError naming the field,
// as the spec's own checks do, so that a mistyped id is refused when the
// spec is previewed or submitted, not halfway through the deployment.
// IAM roles are checked for their form only: the engine has no IAM client.
func checkNamedResources(ctx context.Context, l lookup, spec *ecsconsole.Spec) error {
	var ps problems
	subnets, err := l.subnetInfo(ctx, append(append([]string(nil), spec.Service.Subnets...), lbSubnets(spec)...))
	if err != nil {
		return err
	}
	vpcs := map[string]string{}
	for id, sn := range subnets {
		vpcs[id] = sn.vpc
	}
	serviceVPC := ""
	check := func(path string, ids []string) {
		for i, id := range ids {
			vpc, ok := vpcs[id]
			switch {
			case !ok:
				ps.add(fmt.Sprintf("%s[%d]", path, i), "subnet %s does not exist in %s", id, spec.Region)
			case serviceVPC == "":
				serviceVPC = vpc
			case vpc != serviceVPC:
				ps.add(fmt.Sprintf("%s[%d]", path, i), "subnet %s is in %s, the other subnets in %s; use subnets of one VPC", id, vpc, serviceVPC)
			}
		}
	}
	check("service.subnets", spec.Service.Subnets)
	check("loadBalancer.subnets", lbSubnets(spec))
	checkLoadBalancerZones(&ps, subnets, lbSubnets(spec))
	if len(spec.Service.SecurityGroupIDs) > 0 {
		groups, err := l.securityGroupVPCs(ctx, spec.Service.SecurityGroupIDs)
		if err != nil {
			return err
		}
		for i, id := range spec.Service.SecurityGroupIDs {
			vpc, ok := groups[id]
			switch {
			case !ok:
				ps.add(fmt.Sprintf("service.securityGroupIds[%d]", i), "security group %s does not exist in %s", id, spec.Region)
			case serviceVPC != "" && vpc != serviceVPC:
				ps.add(fmt.Sprintf("service.securityGroupIds[%d]", i), "security group %s is in %s, the service's subnets in %s", id, vpc, serviceVPC)
			}
		}
	}
	if h := httpsOf(spec); h != nil && h.CertificateArn != "" {
		out, err := l.c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(h.CertificateArn)})
		switch apiErrorCode(err) {
		case "":
			if err != nil {
				return err
			}
			// CreateListener refuses a certificate that is not issued
			// (UnsupportedCertificate), after the load balancer exists.
			if c := out.Certificate; c != nil && c.Status != acmtypes.CertificateStatusIssued {
				ps.add("loadBalancer.https.certificateArn", "certificate %s is %s; an HTTPS listener needs an issued certificate: validate it first, or give requestDomain to have one requested", h.CertificateArn, c.Status)
			}
		case "ResourceNotFoundException", "InvalidArnException":
			ps.add("loadBalancer.https.certificateArn", "certificate %s does not exist in %s", h.CertificateArn, spec.Region)
		default:
			return err
		}
	}
	return ps.err()
}

func lbSubnets(spec *ecsconsole.Spec) []string {
	if spec.LoadBalancer == nil {
		return nil
	}
	return spec.LoadBalancer.Subnets
}

func httpsOf(spec *ecsconsole.Spec) *ecsconsole.HTTPS {
	if spec.LoadBalancer == nil {
		return nil
	}
	return spec.LoadBalancer.HTTPS
}

// subnet is what preflight needs to know of a subnet.
type subnet struct {
	vpc, zone string
	freeIPs   int32
}

// subnetInfo describes each of ids that exists. A filter, unlike
// SubnetIds, answers for the ids that exist rather than failing on one
// that does not.
func (l lookup) subnetInfo(ctx context.Context, ids []string) (map[string]subnet, error) {
	out := map[string]subnet{}
	if len(ids) == 0 {
		return out, nil
	}
	res, err := l.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: ids}}})
	if err != nil {
		return nil, err
	}
	for _, s := range res.Subnets {
		out[aws.ToString(s.SubnetId)] = subnet{vpc: aws.ToString(s.VpcId), zone: aws.ToString(s.AvailabilityZone), freeIPs: aws.ToInt32(s.AvailableIpAddressCount)}
	}
	return out, nil
}

// albMinFreeIPs is how many free addresses each of an Application Load
// Balancer's subnets needs (ELBv2: "at least 8 free IP addresses").
const albMinFreeIPs = 8

// checkLoadBalancerZones checks CreateLoadBalancer's subnet rules that the
// spec alone cannot (reference §4.4): at most one subnet per Availability
// Zone, subnets in at least two zones, and enough free addresses in each,
// so that an ALB AWS would refuse is refused before anything is created.
func checkLoadBalancerZones(ps *problems, subnets map[string]subnet, ids []string) {
	zones := map[string]string{} // zone → the first subnet listed in it
	for i, id := range ids {
		sn, ok := subnets[id]
		if !ok || sn.zone == "" {
			continue // reported as missing; a zone unknown cannot be judged
		}
		path := fmt.Sprintf("loadBalancer.subnets[%d]", i)
		if other, dup := zones[sn.zone]; dup {
			ps.add(path, "subnet %s is in %s, like %s; a load balancer takes at most one subnet per Availability Zone, so pick a subnet in another zone", id, sn.zone, other)
			continue
		}
		zones[sn.zone] = id
		if sn.freeIPs < albMinFreeIPs {
			ps.add(path, "subnet %s has %d free IP addresses; a load balancer needs at least %d in each subnet", id, sn.freeIPs, albMinFreeIPs)
		}
	}
	if len(ids) >= 2 && len(zones) == 1 {
		for zone := range zones {
			ps.add("loadBalancer.subnets", "all the load balancer's subnets are in %s; it needs subnets in at least two Availability Zones", zone)
		}
	}
}

// securityGroupVPCs maps each of ids that exists to its VPC.
func (l lookup) securityGroupVPCs(ctx context.Context, ids []string) (map[string]string, error) {
	out, err := l.c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{{Name: aws.String("group-id"), Values: ids}}})
	if err != nil {
		return nil, err
	}
	vpcs := map[string]string{}
	for _, g := range out.SecurityGroups {
		vpcs[aws.ToString(g.GroupId)] = aws.ToString(g.VpcId)
	}
	return vpcs, nil
}

// asSpecProblem turns the engine's own refusal met while planning (not an
// AWS error) into a problem with the spec, for the 422 it deserves.
func asSpecProblem(err error) error {
	var f *failure
	if errors.As(err, &f) {
		return &ecsconsole.ValidationError{Problems: []ecsconsole.Problem{{Path: "spec", Message: f.message}}}
	}
	return err
}
