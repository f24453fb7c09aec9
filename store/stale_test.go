package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

func TestRequireLatestRefusesAChangeFromAnOlderDeployment(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	first, err := s.CreateDeployment(ctx, newDeployment("web"), store.RequireLatest(0))
	if err != nil {
		t.Fatalf("the first deployment of a service has no latest to be stale against: %v", err)
	}
	if err := s.FinishDeployment(ctx, first.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}); err != nil {
		t.Fatal(err)
	}
	// Another service's deployments do not count.
	if _, err := s.CreateDeployment(ctx, newDeployment("api"), noEnqueue); err != nil {
		t.Fatal(err)
	}

	// Prepared before the first existed: refused, and nothing is stored.
	_, err = s.CreateDeployment(ctx, newDeployment("web"), store.RequireLatest(0))
	var se *store.StaleError
	if !errors.As(err, &se) || se.Latest != first.ID || !errors.Is(err, ecsconsole.ErrConflict) {
		t.Fatalf("stale change: err = %v, want a StaleError naming %d", err, first.ID)
	}
	list, _, err := s.ListDeployments(ctx, store.DeploymentFilter{ServiceKey: "us-east-1/demo/web"}, "", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("after the refusal the service has %d deployments (%v), want 1", len(list), err)
	}

	// Prepared from the latest: stored.
	if _, err := s.CreateDeployment(ctx, newDeployment("web"), store.RequireLatest(first.ID)); err != nil {
		t.Fatalf("a change from the latest deployment: %v", err)
	}
}
