package sandbox

// acmState is the acm part of a region. (placeholder: filled in by the acm implementation)
type acmState struct{}

// registerACM adds the acm operations to s. (placeholder)
func (s *Server) registerACM() {}
