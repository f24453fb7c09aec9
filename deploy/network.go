package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Subnet is a subnet a spec can name, as the console lists them for people
// writing specs.
type Subnet struct {
	ID               string `json:"id"`
	VpcID            string `json:"vpcId"`
	AvailabilityZone string `json:"availabilityZone"`
	CIDR             string `json:"cidr"`
	DefaultForAZ     bool   `json:"defaultForAz"`
	Name             string `json:"name,omitempty"` // its Name tag
}

// Subnets lists the region's subnets, default subnets first, then by AZ.
func (e *Engine) Subnets(ctx context.Context, region string) ([]Subnet, error) {
	clients, err := e.clients(ctx, region)
	if err != nil {
		return nil, err
	}
	listed, err := DescribeSubnets(ctx, clients.EC2, region)
	if err != nil {
		return nil, err
	}
	subnets := make([]Subnet, len(listed))
	for i, s := range listed {
		subnets[i] = s.Subnet
	}
	sort.SliceStable(subnets, func(i, j int) bool {
		a, b := subnets[i], subnets[j]
		if a.DefaultForAZ != b.DefaultForAZ {
			return a.DefaultForAZ
		}
		return a.AvailabilityZone < b.AvailabilityZone
	})
	return subnets, nil
}

// CatalogSubnet is a subnet with what a person picking it needs to know.
type CatalogSubnet struct {
	Subnet
	// Public is true when the subnet gives instances public IPs on launch
	// (MapPublicIpOnLaunch), the sign of a subnet routed to an internet gateway.
	Public bool
}

func NameTag(tags []ec2types.Tag) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == "Name" {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// subnetDescriber is the one EC2 call DescribeSubnets makes.
type subnetDescriber interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
}

// DescribeSubnets reads every page of the region's subnets, in AWS's order:
// the one listing behind the engine's Subnets and the wizard's catalog.
func DescribeSubnets(ctx context.Context, api subnetDescriber, region string) ([]CatalogSubnet, error) {
	var subnets []CatalogSubnet
	var token *string
	for {
		out, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing subnets in %s: %w", region, err)
		}
		for _, s := range out.Subnets {
			subnets = append(subnets, CatalogSubnet{Subnet: Subnet{
				ID: aws.ToString(s.SubnetId), VpcID: aws.ToString(s.VpcId), AvailabilityZone: aws.ToString(s.AvailabilityZone),
				CIDR: aws.ToString(s.CidrBlock), DefaultForAZ: aws.ToBool(s.DefaultForAz), Name: NameTag(s.Tags),
			}, Public: aws.ToBool(s.MapPublicIpOnLaunch)})
		}
		if token = out.NextToken; token == nil {
			return subnets, nil
		}
	}
}
