package sandbox

import (
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// iamClient is a real IAM client on the sandbox, signed for us-east-1 as
// IAM always is.
func iamClient(env *testEnv) *iam.Client {
	return iam.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", ""),
		BaseEndpoint: aws.String(env.URL),
	})
}

func TestIAMListRoles(t *testing.T) {
	env := newTestEnvWith(t, Options{AccountID: "123456789012"})
	client := iamClient(env)

	out, err := client.ListRoles(t.Context(), &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	for _, r := range out.Roles {
		byName[aws.ToString(r.RoleName)] = aws.ToString(r.Arn)
		if r.CreateDate == nil || aws.ToString(r.RoleId) == "" {
			t.Errorf("role %s lacks CreateDate or RoleId", aws.ToString(r.RoleName))
		}
	}
	if got := byName["ecsTaskExecutionRole"]; got != "arn:aws:iam::123456789012:role/ecsTaskExecutionRole" {
		t.Errorf("ecsTaskExecutionRole ARN = %q; roles %v", got, byName)
	}
	if got := byName["AWSServiceRoleForECS"]; got != "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS" {
		t.Errorf("service-linked role ARN = %q", got)
	}
	for _, r := range out.Roles {
		if aws.ToString(r.RoleName) != "ecsTaskExecutionRole" {
			continue
		}
		doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument))
		if err != nil || doc != ecsTasksTrust {
			t.Errorf("trust policy = %q (%v)", doc, err)
		}
	}

	// Paging with Marker, and PathPrefix.
	page, err := client.ListRoles(t.Context(), &iam.ListRolesInput{MaxItems: aws.Int32(2)})
	if err != nil || len(page.Roles) != 2 || !page.IsTruncated || page.Marker == nil {
		t.Fatalf("first page: %d roles, truncated %v, %v", len(page.Roles), page.IsTruncated, err)
	}
	rest, err := client.ListRoles(t.Context(), &iam.ListRolesInput{Marker: page.Marker})
	if err != nil || len(rest.Roles) != len(out.Roles)-2 || rest.IsTruncated {
		t.Errorf("second page: %d roles, truncated %v, %v", len(rest.Roles), rest.IsTruncated, err)
	}
	linked, err := client.ListRoles(t.Context(), &iam.ListRolesInput{PathPrefix: aws.String("/aws-service-role/")})
	if err != nil || len(linked.Roles) != 1 {
		t.Errorf("PathPrefix: %d roles, %v", len(linked.Roles), err)
	}
	_, err = client.ListRoles(t.Context(), &iam.ListRolesInput{PathPrefix: aws.String("no-slash")})
	wantAPIError(t, err, "ValidationError")
}
