// Package migrations embeds the versioned SQL migrations of tenantd's own tables. The files are
// generated from the ent schema by `make generate` (golang-migrate format) and applied by
// internal/migrate; River's tables are migrated by River's own migrator in the same step.
package migrations

import "embed"

// FS holds every *.sql migration of this folder.
//
//go:embed *.sql atlas.sum
var FS embed.FS
