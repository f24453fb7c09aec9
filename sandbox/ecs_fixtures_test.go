package sandbox

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// executionRole is the seeded role ARN for the default account.
const executionRole = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"

// fargateTaskDef is a valid one-container Fargate web task definition;
// tests adjust it before registering.
func fargateTaskDef(family, image string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String(executionRole),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:         aws.String("app"),
			Image:        aws.String(image),
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
		}},
	}
}

// registerTD registers in and returns the new revision's ARN.
func registerTD(t *testing.T, env *testEnv, in *ecs.RegisterTaskDefinitionInput) string {
	t.Helper()
	out, err := env.ECS.RegisterTaskDefinition(t.Context(), in)
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// createTestCluster creates a cluster named name.
func createTestCluster(t *testing.T, env *testEnv, name string) {
	t.Helper()
	if _, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String(name)}); err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
}

// defaultNetwork returns the seeded default subnets and security group.
func defaultNetwork(t *testing.T, env *testEnv) (subnets []string, sg string) {
	t.Helper()
	sn, err := env.EC2.DescribeSubnets(t.Context(), &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatalf("DescribeSubnets: %v", err)
	}
	for _, s := range sn.Subnets {
		subnets = append(subnets, aws.ToString(s.SubnetId))
	}
	sgs, err := env.EC2.DescribeSecurityGroups(t.Context(), &ec2.DescribeSecurityGroupsInput{
		Filters: []ec2types.Filter{{Name: aws.String("group-name"), Values: []string{"default"}}},
	})
	if err != nil || len(sgs.SecurityGroups) == 0 {
		t.Fatalf("DescribeSecurityGroups: %v (%d groups)", err, len(sgs.SecurityGroups))
	}
	return subnets, aws.ToString(sgs.SecurityGroups[0].GroupId)
}

// awsvpc is a network configuration over subnets and sg with a public IP.
func awsvpc(subnets []string, sg string) *types.NetworkConfiguration {
	return &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
		Subnets:        subnets,
		SecurityGroups: []string{sg},
		AssignPublicIp: types.AssignPublicIpEnabled,
	}}
}

// describeService returns the service, failing the test if it is missing.
func describeService(t *testing.T, env *testEnv, cluster, name string) types.Service {
	t.Helper()
	out, err := env.ECS.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("DescribeServices: got %d services, failures %+v", len(out.Services), out.Failures)
	}
	return out.Services[0]
}

// advanceUntil moves the simulated clock forward in steps of step until
// done reports true, failing the test after limit of simulated time.
func advanceUntil(t *testing.T, env *testEnv, step, limit time.Duration, what string, done func() bool) {
	t.Helper()
	for elapsed := time.Duration(0); elapsed <= limit; elapsed += step {
		if done() {
			return
		}
		env.Server.Clock().Advance(step)
	}
	t.Fatalf("still waiting for %s after %s of simulated time", what, limit)
}

// serviceSettled reports whether the service has one COMPLETED deployment
// running its desired count.
func serviceSettled(s types.Service) bool {
	return len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted &&
		s.RunningCount == s.DesiredCount
}
