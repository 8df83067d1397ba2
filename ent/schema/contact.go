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
)

// Contact is a person at a tenant; at most one contact per tenant is primary.
type Contact struct {
	ent.Schema
}

// Mixin of Contact.
func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Contact.
func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.String("first_name").MaxLen(100),
		field.String("last_name").MaxLen(100).Annotations(entgql.OrderField("LAST_NAME")),
		field.String("email").MaxLen(254).Annotations(entgql.OrderField("EMAIL")),
		field.Enum("type").Values("ADMIN", "BILLING", "TECHNICAL", "OTHER").Default("OTHER").
			Annotations(entgql.Type("ContactType")),
		field.Bool("is_primary").Default(false),
	}
}

// Edges of Contact.
func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("contacts").Unique().Required().Immutable().
			Field("tenant_id").Annotations(entgql.Skip(entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of Contact: the partial unique index keeps one primary contact per tenant.
func (Contact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id").Unique().StorageKey("contact_one_primary_per_tenant").
			Annotations(entsql.IndexWhere("is_primary")),
		index.Fields("tenant_id", "email"),
	}
}

// Annotations of Contact.
func (Contact) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
	}
}

// Policy of Contact.
func (Contact) Policy() ent.Policy { return readableWith(auth.ViewContact) }
