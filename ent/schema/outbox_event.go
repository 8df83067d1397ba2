package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxEvent is a domain event written in the same transaction as the change that caused it and
// published later, at least once and in order per tenant, by the outbox job.
type OutboxEvent struct {
	ent.Schema
}

// Mixin of OutboxEvent.
func (OutboxEvent) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of OutboxEvent.
func (OutboxEvent) Fields() []ent.Field {
	return []ent.Field{
		field.String("type").Immutable(),
		field.String("subject").Immutable().Comment("the tenant or lead the event is about"),
		field.UUID("tenant_id", newID()).Optional().Nillable().Immutable(),
		field.JSON("data", map[string]any{}).Immutable(),
		field.Enum("status").Values("PENDING", "PUBLISHED", "FAILED").Default("PENDING"),
		field.Int("attempts").Default(0).NonNegative(),
		field.String("last_error").Optional().MaxLen(4000),
		field.Time("published_at").Optional().Nillable(),
	}
}

// Indexes of OutboxEvent.
func (OutboxEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "created_at"),
		index.Fields("subject", "created_at"),
	}
}

// Annotations of OutboxEvent: not part of the GraphQL API.
func (OutboxEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of OutboxEvent.
func (OutboxEvent) Policy() ent.Policy { return internalOnly() }

// WebhookReceipt remembers an accepted provisioning callback so that a replay of the same signed
// delivery is refused; it is kept until the delivery could no longer pass the time window.
type WebhookReceipt struct {
	ent.Schema
}

// Mixin of WebhookReceipt.
func (WebhookReceipt) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of WebhookReceipt.
func (WebhookReceipt) Fields() []ent.Field {
	return []ent.Field{
		field.String("signature").Immutable().Unique().Comment("hex HMAC of the delivery"),
		field.UUID("attempt_id", newID()).Immutable(),
		field.Time("expires_at").Immutable(),
	}
}

// Indexes of WebhookReceipt.
func (WebhookReceipt) Indexes() []ent.Index {
	return []ent.Index{index.Fields("expires_at")}
}

// Annotations of WebhookReceipt: not part of the GraphQL API.
func (WebhookReceipt) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Policy of WebhookReceipt.
func (WebhookReceipt) Policy() ent.Policy { return internalOnly() }
