package sandbox

// elbState is the elb part of a region. (placeholder: filled in by the elb implementation)
type elbState struct{}
