package graph_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/obs"
)

// queryCounter counts the SQL statements that serve HTTP requests.
type queryCounter struct {
	mu      sync.Mutex
	on      bool
	queries []string
}

func (c *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn,
	d pgx.TraceQueryStartData,
) context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Only statements made for an HTTP request count (they carry its request id); jobs and
	// River's own polling run in the background.
	if c.on && obs.RequestID(ctx) != "" {
		c.queries = append(c.queries, d.SQL)
	}
	return ctx
}

func (c *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (c *queryCounter) count(fn func()) []string {
	c.mu.Lock()
	c.on, c.queries = true, nil
	c.mu.Unlock()
	fn()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	return c.queries
}

// seedTenants inserts n tenants with a plan, an address, a primary and a billing contact.
func seedTenants(t *testing.T, env *apptest.Env, n int) {
	t.Helper()
	ctx := context.Background()
	for _, stmt := range []string{
		`INSERT INTO plans (id, created_at, updated_at, key, name, tier, deployment_model, price,
			currency, billing_cycle, identity_provider, active)
		VALUES (gen_random_uuid(), now(), now(), 'seed', 'Seed', 'STANDARD', 'POOLED', 1000,
			'EUR', 'MONTHLY', 'NONE', true)`,
		`INSERT INTO tenants (id, created_at, updated_at, key, name, status, domains, address,
			source, plan_id)
		SELECT gen_random_uuid(), now() - make_interval(secs => g), now(), 'tenant-' || g,
			'Tenant ' || g, 'ACTIVE', jsonb_build_array('t' || g || '.example.com'),
			jsonb_build_object('line', g || ' Main St', 'city', 'Berlin', 'country', 'DE'),
			'operator', (SELECT id FROM plans WHERE key = 'seed')
		FROM generate_series(1, $1::int) g`,
		`INSERT INTO contacts (id, created_at, updated_at, first_name, last_name, email, type,
			is_primary, tenant_id)
		SELECT gen_random_uuid(), now(), now(), 'Ada', 'Admin', 'ada@' || (t.domains->>0), 'ADMIN',
			true, t.id FROM tenants t
		UNION ALL
		SELECT gen_random_uuid(), now(), now(), 'Bill', 'Billing', 'bill@' || (t.domains->>0),
			'BILLING', false, t.id FROM tenants t`,
	} {
		var args []any
		if strings.Contains(stmt, "$1") {
			args = append(args, n)
		}
		_, err := env.Service.DB.Pool.Exec(ctx, stmt, args...)
		require.NoError(t, err)
	}
}

const tenantPage = `query($first: Int!) {
  tenants(first: $first, orderBy: [{field: CREATED_AT, direction: DESC}]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      id key name status domains
      address { line city country }
      plan { key tier }
      contacts { totalCount edges { node { email type isPrimary } } }
    } }
  }
}`

func TestTenantPageQueryCountIsBounded(t *testing.T) {
	t.Parallel()
	counter := &queryCounter{}
	env := apptest.New(t, apptest.Options{Tracer: counter})
	seedTenants(t, env, 10_000)
	token := env.Admin(t)

	type page struct {
		Tenants struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Key      string
					Address  struct{ City string }
					Plan     struct{ Key string }
					Contacts struct {
						TotalCount int
					}
				}
			}
		}
	}
	counts := map[int]int{}
	for _, size := range []int{1, 20, 100} {
		var out page
		queries := counter.count(func() {
			env.Do(t, token, tenantPage, map[string]any{"first": size}).Decode(t, &out)
		})
		require.Equal(t, 10_000, out.Tenants.TotalCount)
		require.Len(t, out.Tenants.Edges, size)
		for _, e := range out.Tenants.Edges {
			require.Equal(t, "Berlin", e.Node.Address.City)
			require.Equal(t, "seed", e.Node.Plan.Key)
			require.Equal(t, 2, e.Node.Contacts.TotalCount)
		}
		counts[size] = len(queries)
		require.LessOrEqual(t, len(queries), 6, "queries for a page of %d:\n%s", size,
			strings.Join(queries, "\n"))
	}
	require.Equal(t, counts[1], counts[20], "query count must not grow with the page size")
	require.Equal(t, counts[20], counts[100], "query count must not grow with the page size")
	t.Logf("SQL statements per page: %v", counts)
}

