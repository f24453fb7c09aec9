package sandbox

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// testEnv is a sandbox served over HTTP with real SDK clients pointed at it.
type testEnv struct {
	Server *Server
	URL    string
	ECS    *ecs.Client
	ELB    *elasticloadbalancingv2.Client
	EC2    *ec2.Client
	ACM    *acm.Client
	STS    *sts.Client
	Logs   *cloudwatchlogs.Client
}

// newTestEnv starts a sandbox with default options (region us-east-1).
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, Options{})
}

// newTestEnvWith starts a sandbox with opts; the clients use opts.Region
// (default us-east-1) and static credentials.
func newTestEnvWith(t *testing.T, opts Options) *testEnv {
	t.Helper()
	srv := New(opts)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	region := opts.Region
	if region == "" {
		region = "us-east-1"
	}
	cfg := aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", ""),
		BaseEndpoint: aws.String(hs.URL),
	}
	return &testEnv{
		Server: srv,
		URL:    hs.URL,
		ECS:    ecs.NewFromConfig(cfg),
		ELB:    elasticloadbalancingv2.NewFromConfig(cfg),
		EC2:    ec2.NewFromConfig(cfg),
		ACM:    acm.NewFromConfig(cfg),
		STS:    sts.NewFromConfig(cfg),
		Logs:   cloudwatchlogs.NewFromConfig(cfg),
	}
}

// wantAPIError fails the test unless err is an AWS API error with code.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want error %s", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want API error %s", err, err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got error %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}
