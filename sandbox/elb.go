package sandbox

// elbState is the elb part of a region. (placeholder: filled in by the elb implementation)
type elbState struct{}

// registerELB adds the elb operations to s. (placeholder)
func (s *Server) registerELB() {}
