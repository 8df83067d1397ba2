// Package migrate applies and checks tenantd's database migrations: the SQL files of migrations/
// (generated from the ent schema) through golang-migrate, then River's own migrations. cmd/tenantd
// calls Up; /readyz calls Current; the schema check and `make generate` call Plan.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	pgxmigrate "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/tenantd/tenantd/migrations"
)

// upLockKey is the session advisory lock that serialises Up across instances: River's migrator
// takes no lock of its own, and two instances creating its types at once collide.
const upLockKey = 7_310_452_019

// Up applies every pending migration of tenantd and of River on the database of pool. It is safe
// to run from several instances at once (they take turns on an advisory lock) and is a no-op on
// a database that is already current.
func Up(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection for the migration lock: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", upLockKey); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer func() {
		ctx := context.WithoutCancel(ctx)
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", upLockKey); err != nil {
			// A connection that may still hold the lock must not go back to the pool.
			_ = conn.Conn().Close(ctx)
		}
	}()
	return up(ctx, pool, logger)
}

// up applies both sets of migrations; the caller holds the migration lock.
func up(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	m, closeFn, err := newMigrator(pool)
	if err != nil {
		return err
	}
	defer closeFn()

	err = m.Up()
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("apply tenantd migrations: %w", err)
	}
	version, _, _ := m.Version()
	logger.InfoContext(ctx, "tenantd schema migrated", slog.Uint64("version", uint64(version)))

	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("create river migrator: %w", err)
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("apply river migrations: %w", err)
	}
	logger.InfoContext(ctx, "river schema migrated", slog.Int("applied", len(res.Versions)))
	return nil
}

// Current returns nil when both tenantd's and River's migrations are fully applied and clean,
// and an error saying what is behind otherwise.
func Current(ctx context.Context, pool *pgxpool.Pool) error {
	want, err := LatestVersion()
	if err != nil {
		return err
	}
	var (
		got   uint64
		dirty bool
	)
	err = pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&got, &dirty)
	if err != nil {
		return fmt.Errorf("read tenantd schema version: %w", err)
	}
	if dirty || got != uint64(want) {
		return fmt.Errorf("tenantd schema at version %d (dirty %t), want %d", got, dirty, want)
	}

	rm, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("create river migrator: %w", err)
	}
	existing, err := rm.ExistingVersions(ctx)
	if err != nil {
		return fmt.Errorf("read river schema version: %w", err)
	}
	all := rm.AllVersions()
	if len(existing) == 0 || existing[len(existing)-1].Version != all[len(all)-1].Version {
		return fmt.Errorf("river schema is not current (%d of %d applied)", len(existing), len(all))
	}
	return nil
}

// LatestVersion returns the version of the newest embedded migration.
func LatestVersion() (uint, error) {
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return 0, fmt.Errorf("list migrations: %w", err)
	}
	var latest uint
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".up.sql") {
			continue
		}
		v, err := strconv.ParseUint(prefix, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("migration %q has no numeric version: %w", e.Name(), err)
		}
		latest = max(latest, uint(v))
	}
	return latest, nil
}

// newMigrator builds a golang-migrate instance over the embedded files. The returned function
// releases its database handle.
func newMigrator(pool *pgxpool.Pool) (*migrate.Migrate, func(), error) {
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("open embedded migrations: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	drv, err := pgxmigrate.WithInstance(db, &pgxmigrate.Config{})
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("open migration driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("create migrator: %w", err)
	}
	return m, func() { _, _ = m.Close() }, nil
}
