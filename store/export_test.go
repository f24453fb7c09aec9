package store

// Deafen makes s reuse reads as if it followed the database's changes
// while hearing none: only its own writes count, as they return.
func Deafen(s *Store) { s.changes.following.Store(true) }
