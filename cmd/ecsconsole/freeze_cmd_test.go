package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestFreezeCommands drives freezes through the CLI and the API against a
// whole console run with --freeze-after-rollback: a frozen service refuses
// a pipeline's deploy with 423 naming the reason and who froze it, still
// takes a rollback, deploys again once unfrozen, and freezes by itself
// after a person's rollback. Every freeze and unfreeze is audited.
func TestFreezeCommands(t *testing.T) {
	dbURL := storetest.NewURL(t)
	base, _, stop := startConsole(t, map[string]string{"DATABASE_URL": dbURL},
		"--migrate", "--sandbox", "--sandbox-speed", "1000", "--sandbox-cert-delay", "30s",
		"--poll-interval", "20ms", "--dns-recheck-interval", "100ms", "--log-format", "json", "--freeze-after-rollback")
	defer stop()
	ctx := context.Background()
	dbEnv := func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] }
	mustRun := func(args []string, getenv func(string) string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, getenv, strings.NewReader("a long enough password\n"), &out, io.Discard); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	token := func(user, role string) string {
		mustRun([]string{"user", "add", "--username", user, "--role", role, "--password-stdin"}, dbEnv)
		lines := strings.Split(strings.TrimSpace(mustRun([]string{"token", "create", "--username", user}, dbEnv)), "\n")
		return lines[len(lines)-1]
	}
	deployer := map[string]string{"ECSCONSOLE_URL": base, "ECSCONSOLE_TOKEN": token("ci", "deployer")}
	viewer := map[string]string{"ECSCONSOLE_URL": base, "ECSCONSOLE_TOKEN": token("vic", "viewer")}
	as := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }
	const service = "us-east-1/demo/php-app"

	// A webhook hears of every deployment below, signed.
	hooks := newHookReceiver(t)
	var created struct{ Secret string }
	if code := postJSON(t, base+"/api/v1/webhooks", token("ada", "admin"), map[string]any{"name": "all", "url": hooks.URL,
		"format": "json", "events": []string{"started", "succeeded", "rolled_back"}}, &created); code != 201 {
		t.Fatalf("POST /api/v1/webhooks: %d", code)
	}
	hooks.setSecret(created.Secret)

	spec := journeySpec(t, base, deployer["ECSCONSOLE_TOKEN"])
	specFile := writeTemp(t, spec)
	file2 := writeTemp(t, strings.Replace(spec, "php:8.3-apache", "php:8.4-apache", 1))
	first := mustRun([]string{"deploy", "-f", specFile, "--wait"}, as(deployer))
	firstID := deploymentIDFrom(t, first)

	err := run(ctx, []string{"freeze", service, "--reason", "x"}, as(viewer), nil, io.Discard, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "403") {
		t.Errorf("viewer freeze: %v, want 403", err)
	}
	err = run(ctx, []string{"freeze", service}, as(deployer), nil, io.Discard, io.Discard)
	if exitCode(err) != 2 {
		t.Errorf("freeze without a reason: %v (exit %d), want a usage error", err, exitCode(err))
	}
	err = run(ctx, []string{"freeze", "us-east-1/demo/nothing-here", "--reason", "x"}, as(deployer), nil, io.Discard, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "404") {
		t.Errorf("freezing a service never deployed: %v, want 404", err)
	}
	mustRun([]string{"freeze", service, "--reason", "bad release, investigating"}, as(deployer))

	// Frozen: the pipeline's deploy is refused, naming why, by whom and when.
	err = run(ctx, []string{"deploy", "-f", file2}, as(deployer), nil, io.Discard, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "423") || !strings.Contains(err.Error(), "bad release, investigating") ||
		!strings.Contains(err.Error(), "frozen by ci") {
		t.Fatalf("deploy of a frozen service: %v, want 423 with the reason and who", err)
	}
	var f struct {
		Frozen   bool
		Reason   string
		FrozenBy string
	}
	getJSON(t, base+"/api/v1/services/"+service+"/freeze", viewer["ECSCONSOLE_TOKEN"], &f)
	if !f.Frozen || f.Reason != "bad release, investigating" || f.FrozenBy != "ci" {
		t.Errorf("GET freeze = %+v", f)
	}

	mustRun([]string{"unfreeze", service}, as(deployer))
	second := mustRun([]string{"deploy", "-f", file2, "--wait"}, as(deployer))
	if !strings.Contains(second, "succeeded") {
		t.Fatalf("deploy after unfreeze:\n%s", second)
	}

	// A rollback runs even when frozen, and (--freeze-after-rollback)
	// freezes the service by itself.
	mustRun([]string{"freeze", service, "--reason", "hold"}, as(deployer))
	rb := mustRun([]string{"rollback", strconv.FormatInt(firstID, 10), "--wait"}, as(deployer))
	if !strings.Contains(rb, "succeeded") {
		t.Fatalf("rollback of a frozen service:\n%s", rb)
	}
	mustRun([]string{"unfreeze", service}, as(deployer))
	// The same rollback again runs what runs now: refused unless forced.
	err = run(ctx, []string{"rollback", strconv.FormatInt(firstID, 10)}, as(deployer), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("rollback to what runs now: %v, want 409", err)
	}
	rb2 := mustRun([]string{"rollback", strconv.FormatInt(firstID, 10), "--force", "--wait"}, as(deployer))
	rb2ID := deploymentIDFrom(t, rb2)
	err = run(ctx, []string{"deploy", "-f", file2}, as(deployer), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "423") || !strings.Contains(err.Error(), "Frozen automatically") {
		t.Errorf("deploy after a rollback with --freeze-after-rollback: %v, want 423", err)
	}
	getJSON(t, base+"/api/v1/services/"+service+"/freeze", viewer["ECSCONSOLE_TOKEN"], &struct{}{})

	// Deploy, deploy, rollback, rollback: four starts (two of them
	// rollbacks) and four successes, each delivered once, signed.
	hooks.waitFor(t, map[string]int{"started": 2, "rolled_back": 2, "succeeded": 4})

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var freezes, unfreezes, automatic int
	err = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'service.freeze'), count(*) FILTER (WHERE action = 'service.unfreeze'),
		count(*) FILTER (WHERE action = 'service.freeze' AND detail->>'deployment_id' = $2)
		FROM audit_events WHERE target = $1`, service, strconv.FormatInt(rb2ID, 10)).Scan(&freezes, &unfreezes, &automatic)
	if err != nil {
		t.Fatal(err)
	}
	// Two by hand, one by the second rollback (the first found the service
	// frozen already and kept that freeze).
	if freezes != 3 || unfreezes != 2 || automatic != 1 {
		t.Errorf("audit: %d freezes (%d automatic), %d unfreezes; want 3 (1), 2", freezes, automatic, unfreezes)
	}
}
