// Package catalog owns the plans that tenants buy: their validation and the operator's create,
// update and delete. graph/ resolvers call it; billing and onboarding read plans through ent.
package catalog

import (
	"context"
	"fmt"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/validate"
)

// Service manages plans. Every method authorises the caller in ctx first (ManagePlan).
type Service struct {
	ent *ent.Client
}

// New returns a Service over client; methods use the transaction in ctx when there is one.
func New(client *ent.Client) *Service {
	return &Service{ent: client}
}

// Bounds of plan text fields in characters (the columns' limits).
const (
	maxDescription = 2000
	maxTier        = 64
)

// CreatePlan validates in and creates the plan. A taken key is a CONFLICT on input.key.
func (s *Service) CreatePlan(ctx context.Context, in ent.CreatePlanInput) (*ent.Plan, error) {
	if err := auth.Require(ctx, auth.ManagePlan); err != nil {
		return nil, err
	}
	c := validate.New()
	in.Key = c.PlanKey("input.key", in.Key)
	in.Name = c.RequiredText("input.name", in.Name, validate.MaxCompany)
	in.Tier = c.RequiredText("input.tier", in.Tier, maxTier)
	in.Description = optionalText(c, "input.description", in.Description, maxDescription)
	in.Size = optionalText(c, "input.size", in.Size, maxTier)
	c.NonNegative("input.price", in.Price)
	in.Currency = c.Currency("input.currency", in.Currency)
	if err := c.Err(); err != nil {
		return nil, err
	}
	p, err := db.Client(ctx, s.ent).Plan.Create().SetInput(in).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create plan %q: %w", in.Key, db.PublicError(err, "input"))
	}
	return p, nil
}

// UpdatePlan validates the given fields of in and applies them to the plan id.
func (s *Service) UpdatePlan(ctx context.Context, id uuid.UUID, in ent.UpdatePlanInput,
) (*ent.Plan, error) {
	if err := auth.Require(ctx, auth.ManagePlan); err != nil {
		return nil, err
	}
	c := validate.New()
	if in.Key != nil {
		*in.Key = c.PlanKey("input.key", *in.Key)
	}
	if in.Name != nil {
		*in.Name = c.RequiredText("input.name", *in.Name, validate.MaxCompany)
	}
	if in.Tier != nil {
		*in.Tier = c.RequiredText("input.tier", *in.Tier, maxTier)
	}
	in.Description = optionalText(c, "input.description", in.Description, maxDescription)
	in.Size = optionalText(c, "input.size", in.Size, maxTier)
	if in.Price != nil {
		c.NonNegative("input.price", *in.Price)
	}
	if in.Currency != nil {
		*in.Currency = c.Currency("input.currency", *in.Currency)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	p, err := db.Client(ctx, s.ent).Plan.UpdateOneID(id).SetInput(in).
		Save(privacy.DecisionContext(ctx, privacy.Allow))
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("plan")
	}
	if err != nil {
		return nil, fmt.Errorf("update plan %s: %w", id, db.PublicError(err, "input"))
	}
	return p, nil
}

// DeletePlan deletes the plan id. A plan that a tenant or subscription uses is a CONFLICT; make
// it inactive instead.
func (s *Service) DeletePlan(ctx context.Context, id uuid.UUID) error {
	if err := auth.Require(ctx, auth.ManagePlan); err != nil {
		return err
	}
	err := db.Client(ctx, s.ent).Plan.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return apperr.NotFound("plan")
	}
	if err != nil {
		return fmt.Errorf("delete plan %s: %w", id, db.PublicError(err, ""))
	}
	return nil
}

// optionalText validates an optional text field; nil stays nil.
func optionalText(c *validate.Checker, field string, v *string, maxLen int) *string {
	if v == nil {
		return nil
	}
	s := c.Text(field, *v, maxLen)
	return &s
}
