package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecsconsole/ecsconsole"
	"github.com/ecsconsole/ecsconsole/store"
	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// TestMemStoreKeepsTheStoresRules runs one story through the Postgres
// store and the in-memory one the engine's Postgres-free tests use, and
// requires the same observations from both: the memory store may not make
// an engine test pass that Postgres would fail.
func TestMemStoreKeepsTheStoresRules(t *testing.T) {
	mem := storyOf(t, newMemStore())
	storetest.Server(t)
	pg := storyOf(t, store.New(storetest.NewPool(t)))
	if len(mem) != len(pg) {
		t.Fatalf("the stories differ in length: memory %d, Postgres %d", len(mem), len(pg))
	}
	for i := range pg {
		if mem[i] != pg[i] {
			t.Errorf("observation %d: memory %q, Postgres %q", i, mem[i], pg[i])
		}
	}
}

// storyOf creates, starts, waits and finishes deployments of two services
// and records what the store answers, as words.
func storyOf(t *testing.T, st Store) []string {
	t.Helper()
	ctx := context.Background()
	var obs []string
	see := func(format string, args ...any) { obs = append(obs, fmt.Sprintf(format, args...)) }
	none := func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return nil }
	spec := []byte(`{"taskDefinition":{"containerDefinitions":[{"name":"web","image":"php:8.3-apache"}]}}`)
	nd := func(service string) ecsconsole.NewDeployment {
		return ecsconsole.NewDeployment{ServiceKey: "us-east-1/demo/" + service, Region: "us-east-1", Cluster: "demo",
			Service: service, Spec: spec, CreatedBy: "alice", Reason: "story",
			Changes: func(prev int64, _ json.RawMessage) (json.RawMessage, error) {
				return fmt.Appendf(nil, `{"after":%d}`, prev), nil
			}}
	}
	first, err := st.CreateDeployment(ctx, nd("a"), none)
	check(t, err)
	see("created %s %s images=%v changes=%s", first.Status, first.Kind, first.Images, canon(t, first.SpecChanges))
	_, err = st.CreateDeployment(ctx, nd("a"), none)
	var active *ecsconsole.ActiveDeploymentError
	see("second create: active=%t conflict=%t", errors.As(err, &active) && active.Active.ID == first.ID, errors.Is(err, ecsconsole.ErrConflict))
	_, err = st.CreateDeployment(ctx, nd("b"), func(context.Context, pgx.Tx, ecsconsole.Deployment) error { return errors.New("no queue") })
	_, serr := st.ServingDeployment(ctx, "us-east-1/demo/b")
	see("failed enqueue: err=%t, nothing stored: %t", err != nil, errors.Is(serr, ecsconsole.ErrNotFound))
	d, err := st.StartDeployment(ctx, first.ID)
	check(t, err)
	see("started %s at=%t", d.Status, d.StartedAt != nil)
	see("set finished status refused: %t", st.SetDeploymentStatus(ctx, first.ID, ecsconsole.StatusSucceeded) != nil)
	check(t, st.SetDeploymentStatus(ctx, first.ID, ecsconsole.StatusWaitingForDNS))
	resumed, err := st.StartDeployment(ctx, first.ID)
	check(t, err)
	see("resumed keeps %s and its start: %t", resumed.Status, resumed.StartedAt != nil && resumed.StartedAt.Equal(*d.StartedAt))
	check(t, st.SetDeploymentTaskDefinition(ctx, first.ID, []byte(`{"family":"web"}`), "arn:td:1"))
	check(t, st.SetDeploymentOutputs(ctx, first.ID, ecsconsole.Outputs{URL: "http://x", ARNs: map[string]string{"cluster": "arn:c"}}))
	check(t, st.SetDNSValidation(ctx, first.ID, nil))
	check(t, st.StartStep(ctx, first.ID, "cluster"))
	check(t, st.SetStepProgress(ctx, first.ID, "cluster", "1 of 2"))
	check(t, st.AddStepCalls(ctx, first.ID, "cluster", 2, 1))
	check(t, st.FinishStep(ctx, first.ID, "cluster", ecsconsole.StepResult{Status: ecsconsole.StepSucceeded, Action: ecsconsole.ActionCreate, Calls: 1}))
	check(t, st.StartStep(ctx, first.ID, "cluster")) // resumed
	check(t, st.FinishStep(ctx, first.ID, "skipped", ecsconsole.StepResult{Status: ecsconsole.StepSkipped}))
	w, err := st.BeginWait(ctx, first.ID, "cluster")
	check(t, err)
	check(t, st.SetPollInterval(ctx, first.ID, "cluster", 1500*time.Millisecond))
	again, err := st.BeginWait(ctx, first.ID, "cluster")
	check(t, err)
	see("wait kept its start: %t, interval %s", again.StartedAt.Equal(w.StartedAt), again.PollInterval)
	_, err = st.BeginWait(ctx, first.ID, "never-started")
	see("wait of a missing step fails: %t", err != nil)
	steps, err := st.Steps(ctx, first.ID)
	check(t, err)
	for _, s := range steps {
		see("step %s %s %q runs=%d calls=%d retries=%d progress=%q detail=%s", s.Name, s.Status, s.Action, s.Runs, s.Calls, s.Retries, s.Progress, canon(t, s.Detail))
	}
	check(t, st.FinishDeployment(ctx, first.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusSucceeded}))
	check(t, st.FinishDeployment(ctx, first.ID, ecsconsole.DeploymentResult{Status: ecsconsole.StatusFailed, ErrorCode: "X"}))
	d, err = st.Deployment(ctx, first.ID)
	check(t, err)
	see("finished once: %s %q finished=%t td=%s arn=%s url=%s", d.Status, d.ErrorCode, d.FinishedAt != nil, canon(t, d.TaskDefinition), d.TaskDefinitionARN, d.Outputs.URL)
	see("status of a finished one refused: %t", st.SetDeploymentStatus(ctx, first.ID, ecsconsole.StatusRunning) != nil)
	serving, err := st.ServingDeployment(ctx, first.ServiceKey)
	see("serving is the first: %t %v", serving.ID == first.ID, err)
	next, err := st.CreateDeployment(ctx, nd("a"), none)
	check(t, err)
	see("next changes: %t", string(canon(t, next.SpecChanges)) == fmt.Sprintf(`{"after":%d}`, first.ID))
	id, status, err := st.DeploymentWithRevision(ctx, first.ServiceKey, "arn:td:1", 0)
	see("revision set by the first: %t %s %v", id == first.ID, status, err)
	id, _, err = st.DeploymentWithRevision(ctx, first.ServiceKey, "arn:td:1", first.ID)
	see("none after it: %d %v", id, err)
	_, err = st.Deployment(ctx, next.ID+100)
	see("missing: %t", errors.Is(err, ecsconsole.ErrNotFound))
	return obs
}

// canon re-encodes JSON compactly: Postgres's jsonb keeps a document's
// meaning, not its bytes, and the memory store keeps the bytes.
func canon(t *testing.T, raw json.RawMessage) []byte {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	var v any
	check(t, json.Unmarshal(raw, &v))
	b, err := json.Marshal(v)
	check(t, err)
	return b
}
