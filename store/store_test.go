package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

func TestUsers(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)

	u, err := s.CreateUser(ctx, "alice", store.RoleDeployer, "correct horse battery")
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if u.Username != "alice" || u.Role != store.RoleDeployer || u.Disabled {
		t.Errorf("created %+v", u)
	}

	_, err = s.CreateUser(ctx, "alice", store.RoleViewer, "another long password")
	if !errors.Is(err, ecsconsole.ErrConflict) {
		t.Errorf("duplicate username: got %v, want ErrConflict", err)
	}

	var fe *store.FieldErrors
	_, err = s.CreateUser(ctx, "Bad Name", store.Role("root"), "short")
	if !errors.As(err, &fe) || len(fe.Fields) != 3 {
		t.Errorf("invalid user: got %v, want three field errors", err)
	}

	got, err := s.Authenticate(ctx, "alice", "correct horse battery")
	if err != nil || got.ID != u.ID {
		t.Errorf("Authenticate good password: %+v, %v", got, err)
	}
	for name, pass := range map[string]string{"alice": "wrong password!!", "nobody": "correct horse battery"} {
		if _, err := s.Authenticate(ctx, name, pass); !errors.Is(err, store.ErrInvalidCredentials) {
			t.Errorf("Authenticate(%s): got %v, want ErrInvalidCredentials", name, err)
		}
	}

	if err := s.SetRole(ctx, u.ID, store.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	got, err = s.UserByName(ctx, "alice")
	if err != nil || got.Role != store.RoleAdmin || !got.Disabled {
		t.Errorf("after updates: %+v, %v", got, err)
	}
	if _, err := s.Authenticate(ctx, "alice", "correct horse battery"); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Errorf("disabled user authenticated: %v", err)
	}
	if err := s.SetRole(ctx, 999999, store.RoleViewer); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("SetRole unknown user: got %v, want ErrNotFound", err)
	}
	if _, err := s.UserByID(ctx, 999999); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("UserByID unknown: got %v, want ErrNotFound", err)
	}
}

func TestCreateFirstAdminOnlyOnce(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	for i, want := range []bool{true, false} {
		created, err := s.CreateFirstAdmin(ctx, "admin", "a long bootstrap password")
		if err != nil || created != want {
			t.Fatalf("call %d: created=%v err=%v, want %v", i, created, err, want)
		}
	}
	if n, _ := s.CountUsers(ctx); n != 1 {
		t.Errorf("users = %d, want 1", n)
	}
}

func TestTokens(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	u, err := s.CreateUser(ctx, "ci", store.RoleDeployer, "pipeline password 1")
	if err != nil {
		t.Fatal(err)
	}
	tok, secret, err := s.CreateToken(ctx, u.ID, "github actions")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Name != "github actions" || tok.Username != "ci" || len(secret) < 40 {
		t.Errorf("token %+v secret length %d", tok, len(secret))
	}
	got, err := s.UserByToken(ctx, secret)
	if err != nil || got.ID != u.ID {
		t.Fatalf("UserByToken: %+v %v", got, err)
	}
	if _, err := s.UserByToken(ctx, secret+"x"); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Errorf("wrong secret: %v", err)
	}
	list, err := s.ListTokens(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("ListTokens: %+v %v", list, err)
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByToken(ctx, secret); !errors.Is(err, store.ErrInvalidCredentials) {
		t.Errorf("revoked token accepted: %v", err)
	}
	if _, _, err := s.CreateToken(ctx, 424242, "x"); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("token for unknown user: %v", err)
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	for _, action := range []string{"login.failure", "login.success"} {
		if err := s.Audit(ctx, store.AuditEvent{Actor: "alice", Action: action, IP: "192.0.2.1", Detail: map[string]any{"k": "v"}}); err != nil {
			t.Fatal(err)
		}
	}
	events, err := s.ListAudit(ctx, 0, 10)
	if err != nil || len(events) != 2 || events[0].Action != "login.success" || events[1].Detail["k"] != "v" {
		t.Fatalf("ListAudit: %+v %v", events, err)
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM audit_events`); err == nil {
		t.Error("deleting audit events succeeded; want the trigger to refuse")
	}
	if _, err := s.Pool().Exec(ctx, `UPDATE audit_events SET actor = 'mallory'`); err == nil {
		t.Error("updating audit events succeeded; want the trigger to refuse")
	}
}

func TestMigrationStatus(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	if err := store.CheckSchema(ctx, s.Pool()); err != nil {
		t.Fatalf("fresh template: %v", err)
	}
	if _, err := s.Pool().Exec(ctx, `DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckSchema(ctx, s.Pool()); !errors.Is(err, store.ErrSchemaOutOfDate) {
		t.Errorf("after removing the last version: %v, want ErrSchemaOutOfDate", err)
	}
}

func TestDeleteExpiredSessions(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	_, err := s.Pool().Exec(ctx, `INSERT INTO sessions (token_hash, data, expiry) VALUES
		(sha256('old'), '\x00', now() - interval '1 minute'), (sha256('live'), '\x00', now() + interval '1 hour')`)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpiredSessions(ctx)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v; want 1", n, err)
	}
	var left string
	if err := s.Pool().QueryRow(ctx, `SELECT CASE WHEN token_hash = sha256('live') THEN 'live' ELSE 'other' END FROM sessions`).Scan(&left); err != nil || left != "live" {
		t.Errorf("left %q, %v", left, err)
	}
}

