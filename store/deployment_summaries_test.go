package store_test

import (
	"context"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestDeploymentSummariesCarryTheURL: the pages' list reads the same rows
// as ListDeployments with only the outputs' URL.
func TestDeploymentSummariesCarryTheURL(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	for _, name := range []string{"web", "api"} {
		d, err := s.CreateDeployment(ctx, newDeployment(name), noEnqueue)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetDeploymentOutputs(ctx, d.ID, ecsconsole.Outputs{URL: "https://" + name + ".example.com",
			ARNs: map[string]string{"cluster": "arn:aws:ecs:us-east-1:1:cluster/demo"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetDNSValidation(ctx, d.ID, []ecsconsole.DNSRecord{{Name: "_x." + name}}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
	full, _, err := s.ListDeployments(ctx, store.DeploymentFilter{}, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	sums, _, err := s.ListDeploymentSummaries(ctx, store.DeploymentFilter{}, "", 10)
	if err != nil || len(sums) != 2 || len(full) != 2 {
		t.Fatalf("summaries %d, full %d, %v", len(sums), len(full), err)
	}
	for i, d := range sums {
		f := full[i]
		if d.ID != f.ID || d.Status != f.Status || d.Outputs.URL != f.Outputs.URL || d.Outputs.URL == "" ||
			!d.CreatedAt.Equal(f.CreatedAt) || d.FinishedAt == nil {
			t.Errorf("summary %+v, want the listed %+v", d, f)
		}
		if d.Outputs.ARNs != nil || d.DNSValidation != nil || len(f.DNSValidation) != 1 {
			t.Errorf("summary decoded documents it does not show: %+v", d)
		}
	}
}
