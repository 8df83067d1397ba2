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

// ProvisioningAttempt is one try at creating (or removing) a tenant's resources. Its secret signs
// the provisioner's callback and is stored encrypted with the server key.
type ProvisioningAttempt struct {
	ent.Schema
}

// Mixin of ProvisioningAttempt.
func (ProvisioningAttempt) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of ProvisioningAttempt.
func (ProvisioningAttempt) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Int("number").Positive().Immutable().Annotations(entgql.OrderField("NUMBER")),
		field.Enum("operation").Values("PROVISION", "DEPROVISION").Default("PROVISION").
			Immutable().Annotations(entgql.Type("ProvisioningOperation")),
		field.JSON("plan_snapshot", map[string]any{}).Optional().Annotations(entgql.Type("Map")),
		field.Enum("status").
			Values("PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED", "TIMED_OUT", "CANCELLED").
			Default("PENDING").Annotations(entgql.Type("ProvisioningAttemptStatus")),
		field.String("context").Immutable().Sensitive().Annotations(entgql.Skip()),
		field.Bytes("secret_ciphertext").Immutable().Sensitive().Annotations(entgql.Skip()),
		field.Time("deadline"),
		field.Time("started_at").Optional().Nillable(),
		field.Time("finished_at").Optional().Nillable(),
		field.String("failure_reason").Optional().MaxLen(2000),
	}
}

// Edges of ProvisioningAttempt.
func (ProvisioningAttempt) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("provisioning_attempts").Unique().Required().
			Immutable().Field("tenant_id"),
	}
}

// Indexes of ProvisioningAttempt.
func (ProvisioningAttempt) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("tenant_id", "number").Unique(),
		index.Fields("status", "deadline"),
	}
}

// Annotations of ProvisioningAttempt.
func (ProvisioningAttempt) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// Policy of ProvisioningAttempt.
func (ProvisioningAttempt) Policy() ent.Policy { return readableWith(auth.ViewTenant) }
