package handlers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestIdentityCacheHoldsNoLockOverSTS: while STS hangs, views wait for the
// one call under way (each no longer than its own request), and once it
// failed the failure is shown at once, without asking STS again, until
// identityErrorTTL has passed.
func TestIdentityCacheHoldsNoLockOverSTS(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	down := errors.New("STS is unreachable")
	c := newIdentityCache(func(context.Context) (string, string, error) {
		calls.Add(1)
		<-release
		return "", "", down
	}, time.Minute, 1<<10)

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, _, err := c.get(context.Background()); !errors.Is(err, down) {
				t.Errorf("a view waiting for STS got %v", err)
			}
		})
	}
	for calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// A view whose request ends does not queue behind the hanging call.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { _, _, err := c.get(ctx); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a view that gave up got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a view that gave up is still waiting for STS")
	}
	close(release)
	wg.Wait()
	for range 10 {
		if _, _, err := c.get(context.Background()); !errors.Is(err, down) {
			t.Errorf("after the failure a view got %v", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("STS was asked %d times by 15 views within a few seconds, want once", n)
	}
}
