package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/ecsconsole/ecsconsole/store/storetest"
)

// BenchmarkSessionFindCached is a page view's session lookup once the
// session is in memory: since sessions are kept by hash, it hashes the
// cookie value first.
func BenchmarkSessionFindCached(b *testing.B) {
	ctx := context.Background()
	s := storetest.NewStore(b)
	ss := s.Sessions(2 * time.Hour)
	const token = "pR3kH0wz0uQn2g0nV9q1yqvS6o8kW2Yb1Jx7tLr4aZc"
	if err := ss.CommitCtx(ctx, token, []byte("data"), time.Now().Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	if _, found, err := ss.FindCtx(ctx, token); err != nil || !found {
		b.Fatal(found, err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, found, err := ss.FindCtx(ctx, token); err != nil || !found {
			b.Fatal(found, err)
		}
	}
}
