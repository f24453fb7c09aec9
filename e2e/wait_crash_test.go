package e2e

import (
	"context"
	"testing"
	"time"
)

// waitState is a step's durable wait as stored.
type waitState struct {
	started  *time.Time
	interval int64 // ms
	runs     int
}

func (rig *crashRig) waitState(id int64, step string) waitState {
	rig.t.Helper()
	var w waitState
	err := rig.db.QueryRow(context.Background(), `SELECT wait_started_at, poll_interval_ms, runs FROM deployment_steps
		WHERE deployment_id = $1 AND name = $2`, id, step).Scan(&w.started, &w.interval, &w.runs)
	if err != nil {
		rig.t.Fatal(err)
	}
	return w
}

// A console killed with SIGKILL during the service wait: the console that
// resumes it keeps the wait's start (its 30-minute limit counts from
// then, not from the restart) and its grown poll interval.
func TestKill9DuringTheServiceWaitKeepsItsStartAndBackoff(t *testing.T) {
	rig := newCrashRig(t, "--speed", "20")
	id := rig.deploy()
	var before waitState
	rig.waitFor("the service wait to have polled a few times", 3*time.Minute, func() bool {
		if st, _, _ := rig.status(id); st != "running" && st != "queued" {
			t.Fatalf("deployment %s before the service wait", st)
		}
		if rig.steps(id)["service-stable"].Status != "running" {
			return false
		}
		before = rig.waitState(id, "service-stable")
		return before.started != nil && before.interval >= 800 // 200ms doubled twice
	})
	killedAt := rig.kill9()
	rig.startConsole()
	rig.waitResumed(id, killedAt, 3*time.Minute)
	rig.waitFor("the resumed console to take up the wait", 2*time.Minute, func() bool {
		return rig.waitState(id, "service-stable").runs > before.runs || rig.steps(id)["service-stable"].Status == "succeeded"
	})
	after := rig.waitState(id, "service-stable")
	if after.started == nil || !after.started.Equal(*before.started) {
		t.Errorf("the service wait began at %v before the kill and at %v after it; its limit must count from the first", before.started, after.started)
	}
	if after.interval < before.interval {
		t.Errorf("the poll interval went back from %dms to %dms after the kill", before.interval, after.interval)
	}
	if st := rig.waitFinished(id, 3*time.Minute); st != "succeeded" {
		_, code, msg := rig.status(id)
		t.Fatalf("deployment ended %s: %s: %s", st, code, msg)
	}
}
