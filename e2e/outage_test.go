package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// A console whose database goes away mid-deployment answers 503 with
// Retry-After meanwhile, and once the database is back its worker
// reconnects and the deployment finishes by itself.
func TestDatabaseOutageMidDeployment(t *testing.T) {
	proxy := storetest.NewProxy(t)
	dbURL := storetest.NewURL(t)
	_, line := startProcess(t, []string{"DATABASE_URL=" + proxy.URL(dbURL)}, "serve", "--addr", "127.0.0.1:0", "--migrate",
		"--log-format", "json", "--sandbox", "--sandbox-speed", "20", "--apply-slice", "2s", "--poll-interval", "200ms")
	url := strings.TrimPrefix(line, "ecsconsole listening on ")
	token := createToken(t, dbURL)
	db, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)

	var subnets struct {
		Subnets []struct{ ID string } `json:"subnets"`
	}
	if code := apiCall(t, "GET", url+"/api/v1/subnets", token, nil, &subnets); code != 200 || len(subnets.Subnets) < 2 {
		t.Fatalf("subnets: %d %+v", code, subnets)
	}
	var spec map[string]any
	check(t, json.Unmarshal(journeySpec(t), &spec))
	ids := []string{subnets.Subnets[0].ID, subnets.Subnets[1].ID}
	spec["service"].(map[string]any)["subnets"] = ids
	spec["loadBalancer"].(map[string]any)["subnets"] = ids
	var created struct{ ID int64 }
	if code := apiCall(t, "POST", url+"/api/v1/deployments", token, map[string]any{"spec": spec}, &created); code != 202 {
		t.Fatalf("deploy: %d", code)
	}
	status := func() (st string) {
		check(t, db.QueryRow(context.Background(), `SELECT status FROM deployments WHERE id = $1`, created.ID).Scan(&st))
		return st
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var running bool
		check(t, db.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM deployment_steps WHERE deployment_id = $1 AND name = 'load-balancer-active' AND status = 'running')`, created.ID).Scan(&running))
		if running {
			break
		}
		if st := status(); time.Now().After(deadline) || (st != "running" && st != "queued") {
			t.Fatalf("never saw the load balancer wait (deployment %s)", status())
		}
		time.Sleep(50 * time.Millisecond)
	}

	proxy.Cut()
	cutAt := time.Now()
	var answers []string
	for time.Since(cutAt) < 8*time.Second {
		for _, path := range []string{"/api/v1/deployments", "/deployments"} {
			req, _ := http.NewRequest("GET", url+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
			if err != nil {
				t.Fatalf("GET %s during the outage: %v", path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
				t.Errorf("GET %s during the outage: %d (Retry-After %q), want 503 with Retry-After", path, resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			answers = append(answers, resp.Status)
		}
		time.Sleep(time.Second)
	}
	proxy.Restore()
	restoredAt := time.Now()
	t.Logf("%d answers during an 8s outage: %s", len(answers), answers[0])

	deadline = time.Now().Add(3 * time.Minute)
	for st := status(); st != "succeeded"; st = status() {
		if time.Now().After(deadline) || (st != "running" && st != "waiting_for_dns") {
			t.Fatalf("deployment %s after the outage, want succeeded", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("succeeded %.1fs after the database came back", time.Since(restoredAt).Seconds())
}
