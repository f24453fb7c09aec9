package handlers

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimiter bounds sign-in attempts per client IP and per username, so
// neither one address nor a distributed guess at one account gets far.
type loginLimiter struct {
	mu     sync.Mutex
	ips    map[string]*limiterEntry
	names  map[string]*limiterEntry
	ipRate rate.Limit
	ipB    int
	nmRate rate.Limit
	nmB    int
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{
		ips:    map[string]*limiterEntry{},
		names:  map[string]*limiterEntry{},
		ipRate: rate.Every(6 * time.Second), ipB: 10, // 10 at once, then 10 a minute
		nmRate: rate.Every(20 * time.Second), nmB: 5, // 5 at once, then 3 a minute
	}
}

// allow takes one attempt from both buckets; when either is empty it returns
// false and how long to wait, and takes nothing.
func (l *loginLimiter) allow(ip, username string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	a := l.entry(l.ips, ip, l.ipRate, l.ipB, now)
	b := l.entry(l.names, username, l.nmRate, l.nmB, now)
	ra, rb := a.ReserveN(now, 1), b.ReserveN(now, 1)
	wait := max(ra.DelayFrom(now), rb.DelayFrom(now))
	if wait > 0 {
		ra.CancelAt(now)
		rb.CancelAt(now)
		return false, wait
	}
	return true, 0
}

func (l *loginLimiter) entry(m map[string]*limiterEntry, key string, r rate.Limit, b int, now time.Time) *rate.Limiter {
	e, ok := m[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(r, b)}
		m[key] = e
	}
	e.seen = now
	return e.lim
}

// sweep forgets keys idle long enough for their buckets to be full again,
// so the maps stay small.
func (l *loginLimiter) sweep(now time.Time) {
	const idle = 10 * time.Minute
	for _, m := range []map[string]*limiterEntry{l.ips, l.names} {
		if len(m) < 1000 {
			continue
		}
		for k, e := range m {
			if now.Sub(e.seen) > idle {
				delete(m, k)
			}
		}
	}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
