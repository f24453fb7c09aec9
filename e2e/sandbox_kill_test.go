package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The standalone sandbox with --state survives kill -9: what existed a
// second before is there after a restart, lifecycles in flight continue,
// and the state file is never half-written.
func TestSandboxSurvivesKill9(t *testing.T) {
	state := filepath.Join(t.TempDir(), "sandbox.json")
	port := freePort(t)
	flags := []string{"--state", state, "--save-every", "200ms", "--speed", "1", "--cert-delay", "1h"}
	sb := startStandaloneSandbox(t, port, flags...)
	cfg := awsConfig("http://127.0.0.1:" + itoa(port))
	ctx := context.Background()

	subnets, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	check(t, err)
	if _, err := ecs.NewFromConfig(cfg).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("kept")}); err != nil {
		t.Fatal(err)
	}
	lb, err := elb.NewFromConfig(cfg).CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("kept"),
		Subnets: []string{aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(subnets.Subnets[1].SubnetId)}})
	check(t, err)
	cert, err := acm.NewFromConfig(cfg).RequestCertificate(ctx, &acm.RequestCertificateInput{
		DomainName: aws.String("kept.example.com"), ValidationMethod: acmtypes.ValidationMethodDns})
	check(t, err)

	time.Sleep(time.Second) // a few checkpoints
	sb.kill()
	var snap map[string]any
	data, err := os.ReadFile(state)
	check(t, err)
	if err := json.Unmarshal(data, &snap); err != nil {
		t.Fatalf("state file after kill -9 is not JSON: %v", err)
	}
	leftovers, _ := filepath.Glob(state + ".*.tmp")
	t.Logf("state file %d bytes, %d temporary files left", len(data), len(leftovers))

	startStandaloneSandbox(t, port, flags...)
	again, err := ec2.NewFromConfig(cfg).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	check(t, err)
	if aws.ToString(again.Subnets[0].SubnetId) != aws.ToString(subnets.Subnets[0].SubnetId) {
		t.Errorf("subnet ids changed across kill -9: %s, then %s", aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(again.Subnets[0].SubnetId))
	}
	clusters, err := ecs.NewFromConfig(cfg).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"kept"}})
	check(t, err)
	if len(clusters.Clusters) != 1 || aws.ToString(clusters.Clusters[0].Status) != "ACTIVE" {
		t.Errorf("cluster after kill -9: %+v", clusters.Clusters)
	}
	lbs, err := elb.NewFromConfig(cfg).DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)}})
	check(t, err)
	if len(lbs.LoadBalancers) != 1 || lbs.LoadBalancers[0].State.Code != elbtypes.LoadBalancerStateEnumProvisioning {
		t.Fatalf("load balancer after kill -9: %+v (want still provisioning at speed 1)", lbs.LoadBalancers)
	}
	c, err := acm.NewFromConfig(cfg).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: cert.CertificateArn})
	check(t, err)
	if c.Certificate.Status != acmtypes.CertificateStatusPendingValidation {
		t.Errorf("certificate %s after kill -9, want PENDING_VALIDATION", c.Certificate.Status)
	}
}

func check(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
