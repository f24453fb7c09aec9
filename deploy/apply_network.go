package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/ecsconsole/ecsconsole/store"
)

// securityGroupResult is a security group step's recorded result.
type securityGroupResult struct {
	ID string `json:"id"`
}

// loadBalancerSGName names the load balancer's security group after it.
func loadBalancerSGName(lb *LoadBalancer) string { return lb.Name + "-alb" }

// vpcID is the VPC of the service's subnets, where the security groups and
// the target group go. It is looked up once per attempt.
func (r *run) vpcID(ctx context.Context) (string, error) {
	r.vpcMu.Lock()
	defer r.vpcMu.Unlock()
	if r.vpc != "" {
		return r.vpc, nil
	}
	vpc, err := lookup{r.aws}.vpcOf(ctx, r.spec.Service.Subnets)
	r.vpc = vpc
	return vpc, err
}

// ensureLoadBalancerSG makes the load balancer's group, admitting 80 and
// 443 from anywhere.
func (r *run) ensureLoadBalancerSG(ctx context.Context, rec *stepRecord) (securityGroupResult, error) {
	open := []ec2types.IpPermission{ingressFromAnywhere(80), ingressFromAnywhere(443)}
	return r.ensureSecurityGroup(ctx, rec, loadBalancerSGName(r.spec.LoadBalancer),
		"ecsconsole: load balancer "+r.spec.LoadBalancer.Name, open)
}

// ensureTaskSG makes the tasks' group: the ingress ports (and the target
// group's container port) from the load balancer's group, or from anywhere
// when there is no load balancer.
func (r *run) ensureTaskSG(ctx context.Context, rec *stepRecord) (securityGroupResult, error) {
	sg := r.spec.Service.NewSecurityGroup
	ports := slices.Clone(sg.IngressPorts)
	if lb := r.spec.LoadBalancer; lb != nil && !slices.Contains(ports, lb.TargetGroup.ContainerPort) {
		ports = append(ports, lb.TargetGroup.ContainerPort)
	}
	var perms []ec2types.IpPermission
	for _, p := range ports {
		if r.spec.LoadBalancer != nil {
			perms = append(perms, ingressFromGroup(p, r.lbSG.ID))
		} else {
			perms = append(perms, ingressFromAnywhere(p))
		}
	}
	return r.ensureSecurityGroup(ctx, rec, sg.Name, "ecsconsole: tasks of service "+r.spec.Service.Name, perms)
}

// ensureSecurityGroup finds the group by name in the VPC or creates it
// (tagged), then authorizes whichever of perms it lacks.
func (r *run) ensureSecurityGroup(ctx context.Context, rec *stepRecord, name, description string, perms []ec2types.IpPermission) (securityGroupResult, error) {
	vpc, err := r.vpcID(ctx)
	if err != nil {
		return securityGroupResult{}, err
	}
	sg, err := lookup{r.aws}.securityGroup(ctx, vpc, name)
	if err != nil {
		return securityGroupResult{}, err
	}
	rec.action = store.ActionReuse
	if sg == nil {
		out, err := r.aws.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(name), Description: aws.String(description), VpcId: aws.String(vpc),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup,
				Tags: []ec2types.Tag{{Key: aws.String(tagKey), Value: aws.String(r.tagValue())}}}},
		})
		if err != nil {
			return securityGroupResult{}, err
		}
		sg = &ec2types.SecurityGroup{GroupId: out.GroupId}
		rec.action = store.ActionCreate
	}
	rec.arn = aws.ToString(sg.GroupId)
	missing := missingPermissions(sg.IpPermissions, perms)
	if len(missing) > 0 {
		if rec.action == store.ActionReuse {
			rec.action = store.ActionUpdate
		}
		_, err := r.aws.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: sg.GroupId, IpPermissions: missing,
		})
		// A rule added by an interrupted earlier attempt is already there.
		if err != nil && apiErrorCode(err) != "InvalidPermission.Duplicate" {
			return securityGroupResult{}, err
		}
	}
	return securityGroupResult{ID: aws.ToString(sg.GroupId)}, nil
}

func ingressFromAnywhere(port int32) ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String("0.0.0.0/0")}}}
}

func ingressFromGroup(port int32, groupID string) ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(port), ToPort: aws.Int32(port),
		UserIdGroupPairs: []ec2types.UserIdGroupPair{{GroupId: aws.String(groupID)}}}
}

// missingPermissions returns the wanted rules that have is missing.
func missingPermissions(have, want []ec2types.IpPermission) []ec2types.IpPermission {
	var missing []ec2types.IpPermission
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h ec2types.IpPermission) bool { return covers(h, w) }) {
			missing = append(missing, w)
		}
	}
	return missing
}

// covers reports whether rule h admits what rule w (one port, one source) does.
func covers(h, w ec2types.IpPermission) bool {
	proto := aws.ToString(h.IpProtocol)
	if proto != "-1" && (proto != aws.ToString(w.IpProtocol) ||
		aws.ToInt32(h.FromPort) > aws.ToInt32(w.FromPort) || aws.ToInt32(h.ToPort) < aws.ToInt32(w.ToPort)) {
		return false
	}
	for _, r := range w.IpRanges {
		if !slices.ContainsFunc(h.IpRanges, func(x ec2types.IpRange) bool { return aws.ToString(x.CidrIp) == aws.ToString(r.CidrIp) }) {
			return false
		}
	}
	for _, p := range w.UserIdGroupPairs {
		if !slices.ContainsFunc(h.UserIdGroupPairs, func(x ec2types.UserIdGroupPair) bool {
			return aws.ToString(x.GroupId) == aws.ToString(p.GroupId)
		}) {
			return false
		}
	}
	return true
}

// lookup holds the describe calls shared by plan and apply.
type lookup struct{ c Clients }

// vpcOf returns the VPC of the given subnets.
func (l lookup) vpcOf(ctx context.Context, subnets []string) (string, error) {
	if len(subnets) == 0 {
		return "", fail("InvalidSpec", "the service has no subnets, so its VPC is unknown")
	}
	out, err := l.c.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: subnets})
	if err != nil {
		return "", err
	}
	if len(out.Subnets) == 0 {
		return "", fail("InvalidSubnetID.NotFound", "subnets %v do not exist", subnets)
	}
	return aws.ToString(out.Subnets[0].VpcId), nil
}

// securityGroup returns the group named name in vpc, or nil.
func (l lookup) securityGroup(ctx context.Context, vpc, name string) (*ec2types.SecurityGroup, error) {
	out, err := l.c.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: aws.String("group-name"), Values: []string{name}},
		{Name: aws.String("vpc-id"), Values: []string{vpc}},
	}})
	if err != nil {
		return nil, fmt.Errorf("looking up security group %s: %w", name, err)
	}
	if len(out.SecurityGroups) == 0 {
		return nil, nil
	}
	return &out.SecurityGroups[0], nil
}

// apiErrorCode is err's AWS error code, or "".
func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
