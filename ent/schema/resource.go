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

// Resource is a piece of infrastructure that the provisioner reported for a tenant.
type Resource struct {
	ent.Schema
}

// Mixin of Resource.
func (Resource) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Resource.
func (Resource) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("type").MaxLen(200),
		field.String("external_identifier").MaxLen(500),
		field.JSON("metadata", map[string]any{}).Optional().Annotations(entgql.Type("Map")),
	}
}

// Edges of Resource.
func (Resource) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("resources").Unique().Required().Immutable().
			Field("tenant_id"),
	}
}

// Indexes of Resource.
func (Resource) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "external_identifier").Unique()}
}

// Annotations of Resource.
func (Resource) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Policy of Resource.
func (Resource) Policy() ent.Policy { return readableWith(auth.ViewTenant) }
