package catalog

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/ecsconsole/ecsconsole/deploy"
	"github.com/ecsconsole/ecsconsole/sandbox"
)

// The catalog reads the sandbox over HTTP with the real SDK clients.
func TestCatalogListsWhatExists(t *testing.T) {
	srv := sandbox.New(sandbox.Options{AccountID: "123456789012"})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	opts := deploy.AWSOptions{Endpoint: hs.URL, Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOXTEST", "secret", "")}
	cat := New(NewClientFactory(opts))
	ctx := t.Context()

	raw, err := NewClientFactory(opts)(ctx, "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	ecsClient := raw.ECS.(*ecs.Client)
	if _, err := ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("demo")}); err != nil {
		t.Fatal(err)
	}
	spec, err := deploy.Parse(mustRead(t, "../deploy/testdata/spec-journey.json"))
	if err != nil {
		t.Fatal(err)
	}
	in, err := deploy.TaskDefinitionInput(spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ecsClient.RegisterTaskDefinition(ctx, in); err != nil {
		t.Fatal(err)
	}

	vpcs, err := cat.VPCs(ctx, "us-east-1")
	if err != nil || len(vpcs) == 0 || !vpcs[0].IsDefault {
		t.Errorf("VPCs = %+v, %v", vpcs, err)
	}
	subnets, err := cat.Subnets(ctx, "us-east-1")
	if err != nil || len(subnets) < 3 || subnets[0].VpcID == "" || subnets[0].AvailabilityZone == "" {
		t.Errorf("Subnets = %+v, %v", subnets, err)
	}
	groups, err := cat.SecurityGroups(ctx, "us-east-1")
	if err != nil || len(groups) == 0 || groups[0].Name != "default" {
		t.Errorf("SecurityGroups = %+v, %v", groups, err)
	}
	clusters, err := cat.Clusters(ctx, "us-east-1")
	if err != nil || len(clusters) != 1 || clusters[0].Name != "demo" || clusters[0].Status != "ACTIVE" {
		t.Errorf("Clusters = %+v, %v", clusters, err)
	}
	families, err := cat.Families(ctx, "us-east-1")
	if err != nil || len(families) != 1 || families[0] != *in.Family {
		t.Errorf("Families = %v, %v", families, err)
	}
	roles, err := cat.Roles(ctx, "us-east-1")
	if err != nil || len(roles) == 0 || !roles[0].ForTasks {
		t.Errorf("Roles = %+v, %v", roles, err)
	}
	found := false
	for _, r := range roles {
		found = found || r.ARN == "arn:aws:iam::123456789012:role/ecsTaskExecutionRole" && r.ForTasks
	}
	if !found {
		t.Errorf("no ecsTaskExecutionRole among %+v", roles)
	}
	if _, err := cat.Certificates(ctx, "us-east-1"); err != nil {
		t.Errorf("Certificates: %v", err)
	}

	// The latest revision comes back as input JSON a spec accepts, equal to
	// what was registered.
	td, err := cat.LatestTaskDefinition(ctx, "us-east-1", *in.Family)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	json.Unmarshal(spec.JSON(), &doc)
	doc["taskDefinition"] = td
	b, _ := json.Marshal(doc)
	again, err := deploy.Parse(b)
	if err != nil {
		t.Fatalf("the described task definition is not a valid spec part: %v\n%s", err, td)
	}
	for _, c := range deploy.Diff(spec, again) {
		// AWS echoes hostPort (= containerPort with awsvpc); nothing else may differ.
		if !strings.HasSuffix(c.Path, ".hostPort") {
			t.Errorf("described task definition differs from the registered one at %s: %s → %s", c.Path, c.Old, c.New)
		}
	}
}

func TestCertificateCovers(t *testing.T) {
	c := Certificate{Domain: "example.com", Names: []string{"example.com", "*.example.com"}}
	for domain, want := range map[string]bool{"example.com": true, "app.example.com": true, "APP.example.com": true, "a.b.example.com": false, "example.org": false} {
		if got := c.Covers(domain); got != want {
			t.Errorf("Covers(%q) = %v, want %v", domain, got, want)
		}
	}
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
