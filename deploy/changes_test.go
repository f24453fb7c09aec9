package deploy

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ecsconsole/ecsconsole"
)

// TestChangesAreStoredAtCreation: a deployment is stored with its changes
// against the service's deployment before it, exactly what Diff says, and
// a service's first deployment with none.
func TestChangesAreStoredAtCreation(t *testing.T) {
	env := newTestEnv(t, envOptions{})
	ctx := context.Background()
	first, err := env.engine.Submit(ctx, env.spec(nil), SubmitOptions{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var sc StoredChanges
	if err := json.Unmarshal(first.SpecChanges, &sc); err != nil || sc.Previous != 0 || len(sc.Changes) != 0 {
		t.Fatalf("first deployment's stored changes %s (%v), want none against nothing", first.SpecChanges, err)
	}
	if err := env.store.FinishDeployment(ctx, first.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusFailed}); err != nil {
		t.Fatal(err)
	}
	next := env.spec(func(s *ecsconsole.Spec) { n := *s.Service.DesiredCount + 1; s.Service.DesiredCount = &n })
	second, err := env.engine.Submit(ctx, next, SubmitOptions{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := env.store.Deployment(ctx, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(stored.SpecChanges, &sc); err != nil {
		t.Fatalf("stored changes %s: %v", stored.SpecChanges, err)
	}
	want := Diff(env.spec(nil), next)
	if sc.Previous != first.ID || len(want) == 0 || !reflect.DeepEqual(sc.Changes, want) {
		t.Errorf("stored changes against %d: %+v; want against %d: %+v", sc.Previous, sc.Changes, first.ID, want)
	}
}
