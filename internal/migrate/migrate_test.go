package migrate_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/migrate"
	"github.com/tenantd/tenantd/internal/testdb"
)

// TestMain leaves the template database empty: these tests migrate it themselves.
func TestMain(m *testing.M) {
	testdb.Main(m, nil)
}

// discard is the logger of every Up call here.
var discard = slog.New(slog.DiscardHandler)

// openPool connects to dsn for the length of t.
func openPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// migrated returns a pool on a fresh database that Up has migrated.
func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := openPool(t, testdb.New(t))
	require.NoError(t, migrate.Up(context.Background(), pool, discard))
	return pool
}

// schemaState is what Up leaves behind: tenantd's version and River's applied versions.
type schemaState struct {
	version uint64
	dirty   bool
	river   []int
}

func readState(t *testing.T, pool *pgxpool.Pool) schemaState {
	t.Helper()
	ctx := context.Background()
	var s schemaState
	require.NoError(t, pool.QueryRow(ctx,
		`SELECT version, dirty FROM schema_migrations`).Scan(&s.version, &s.dirty))
	rows, err := pool.Query(ctx, `SELECT version FROM river_migration ORDER BY version`)
	require.NoError(t, err)
	s.river, err = pgx.CollectRows(rows, pgx.RowTo[int])
	require.NoError(t, err)
	return s
}

// TestSchemaMatchesMigrations fails when the ent schema and migrations/ disagree: the
// migrations are replayed on a scratch database and whatever ent would still change is shown.
// Run `make generate` to write the missing migration. plan_internal_test.go shows that this
// check notices a missing or a foreign change.
func TestSchemaMatchesMigrations(t *testing.T) {
	t.Parallel()
	pending, err := migrate.Plan(context.Background(), testdb.AdminDSN())
	require.NoError(t, err)
	require.Empty(t, pending, "ent schema and migrations/ disagree; run `make generate`")
}

func TestUpOnEmptyThenNoop(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := openPool(t, testdb.New(t))

	err := migrate.Current(ctx, pool)
	require.ErrorContains(t, err, "read tenantd schema version", "empty database is current")

	require.NoError(t, migrate.Up(ctx, pool, discard))
	require.NoError(t, migrate.Current(ctx, pool))

	rows, err := pool.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	require.NoError(t, err)
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Subset(t, tables, []string{
		"leads", "lead_verifications", "tenants", "contacts", "resources", "plans",
		"subscriptions", "invoices", "tenant_configs", "provisioning_attempts",
		"tenant_status_changes", "outbox_events", "webhook_receipts",
		"schema_migrations", "river_job", "river_migration", "river_leader", "river_queue",
	})

	latest, err := migrate.LatestVersion()
	require.NoError(t, err)
	first := readState(t, pool)
	require.Equal(t, uint64(latest), first.version)
	require.False(t, first.dirty)
	require.NotEmpty(t, first.river)

	require.NoError(t, migrate.Up(ctx, pool, discard), "second Up")
	require.Equal(t, first, readState(t, pool), "second Up changed the schema state")
	require.NoError(t, migrate.Current(ctx, pool))
}

// TestCurrentNoticesLag checks that /readyz's migration check fails for each way a database
// can be behind.
func TestCurrentNoticesLag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		sql     string
		wantErr string
	}{
		{"tenantd behind", `UPDATE schema_migrations SET version = version - 1`,
			"tenantd schema at version"},
		{"tenantd dirty", `UPDATE schema_migrations SET dirty = true`, "(dirty true)"},
		{"river behind", `DELETE FROM river_migration
			WHERE version = (SELECT max(version) FROM river_migration)`,
			"river schema is not current"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool := migrated(t)
			_, err := pool.Exec(ctx, tt.sql)
			require.NoError(t, err)
			require.ErrorContains(t, migrate.Current(ctx, pool), tt.wantErr)
		})
	}
}

func TestUpConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testdb.New(t)
	const n = 4
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		pools[i] = openPool(t, dsn)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = migrate.Up(ctx, pools[i], discard)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "Up %d", i)
	}
	require.NoError(t, migrate.Current(ctx, pools[0]))
	state := readState(t, pools[0])
	require.False(t, state.dirty)
	latest, err := migrate.LatestVersion()
	require.NoError(t, err)
	require.Equal(t, uint64(latest), state.version)
}

// rows inserts the fixtures of the database rule tests with raw SQL, the way a second writer
// that bypasses the application would.
type rows struct {
	t    *testing.T
	pool *pgxpool.Pool
}

func (r rows) exec(sql string, args ...any) (uuid.UUID, error) {
	id := uuid.Must(uuid.NewV7())
	_, err := r.pool.Exec(context.Background(), sql, append([]any{id}, args...)...)
	return id, err
}

func (r rows) must(id uuid.UUID, err error) uuid.UUID {
	r.t.Helper()
	require.NoError(r.t, err)
	return id
}

func (r rows) plan(key string) (uuid.UUID, error) {
	return r.exec(`INSERT INTO plans (id, created_at, updated_at, key, name, tier,
		deployment_model, price, currency, billing_cycle)
		VALUES ($1, now(), now(), $2, 'Plan', 'STANDARD', 'POOLED', 4900, 'EUR', 'MONTHLY')`, key)
}

func (r rows) lead() (uuid.UUID, error) {
	email := uuid.NewString() + "@example.com"
	return r.exec(`INSERT INTO leads (id, created_at, updated_at, first_name, last_name,
		company_name, email, email_normalized)
		VALUES ($1, now(), now(), 'Ada', 'Lovelace', 'Acme', $2, $2)`, email)
}

func (r rows) tenant(key string, lead *uuid.UUID) (uuid.UUID, error) {
	return r.exec(`INSERT INTO tenants (id, created_at, updated_at, key, name, domains, lead_id)
		VALUES ($1, now(), now(), $2, 'Tenant', '[]', $3)`, key, lead)
}

func (r rows) contact(tenant uuid.UUID, primary bool) (uuid.UUID, error) {
	return r.exec(`INSERT INTO contacts (id, created_at, updated_at, first_name, last_name,
		email, type, is_primary, tenant_id)
		VALUES ($1, now(), now(), 'Grace', 'Hopper', 'grace@example.com', 'ADMIN', $2, $3)`,
		primary, tenant)
}

func (r rows) config(tenant uuid.UUID, key string) (uuid.UUID, error) {
	return r.exec(`INSERT INTO tenant_configs (id, created_at, updated_at, key, value, tenant_id)
		VALUES ($1, now(), now(), $2, '{}', $3)`, key, tenant)
}

func (r rows) resource(tenant uuid.UUID, external string) (uuid.UUID, error) {
	return r.exec(`INSERT INTO resources (id, created_at, updated_at, type,
		external_identifier, tenant_id)
		VALUES ($1, now(), now(), 'database', $2, $3)`, external, tenant)
}

func (r rows) subscription(tenant, plan uuid.UUID) (uuid.UUID, error) {
	return r.exec(`INSERT INTO subscriptions (id, created_at, updated_at, plan_id, tenant_id)
		VALUES ($1, now(), now(), $2, $3)`, plan, tenant)
}

func (r rows) invoice(tenant, sub uuid.UUID, number, periodStart string) (uuid.UUID, error) {
	return r.exec(`INSERT INTO invoices (id, created_at, updated_at, number, period_start,
		period_end, amount, currency, issued_at, due_date, subscription_id, tenant_id)
		VALUES ($1, now(), now(), $2, $3::date, $3::date + 30, 4900, 'EUR', now(),
		$3::date + 14, $4, $5)`, number, periodStart, sub, tenant)
}

// tenantWithSubscription makes a tenant of key on a new plan, subscribed to it.
func (r rows) tenantWithSubscription(key string) (tenant, sub uuid.UUID) {
	r.t.Helper()
	plan := r.must(r.plan("plan-" + key))
	tenant = r.must(r.tenant(key, nil))
	return tenant, r.must(r.subscription(tenant, plan))
}

