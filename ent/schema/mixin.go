// Package schema holds the ent schema of every tenantd entity. The generated code in ent/ is built
// from it by `make generate`; graph/ and internal/ use the generated client, never this package.
package schema

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/internal/auth"
)

// newID returns a time-ordered UUIDv7, the primary key of every table.
func newID() uuid.UUID {
	return uuid.Must(uuid.NewV7())
}

// serverOwned hides a field from the generated GraphQL mutation inputs.
var serverOwned = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// Base gives every entity its UUIDv7 key, created_at/updated_at kept current by ent, and the
// created_by/updated_by actors taken from the request context.
type Base struct {
	mixin.Schema
}

// Fields of the Base mixin.
func (Base) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(newID).Immutable(),
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), serverOwned),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT"), serverOwned),
		field.String("created_by").Optional().Immutable().
			Annotations(serverOwned, entgql.Skip(entgql.SkipWhereInput)),
		field.String("updated_by").Optional().
			Annotations(serverOwned, entgql.Skip(entgql.SkipWhereInput)),
	}
}

// actorSetter is the part of every generated mutation that the actor hook needs.
type actorSetter interface {
	SetCreatedBy(string)
	SetUpdatedBy(string)
	Op() ent.Op
}

// Hooks of the Base mixin record the acting subject on every write.
func (Base) Hooks() []ent.Hook {
	return []ent.Hook{
		func(next ent.Mutator) ent.Mutator {
			return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
				subject := auth.Actor(ctx)
				s, ok := m.(actorSetter)
				if !ok || subject == "" {
					return next.Mutate(ctx, m)
				}
				if s.Op().Is(ent.OpCreate) {
					s.SetCreatedBy(subject)
				}
				s.SetUpdatedBy(subject)
				return next.Mutate(ctx, m)
			})
		},
	}
}
