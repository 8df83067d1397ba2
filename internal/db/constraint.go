package db

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantd/tenantd/internal/apperr"
)

// constraint says which input field a database constraint protects and what a violation means
// to the caller.
type constraint struct {
	field   string
	message string
	code    apperr.Code
}

// constraints maps the constraint and index names of migrations/ to public errors. A name that is
// missing here still becomes a CONFLICT, naming no field.
var constraints = map[string]constraint{
	"tenant_key":                             {"key", "a tenant with this key exists or existed", apperr.CodeConflict},
	"tenants_lead_id_key":                    {"leadId", "the lead already has a tenant", apperr.CodeConflict},
	"plan_key":                               {"key", "a plan with this key already exists", apperr.CodeConflict},
	"contact_one_primary_per_tenant":         {"isPrimary", "the tenant already has a primary contact", apperr.CodeConflict},
	"tenantconfig_tenant_id_key":             {"key", "the tenant already has a config with this key", apperr.CodeConflict},
	"resource_tenant_id_external_identifier": {"externalIdentifier", "the tenant already has this resource", apperr.CodeConflict},
	"invoice_subscription_id_period_start":   {"periodStart", "an invoice for this period already exists", apperr.CodeConflict},
	"invoice_number":                         {"number", "an invoice with this number already exists", apperr.CodeConflict},
	"lead_email_normalized":                  {"email", "a lead with this email already exists", apperr.CodeConflict},
	"subscriptions_tenant_id_key":            {"tenantId", "the tenant already has a subscription", apperr.CodeConflict},
	"tenants_plans_plan":                     {"id", "the plan is used by tenants", apperr.CodeConflict},
	"subscriptions_plans_plan":               {"id", "the plan is used by subscriptions", apperr.CodeConflict},
	"tenant_key_lower_case":                  {"key", "must be lower case", apperr.CodeValidationFailed},
	"invoice_period_order":                   {"periodEnd", "must not be before periodStart", apperr.CodeValidationFailed},
}

// PublicError turns a violated database constraint in err into a CONFLICT (or, for a check
// constraint, VALIDATION_FAILED) error whose field is prefix + "." + the constrained field. Other
// errors come back unchanged. The database is the final judge of uniqueness, so this is what
// racing requests see.
func PublicError(err error, prefix string) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err
	}
	switch pg.Code {
	case "23505", "23503", "23514": // unique, foreign key, check
	case "22021", "22P05": // a NUL character, which PostgreSQL text cannot hold
		return &apperr.Error{Code: apperr.CodeValidationFailed,
			Message: "text must not contain NUL characters", Cause: err}
	default:
		return err
	}
	c, ok := constraints[pg.ConstraintName]
	if !ok {
		return &apperr.Error{Code: apperr.CodeConflict, Message: "conflicts with existing data",
			Cause: err}
	}
	field := c.field
	if prefix != "" {
		field = prefix + "." + field
	}
	return &apperr.Error{Code: c.code, Field: field, Message: c.message, Cause: err}
}
