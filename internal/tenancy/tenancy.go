// Package tenancy owns the operator's changes to a tenant's own data: name, domains and address,
// its contacts and its configuration documents. Lifecycle status changes live elsewhere and are
// never made here. graph/ resolvers call it.
package tenancy

import (
	"context"
	"fmt"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/contact"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/internal/validate"
)

// Service changes tenants, contacts and configs. Every method authorises the caller first.
type Service struct {
	ent *ent.Client
}

// New returns a Service over client; methods use the transaction in ctx when there is one.
func New(client *ent.Client) *Service {
	return &Service{ent: client}
}

// TenantChanges are the writable fields of a tenant; nil leaves a field as it is.
type TenantChanges struct {
	Name         *string
	Domains      []string
	Address      *schematype.Address
	ClearAddress bool
}

// UpdateTenant applies ch to the tenant id. Off-boarded tenants cannot be changed.
func (s *Service) UpdateTenant(ctx context.Context, id uuid.UUID, ch TenantChanges,
) (*ent.Tenant, error) {
	if err := auth.Require(ctx, auth.UpdateTenant); err != nil {
		return nil, err
	}
	c := validate.New()
	if ch.Name != nil {
		*ch.Name = c.RequiredText("input.name", *ch.Name, validate.MaxCompany)
	}
	if ch.Domains != nil {
		ch.Domains = c.RequiredDomains("input.domains", ch.Domains)
	}
	ch.Address = c.Address("input.address", ch.Address)
	if ch.Address != nil && ch.ClearAddress {
		c.Add("input.clearAddress", "cannot be combined with address")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}

	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	t, err := client.Tenant.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("tenant")
	}
	if err != nil {
		return nil, fmt.Errorf("load tenant %s: %w", id, err)
	}
	if t.Status == schematype.TenantOffboarded {
		return nil, apperr.Conflict("id", "an off-boarded tenant cannot be changed")
	}
	upd := client.Tenant.UpdateOne(t).SetNillableName(ch.Name)
	if ch.Domains != nil {
		upd.SetDomains(ch.Domains)
	}
	if ch.Address != nil {
		upd.SetAddress(ch.Address)
	}
	if ch.ClearAddress {
		upd.ClearAddress()
	}
	t, err = upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update tenant %s: %w", id, db.PublicError(err, "input"))
	}
	return t, nil
}

// CreateContact adds a contact to a tenant. A second primary contact is a CONFLICT on
// input.isPrimary.
func (s *Service) CreateContact(ctx context.Context, in ent.CreateContactInput,
) (*ent.Contact, error) {
	if err := auth.Require(ctx, auth.CreateContact); err != nil {
		return nil, err
	}
	c := validate.New()
	in.FirstName = c.RequiredText("input.firstName", in.FirstName, validate.MaxName)
	in.LastName = c.RequiredText("input.lastName", in.LastName, validate.MaxName)
	_, in.Email = c.Email("input.email", in.Email)
	if err := c.Err(); err != nil {
		return nil, err
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	if err := s.requireLiveTenant(ctx, client, in.TenantID); err != nil {
		return nil, err
	}
	ct, err := client.Contact.Create().SetInput(in).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create contact: %w", db.PublicError(err, "input"))
	}
	return ct, nil
}

// UpdateContact changes a contact. Making it primary demotes the tenant's current primary in the
// same transaction; the primary contact cannot be demoted directly (promote another instead).
func (s *Service) UpdateContact(ctx context.Context, id uuid.UUID, in ent.UpdateContactInput,
) (*ent.Contact, error) {
	if err := auth.Require(ctx, auth.UpdateContact); err != nil {
		return nil, err
	}
	c := validate.New()
	if in.FirstName != nil {
		*in.FirstName = c.RequiredText("input.firstName", *in.FirstName, validate.MaxName)
	}
	if in.LastName != nil {
		*in.LastName = c.RequiredText("input.lastName", *in.LastName, validate.MaxName)
	}
	if in.Email != nil {
		_, *in.Email = c.Email("input.email", *in.Email)
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	ct, err := client.Contact.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("contact")
	}
	if err != nil {
		return nil, fmt.Errorf("load contact %s: %w", id, err)
	}
	if in.IsPrimary != nil && !*in.IsPrimary && ct.IsPrimary {
		return nil, apperr.Validation("input.isPrimary",
			"the primary contact cannot be demoted; make another contact primary instead")
	}
	if in.IsPrimary != nil && *in.IsPrimary && !ct.IsPrimary {
		err := client.Contact.Update().
			Where(contact.TenantID(ct.TenantID), contact.IsPrimary(true)).
			SetIsPrimary(false).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("demote primary contact of tenant %s: %w", ct.TenantID, err)
		}
	}
	ct, err = client.Contact.UpdateOne(ct).SetInput(in).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update contact %s: %w", id, db.PublicError(err, "input"))
	}
	return ct, nil
}

// DeleteContact deletes a contact that is not the tenant's primary contact.
func (s *Service) DeleteContact(ctx context.Context, id uuid.UUID) error {
	if err := auth.Require(ctx, auth.DeleteContact); err != nil {
		return err
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	ct, err := client.Contact.Get(ctx, id)
	if ent.IsNotFound(err) {
		return apperr.NotFound("contact")
	}
	if err != nil {
		return fmt.Errorf("load contact %s: %w", id, err)
	}
	if ct.IsPrimary {
		return apperr.Conflict("id", "the primary contact cannot be deleted")
	}
	if err := client.Contact.DeleteOne(ct).Exec(ctx); err != nil {
		return fmt.Errorf("delete contact %s: %w", id, err)
	}
	return nil
}

// requireLiveTenant answers VALIDATION_FAILED on input.tenantID when the tenant does not exist
// and CONFLICT when it is off-boarded.
func (s *Service) requireLiveTenant(ctx context.Context, client *ent.Client, id uuid.UUID) error {
	t, err := client.Tenant.Get(ctx, id)
	if ent.IsNotFound(err) {
		return apperr.Validation("input.tenantID", "no tenant has this id")
	}
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", id, err)
	}
	if t.Status == schematype.TenantOffboarded {
		return apperr.Conflict("input.tenantID", "the tenant is off-boarded")
	}
	return nil
}
