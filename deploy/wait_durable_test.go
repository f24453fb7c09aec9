package deploy

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole"
)

// describeServicesCounter counts the sandbox's DescribeServices calls made
// once on is set.
type describeServicesCounter struct {
	on, n atomic.Int64
}

func (c *describeServicesCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Header.Get("X-Amz-Target") {
		case "AmazonEC2ContainerServiceV20141113.CreateService":
			defer c.on.Store(1) // the service wait's calls follow
		case "AmazonEC2ContainerServiceV20141113.DescribeServices":
			if c.on.Load() == 1 {
				c.n.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	})
}

// noLoadBalancer leaves the service wait with ECS's calls alone.
func noLoadBalancer(s *ecsconsole.Spec) { s.LoadBalancer = nil }

// A wait continued over many short slices keeps growing its poll interval
// to the cap (a slice alone never gets there), and its step counts every
// call of every slice.
func TestWaitBackoffAndCallsAcrossSlices(t *testing.T) {
	var counter describeServicesCounter
	// At real speed the tasks take simulated minutes: the wait runs until
	// its limit, across about 20 slices of 100ms.
	env := newTestEnv(t, envOptions{speed: 1, stableTimeout: 2 * time.Second, attemptSlice: 100 * time.Millisecond,
		pollInterval: 20 * time.Millisecond, maxPollInterval: 160 * time.Millisecond, wrap: counter.wrap})
	env.startWorker("w1")
	d := env.waitStatus(env.submit(env.spec(noLoadBalancer)).ID, ecsconsole.StatusInterrupted)
	if d.ErrorStep != stepServiceStable || d.ErrorCode != "Timeout" {
		t.Fatalf("ended at %s with %s: %s", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
	}
	st := env.steps(d.ID)[stepServiceStable]
	if made := int(counter.n.Load()); st.Calls != made || made < 2 {
		t.Errorf("the service-stable step records %d calls; %d were made across its slices", st.Calls, made)
	}
	if st.Runs != 1 {
		t.Errorf("the wait was started %d times; slices continue it", st.Runs)
	}
	w, err := env.store.BeginWait(context.Background(), d.ID, stepServiceStable)
	check(t, err)
	if w.PollInterval != 160*time.Millisecond {
		t.Errorf("the poll interval ended at %s, want the 160ms cap (a 100ms slice alone never reaches it)", w.PollInterval)
	}
	if !w.StartedAt.Before(*d.FinishedAt) || d.FinishedAt.Sub(w.StartedAt) < 2*time.Second {
		t.Errorf("the wait began %s and the deployment ended %s: before its 2s limit", w.StartedAt, d.FinishedAt)
	}
}

// A wait resumed after its worker died keeps its start: the limit counts
// from when the wait began, so a console that resumes it after the limit
// checks once and ends it, rather than waiting a whole limit again.
func TestWaitLimitCountsFromWhenTheWaitBegan(t *testing.T) {
	var counter describeServicesCounter
	const limit = 1500 * time.Millisecond
	env := newTestEnv(t, envOptions{speed: 1, stableTimeout: limit, pollInterval: 20 * time.Millisecond,
		maxPollInterval: 100 * time.Millisecond, wrap: counter.wrap})
	first := env.startWorker("first")
	d := env.submit(env.spec(noLoadBalancer))
	deadline := time.Now().Add(30 * time.Second)
	for env.steps(d.ID)[stepServiceStable].Progress == "" {
		if time.Now().After(deadline) {
			t.Fatal("the service wait never began")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	check(t, first.StopAndCancel(stopCtx))
	began, err := env.store.BeginWait(context.Background(), d.ID, stepServiceStable)
	check(t, err)
	time.Sleep(time.Until(began.StartedAt.Add(limit)) + 100*time.Millisecond) // the console stays down past the limit

	counter.n.Store(0)
	env.startWorker("second")
	d = env.waitStatus(d.ID, ecsconsole.StatusInterrupted)
	if d.ErrorStep != stepServiceStable || d.ErrorCode != "Timeout" {
		t.Fatalf("ended at %s with %s: %s", d.ErrorStep, d.ErrorCode, d.ErrorMessage)
	}
	st := env.steps(d.ID)[stepServiceStable]
	if st.Runs != 2 {
		t.Errorf("the wait ran %d times, want 2 (resumed once)", st.Runs)
	}
	if n := counter.n.Load(); n != 1 {
		t.Errorf("the resumed wait asked ECS %d times; past its limit it asks once and ends", n)
	}
	after, err := env.store.BeginWait(context.Background(), d.ID, stepServiceStable)
	check(t, err)
	if !after.StartedAt.Equal(began.StartedAt) {
		t.Errorf("the wait's start moved from %s to %s when it resumed", began.StartedAt, after.StartedAt)
	}
}
