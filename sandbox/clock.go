package sandbox

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is simulated time: real time scaled by a speed factor, plus whatever
// tests add with Advance.
type Clock struct {
	mu        sync.Mutex
	realStart time.Time
	simStart  time.Time
	speed     float64
	offset    time.Duration
}

// NewClock starts a clock at start running speed simulated seconds per real second.
func NewClock(start time.Time, speed float64) *Clock {
	if speed <= 0 {
		speed = 1
	}
	return &Clock{realStart: time.Now(), simStart: start, speed: speed}
}

// Now is the current simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	elapsed := time.Duration(float64(time.Since(c.realStart)) * c.speed)
	return c.simStart.Add(elapsed + c.offset)
}

// Advance moves simulated time forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// SetSpeed changes the speed factor from now on.
func (c *Clock) SetSpeed(speed float64) {
	if speed <= 0 {
		speed = 1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	elapsed := time.Duration(float64(now.Sub(c.realStart)) * c.speed)
	c.simStart = c.simStart.Add(elapsed)
	c.realStart = now
	c.speed = speed
}

// event is something scheduled to happen to the world at a simulated time:
// a task reaching RUNNING, a target turning healthy, a certificate issued.
type event struct {
	at  time.Time
	seq uint64 // ties broken by scheduling order
	fn  func(now time.Time)
}

type eventQueue struct {
	items []*event
	seq   uint64
}

func (q *eventQueue) Len() int { return len(q.items) }
func (q *eventQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.at.Equal(b.at) {
		return a.seq < b.seq
	}
	return a.at.Before(b.at)
}
func (q *eventQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *eventQueue) Push(x any)    { q.items = append(q.items, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := q.items
	n := len(old)
	e := old[n-1]
	q.items = old[:n-1]
	return e
}

// at schedules fn to run when simulated time reaches t. fn runs with the
// server lock held, receiving t as "now"; it may schedule further events.
func (w *world) at(t time.Time, fn func(now time.Time)) {
	w.events.seq++
	heap.Push(&w.events, &event{at: t, seq: w.events.seq, fn: fn})
}

// advance runs, in time order, every event due at or before now. The world
// is advanced at the start of every call, so lifecycles progress exactly as
// far as the clock says, whether or not anyone was polling.
func (w *world) advance(now time.Time) {
	for w.events.Len() > 0 && !w.events.items[0].at.After(now) {
		e := heap.Pop(&w.events).(*event)
		e.fn(e.at)
	}
}
