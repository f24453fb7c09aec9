package sandbox

// logsState is the logs part of a region. (placeholder: filled in by the logs implementation)
type logsState struct{}

// registerLogs adds the logs operations to s. (placeholder)
func (s *Server) registerLogs() {}
