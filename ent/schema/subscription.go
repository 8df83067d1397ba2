package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/tenantd/tenantd/internal/auth"
)

// Subscription binds a tenant to the plan it is billed for. Its billing anchor is the date the
// tenant first became ACTIVE; periods follow the anchor day.
type Subscription struct {
	ent.Schema
}

// Mixin of Subscription.
func (Subscription) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Subscription.
func (Subscription) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Unique().Immutable().
			Annotations(entgql.Skip(entgql.SkipType)),
		field.UUID("plan_id", newID()).Annotations(entgql.Skip(entgql.SkipType)),
		field.Enum("status").Values("PENDING", "ACTIVE", "CANCELLED").Default("PENDING").
			Annotations(entgql.Type("SubscriptionStatus")),
		field.Time("billing_anchor").Optional().Nillable(),
		field.Time("current_period_start").Optional().Nillable(),
		field.Time("current_period_end").Optional().Nillable(),
	}
}

// Edges of Subscription.
func (Subscription) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("subscription").Unique().Required().Immutable().
			Field("tenant_id"),
		edge.To("plan", Plan.Type).Unique().Required().Field("plan_id").
			Annotations(entsql.OnDelete(entsql.Restrict)),
		edge.To("invoices", Invoice.Type).Annotations(entgql.Skip()),
	}
}

// Annotations of Subscription.
func (Subscription) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Type("BillingSubscription")}
}

// Policy of Subscription.
func (Subscription) Policy() ent.Policy { return readableWith(auth.ViewTenant) }
