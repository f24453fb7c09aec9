package deploy

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
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
	var subnets []Subnet
	var token *string
	for {
		out, err := clients.EC2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("listing subnets in %s: %w", region, err)
		}
		for _, s := range out.Subnets {
			sub := Subnet{
				ID: aws.ToString(s.SubnetId), VpcID: aws.ToString(s.VpcId), AvailabilityZone: aws.ToString(s.AvailabilityZone),
				CIDR: aws.ToString(s.CidrBlock), DefaultForAZ: aws.ToBool(s.DefaultForAz),
			}
			for _, t := range s.Tags {
				if aws.ToString(t.Key) == "Name" {
					sub.Name = aws.ToString(t.Value)
				}
			}
			subnets = append(subnets, sub)
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
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