func TestListServicesFollowsDeployments(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	insert := func(key, status string) int64 {
		t.Helper()
		var id int64
		err := s.Pool().QueryRow(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name)
			VALUES ($1, 'us-east-1', 'c', 's', '{}', $2, 'test') RETURNING id`, key, status).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ok1 := insert("us-east-1/c/a", "succeeded")
	insert("us-east-1/c/a", "failed")
	onlyFailed := insert("us-east-1/c/b", "failed")
	running := insert("us-east-1/c/a", "running")

	list, next, err := s.ListServices(ctx, "", 50)
	if err != nil || len(list) != 2 || next != "" {
		t.Fatalf("ListServices = %+v, %q, %v", list, next, err)
	}
	a, b := list[0], list[1]
	if a.Latest.ID != running || a.LastSucceeded == nil || a.LastSucceeded.ID != ok1 {
		t.Errorf("service a: latest %d serving %+v; want %d and %d", a.Latest.ID, a.LastSucceeded, running, ok1)
	}
	if b.Latest.ID != onlyFailed || b.LastSucceeded != nil {
		t.Errorf("service b: %+v", b)
	}
	// The running deployment succeeds: it is what runs now.
	if _, err := s.Pool().Exec(ctx, `UPDATE deployments SET status = 'succeeded' WHERE id = $1`, running); err != nil {
		t.Fatal(err)
	}
	list, _, _ = s.ListServices(ctx, "", 50)
	if list[0].LastSucceeded == nil || list[0].LastSucceeded.ID != running {
		t.Errorf("after success, serving = %+v", list[0].LastSucceeded)
	}
}

func TestListServicesPagesByKey(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	for _, name := range []string{"c", "a", "e", "b", "d"} {
		if _, err := s.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name)
			VALUES ($1, 'us-east-1', 'c', $2, '{}', 'succeeded', 'test')`, "us-east-1/c/"+name, name); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	cursor, pages := "", 0
	for {
		list, next, err := s.ListServices(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, sv := range list {
			got = append(got, sv.Latest.Service)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if fmt.Sprint(got) != "[a b c d e]" || pages != 3 {
		t.Errorf("pages %d: %v", pages, got)
	}
	if d, err := s.ServingDeployment(ctx, "us-east-1/c/b"); err != nil || d.Service != "b" || len(d.Spec) == 0 {
		t.Errorf("ServingDeployment = %+v, %v", d, err)
	}
	deployed, err := s.DeployedServices(ctx, []string{"us-east-1/c/a", "us-east-1/c/legacy", "us-east-1/c/e"})
	if err != nil || fmt.Sprint(deployed) != "map[us-east-1/c/a:true us-east-1/c/e:true]" {
		t.Errorf("DeployedServices = %v, %v", deployed, err)
	}
	if _, err := s.ServingDeployment(ctx, "us-east-1/c/zz"); !errors.Is(err, ecsconsole.ErrNotFound) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestDeploymentsAreNeverDeleted(t *testing.T) {
	ctx := context.Background()
	s := storetest.NewStore(t)
	_, err := s.Pool().Exec(ctx, `INSERT INTO deployments (service_key, region, cluster, service, spec, status, created_by_name)
		VALUES ('us-east-1/c/s', 'us-east-1', 'c', 's', '{}', 'failed', 'test')`)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`DELETE FROM deployments`, `TRUNCATE deployments CASCADE`, `DELETE FROM deployment_steps`} {
		if _, err := s.Pool().Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded; want the database to refuse", sql)
		}
	}
	var n int
	s.Pool().QueryRow(ctx, `SELECT count(*) FROM deployments`).Scan(&n)
	if n != 1 {
		t.Errorf("deployments left: %d", n)
	}
}
