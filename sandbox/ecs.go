package sandbox

// ecsState is the ECS part of a region. (placeholder: filled in by the ECS implementation)
type ecsState struct{}
