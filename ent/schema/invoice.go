package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/tenantd/tenantd/internal/auth"
)

// dateColumn stores a time as a calendar date (UTC) in PostgreSQL.
var dateColumn = map[string]string{dialect.Postgres: "date"}

// Invoice bills one period of a subscription. Number is INV-<year>-<sequence>, unique; there is
// at most one invoice per subscription and period start.
type Invoice struct {
	ent.Schema
}

// Mixin of Invoice.
func (Invoice) Mixin() []ent.Mixin { return []ent.Mixin{Base{}} }

// Fields of Invoice.
func (Invoice) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("tenant_id", newID()).Immutable().Annotations(entgql.Skip(entgql.SkipType)),
		field.UUID("subscription_id", newID()).Immutable().
			Annotations(entgql.Skip(entgql.SkipType)),
		field.String("number").Immutable().
			Annotations(entgql.OrderField("NUMBER"), serverOwned),
		field.Time("period_start").SchemaType(dateColumn).
			Annotations(entgql.OrderField("PERIOD_START")),
		field.Time("period_end").SchemaType(dateColumn),
		field.Int64("amount").NonNegative().Annotations(entgql.OrderField("AMOUNT")),
		field.String("currency").MinLen(3).MaxLen(3),
		field.Time("issued_at").Default(time.Now).Annotations(serverOwned),
		field.Time("due_date").SchemaType(dateColumn).Annotations(entgql.OrderField("DUE_DATE")),
		field.Enum("status").Values("PENDING", "PAID", "CANCELLED").Default("PENDING").
			Annotations(entgql.Type("InvoiceStatus"), entgql.OrderField("STATUS"), serverOwned),
		field.Time("paid_at").Optional().Nillable().Annotations(serverOwned),
	}
}

// Edges of Invoice.
func (Invoice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("tenant", Tenant.Type).Ref("invoices").Unique().Required().Immutable().
			Field("tenant_id").Annotations(entgql.Skip(entgql.SkipMutationUpdateInput)),
		edge.From("subscription", Subscription.Type).Ref("invoices").Unique().Required().
			Immutable().Field("subscription_id").
			Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Indexes of Invoice.
func (Invoice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("number").Unique(),
		index.Fields("subscription_id", "period_start").Unique(),
		index.Fields("tenant_id", "status"),
	}
}

// Annotations of Invoice.
func (Invoice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entgql.QueryField(),
		entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()),
		entsql.Checks(map[string]string{
			"invoice_period_order": "period_end >= period_start",
		}),
	}
}

// Policy of Invoice.
func (Invoice) Policy() ent.Policy { return readableWith(auth.ViewInvoice) }
