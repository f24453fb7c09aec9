package store_test

import (
	"context"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestDeploymentChoicesAreTheServicesNewest: the diff page's picker lists
// the service's deployments newest first, no other service's, at most
// limit, with what it shows (number, outcome, time, author) as the full
// rows have it.
func TestDeploymentChoicesAreTheServicesNewest(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	for _, name := range []string{"web", "api", "web", "web"} {
		d, err := s.CreateDeployment(ctx, newDeployment(name), noEnqueue)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusFailed}); err != nil {
			t.Fatal(err)
		}
	}
	full, _, err := s.ListDeployments(ctx, store.DeploymentFilter{ServiceKey: "us-east-1/demo/web"}, "", 10)
	if err != nil || len(full) != 3 {
		t.Fatalf("listed %d, %v", len(full), err)
	}
	got, err := s.ListDeploymentChoices(ctx, "us-east-1/demo/web", 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("choices %+v, %v; want the newest 2", got, err)
	}
	for i, d := range got {
		f := full[i]
		if d.ID != f.ID || d.Status != ecsconsole.StatusFailed || d.Status != f.Status || !d.CreatedAt.Equal(f.CreatedAt) ||
			d.CreatedBy != "alice" || d.ServiceKey != f.ServiceKey {
			t.Errorf("choice %d = %+v, want the listed %+v", i, d, f)
		}
	}
	if none, err := s.ListDeploymentChoices(ctx, "us-east-1/demo/nothing", 100); err != nil || len(none) != 0 {
		t.Errorf("an unknown service: %+v, %v", none, err)
	}
}
