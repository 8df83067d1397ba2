package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

	"github.com/tenantd/tenantd/ent"
)

// Client returns the ent client to use for ctx: the transaction's client when ctx carries an ent
// transaction (entgql opens one per mutation), else base.
func Client(ctx context.Context, base *ent.Client) *ent.Client {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return tx.Client()
	}
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return base
}

// Detached returns ctx without the request's ent transaction and client, so that InTx starts an
// independent transaction that commits even when the request's rolls back.
func Detached(ctx context.Context) context.Context {
	return ent.NewContext(ent.NewTxContext(ctx, nil), nil)
}

// InTx runs fn in a transaction of base, or in the transaction ctx already carries. fn's ctx
// carries the transaction, so Jobs.Enqueue and Client inside it use the same one. The new
// transaction commits when fn returns nil and rolls back otherwise.
func InTx(ctx context.Context, base *ent.Client, fn func(ctx context.Context) error) error {
	if ent.TxFromContext(ctx) != nil {
		return fn(ctx)
	}
	tx, err := base.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	txCtx := ent.NewTxContext(ent.NewContext(ctx, tx.Client()), tx)
	if err := fn(txCtx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Jobs inserts River jobs inside the caller's ent transaction. It is an insert-only River client
// over database/sql; the workers run on a separate pgx-based client.
type Jobs struct {
	client *river.Client[*sql.Tx]
}

// NewJobs returns a Jobs for sqlDB. workers lets River check at insert time that every kind has
// a worker; it may be nil in tests that only insert.
func NewJobs(sqlDB *sql.DB, workers *river.Workers) (*Jobs, error) {
	// A short cooldown lets every insert notify the workers instead of being folded into the
	// next poll.
	client, err := river.NewClient(riverdatabasesql.New(sqlDB), &river.Config{Workers: workers,
		FetchCooldown: 5 * time.Millisecond})
	if err != nil {
		return nil, fmt.Errorf("create river insert client: %w", err)
	}
	return &Jobs{client: client}, nil
}

// ErrNoTx is returned by Enqueue when ctx carries no ent transaction: a job inserted outside the
// transaction of the change that caused it could survive a rollback of that change.
var ErrNoTx = errors.New("enqueue needs the ent transaction of the change in ctx")

// Enqueue inserts a job in the ent transaction of ctx; the job becomes visible to workers only
// when that transaction commits.
func (j *Jobs) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	tx := ent.TxFromContext(ctx)
	if tx == nil {
		return ErrNoTx
	}
	sqlTx, ok := tx.SQLTx()
	if !ok {
		return fmt.Errorf("enqueue %s: the ent transaction hides its *sql.Tx", args.Kind())
	}
	if _, err := j.client.InsertTx(ctx, sqlTx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// EnqueueNow inserts a job outside any transaction. Use it only where losing the insert is
// covered otherwise (a job whose failure is retried by its own caller).
func (j *Jobs) EnqueueNow(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := j.client.Insert(ctx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}
