// Package db opens tenantd's one PostgreSQL pool and everything built on it: the ent client (over
// database/sql borrowing from the pool) and River's insert-only client, so that ent writes and job
// inserts share one transaction. internal/app builds it; domain packages use Tx and Jobs.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/tenantd/tenantd/ent"
	_ "github.com/tenantd/tenantd/ent/runtime" // ent hooks and privacy policies
)

// Options tune the pool. Zero values take the defaults named on each field.
type Options struct {
	// MaxConns is the pool size (DB_MAX_CONNS, default 20).
	MaxConns int32
	// Tracer, when set, sees every query of the pool (tests count queries with it).
	Tracer pgx.QueryTracer
}

// DB is the pool and the ent client over it. Close releases both.
type DB struct {
	Pool *pgxpool.Pool
	SQL  *sql.DB
	Ent  *ent.Client
}

// Open connects to dsn and checks the connection.
func Open(ctx context.Context, dsn string, opts Options, logger *slog.Logger) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	cfg.MaxConns = 20
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.Tracer != nil {
		cfg.ConnConfig.Tracer = opts.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create database pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s:%d: %w", cfg.ConnConfig.Host,
			cfg.ConnConfig.Port, err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, sqlDB)))
	logger.DebugContext(ctx, "database connected", slog.Int("max_conns", int(cfg.MaxConns)))
	return &DB{Pool: pool, SQL: sqlDB, Ent: client}, nil
}

// Close closes the ent client and the pool.
func (d *DB) Close() {
	_ = d.Ent.Close()
	d.Pool.Close()
}

// Ping checks that the database answers; /readyz uses it.
func (d *DB) Ping(ctx context.Context) error {
	return d.Pool.Ping(ctx)
}
