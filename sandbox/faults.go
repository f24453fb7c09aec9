package sandbox

// Faults holds the injected latency, throttling and scripted failures.
// (placeholder: filled in by the server implementation)
type Faults struct{}
