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

// Lead is a prospect who signed up on the public page and may become a tenant.
type Lead struct {
	ent.Schema
}

// Mixin of Lead.
func (Lead) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Lead.
func (Lead) Fields() []ent.Field {
	return []ent.Field{
		field.String("first_name").MaxLen(100),
		field.String("last_name").MaxLen(100),
		field.String("company_name").MaxLen(200).Annotations(entgql.OrderField("COMPANY_NAME")),
		field.String("email").MaxLen(254),
		field.String("email_normalized").MaxLen(254).Immutable().
			Annotations(serverOwned, entgql.Skip(entgql.SkipType)),
		field.JSON("address", &schematype.Address{}).Optional().
			Annotations(entgql.Type("Address")),
		field.String("source").Default("web").MaxLen(100),
		field.Enum("status").
			Values("PENDING_VERIFICATION", "VERIFIED", "CONVERTED", "EXPIRED").
			Default("PENDING_VERIFICATION").
			Annotations(entgql.OrderField("STATUS"), serverOwned),
		field.Time("verified_at").Optional().Nillable().Annotations(serverOwned),
	}
}

// Edges of Lead.
func (Lead) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("verifications", LeadVerification.Type).Annotations(entgql.Skip()),
		edge.To("tenant", Tenant.Type).Unique().
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of Lead: one lead per normalised email.
func (Lead) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("email_normalized").Unique(),
		index.Fields("created_at"),
	}
}

// Annotations of Lead.
func (Lead) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
	}
}

// Policy of Lead.
func (Lead) Policy() ent.Policy { return readableWith(auth.ViewLead) }

// LeadVerification is one emailed one-time code of a lead; only its hash is stored.
type LeadVerification struct {
	ent.Schema
}

// Mixin of LeadVerification.
func (LeadVerification) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of LeadVerification.
func (LeadVerification) Fields() []ent.Field {
	return []ent.Field{
		field.Bytes("code_hash").Sensitive().NotEmpty(),
		field.Time("expires_at"),
		field.Time("used_at").Optional().Nillable(),
		field.Int("failed_attempts").Default(0).NonNegative(),
	}
}

// Edges of LeadVerification.
func (LeadVerification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("lead", Lead.Type).Ref("verifications").Unique().Required(),
	}
}

// Indexes of LeadVerification: looked up by lead on every sign-up and verification.
func (LeadVerification) Indexes() []ent.Index {
	return []ent.Index{index.Edges("lead")}
}

// Annotations of LeadVerification: never exposed through GraphQL.
func (LeadVerification) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of LeadVerification.
func (LeadVerification) Policy() ent.Policy { return internalOnly() }
