package sandbox

import (
	"context"
	"hash/fnv"
	"math/rand/v2"
	"sync"
	"time"
)

// Faults holds the injected latency, throttling and scripted failures. It
// has its own lock so that a call sleeping its latency never holds s.mu.
type Faults struct {
	mu           sync.Mutex
	latencyMin   time.Duration
	latencyMax   time.Duration
	throttleRate float64
	rules        []*failRule
	// streams are the random draws of each service once SeedFaults has
	// been called; nil: the process's random source.
	streams map[string]*rand.Rand
	seed    uint64
}

// failRule fails the nth call of op (counted from when the rule was set).
type failRule struct {
	op      string
	left    int // calls of op still to let through before failing
	code    string
	message string
}

func newFaults() *Faults { return &Faults{} }

// SetLatency makes every call wait a random duration in [lo, hi] before
// it is handled (lo == hi for a fixed latency; zero for none). A caller
// that gives up while waiting is released at once.
func (s *Server) SetLatency(lo, hi time.Duration) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latencyMin, f.latencyMax = lo, max(lo, hi)
}

// SeedFaults makes the random latency and throttling reproducible: each
// service draws from its own source seeded with seed, so that a run's
// draws per service are the same however concurrent calls interleave.
func (s *Server) SeedFaults(seed uint64) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seed, f.streams = seed, map[string]*rand.Rand{}
}

// draw returns a number in [0, 1) from service's source. f.mu held.
func (f *Faults) draw(service string) float64 {
	if f.streams == nil {
		return rand.Float64()
	}
	src, ok := f.streams[service]
	if !ok {
		h := fnv.New64a()
		h.Write([]byte(service))
		src = rand.New(rand.NewPCG(f.seed, h.Sum64()))
		f.streams[service] = src
	}
	return src.Float64()
}

// SetThrottleRate makes each call fail with the service's own throttling
// error with probability rate (clamped to 0..1). The SDK's default retryer
// recognises those errors and retries them.
func (s *Server) SetThrottleRate(rate float64) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttleRate = min(max(rate, 0), 1)
}

// FailCall makes the nth call of operation op (e.g. "CreateService"),
// counted from now, fail once with the given error code and message
// (nth < 1 means the next call). Throttling codes and server-fault codes
// get the status AWS sends with them (see faultStatus); every other code
// is a 400 client error.
func (s *Server) FailCall(op string, nth int, code, message string) {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	if message == "" {
		message = "Injected failure of " + op
	}
	f.rules = append(f.rules, &failRule{op: op, left: max(nth, 1) - 1, code: code, message: message})
}

// ClearFaults removes all injected latency, throttling and pending failures.
func (s *Server) ClearFaults() {
	f := s.faults
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latencyMin, f.latencyMax, f.throttleRate, f.rules = 0, 0, 0, nil
}

// before is called ahead of every operation: it sleeps the injected latency
// and returns an injected error (a scripted failure first, then random
// throttling), or nil. It must not hold s.mu.
func (f *Faults) before(ctx context.Context, service, op string) *apiError {
	if err := sleepCtx(ctx, f.latency(service)); err != nil {
		return &apiError{Status: 400, Code: "RequestCanceled", Message: "the client went away: " + err.Error()}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.scriptedFailure(service, op); err != nil {
		return err
	}
	if f.throttleRate > 0 && f.draw(service) < f.throttleRate {
		code, status, message := throttlingError(service)
		return &apiError{Status: status, Code: code, Message: message}
	}
	return nil
}

// latency draws this call's delay.
func (f *Faults) latency(service string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.latencyMax <= f.latencyMin {
		return f.latencyMin
	}
	return f.latencyMin + time.Duration(f.draw(service)*float64(f.latencyMax-f.latencyMin+1))
}

// scriptedFailure counts a call of op against the rules and returns the
// error of the first rule that comes due, removing it. f.mu held.
func (f *Faults) scriptedFailure(service, op string) *apiError {
	for i, r := range f.rules {
		if r.op != op {
			continue
		}
		if r.left > 0 {
			r.left--
			continue
		}
		f.rules = append(f.rules[:i], f.rules[i+1:]...)
		return &apiError{Status: faultStatus(service, r.code), Code: r.code, Message: r.message}
	}
	return nil
}

// sleepCtx waits d, returning early with ctx's error if it is cancelled.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// throttlingError is the error each service answers when it throttles,
// all of which the SDK's retryer treats as throttling (docs/aws-api.md §1.3,
// §4.2). service is "ecs", "acm" or "logs" for the JSON services and the
// signing name ("elasticloadbalancing", "ec2", "sts") for the query ones.
func throttlingError(service string) (code string, status int, message string) {
	switch service {
	case "ec2":
		return "RequestLimitExceeded", 503, "Request limit exceeded."
	case "elasticloadbalancing", "sts":
		return "Throttling", 400, "Rate exceeded"
	default:
		return "ThrottlingException", 400, "Rate exceeded"
	}
}

// faultStatus is the HTTP status AWS sends with code: the service's own
// throttling status, 500/503 for server faults, else 400.
func faultStatus(service, code string) int {
	if throttle, status, _ := throttlingError(service); code == throttle {
		return status
	}
	switch code {
	case "ServerException", "InternalFailure", "InternalError", "ServiceException":
		return 500
	case "ServiceUnavailable", "ServiceUnavailableException", "Unavailable":
		return 503
	}
	return 400
}
