package sandbox

// logsState is the logs part of a region. (placeholder: filled in by the logs implementation)
type logsState struct{}