// TestDatabaseEnforcesUniqueness checks the rules of SPEC section 2 that the database itself
// must keep, also against writers that skip the application's checks: each case's first
// writes succeed and its last write is refused by the named constraint.
func TestDatabaseEnforcesUniqueness(t *testing.T) {
	t.Parallel()
	pool := migrated(t)
	tests := []struct {
		name       string
		run        func(r rows) error // returns the error of the write that must be refused
		code       string
		constraint string
	}{
		{"tenant key twice", func(r rows) error {
			r.must(r.tenant("dup", nil))
			_, err := r.tenant("dup", nil)
			return err
		}, "23505", "tenant_key"},
		{"tenant key differing in case", func(r rows) error {
			r.must(r.tenant("acme", nil))
			_, err := r.tenant("ACME", nil)
			return err
		}, "23514", "tenant_key_lower_case"},
		{"upper-case tenant key alone", func(r rows) error {
			_, err := r.tenant("Solo", nil)
			return err
		}, "23514", "tenant_key_lower_case"},
		{"second tenant for a lead", func(r rows) error {
			lead := r.must(r.lead())
			r.must(r.tenant("lead-first", &lead))
			r.must(r.tenant("no-lead-a", nil))
			r.must(r.tenant("no-lead-b", nil)) // tenants without a lead do not collide
			_, err := r.tenant("lead-second", &lead)
			return err
		}, "23505", "tenants_lead_id_key"},
		{"second primary contact", func(r rows) error {
			tenant := r.must(r.tenant("contacts", nil))
			other := r.must(r.tenant("contacts-other", nil))
			r.must(r.contact(tenant, false))
			r.must(r.contact(tenant, false))
			r.must(r.contact(tenant, true))
			r.must(r.contact(other, true)) // each tenant has its own primary
			_, err := r.contact(tenant, true)
			return err
		}, "23505", "contact_one_primary_per_tenant"},
		{"config key twice for a tenant", func(r rows) error {
			tenant := r.must(r.tenant("configs", nil))
			other := r.must(r.tenant("configs-other", nil))
			r.must(r.config(tenant, "branding"))
			r.must(r.config(tenant, "auth0"))
			r.must(r.config(other, "branding"))
			_, err := r.config(tenant, "branding")
			return err
		}, "23505", "tenantconfig_tenant_id_key"},
		{"resource external identifier twice for a tenant", func(r rows) error {
			tenant := r.must(r.tenant("resources", nil))
			other := r.must(r.tenant("resources-other", nil))
			r.must(r.resource(tenant, "db-1"))
			r.must(r.resource(other, "db-1"))
			_, err := r.resource(tenant, "db-1")
			return err
		}, "23505", "resource_tenant_id_external_identifier"},
		{"invoice for a period twice", func(r rows) error {
			tenant, sub := r.tenantWithSubscription("invoice-period")
			r.must(r.invoice(tenant, sub, "INV-P-1", "2026-01-01"))
			r.must(r.invoice(tenant, sub, "INV-P-2", "2026-02-01"))
			_, err := r.invoice(tenant, sub, "INV-P-3", "2026-01-01")
			return err
		}, "23505", "invoice_subscription_id_period_start"},
		{"invoice number twice", func(r rows) error {
			t1, s1 := r.tenantWithSubscription("invoice-number-a")
			t2, s2 := r.tenantWithSubscription("invoice-number-b")
			r.must(r.invoice(t1, s1, "INV-N-1", "2026-01-01"))
			_, err := r.invoice(t2, s2, "INV-N-1", "2026-01-01")
			return err
		}, "23505", "invoice_number"},
		{"plan key twice", func(r rows) error {
			r.must(r.plan("gold"))
			_, err := r.plan("gold")
			return err
		}, "23505", "plan_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.run(rows{t: t, pool: pool})
			var pgErr *pgconn.PgError
			require.ErrorAs(t, err, &pgErr, "write was not refused")
			require.Equal(t, tt.code, pgErr.Code, pgErr.Message)
			require.Equal(t, tt.constraint, pgErr.ConstraintName, pgErr.Message)
		})
	}
}
