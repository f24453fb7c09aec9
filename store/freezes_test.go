package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestFreezeRefusesDeploysNotRollbacks: a frozen service's deploy is
// refused with the freeze (nothing written, not even its job), a rollback
// goes on, a rollback by a console user freezes the service when asked to
// and one by no user does not, and unfreezing twice is one audited unfreeze.
func TestFreezeRefusesDeploysNotRollbacks(t *testing.T) {
	st := storetest.NewStore(t)
	ctx := context.Background()
	const key = "us-east-1/demo/web"
	var firstID int64
	nd := func(kind string, userID int64) ecsconsole.NewDeployment {
		d := ecsconsole.NewDeployment{ServiceKey: key, Region: "us-east-1", Cluster: "demo", Service: "web", Kind: kind,
			Spec: json.RawMessage(`{}`), CreatedByID: userID, CreatedBy: "ada"}
		if kind == ecsconsole.KindRollback {
			d.RollbackOf = firstID
		}
		return d
	}
	finish := func(d ecsconsole.Deployment) {
		t.Helper()
		if err := st.FinishDeployment(ctx, d.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}); err != nil {
			t.Fatal(err)
		}
	}
	enqueued := 0
	job := func(context.Context, pgx.Tx, ecsconsole.Deployment) error { enqueued++; return nil }

	if _, err := st.FreezeService(ctx, store.FreezeRequest{ServiceKey: key, Reason: "x", Username: "ada"}); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("freezing a service never deployed: %v, want not found", err)
	}
	first, err := st.CreateDeployment(ctx, nd(ecsconsole.KindDeploy, 0), job)
	if err != nil {
		t.Fatal(err)
	}
	finish(first)
	firstID = first.ID
	var fe *store.FieldErrors
	if _, err := st.FreezeService(ctx, store.FreezeRequest{ServiceKey: key, Reason: "  ", Username: "ada"}); !errors.As(err, &fe) {
		t.Errorf("a blank reason: %v", err)
	}
	if _, err := st.FreezeService(ctx, store.FreezeRequest{ServiceKey: key, Reason: "incident", Username: "ada"}); err != nil {
		t.Fatal(err)
	}
	before := enqueued
	_, err = st.CreateDeployment(ctx, nd(ecsconsole.KindDeploy, 0), job)
	var frozen *store.FrozenError
	if !errors.As(err, &frozen) || frozen.Freeze.Reason != "incident" || frozen.Freeze.FrozenBy != "ada" || enqueued != before {
		t.Fatalf("deploy of a frozen service: %v (enqueued %d)", err, enqueued-before)
	}
	rb, err := st.CreateDeployment(ctx, nd(ecsconsole.KindRollback, 0), job)
	if err != nil {
		t.Fatalf("rollback of a frozen service: %v", err)
	}
	finish(rb)

	st.SetFreezeAfterRollback(true)
	if was, err := st.UnfreezeService(ctx, key, 0, "ada", ""); err != nil || !was {
		t.Fatalf("unfreeze: %v %v", was, err)
	}
	if was, err := st.UnfreezeService(ctx, key, 0, "ada", ""); err != nil || was {
		t.Fatalf("second unfreeze: %v %v, want nothing to do", was, err)
	}
	rb, err = st.CreateDeployment(ctx, nd(ecsconsole.KindRollback, 0), job) // no console user: not "a person"
	if err != nil {
		t.Fatal(err)
	}
	finish(rb)
	if _, err := st.ServiceFreeze(ctx, key); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("a rollback by no user froze the service: %v", err)
	}
	u, err := st.CreateUser(ctx, "ada", store.RoleDeployer, "a long test password")
	if err != nil {
		t.Fatal(err)
	}
	rb, err = st.CreateDeployment(ctx, nd(ecsconsole.KindRollback, u.ID), job)
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.ServiceFreeze(ctx, key)
	if err != nil || f.AfterRollback != rb.ID {
		t.Errorf("after a person's rollback: freeze %+v, %v", f, err)
	}
	var actions []string
	rows, _ := st.Pool().Query(ctx, `SELECT action FROM audit_events WHERE target = $1 ORDER BY id`, key)
	actions, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"service.freeze", "service.unfreeze", "service.freeze"}
	if len(actions) != len(want) || actions[0] != want[0] || actions[1] != want[1] || actions[2] != want[2] {
		t.Errorf("audit = %v, want %v", actions, want)
	}
}
