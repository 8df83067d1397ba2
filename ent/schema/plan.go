package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/schematype"
)

// Plan is what a tenant buys. Price is an amount of minor units of Currency (ISO 4217).
type Plan struct {
	ent.Schema
}

// Mixin of Plan.
func (Plan) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Plan.
func (Plan) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").MaxLen(64).Annotations(entgql.OrderField("KEY")),
		field.String("name").MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.String("description").Optional().MaxLen(2000),
		field.String("tier").MaxLen(64).Annotations(entgql.OrderField("TIER")),
		field.Enum("deployment_model").GoType(schematype.DeploymentModel("")).
			Annotations(entgql.Type("DeploymentModel")),
		field.String("size").Optional().MaxLen(64),
		field.Int64("price").NonNegative().Annotations(entgql.OrderField("PRICE")),
		field.String("currency").MinLen(3).MaxLen(3),
		field.Enum("billing_cycle").Values("MONTHLY", "QUARTERLY", "YEARLY").
			Annotations(entgql.Type("BillingCycle")),
		field.Enum("identity_provider").GoType(schematype.IdentityProvider("")).
			Default(string(schematype.IdentityNone)).
			Annotations(entgql.Type("IdentityProvider")),
		field.Bool("active").Default(true),
	}
}

// Edges of Plan.
func (Plan) Edges() []ent.Edge {
	readOnly := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Edge{
		edge.From("tenants", Tenant.Type).Ref("plan").Annotations(entgql.Skip()),
		edge.From("subscriptions", Subscription.Type).Ref("plan").Annotations(entgql.Skip(), readOnly),
	}
}

// Indexes of Plan.
func (Plan) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("key").Unique(),
		index.Fields("tier"),
	}
}

// Annotations of Plan.
func (Plan) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// Policy of Plan.
func (Plan) Policy() ent.Policy { return readableWith(auth.ViewPlan) }
