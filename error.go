package ecsconsole

import "errors"

// ErrNotFound is wrapped by every "no such row" error.
var ErrNotFound = errors.New("not found")

// ErrConflict is wrapped when a write breaks a uniqueness rule.
var ErrConflict = errors.New("conflict")
