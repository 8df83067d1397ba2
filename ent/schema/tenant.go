package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/schematype"
)

// Tenant is a customer organisation. Its key is also its sub-domain and stays reserved for ever,
// so off-boarded tenants are only soft-deleted.
type Tenant struct {
	ent.Schema
}

// Mixin of Tenant.
func (Tenant) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Tenant.
func (Tenant) Fields() []ent.Field {
	return []ent.Field{
		// The key is stored lower-cased (a check constraint keeps it so), which makes the unique
		// index case-insensitive.
		field.String("key").MinLen(3).MaxLen(30).Immutable().
			Annotations(entgql.OrderField("KEY"), entgql.Skip(entgql.SkipMutationUpdateInput)),
		field.String("name").MaxLen(200).Annotations(entgql.OrderField("NAME")),
		field.Enum("status").GoType(schematype.TenantStatus("")).
			Default(string(schematype.TenantPendingProvision)).
			Annotations(entgql.OrderField("STATUS"), entgql.Type("TenantStatus"), serverOwned),
		field.UUID("plan_id", newID()).Optional().Nillable().
			Annotations(serverOwned, entgql.Skip(entgql.SkipType)),
		field.Enum("deployment_model").GoType(schematype.DeploymentModel("")).Optional().
			Annotations(entgql.Type("DeploymentModel"), serverOwned),
		field.Strings("domains").Default([]string{}),
		field.UUID("lead_id", newID()).Optional().Nillable().Immutable().
			Annotations(serverOwned, entgql.Skip(entgql.SkipType)),
		field.JSON("address", &schematype.Address{}).Optional().
			Annotations(entgql.Type("Address")),
		field.Enum("identity_provider").GoType(schematype.IdentityProvider("")).Optional().
			Annotations(entgql.Type("IdentityProvider"), serverOwned),
		field.String("auth_id").Optional().Annotations(serverOwned),
		field.String("source").Default("operator").MaxLen(100).
			Annotations(entgql.Skip(entgql.SkipMutationUpdateInput)),
		field.Time("deleted_at").Optional().Nillable().Annotations(serverOwned),
	}
}

// Edges of Tenant.
func (Tenant) Edges() []ent.Edge {
	readOnly := entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)
	return []ent.Edge{
		edge.To("plan", Plan.Type).Unique().Field("plan_id").
			Annotations(entsql.OnDelete(entsql.Restrict), readOnly,
				entgql.OrderField("PLAN_KEY")),
		edge.From("lead", Lead.Type).Ref("tenant").Unique().Field("lead_id").Immutable().
			Annotations(readOnly),
		edge.To("contacts", Contact.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly, entgql.RelayConnection()),
		edge.To("resources", Resource.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly, entgql.RelayConnection()),
		edge.To("configs", TenantConfig.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly),
		edge.To("subscription", Subscription.Type).Unique().
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly),
		edge.To("invoices", Invoice.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly, entgql.RelayConnection()),
		edge.To("provisioning_attempts", ProvisioningAttempt.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly, entgql.RelayConnection()),
		edge.To("status_history", TenantStatusChange.Type).
			Annotations(entsql.OnDelete(entsql.Cascade), readOnly, entgql.RelayConnection()),
	}
}

// Indexes of Tenant: the key is unique among all tenants ever created, off-boarded included.
func (Tenant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("key").Unique(),
		index.Fields("status"),
		index.Fields("created_at"),
		index.Fields("name"),
	}
}

// Annotations of Tenant.
func (Tenant) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.MultiOrder(),
		entsql.Checks(map[string]string{
			"tenant_key_lower_case": "key = lower(key)",
		}),
	}
}

// Policy of Tenant.
func (Tenant) Policy() ent.Policy { return readableWith(auth.ViewTenant) }
