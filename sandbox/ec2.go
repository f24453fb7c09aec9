package sandbox

// ec2State is the ec2 part of a region. (placeholder: filled in by the ec2 implementation)
type ec2State struct{}

// registerEC2 adds the ec2 operations to s. (placeholder)
func (s *Server) registerEC2() {}
