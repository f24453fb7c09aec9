package sandbox

// ecsState is the ECS part of a region. (placeholder: filled in by the ECS implementation)
type ecsState struct{}

// registerECS adds the ecs operations to s. (placeholder)
func (s *Server) registerECS() {}
