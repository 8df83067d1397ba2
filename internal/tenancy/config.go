package tenancy

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

// CreateConfig adds a named configuration document to a tenant. A key the tenant already has is
// a CONFLICT on input.key.
func (s *Service) CreateConfig(ctx context.Context, in ent.CreateTenantConfigInput,
) (*ent.TenantConfig, error) {
	if err := auth.Require(ctx, auth.CreateTenantConfig); err != nil {
		return nil, err
	}
	c := validate.New()
	in.Key = c.ConfigKey("input.key", in.Key)
	c.JSONObjectSize("input.value", in.Value, validate.MaxConfigBytes)
	if err := c.Err(); err != nil {
		return nil, err
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	if err := s.requireLiveTenant(ctx, client, in.TenantID); err != nil {
		return nil, err
	}
	cfg, err := client.TenantConfig.Create().SetInput(in).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create config %q: %w", in.Key, db.PublicError(err, "input"))
	}
	return cfg, nil
}

// UpdateConfig replaces a configuration document's value.
func (s *Service) UpdateConfig(ctx context.Context, id uuid.UUID, in ent.UpdateTenantConfigInput,
) (*ent.TenantConfig, error) {
	if err := auth.Require(ctx, auth.UpdateTenantConfig); err != nil {
		return nil, err
	}
	if in.Value != nil {
		c := validate.New()
		c.JSONObjectSize("input.value", in.Value, validate.MaxConfigBytes)
		if err := c.Err(); err != nil {
			return nil, err
		}
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	cfg, err := db.Client(ctx, s.ent).TenantConfig.UpdateOneID(id).SetInput(in).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("tenant config")
	}
	if err != nil {
		return nil, fmt.Errorf("update config %s: %w", id, db.PublicError(err, "input"))
	}
	return cfg, nil
}

// DeleteConfig deletes a configuration document.
func (s *Service) DeleteConfig(ctx context.Context, id uuid.UUID) error {
	if err := auth.Require(ctx, auth.DeleteTenantConfig); err != nil {
		return err
	}
	err := db.Client(ctx, s.ent).TenantConfig.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return apperr.NotFound("tenant config")
	}
	if err != nil {
		return fmt.Errorf("delete config %s: %w", id, err)
	}
	return nil
}
