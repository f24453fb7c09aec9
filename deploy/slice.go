package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// An apply job works in slices so that a crash is noticed. River rescues a
// job whose worker died only once the job has run longer than its timeout;
// a job without one (a 30-minute service wait) would never be rescued. So
// each attempt gets a slice (Options.AttemptSlice, 20s by default): a wait
// whose next sleep would cross the slice's end stops there, the attempt
// ends with errYield and its job is snoozed for no time at all, and the
// next attempt (on any console) continues from the recorded steps. A job
// still marked running past its timeout (2 × slice) therefore lost its
// worker, and River's rescuer hands it to another console.

// errYield ends an apply attempt at the end of its slice. Steps it reaches
// are left running, not recorded as failed; the next attempt continues them.
var errYield = errors.New("apply attempt's time slice is over")

type sliceKey struct{}

// withSlice bounds the waits of one attempt: none sleeps past end.
func withSlice(ctx context.Context, end time.Time) context.Context {
	return context.WithValue(ctx, sliceKey{}, end)
}

// sliceLeft reports how long the attempt's slice still runs (ok false: no
// slice, as in Plan and tests that call apply directly).
func sliceLeft(ctx context.Context) (time.Duration, bool) {
	end, ok := ctx.Value(sliceKey{}).(time.Time)
	return time.Until(end), ok
}

// yieldBefore returns errYield when sleeping d would cross the slice's end.
func yieldBefore(ctx context.Context, d time.Duration) error {
	if left, ok := sliceLeft(ctx); ok && left < d {
		return errYield
	}
	return nil
}

// continuationKey marks an attempt that continues one which yielded (not
// one that crashed): its running steps keep their start time and run count.
type continuationKey struct{}

func withContinuation(ctx context.Context) context.Context {
	return context.WithValue(ctx, continuationKey{}, true)
}

func isContinuation(ctx context.Context) bool {
	c, _ := ctx.Value(continuationKey{}).(bool)
	return c
}

// yieldedAttemptKey is the job metadata key recording the attempt number
// that yielded. River gives a snoozed job's next run the same attempt
// number, and a rescued or retried one the next number, so the key tells a
// continuation from a resumption after a crash.
const yieldedAttemptKey = "ecsconsole_yielded_attempt"

func yieldedAttempt(metadata []byte) int {
	var m map[string]json.RawMessage
	if json.Unmarshal(metadata, &m) != nil {
		return 0
	}
	var n int
	if json.Unmarshal(m[yieldedAttemptKey], &n) != nil {
		return 0
	}
	return n
}

// startStep records that a step starts and returns the context its
// function runs in. A step the yielded attempt before this one left running
// continues: it keeps its start and run count (a wait's start and backoff
// are kept across crashes too: see poll). After the slice's end no new
// step starts: the attempt yields.
func (r *run) startStep(ctx context.Context, name string) (context.Context, error) {
	if left, ok := sliceLeft(ctx); ok && left <= 0 {
		return ctx, errYield
	}
	if _, ok := r.running[name]; ok && isContinuation(ctx) {
		return ctx, nil
	}
	if err := r.e.store.StartStep(ctx, r.d.ID, name); err != nil {
		return ctx, err
	}
	return ctx, nil
}

type lastAttemptKey struct{}

// withLastAttempt marks the job's last allowed attempt: a step it cannot
// finish must not promise another try.
func withLastAttempt(ctx context.Context) context.Context {
	return context.WithValue(ctx, lastAttemptKey{}, true)
}

func isLastAttempt(ctx context.Context) bool {
	l, _ := ctx.Value(lastAttemptKey{}).(bool)
	return l
}
