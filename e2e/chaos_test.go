//go:build chaos

package e2e

import (
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"
)

// TestChaos kills the console (SIGKILL) CHAOS_KILLS times (default 8) at
// random moments of the journey's deployment, starting a new one after
// each; the deployment must end succeeded with exactly one of each
// resource. CHAOS_SEED replays a run. Run it with `make chaos`.
func TestChaos(t *testing.T) {
	kills := 8
	if v, err := strconv.Atoi(os.Getenv("CHAOS_KILLS")); err == nil && v > 0 {
		kills = v
	}
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CHAOS_SEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewPCG(seed, seed))
	t.Logf("CHAOS_KILLS=%d CHAOS_SEED=%d", kills, seed)

	rig := newCrashRig(t, "--speed", "10", "--latency", "100ms", "--cert-delay", "30m")
	started := time.Now()
	id := rig.deploy()
	var resumes []time.Duration
	var lastKill time.Time
	done := 0
	for i := range kills {
		if i > 0 {
			resumes = append(resumes, rig.waitResumed(id, lastKill, 3*time.Minute))
		}
		time.Sleep(time.Duration(rng.Int64N(int64(6 * time.Second))))
		if st, _, _ := rig.status(id); st != "running" && st != "queued" && st != "waiting_for_dns" {
			t.Logf("deployment %s before kill %d", st, i+1)
			break
		}
		steps := rig.steps(id)
		var running []string
		for name, s := range steps {
			if s.Status == "running" {
				running = append(running, name)
			}
		}
		slices.Sort(running)
		lastKill = rig.kill9()
		done++
		t.Logf("kill %d at %.1fs, steps running: %v", done, time.Since(started).Seconds(), running)
		rig.startConsole()
	}
	if done > 0 {
		resumes = append(resumes, rig.waitResumed(id, lastKill, 3*time.Minute))
	}
	if st := rig.waitFinished(id, 5*time.Minute); st != "succeeded" {
		_, code, msg := rig.status(id)
		t.Fatalf("after %d kills the deployment ended %s: %s: %s", done, st, code, msg)
	}
	rig.checkExactlyOnce()
	sorted := slices.Clone(resumes)
	slices.Sort(sorted)
	if len(sorted) > 0 {
		t.Logf("%d kills; succeeded after %.0fs; resume after kill -9 (slice %s): min %.1fs, median %.1fs, max %.1fs",
			done, time.Since(started).Seconds(), rig.slice, sorted[0].Seconds(), sorted[len(sorted)/2].Seconds(), sorted[len(sorted)-1].Seconds())
	}
}
