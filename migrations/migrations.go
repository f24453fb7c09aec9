// Package migrations holds the database schema as numbered, append-only SQL
// files, embedded so the binary carries its own schema. They are applied
// with goose (store.Migrate).
package migrations

import "embed"

// FS holds NNNN_name.sql files in goose's format.
//
//go:embed *.sql
var FS embed.FS
