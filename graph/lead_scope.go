package graph

import (
	"context"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/tenant"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
)

// A lead token may read its own lead and its own tenant, nothing else (SPEC 3.1.5). These
// helpers load exactly those objects without their edges: nested fields are then resolved under
// the lead's own viewer, which ent privacy refuses. Anything else answers FORBIDDEN, whether it
// exists or not.

var errNotYours = apperr.Forbidden("a lead token may read only its own lead and tenant")

// ownLead returns the lead of the lead token in ctx when id is that lead.
func (r *Resolver) ownLead(ctx context.Context, v *auth.Viewer, id uuid.UUID) (*ent.Lead, error) {
	if id != v.LeadID {
		return nil, errNotYours
	}
	l, err := r.client.Lead.Get(privacy.DecisionContext(ctx, privacy.Allow), id)
	return l, notFound(err, "lead")
}

// ownTenant returns the tenant matching where when it belongs to the lead of the token in ctx.
func (r *Resolver) ownTenant(ctx context.Context, v *auth.Viewer, where ...func(*ent.TenantQuery),
) (*ent.Tenant, error) {
	q := r.client.Tenant.Query().Where(tenant.LeadID(v.LeadID))
	for _, w := range where {
		w(q)
	}
	t, err := q.Only(privacy.DecisionContext(ctx, privacy.Allow))
	if ent.IsNotFound(err) {
		return nil, errNotYours
	}
	return t, err
}

// ownNode resolves node(id) for a lead token.
func (r *Resolver) ownNode(ctx context.Context, v *auth.Viewer, id uuid.UUID) (ent.Noder, error) {
	if id == v.LeadID {
		return r.ownLead(ctx, v, id)
	}
	return r.ownTenant(ctx, v, func(q *ent.TenantQuery) { q.Where(tenant.ID(id)) })
}