func TestTenantFilters(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	seedTenants(t, env, 30)
	token := env.Admin(t)

	cases := []struct {
		where string
		want  int
	}{
		{`{keyHasPrefix: "tenant-1"}`, 11}, // tenant-1, tenant-10 … tenant-19
		{`{search: "TENANT 2"}`, 11},       // name match, case-insensitive
		{`{domain: "T7.Example.COM"}`, 1},
		{`{status: ACTIVE}`, 30},
		{`{status: SUSPENDED}`, 0},
		{`{planKey: "seed"}`, 30},
		{`{tier: "PREMIUM"}`, 0},
		{`{hasPlanWith: [{tier: "STANDARD"}]}`, 30},
	}
	for _, c := range cases {
		t.Run(c.where, func(t *testing.T) {
			t.Parallel()
			var out struct {
				Tenants struct{ TotalCount int }
			}
			q := fmt.Sprintf(`{ tenants(where: %s) { totalCount } }`, c.where)
			env.Do(t, token, q, nil).Decode(t, &out)
			require.Equal(t, c.want, out.Tenants.TotalCount)
		})
	}

	var byKey struct {
		TenantByKey struct{ Name string }
	}
	env.Do(t, token, `{ tenantByKey(key: "TENANT-3") { name } }`, nil).Decode(t, &byKey)
	require.Equal(t, "Tenant 3", byKey.TenantByKey.Name)

	missing := env.Do(t, token, `{ tenantByKey(key: "nobody") { name } }`, nil)
	require.Equal(t, "NOT_FOUND", missing.Code())

	bad := env.Do(t, token, `{ tenants(where: {domain: "not a domain"}) { totalCount } }`, nil)
	require.Equal(t, "VALIDATION_FAILED", bad.Code())
	require.Equal(t, "where.domain", bad.Field())
}

func TestPagingLimits(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	seedTenants(t, env, 25)
	token := env.Admin(t)

	var def struct {
		Tenants struct {
			Edges    []struct{ Cursor string }
			PageInfo struct{ HasNextPage bool }
		}
	}
	env.Do(t, token, `{ tenants { edges { cursor } pageInfo { hasNextPage } } }`, nil).
		Decode(t, &def)
	require.Len(t, def.Tenants.Edges, 20, "default page size")
	require.True(t, def.Tenants.PageInfo.HasNextPage)

	var next struct {
		Tenants struct{ Edges []struct{ Cursor string } }
	}
	env.Do(t, token, `query($after: Cursor) { tenants(first: 20, after: $after) { edges { cursor } } }`,
		map[string]any{"after": def.Tenants.Edges[19].Cursor}).Decode(t, &next)
	require.Len(t, next.Tenants.Edges, 5)

	tooMany := env.Do(t, token, `{ tenants(first: 101) { totalCount } }`, nil)
	require.Equal(t, "VALIDATION_FAILED", tooMany.Code())
	require.Equal(t, "first", tooMany.Field())

	deep := env.Do(t, token, `{ tenants { edges { node { plan { tenants: id } lead { tenant {
		lead { tenant { lead { tenant { lead { tenant { lead { id } } } } } } } } } } } } }`, nil)
	require.Equal(t, "VALIDATION_FAILED", deep.Code(), "depth limit")

	costly := env.Do(t, token, `{ tenants(first: 100) { edges { node { contacts(first: 100) {
		edges { node { id email } } } } } } }`, nil)
	require.Equal(t, "VALIDATION_FAILED", costly.Code(), "complexity limit")
}
