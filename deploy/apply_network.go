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

	"github.com/ecsconsole/ecsconsole"
)

// loadBalancerSGName names the load balancer's security group after it.
func loadBalancerSGName(lb *ecsconsole.LoadBalancer) string { return lb.Name + "-alb" }

// securityGroupWant is what a security group step needs: the group, and
// the rules it must have.
type securityGroupWant struct {
	name, description string
	perms             []ec2types.IpPermission
	// missing are the wanted rules an existing group lacks; group is its id.
	missing []ec2types.IpPermission
	vpc     string
}

// decideLoadBalancerSG wants the load balancer's group, admitting 80 and
// 443 from anywhere.
func decideLoadBalancerSG(ctx context.Context, s *stepCtx) (decision, error) {
	return s.decideSecurityGroup(ctx, securityGroupWant{
		name: loadBalancerSGName(s.spec.LoadBalancer), description: "ecsconsole: load balancer " + s.spec.LoadBalancer.Name,
		perms: []ec2types.IpPermission{ingressFromAnywhere(80), ingressFromAnywhere(443)},
	})
}

// decideTaskSG wants the tasks' group: the ingress ports (and the target
// group's container port) from the load balancer's group, or from anywhere
// when there is no load balancer.
func decideTaskSG(ctx context.Context, s *stepCtx) (decision, error) {
	sg := s.spec.Service.NewSecurityGroup
	ports := slices.Clone(sg.IngressPorts)
	if lb := s.spec.LoadBalancer; lb != nil && !slices.Contains(ports, lb.TargetGroup.ContainerPort) {
		ports = append(ports, lb.TargetGroup.ContainerPort)
	}
	var perms []ec2types.IpPermission
	for _, p := range ports {
		if s.spec.LoadBalancer != nil {
			perms = append(perms, ingressFromGroup(p, s.dep(stepLoadBalancerSG).ID))
		} else {
			perms = append(perms, ingressFromAnywhere(p))
		}
	}
	return s.decideSecurityGroup(ctx, securityGroupWant{name: sg.Name, description: "ecsconsole: tasks of service " + s.spec.Service.Name, perms: perms})
}

// decideSecurityGroup finds the group by name in the VPC: create it when
// absent, else (when it is this service's) reuse it or add the rules it
// lacks.
func (s *stepCtx) decideSecurityGroup(ctx context.Context, w securityGroupWant) (decision, error) {
	vpc, err := s.vpcID(ctx)
	if err != nil {
		return decision{}, err
	}
	w.vpc = vpc
	sg, err := s.l().securityGroup(ctx, vpc, w.name)
	if err != nil {
		return decision{}, err
	}
	if sg == nil {
		w.missing = w.perms
		return decision{Action: ecsconsole.ActionCreate, Name: w.name, live: w,
			Reason: fmt.Sprintf("security group %s does not exist in %s", w.name, vpc)}, nil
	}
	w.missing = missingPermissions(sg.IpPermissions, w.perms)
	found := result{ID: aws.ToString(sg.GroupId)}
	want := decision{Action: ecsconsole.ActionReuse, Name: w.name, live: w,
		Reason: fmt.Sprintf("security group %s exists (%s)", w.name, found.ID)}
	if len(w.missing) > 0 {
		want.Action, want.Reason = ecsconsole.ActionUpdate, fmt.Sprintf("security group %s exists (%s) without %d of the rules it needs", w.name, found.ID, len(w.missing))
	}
	return s.owned(ctx, "security group "+w.name, ec2TagMap(sg.Tags), "name another group in the spec, or list its id in service.securityGroupIds to use it as it is", found, want)
}

// applySecurityGroup creates the group (tagged) and authorizes the rules
// it lacks.
func applySecurityGroup(ctx context.Context, s *stepCtx, d decision) (result, error) {
	w := d.live.(securityGroupWant)
	res := d.Found
	if d.creates() {
		out, err := s.aws.EC2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName: aws.String(w.name), Description: aws.String(w.description), VpcId: aws.String(w.vpc),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSecurityGroup, Tags: ec2Tags(s.tags())}},
		})
		if err != nil {
			return result{}, err
		}
		res = result{ID: aws.ToString(out.GroupId)}
	}
	if len(w.missing) > 0 {
		_, err := s.aws.EC2.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: aws.String(res.ID), IpPermissions: w.missing,
		})
		// A rule added by an interrupted earlier attempt is already there.
		if err != nil && apiErrorCode(err) != "InvalidPermission.Duplicate" {
			return res, err
		}
	}
	return res, nil
}

func ec2Tags(tags map[string]string) []ec2types.Tag {
	return awsTags(tags, func(k, v *string) ec2types.Tag { return ec2types.Tag{Key: k, Value: v} })
}

func ec2TagMap(tags []ec2types.Tag) map[string]string {
	return tagsOf(tags, func(t ec2types.Tag) (*string, *string) { return t.Key, t.Value })
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
