package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// checkNamedResources checks that what the spec names by id exists: its
// subnets (in one VPC), its security groups (in that VPC) and its
// certificate. Problems come back as a *ValidationError naming the field,
// as the spec's own checks do, so that a mistyped id is refused when the
// spec is previewed or submitted, not halfway through the deployment.
// IAM roles are checked for their form only: the engine has no IAM client.
func checkNamedResources(ctx context.Context, l lookup, spec *Spec) error {
	var ps problems
	vpcs, err := l.subnetVPCs(ctx, append(append([]string(nil), spec.Service.Subnets...), lbSubnets(spec)...))
	if err != nil {
		return err
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
		_, err := l.c.ACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(h.CertificateArn)})
		switch apiErrorCode(err) {
		case "":
			if err != nil {
				return err
			}
		case "ResourceNotFoundException", "InvalidArnException":
			ps.add("loadBalancer.https.certificateArn", "certificate %s does not exist in %s", h.CertificateArn, spec.Region)
		default:
			return err
		}
	}
	return ps.err()
}

func lbSubnets(spec *Spec) []string {
	if spec.LoadBalancer == nil {
		return nil
	}
	return spec.LoadBalancer.Subnets
}

func httpsOf(spec *Spec) *HTTPS {
	if spec.LoadBalancer == nil {
		return nil
	}
	return spec.LoadBalancer.HTTPS
}

// subnetVPCs maps each of ids that exists to its VPC. A filter, unlike
// SubnetIds, answers for the ids that exist rather than failing on one
// that does not.
func (l lookup) subnetVPCs(ctx context.Context, ids []string) (map[string]string, error) {
	vpcs := map[string]string{}
	if len(ids) == 0 {
		return vpcs, nil
	}
	out, err := l.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("subnet-id"), Values: ids}}})
	if err != nil {
		return nil, err
	}
	for _, s := range out.Subnets {
		vpcs[aws.ToString(s.SubnetId)] = aws.ToString(s.VpcId)
	}
	return vpcs, nil
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
		return &ValidationError{Problems: []Problem{{Path: "spec", Message: f.message}}}
	}
	return err
}
