package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tenantd/tenantd/internal/auth"
)

// TenantConfig is one named JSON document of a tenant's settings (auth0, keycloak, branding …).
type TenantConfig struct {
	ent.Schema
}

// Mixin of TenantConfig.
func (TenantConfig) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of TenantConfig.
func (TenantConfig) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("key").MaxLen(64).Immutable().
			Annotations(entgql.OrderField("KEY"), entgql.Skip(entgql.SkipMutationUpdateInput)),
		field.JSON("value", map[string]any{}).Annotations(entgql.Type("Map")),
	}
}

// Edges of TenantConfig.
func (TenantConfig) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("configs").Unique().Required().Immutable().
			Field("tenant_id").Annotations(entgql.Skip(entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of TenantConfig.
func (TenantConfig) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "key").Unique()}
}

// Annotations of TenantConfig.
func (TenantConfig) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// Policy of TenantConfig.
func (TenantConfig) Policy() ent.Policy { return readableWith(auth.ViewTenantConfig) }
