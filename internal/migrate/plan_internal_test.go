package migrate

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/testdb"
	"github.com/tenantd/tenantd/migrations"
)

// embeddedFiles returns the embedded "up" migrations in version order.
func embeddedFiles(t *testing.T) []atlasmigrate.File {
	t.Helper()
	entries, err := fs.ReadDir(migrations.FS, ".")
	require.NoError(t, err)
	var files []atlasmigrate.File
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".up.sql") {
			continue
		}
		data, err := fs.ReadFile(migrations.FS, e.Name())
		require.NoError(t, err)
		files = append(files, atlasmigrate.NewLocalFile(e.Name(), data))
	}
	require.NotEmpty(t, files, "no embedded migrations")
	return files
}

// planOn runs diff over an in-memory folder holding files (with a matching atlas.sum) and
// returns the SQL of the files diff added.
func planOn(t *testing.T, files []atlasmigrate.File) string {
	t.Helper()
	dir := atlasmigrate.OpenMemDir("test-" + strings.ReplaceAll(t.Name(), "/", "-"))
	t.Cleanup(func() { _ = dir.Close() })
	require.NoError(t, dir.CopyFiles(files))
	before := make(map[string]bool, len(files))
	for _, f := range files {
		before[f.Name()] = true
	}
	require.NoError(t, diff(context.Background(), testdb.AdminDSN(), dir, "pending"))
	after, err := dir.Files()
	require.NoError(t, err)
	var pending strings.Builder
	for _, f := range after {
		if !before[f.Name()] {
			pending.Write(f.Bytes())
		}
	}
	return pending.String()
}

// TestDiffNoticesDisagreement proves the schema check can fail: when migrations/ lacks a
// change of the ent schema, or holds one the ent schema does not have, the planner asks for
// SQL to reconcile them.
func TestDiffNoticesDisagreement(t *testing.T) {
	t.Parallel()
	files := embeddedFiles(t)
	latest, err := LatestVersion()
	require.NoError(t, err)

	t.Run("agrees", func(t *testing.T) {
		t.Parallel()
		require.Empty(t, planOn(t, files))
	})
	t.Run("last migration missing", func(t *testing.T) {
		t.Parallel()
		pending := planOn(t, files[:len(files)-1])
		require.NotEmpty(t, pending)
		if len(files) == 1 {
			// Everything is missing, so every table of the schema must be created.
			for _, table := range []string{"tenants", "plans", "invoices", "contacts"} {
				require.Contains(t, pending, fmt.Sprintf("CREATE TABLE %q", table))
			}
		}
	})
	t.Run("column ent does not know", func(t *testing.T) {
		t.Parallel()
		drift := atlasmigrate.NewLocalFile(fmt.Sprintf("%d_drift.up.sql", latest+1),
			[]byte(`ALTER TABLE "plans" ADD COLUMN "not_in_ent" text NULL;`+"\n"))
		pending := planOn(t, append(append([]atlasmigrate.File{}, files...), drift))
		require.Contains(t, pending, `DROP COLUMN "not_in_ent"`)
	})
}

// TestGenerateRefusesAMigrationThatSortsTooEarly: a new file stamped by a clock that is behind
// the newest migration would never be applied to databases already past that one.
func TestGenerateRefusesAMigrationThatSortsTooEarly(t *testing.T) {
	t.Parallel()
	files := embeddedFiles(t)
	require.Greater(t, len(files), 1, "needs a later migration to leave out")
	path := t.TempDir()
	dir, err := atlasmigrate.NewLocalDir(path)
	require.NoError(t, err)
	// Only the first migration, under a version from the far future: the schema then needs
	// a new migration, whose version (now) sorts before it.
	require.NoError(t, dir.WriteFile("99991231235959_init.up.sql", files[0].Bytes()))
	sum, err := dir.Checksum()
	require.NoError(t, err)
	require.NoError(t, atlasmigrate.WriteSumFile(dir, sum))

	wrote, err := Generate(context.Background(), testdb.AdminDSN(), path, "late")
	require.True(t, wrote)
	require.ErrorContains(t, err, "sorts before 99991231235959_init.up.sql")
}
