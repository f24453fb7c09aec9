package cache_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/cache"
)

// TestCacheStaysWithinItsBudget: however many keys come, what the cache
// counts never passes its budget, and it forgets the least recently used.
func TestCacheStaysWithinItsBudget(t *testing.T) {
	const budget = 64 << 10
	c := cache.New(cache.Options[string, string]{Budget: budget, TTL: time.Minute})
	ctx := context.Background()
	value := strings.Repeat("x", 1000)
	for i := range 20_000 {
		k := fmt.Sprint("service-", i)
		if _, err := c.Get(ctx, k, func(context.Context) (string, error) { return value, nil }); err != nil {
			t.Fatal(err)
		}
		// key 0 is used all along: it must stay.
		c.Get(ctx, "service-0", func(context.Context) (string, error) { return value, nil })
		if used, _ := c.Used(); used > budget {
			t.Fatalf("after %d keys the cache holds %d bytes, over its %d", i+1, used, budget)
		}
	}
	used, n := c.Used()
	if n < 40 || used < budget/2 {
		t.Errorf("the cache holds %d entries (%d bytes): it should fill its budget", n, used)
	}
	loaded := false
	c.Get(ctx, "service-0", func(context.Context) (string, error) { loaded = true; return value, nil })
	if loaded {
		t.Error("the most used key was forgotten")
	}
	loaded = false
	c.Get(ctx, "service-5", func(context.Context) (string, error) { loaded = true; return value, nil })
	if !loaded {
		t.Error("a key unused since 20,000 others came is still kept")
	}
	// A value larger than the whole budget is served but not kept.
	huge := strings.Repeat("y", budget)
	loads := 0
	for range 2 {
		c.Get(ctx, "huge", func(context.Context) (string, error) { loads++; return huge, nil })
	}
	if loads != 2 {
		t.Errorf("a value over the budget was kept (%d loads for 2 reads)", loads)
	}
}

// TestCacheForgetsAfterTTL: a value is reused for its TTL, an error for
// ErrorTTL, and a zero budget keeps nothing.
func TestCacheForgetsAfterTTL(t *testing.T) {
	ctx := context.Background()
	var loads atomic.Int64
	failing := errors.New("AWS is down")
	load := func(context.Context) (int64, error) { return loads.Add(1), failing }
	c := cache.New(cache.Options[string, int64]{Budget: 1 << 20, TTL: time.Hour, ErrorTTL: 50 * time.Millisecond})
	for range 3 {
		if _, err := c.Get(ctx, "k", load); !errors.Is(err, failing) {
			t.Fatalf("err = %v", err)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("a failure was asked again %d times within its ErrorTTL", n-1)
	}
	time.Sleep(60 * time.Millisecond)
	c.Get(ctx, "k", load)
	if n := loads.Load(); n != 2 {
		t.Fatalf("a failure older than its ErrorTTL was reused (%d loads)", n)
	}

	short := cache.New(cache.Options[string, int64]{Budget: 1 << 20, TTL: 50 * time.Millisecond})
	ok := func(context.Context) (int64, error) { return loads.Add(1), nil }
	first, _ := short.Get(ctx, "k", ok)
	if again, _ := short.Get(ctx, "k", ok); again != first {
		t.Fatal("a fresh value was not reused")
	}
	time.Sleep(60 * time.Millisecond)
	if again, _ := short.Get(ctx, "k", ok); again == first {
		t.Fatal("a value older than its TTL was reused")
	}

	off := cache.New(cache.Options[string, int64]{TTL: time.Hour})
	a, _ := off.Get(ctx, "k", ok)
	if b, _ := off.Get(ctx, "k", ok); a == b {
		t.Fatal("a cache with no budget kept a value")
	}
}

// TestCacheLoadsOnceAndHoldsNoLockWhileLoading: concurrent misses of one
// key share one load, a waiter whose request ends leaves at once, and
// other keys are served meanwhile.
func TestCacheLoadsOnceAndHoldsNoLockWhileLoading(t *testing.T) {
	c := cache.New(cache.Options[string, int]{Budget: 1 << 20, TTL: time.Hour})
	release := make(chan struct{})
	var loads atomic.Int64
	slow := func(context.Context) (int, error) { loads.Add(1); <-release; return 1, nil }
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if v, err := c.Get(context.Background(), "slow", slow); v != 1 || err != nil {
				t.Errorf("Get = %d, %v", v, err)
			}
		})
	}
	for loads.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.Get(ctx, "slow", slow); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a waiter whose request ended got %v", err)
	}
	if v, err := c.Get(context.Background(), "other", func(context.Context) (int, error) { return 2, nil }); v != 2 || err != nil {
		t.Errorf("another key during a load = %d, %v", v, err)
	}
	close(release)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("9 concurrent misses loaded %d times", n)
	}
}

// TestFootprintCountsWhatIsReferred: strings, slices by capacity, maps,
// pointers once.
func TestFootprintCountsWhatIsReferred(t *testing.T) {
	type page struct {
		html   []byte
		title  string
		shared *[4096]byte
		again  *[4096]byte
		values map[string]any
	}
	buf := new([4096]byte)
	p := &page{html: make([]byte, 10, 100_000), title: strings.Repeat("t", 5000), shared: buf, again: buf,
		values: map[string]any{"flash": strings.Repeat("f", 3000)}}
	got := cache.Footprint(p)
	want := int64(100_000 + 5000 + 4096 + 3000)
	if got < want || got > want+2048 {
		t.Errorf("Footprint = %d, want %d plus a little", got, want)
	}
}
