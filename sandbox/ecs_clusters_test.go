package sandbox

import (
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestECSCreateCluster(t *testing.T) {
	env := newTestEnv(t)
	out, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{
		ClusterName:       aws.String("prod"),
		Tags:              []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}},
		CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{
			{CapacityProvider: aws.String("FARGATE"), Weight: 1, Base: 1},
		},
	})
	if err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	cl := out.Cluster
	if aws.ToString(cl.ClusterArn) != "arn:aws:ecs:us-east-1:000000000000:cluster/prod" || aws.ToString(cl.Status) != "ACTIVE" || len(cl.Tags) != 1 {
		t.Errorf("cluster = %s %s tags %v", aws.ToString(cl.ClusterArn), aws.ToString(cl.Status), cl.Tags)
	}

	// Same name again: the existing cluster, not an error.
	again, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String("prod")})
	if err != nil || aws.ToString(again.Cluster.ClusterArn) != aws.ToString(cl.ClusterArn) || len(again.Cluster.CapacityProviders) != 2 {
		t.Errorf("second CreateCluster = %+v, %v", again.Cluster, err)
	}

	desc, err := env.ECS.DescribeClusters(t.Context(), &ecs.DescribeClustersInput{Clusters: []string{"prod", "nope"}, Include: []types.ClusterField{types.ClusterFieldTags}})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if len(desc.Clusters) != 1 || len(desc.Clusters[0].Tags) != 1 {
		t.Errorf("described clusters = %+v", desc.Clusters)
	}
	if len(desc.Failures) != 1 || aws.ToString(desc.Failures[0].Reason) != "MISSING" || aws.ToString(desc.Failures[0].Arn) != "arn:aws:ecs:us-east-1:000000000000:cluster/nope" {
		t.Errorf("failures = %+v", desc.Failures)
	}
	noTags, _ := env.ECS.DescribeClusters(t.Context(), &ecs.DescribeClustersInput{Clusters: []string{aws.ToString(cl.ClusterArn)}})
	if len(noTags.Clusters) != 1 || len(noTags.Clusters[0].Tags) != 0 {
		t.Errorf("tags returned without include: %+v", noTags.Clusters)
	}
}

func TestECSClusterValidation(t *testing.T) {
	env := newTestEnv(t)
	createTestCluster(t, env, "prod")
	tests := []struct {
		name string
		call func() error
		code string
	}{
		{"bad name", func() error {
			_, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String("my cluster")})
			return err
		}, "InvalidParameterException"},
		{"unknown capacity provider", func() error {
			_, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String("x"), CapacityProviders: []string{"MINE"}})
			return err
		}, "InvalidParameterException"},
		{"strategy with unassociated provider", func() error {
			_, err := env.ECS.PutClusterCapacityProviders(t.Context(), &ecs.PutClusterCapacityProvidersInput{
				Cluster: aws.String("prod"), CapacityProviders: []string{"FARGATE"},
				DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}},
			})
			return err
		}, "InvalidParameterException"},
		{"two bases", func() error {
			_, err := env.ECS.PutClusterCapacityProviders(t.Context(), &ecs.PutClusterCapacityProvidersInput{
				Cluster: aws.String("prod"), CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
				DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{
					{CapacityProvider: aws.String("FARGATE"), Weight: 1, Base: 1},
					{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1, Base: 1},
				},
			})
			return err
		}, "InvalidParameterException"},
		{"put on unknown cluster", func() error {
			_, err := env.ECS.PutClusterCapacityProviders(t.Context(), &ecs.PutClusterCapacityProvidersInput{
				Cluster: aws.String("nope"), CapacityProviders: []string{}, DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{},
			})
			return err
		}, "ClusterNotFoundException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantAPIError(t, tc.call(), tc.code) })
	}

	out, err := env.ECS.PutClusterCapacityProviders(t.Context(), &ecs.PutClusterCapacityProvidersInput{
		Cluster: aws.String("prod"), CapacityProviders: []string{"FARGATE"},
		DefaultCapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}},
	})
	if err != nil || fmt.Sprint(out.Cluster.CapacityProviders) != "[FARGATE]" || len(out.Cluster.DefaultCapacityProviderStrategy) != 1 {
		t.Errorf("PutClusterCapacityProviders = %+v, %v", out, err)
	}
}

func TestECSListClustersPaginatesConcurrentCreates(t *testing.T) {
	env := newTestEnv(t)
	var wg sync.WaitGroup
	for i := range 23 {
		wg.Go(func() {
			if _, err := env.ECS.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String(fmt.Sprintf("c%02d", i))}); err != nil {
				t.Errorf("CreateCluster c%02d: %v", i, err)
			}
		})
	}
	wg.Wait()
	var arns []string
	p := ecs.NewListClustersPaginator(env.ECS, &ecs.ListClustersInput{MaxResults: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatalf("ListClusters: %v", err)
		}
		arns = append(arns, out.ClusterArns...)
	}
	if len(arns) != 23 {
		t.Errorf("listed %d clusters, want 23", len(arns))
	}
	_, err := env.ECS.ListClusters(t.Context(), &ecs.ListClustersInput{NextToken: aws.String("garbage")})
	wantAPIError(t, err, "InvalidParameterException")
}

func TestECSTags(t *testing.T) {
	env := newTestEnv(t)
	createTestCluster(t, env, "prod")
	clusterARN := "arn:aws:ecs:us-east-1:000000000000:cluster/prod"
	tdARN := registerTD(t, env, fargateTaskDef("web", "nginx"))
	for _, arn := range []string{clusterARN, tdARN} {
		t.Run(arn, func(t *testing.T) {
			_, err := env.ECS.TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{
				{Key: aws.String("a"), Value: aws.String("1")}, {Key: aws.String("b"), Value: aws.String("2")},
			}})
			if err != nil {
				t.Fatalf("TagResource: %v", err)
			}
			_, err = env.ECS.TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("3")}}})
			if err != nil {
				t.Fatalf("TagResource overwrite: %v", err)
			}
			if _, err := env.ECS.UntagResource(t.Context(), &ecs.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"b"}}); err != nil {
				t.Fatalf("UntagResource: %v", err)
			}
			out, err := env.ECS.ListTagsForResource(t.Context(), &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			if err != nil || len(out.Tags) != 1 || aws.ToString(out.Tags[0].Value) != "3" {
				t.Errorf("ListTagsForResource = %+v, %v; want a=3", out, err)
			}
		})
	}

	tooMany := make([]types.Tag, 51)
	for i := range tooMany {
		tooMany[i] = types.Tag{Key: aws.String(fmt.Sprint(i)), Value: aws.String("v")}
	}
	errs := []struct {
		name string
		arn  string
		tags []types.Tag
		code string
	}{
		{"reserved prefix", clusterARN, []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}, "InvalidParameterException"},
		{"bad characters", clusterARN, []types.Tag{{Key: aws.String("a#b"), Value: aws.String("x")}}, "InvalidParameterException"},
		{"too many", clusterARN, tooMany, "InvalidParameterException"},
		{"unknown cluster", "arn:aws:ecs:us-east-1:000000000000:cluster/nope", nil, "ResourceNotFoundException"},
		{"short service ARN", "arn:aws:ecs:us-east-1:000000000000:service/web", nil, "InvalidParameterException"},
		{"service in unknown cluster", "arn:aws:ecs:us-east-1:000000000000:service/nope/web", nil, "ClusterNotFoundException"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			tags := tc.tags
			if tags == nil {
				tags = []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}
			}
			_, err := env.ECS.TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: aws.String(tc.arn), Tags: tags})
			wantAPIError(t, err, tc.code)
		})
	}
}
