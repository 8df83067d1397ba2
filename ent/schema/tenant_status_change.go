package schema

import (
	"context"
	"errors"

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

// TenantStatusChange is one row of a tenant's status history. Rows are written in the same
// transaction as the change and never updated or deleted.
type TenantStatusChange struct {
	ent.Schema
}

// Mixin of TenantStatusChange.
func (TenantStatusChange) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of TenantStatusChange.
func (TenantStatusChange) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.Enum("from").GoType(schematype.TenantStatus("")).Optional().Nillable().Immutable().
			Annotations(entgql.Type("TenantStatus")),
		field.Enum("to").GoType(schematype.TenantStatus("")).Immutable().
			Annotations(entgql.Type("TenantStatus")),
		field.String("actor").Immutable(),
		field.String("reason").Optional().Immutable().MaxLen(2000),
		field.UUID("attempt_id", newID()).Optional().Nillable().Immutable().
			Annotations(entgql.Skip(entgql.SkipType)),
	}
}

// Edges of TenantStatusChange.
func (TenantStatusChange) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("status_history").Unique().Required().Immutable().
			Field("tenant_id"),
		edge.To("attempt", ProvisioningAttempt.Type).Unique().Immutable().Field("attempt_id").
			Annotations(entsql.OnDelete(entsql.SetNull)),
	}
}

// Indexes of TenantStatusChange.
func (TenantStatusChange) Indexes() []ent.Index {
	return []ent.Index{index.Fields("tenant_id", "created_at")}
}

// Annotations of TenantStatusChange.
func (TenantStatusChange) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// errHistoryImmutable refuses any change to a written status change.
var errHistoryImmutable = errors.New("tenant status history is append-only")

// Hooks of TenantStatusChange refuse updates and deletes.
func (TenantStatusChange) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				if !m.Op().Is(ent.OpCreate) {
					return nil, errHistoryImmutable
				}
				return next.Mutate(ctx, m)
			})
		},
	}
}

// Policy of TenantStatusChange.
func (TenantStatusChange) Policy() ent.Policy { return readableWith(auth.ViewTenant) }
