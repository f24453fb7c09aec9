package sandbox

// registerSTS adds GetCallerIdentity. (placeholder)
func (s *Server) registerSTS() {}
