package sandbox

import "context"

// Faults holds the injected latency, throttling and scripted failures.
// (placeholder: filled in by the faults implementation)
type Faults struct{}

func newFaults() *Faults { return &Faults{} }

// before is called ahead of every operation: it sleeps the injected latency
// and returns an injected error (throttling, or "fail the Nth call of op"),
// or nil. It must not hold s.mu.
func (f *Faults) before(ctx context.Context, service, op string) *apiError { return nil }
