package store

// Deafen makes s reuse reads as if it followed the database's changes
// while hearing none: only its own writes count, as they return.
func Deafen(s *Store) { s.changes.following.Store(true) }

// ProbeElsewhere makes Follow's probes go where it does not listen, as
// behind a pooler that drops LISTEN. Call it before Follow.
func ProbeElsewhere(s *Store) { s.probeChannel = "ecsconsole_nowhere" }
