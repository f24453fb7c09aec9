package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

func TestDraftsArePerUserAndResumable(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	alice, err := s.CreateUser(ctx, "alice", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.CreateUser(ctx, "bob", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.CreateDraft(ctx, alice.ID, "php-app", "taskdef", json.RawMessage(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveDraft(ctx, alice.ID, d.ID, "php-app on demo", "service", json.RawMessage(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Draft(ctx, alice.ID, d.ID)
	if err != nil || got.Step != "service" || string(got.State) != `{"a": 2}` || got.Title != "php-app on demo" {
		t.Errorf("Draft = %+v (state %s), %v", got, got.State, err)
	}
	// A form rendered at the first version cannot overwrite the second
	// save; one rendered at the second can, and moves the version on.
	if got.Version != d.Version+1 {
		t.Errorf("version after one save = %d, want %d", got.Version, d.Version+1)
	}
	if _, err := s.SaveDraftAt(ctx, alice.ID, d.ID, d.Version, "stale", "taskdef", json.RawMessage(`{"a":3}`)); !errors.Is(err, store.ErrDraftStale) || !errors.Is(err, ecsconsole.ErrConflict) {
		t.Errorf("stale save: %v, want ErrDraftStale", err)
	}
	if again, _ := s.Draft(ctx, alice.ID, d.ID); string(again.State) != `{"a": 2}` || again.Version != got.Version {
		t.Errorf("a stale save wrote: %+v (state %s)", again, again.State)
	}
	if v, err := s.SaveDraftAt(ctx, alice.ID, d.ID, got.Version, "php-app on demo", "cluster", json.RawMessage(`{"a":4}`)); err != nil || v != got.Version+1 {
		t.Errorf("save at the current version = %d, %v", v, err)
	}
	if err := s.SetDraftStep(ctx, alice.ID, d.ID, "https"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Draft(ctx, alice.ID, d.ID); again.Step != "https" || again.Version != got.Version+1 {
		t.Errorf("after SetDraftStep: step %q version %d", again.Step, again.Version)
	}
	if _, err := s.Draft(ctx, bob.ID, d.ID); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("bob reading alice's draft: %v, want ErrNotFound", err)
	}
	if _, err := s.SaveDraft(ctx, bob.ID, d.ID, "x", "taskdef", json.RawMessage(`{}`)); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("bob saving alice's draft: %v, want ErrNotFound", err)
	}
	if err := s.DeleteDraft(ctx, bob.ID, d.ID); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("bob discarding alice's draft: %v, want ErrNotFound", err)
	}
	list, err := s.ListDrafts(ctx, alice.ID)
	if err != nil || len(list) != 1 || list[0].ID != d.ID {
		t.Errorf("ListDrafts(alice) = %+v, %v", list, err)
	}
	if list, _ := s.ListDrafts(ctx, bob.ID); len(list) != 0 {
		t.Errorf("ListDrafts(bob) = %+v", list)
	}
	if err := s.DeleteDraft(ctx, alice.ID, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Draft(ctx, alice.ID, d.ID); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("discarded draft: %v", err)
	}
}

// A draft deploys once: two concurrent submits make one deployment, and a
// deployed draft can be neither saved nor deployed again.
func TestDraftDeploysOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	alice, err := s.CreateUser(ctx, "alice", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	d, err := s.CreateDraft(ctx, alice.ID, "web", "review", json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	// Different services, so the one-active-deployment rule cannot be what stops the second.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, svc := range []string{"web", "api"} {
		wg.Go(func() {
			_, errs[i] = s.CreateDeployment(ctx, newDeployment(svc), store.MarkDraftDeployed(alice.ID, d.ID))
		})
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrDraftDeployed) && errors.Is(err, ecsconsole.ErrConflict):
			refused++
		default:
			t.Errorf("submit: %v", err)
		}
	}
	if ok != 1 || refused != 1 {
		t.Fatalf("%d submits succeeded and %d were refused, want 1 and 1", ok, refused)
	}
	list, _, err := s.ListDeployments(ctx, store.DeploymentFilter{}, "", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("deployments = %d (%v), want 1: the refused one rolled back", len(list), err)
	}
	got, err := s.Draft(ctx, alice.ID, d.ID)
	if err != nil || got.DeploymentID != list[0].ID || !got.Deployed() {
		t.Errorf("draft = %+v, %v; want deployed as %d", got, err, list[0].ID)
	}
	if _, err := s.SaveDraft(ctx, alice.ID, d.ID, "x", "taskdef", json.RawMessage(`{}`)); !errors.Is(err, store.ErrDraftDeployed) {
		t.Errorf("saving a deployed draft: %v, want ErrDraftDeployed", err)
	}
	// The database itself refuses, whatever the Go code does.
	_, err = s.Pool().Exec(ctx, `UPDATE drafts SET deployment_id = NULL WHERE id = $1`, d.ID)
	if err == nil {
		t.Error("the database let a deployed draft be un-deployed")
	}
	if list, _ := s.ListDrafts(ctx, alice.ID); len(list) != 0 {
		t.Errorf("a deployed draft is still listed: %+v", list)
	}
	// Another user's submit of alice's draft matches nothing.
	d2, _ := s.CreateDraft(ctx, alice.ID, "web", "review", json.RawMessage(`{}`))
	if _, err := s.CreateDeployment(ctx, newDeployment("other"), store.MarkDraftDeployed(alice.ID+1000, d2.ID)); !errors.Is(err, store.ErrDraftDeployed) {
		t.Errorf("submitting someone else's draft: %v", err)
	}
}
