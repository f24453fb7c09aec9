package handlers

import (
	"context"
	"errors"
	"testing"
	"time"
)

// countingCatalog answers Families and counts the calls; every other list
// is unused here.
type countingCatalog struct {
	Catalog
	calls int
	fail  bool
}

func (c *countingCatalog) Families(ctx context.Context, region string) ([]string, error) {
	c.calls++
	if c.fail {
		return nil, errors.New("boom")
	}
	return []string{region}, nil
}

func TestLookupsCachePerUserAndRegionForTheTTL(t *testing.T) {
	cat := &countingCatalog{}
	l := newLookups(cat, time.Minute)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	ctx := context.Background()
	get := func(user int64, region string) []string {
		v, err := l.families(ctx, user, region)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	get(1, "us-east-1")
	get(1, "us-east-1")
	if cat.calls != 1 {
		t.Errorf("%d calls for one user and region within the TTL, want 1", cat.calls)
	}
	if got := get(1, "eu-west-1"); got[0] != "eu-west-1" || cat.calls != 2 {
		t.Errorf("another region: %v after %d calls", got, cat.calls)
	}
	get(2, "us-east-1")
	if cat.calls != 3 {
		t.Errorf("another user shares the first's cache: %d calls", cat.calls)
	}
	now = now.Add(time.Minute)
	get(1, "us-east-1")
	if cat.calls != 4 {
		t.Errorf("an expired entry was reused: %d calls", cat.calls)
	}
	l.forget(1)
	get(1, "us-east-1")
	if cat.calls != 5 {
		t.Errorf("Refresh lists did not forget: %d calls", cat.calls)
	}
	cat.fail = true
	l.forget(1)
	if _, err := l.families(ctx, 1, "us-east-1"); err == nil {
		t.Fatal("a failure was hidden")
	}
	if _, err := l.families(ctx, 1, "us-east-1"); err == nil || cat.calls != 7 {
		t.Errorf("a failure was cached: %d calls, %v", cat.calls, err)
	}
}
