package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestDeployRollbackStatusCommands drives the CI commands against a whole
// console (run through run(), with its in-process sandbox on a fast clock):
// deploy the journey spec and wait, redeploy a new image, roll back, and
// check the exit codes, the 409 for a busy service and the 403 for a viewer.
func TestDeployRollbackStatusCommands(t *testing.T) {
	dbURL := storetest.NewURL(t)
	base, _, stop := startConsole(t, map[string]string{"DATABASE_URL": dbURL},
		"--migrate", "--sandbox", "--sandbox-speed", "1000", "--sandbox-cert-delay", "30s",
		"--poll-interval", "20ms", "--dns-recheck-interval", "100ms", "--log-format", "json")
	defer stop()
	ctx := context.Background()
	dbEnv := func(k string) string { return map[string]string{"DATABASE_URL": dbURL}[k] }
	mustRun := func(args []string, stdin string, getenv func(string) string) string {
		t.Helper()
		var out bytes.Buffer
		if err := run(ctx, args, getenv, strings.NewReader(stdin), &out, io.Discard); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	token := func(user, role string) string {
		mustRun([]string{"user", "add", "--username", user, "--role", role, "--password-stdin"}, "a long enough password\n", dbEnv)
		lines := strings.Split(strings.TrimSpace(mustRun([]string{"token", "create", "--username", user}, "", dbEnv)), "\n")
		return lines[len(lines)-1]
	}
	deployer := map[string]string{"ECSCONSOLE_URL": base, "ECSCONSOLE_TOKEN": token("ci", "deployer")}
	viewer := map[string]string{"ECSCONSOLE_URL": base, "ECSCONSOLE_TOKEN": token("vic", "viewer")}
	as := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }

	spec := journeySpec(t, base, deployer["ECSCONSOLE_TOKEN"])
	specFile := writeTemp(t, spec)

	var out bytes.Buffer
	err := run(ctx, []string{"deploy", "-f", specFile}, as(viewer), nil, &out, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "403") {
		t.Errorf("viewer deploy: %v (exit %d), want a 403", err, exitCode(err))
	}

	plan := mustRun([]string{"deploy", "--plan", "-f", specFile}, "", as(deployer))
	if !strings.Contains(plan, "create") || !strings.Contains(plan, "target group") {
		t.Errorf("plan:\n%s", plan)
	}

	first := mustRun([]string{"deploy", "-f", specFile, "--wait", "--reason", "first"}, "", as(deployer))
	if !strings.Contains(first, "succeeded") || !strings.Contains(first, "url: https://app.example.com") {
		t.Fatalf("first deploy:\n%s", first)
	}
	firstID := deploymentIDFrom(t, first)

	// A new image, submitted twice at once: the second is refused with 409.
	spec2 := strings.Replace(spec, "php:8.3-apache", "php:8.4-apache", 1)
	file2 := writeTemp(t, spec2)
	second := mustRun([]string{"deploy", "-f", file2}, "", as(deployer))
	err = run(ctx, []string{"deploy", "-f", file2}, as(deployer), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("a second deploy while one runs: %v, want 409", err)
	}
	secondID := deploymentIDFrom(t, second)
	for {
		err := run(ctx, []string{"status", strconv.FormatInt(secondID, 10)}, as(deployer), nil, io.Discard, io.Discard)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "queued") && !strings.Contains(err.Error(), "running") {
			t.Fatalf("second deployment: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Roll back to the first.
	rb := mustRun([]string{"rollback", strconv.FormatInt(firstID, 10), "--wait"}, "", as(deployer))
	if !strings.Contains(rb, "succeeded") {
		t.Errorf("rollback:\n%s", rb)
	}
	rbID := deploymentIDFrom(t, rb)

	// The history through the API: newest first, the rollback pointing at the first.
	var list struct {
		Deployments []struct {
			ID         int64
			Kind       string
			RollbackOf *int64
			Status     string
		}
	}
	getJSON(t, base+"/api/v1/deployments?service=demo/php-app", deployer["ECSCONSOLE_TOKEN"], &list)
	if len(list.Deployments) != 3 || list.Deployments[0].ID != rbID || list.Deployments[0].Kind != "rollback" ||
		list.Deployments[0].RollbackOf == nil || *list.Deployments[0].RollbackOf != firstID {
		t.Errorf("history = %+v", list.Deployments)
	}
	var diff struct{ Changes []struct{ Path, Kind string } }
	getJSON(t, base+"/api/v1/deployments/"+strconv.FormatInt(firstID, 10)+"/diff/"+strconv.FormatInt(secondID, 10), deployer["ECSCONSOLE_TOKEN"], &diff)
	if len(diff.Changes) != 1 || !strings.Contains(diff.Changes[0].Path, "image") {
		t.Errorf("diff first→second = %+v, want only the image", diff.Changes)
	}

	err = run(ctx, []string{"status", "999999"}, as(deployer), nil, io.Discard, io.Discard)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "404") {
		t.Errorf("status of an unknown deployment: %v", err)
	}
}

// journeySpec is the docs/design.md §1 spec with the sandbox's real subnets.
func journeySpec(t *testing.T, base, token string) string {
	t.Helper()
	data, err := os.ReadFile("../../deploy/testdata/spec-journey.json")
	if err != nil {
		t.Fatal(err)
	}
	var subnets struct{ Subnets []struct{ ID string } }
	getJSON(t, base+"/api/v1/subnets", token, &subnets)
	if len(subnets.Subnets) < 2 {
		t.Fatalf("subnets = %+v", subnets)
	}
	spec := string(data)
	spec = strings.ReplaceAll(spec, "subnet-0a1b2c3d4e5f60001", subnets.Subnets[0].ID)
	spec = strings.ReplaceAll(spec, "subnet-0a1b2c3d4e5f60002", subnets.Subnets[1].ID)
	return spec
}

func getJSON(t *testing.T, url, token string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "spec-*.json")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(content)
	f.Close()
	return f.Name()
}

// deploymentIDFrom reads "deployment N ..." from a command's first line.
func deploymentIDFrom(t *testing.T, out string) int64 {
	t.Helper()
	fields := strings.Fields(out)
	if len(fields) < 2 || fields[0] != "deployment" {
		t.Fatalf("no deployment id in %q", out)
	}
	id, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
