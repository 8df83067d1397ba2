package apptest

import (
	"context"
	"testing"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/schematype"
)

// Seeded is a tenant written straight into the database, with its plan and subscription.
type Seeded struct {
	Tenant       *ent.Tenant
	Plan         *ent.Plan
	Subscription *ent.Subscription
}

// SeedTenant writes an ACTIVE tenant with domain <key>.example.com, a plan "<key>-plan" and a
// subscription, bypassing the API (which onboards tenants through its own flow).
func (e *Env) SeedTenant(t testing.TB, key string) Seeded {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	c := e.Service.DB.Ent
	p, err := c.Plan.Create().SetKey(key + "-plan").SetName("Plan of " + key).
		SetTier("STANDARD").SetDeploymentModel(schematype.DeploymentPooled).SetPrice(2500).
		SetCurrency("EUR").SetBillingCycle("MONTHLY").Save(ctx)
	require.NoError(t, err)
	tn, err := c.Tenant.Create().SetKey(key).SetName("Tenant " + key).
		SetStatus(schematype.TenantActive).SetDomains([]string{key + ".example.com"}).
		SetPlanID(p.ID).SetAddress(&schematype.Address{Line: "1 Main St", City: "Berlin",
		Country: "DE"}).Save(ctx)
	require.NoError(t, err)
	sub, err := c.Subscription.Create().SetTenantID(tn.ID).SetPlanID(p.ID).
		SetStatus("ACTIVE").Save(ctx)
	require.NoError(t, err)
	return Seeded{Tenant: tn, Plan: p, Subscription: sub}
}

// NewID returns a fresh UUIDv7 as a string, for ids that exist nowhere.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
