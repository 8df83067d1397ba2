package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

const (
	seedPlan = `INSERT INTO plans (id, created_at, updated_at, key, name, tier, deployment_model,
	price, currency, billing_cycle, identity_provider, active)
VALUES (gen_random_uuid(), now(), now(), 'bench', 'Bench', 'STANDARD', 'POOLED', 1000, 'EUR',
	'MONTHLY', 'NONE', true)
ON CONFLICT (key) DO NOTHING`

	// seedTenants inserts $1 active tenants keyed $2 || n, each with an address, a primary
	// admin and a billing contact on its domain, and returns their ids.
	seedTenants = `WITH t AS (
	INSERT INTO tenants (id, created_at, updated_at, created_by, updated_by, key, name, status,
		domains, address, source, plan_id)
	SELECT gen_random_uuid(), now() - make_interval(secs => g), now(), 'bench', 'bench', $2 || g,
		'Bench tenant ' || g, 'ACTIVE', jsonb_build_array($2 || g || '.bench.example'),
		jsonb_build_object('line', g || ' Main St', 'city', 'Berlin', 'postalCode', '10115',
			'country', 'DE'),
		'operator', (SELECT id FROM plans WHERE key = 'bench')
	FROM generate_series(1, $1::int) g
	RETURNING id, domains
), c AS (
	INSERT INTO contacts (id, created_at, updated_at, first_name, last_name, email, type,
		is_primary, tenant_id)
	SELECT gen_random_uuid(), now(), now(), 'Ada', 'Admin', 'ada@' || (t.domains->>0), 'ADMIN',
		true, t.id FROM t
	UNION ALL
	SELECT gen_random_uuid(), now(), now(), 'Bill', 'Billing', 'bill@' || (t.domains->>0),
		'BILLING', false, t.id FROM t
)
SELECT id::text FROM t`
)

// seed creates n tenants with contacts and returns their ids: in SQL when the target's database
// is known, otherwise through onboardTenant (which also needs the plan to exist: it is created
// with createPlan when missing).
func seed(ctx context.Context, c *client, dsn string, n, conns int) ([]string, error) {
	if dsn != "" {
		return seedSQL(ctx, dsn, n)
	}
	return seedGraphQL(ctx, c, n, conns)
}

func seedSQL(ctx context.Context, dsn string, n int) (ids []string, err error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to seed: %w", err)
	}
	defer conn.Close(context.Background())
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin seeding: %w", err)
	}
	defer func() { _ = tx.Rollback(context.Background()) }()
	if _, err := tx.Exec(ctx, seedPlan); err != nil {
		return nil, fmt.Errorf("seed plan %q: %w", benchPlan, err)
	}
	rows, err := tx.Query(ctx, seedTenants, n, runID+"-s")
	if err != nil {
		return nil, fmt.Errorf("seed %d tenants: %w", n, err)
	}
	if ids, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		return nil, fmt.Errorf("seed %d tenants: %w", n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit seeding: %w", err)
	}
	// Fresh statistics, as a long-running database would have.
	if _, err := conn.Exec(ctx, "ANALYZE plans, tenants, contacts"); err != nil {
		return nil, fmt.Errorf("analyze seeded tables: %w", err)
	}
	return ids, nil
}

const createPlanQuery = `mutation($in: CreatePlanInput!) { createPlan(input: $in) { id } }`

// seedGraphQL onboards n tenants over GraphQL on conns connections.
func seedGraphQL(ctx context.Context, c *client, n, conns int) ([]string, error) {
	var buf bytes.Buffer
	_, err := c.do(ctx, true, createPlanQuery, map[string]any{"in": map[string]any{
		"key": benchPlan, "name": "Bench", "tier": "STANDARD", "deploymentModel": "POOLED",
		"price": 1000, "currency": "EUR", "billingCycle": "MONTHLY", "identityProvider": "NONE",
	}}, &buf)
	if err != nil && !strings.Contains(err.Error(), "CONFLICT") {
		return nil, fmt.Errorf("create plan %q: %w", benchPlan, err)
	}

	ids := make([]string, n)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				id, err := onboardOne(ctx, c, fmt.Sprintf("%s-s%d", runID, i+1), &buf)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, fmt.Errorf("seed tenants through onboardTenant: %w", err)
	}
	return ids, nil
}

func onboardOne(ctx context.Context, c *client, key string, buf *bytes.Buffer) (string, error) {
	data, err := c.do(ctx, true, onboardQuery, onboardVars(key), buf)
	if err != nil {
		return "", fmt.Errorf("onboard %q: %w", key, err)
	}
	var t struct{ ID string }
	if err := json.Unmarshal(data["onboardTenant"], &t); err != nil {
		return "", fmt.Errorf("decode onboarded tenant %q: %w", key, err)
	}
	return t.ID, nil
}
