package onboarding

import (
	"context"
	"fmt"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/contact"
	"github.com/tenantd/tenantd/ent/lead"
	"github.com/tenantd/tenantd/ent/plan"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/lifecycle"
	"github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/internal/validate"
)

// FromLeadInput is onboardTenantFromLead's input.
type FromLeadInput struct {
	Key     string
	Domains []string
	Name    *string
	PlanKey string
	Address *schematype.Address
}

// ContactInput is one contact of an operator's onboarding.
type ContactInput struct {
	FirstName, LastName, Email string
	Type                       contact.Type
}

// TenantInput is onboardTenant's input.
type TenantInput struct {
	Key, Name string
	Domains   []string
	PlanKey   string
	Address   *schematype.Address
	Contacts  []ContactInput
	Source    string
}

// newTenant is a validated tenant ready to be written.
type newTenant struct {
	key, name, source string
	domains           []string
	address           *schematype.Address
	planKey           string
	leadID            *uuid.UUID
	contacts          []ContactInput
}

// OnboardFromLead creates the tenant of the lead whose token is in ctx: PENDING_PROVISION, the
// lead's person as primary ADMIN contact, the lead CONVERTED, its first history row and the
// tenant.created event, in one transaction. A lead that already has a tenant is a CONFLICT.
func (s *Service) OnboardFromLead(ctx context.Context, in FromLeadInput) (*ent.Tenant, error) {
	leadID, err := auth.RequireLead(ctx)
	if err != nil {
		return nil, err
	}
	c := validate.New()
	nt := newTenant{leadID: &leadID, planKey: c.PlanKey("input.planKey", in.PlanKey)}
	nt.key = c.TenantKey("input.key", in.Key, s.cfg.ReservedKeys)
	nt.domains = c.RequiredDomains("input.domains", in.Domains)
	if in.Name != nil {
		nt.name = c.RequiredText("input.name", *in.Name, validate.MaxCompany)
	}
	in.Address = c.Address("input.address", in.Address)
	if err := c.Err(); err != nil {
		return nil, err
	}

	var t *ent.Tenant
	err = db.InTx(privacy.DecisionContext(ctx, privacy.Allow), s.ent, func(ctx context.Context) error {
		client := db.Client(ctx, s.ent)
		l, err := client.Lead.Query().Where(lead.ID(leadID)).ForUpdate().Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Forbidden("the lead of this token does not exist")
		}
		if err != nil {
			return fmt.Errorf("lock lead %s: %w", leadID, err)
		}
		if err := s.fromLead(&nt, l, in.Address); err != nil {
			return err
		}
		if t, err = s.create(ctx, client, nt); err != nil {
			return err
		}
		err = client.Lead.UpdateOne(l).SetStatus(lead.StatusCONVERTED).Exec(ctx)
		if err != nil {
			return fmt.Errorf("mark lead %s converted: %w", leadID, err)
		}
		return nil
	})
	return t, err
}

// fromLead completes nt from the locked lead and checks the rules that involve it.
func (s *Service) fromLead(nt *newTenant, l *ent.Lead, address *schematype.Address) error {
	switch l.Status {
	case lead.StatusCONVERTED:
		return apperr.Conflict("lead", "this lead already has a tenant")
	case lead.StatusVERIFIED:
	default:
		return apperr.Forbidden("the lead is not verified")
	}
	c := validate.New()
	switch {
	case address == nil:
		address = l.Address
	case l.Address != nil && !address.Equal(l.Address):
		c.Add("input.address", "must be the address the lead signed up with (or be left out)")
	}
	if !validate.InDomains(l.EmailNormalized, nt.domains) {
		c.Add("input.domains", "must include the domain of the lead's email (%s)",
			l.EmailNormalized)
	}
	if err := c.Err(); err != nil {
		return err
	}
	if nt.name == "" {
		nt.name = l.CompanyName
	}
	nt.address, nt.source = address, l.Source
	nt.contacts = []ContactInput{{FirstName: l.FirstName, LastName: l.LastName,
		Email: l.EmailNormalized, Type: contact.TypeADMIN}}
	return nil
}

// Onboard creates a tenant for an operator (CreateTenant): PENDING_PROVISION, its contacts with
// the first as primary, its first history row and the tenant.created event, in one transaction.
func (s *Service) Onboard(ctx context.Context, in TenantInput) (*ent.Tenant, error) {
	if err := auth.Require(ctx, auth.CreateTenant); err != nil {
		return nil, err
	}
	c := validate.New()
	nt := newTenant{
		key:     c.TenantKey("input.key", in.Key, s.cfg.ReservedKeys),
		name:    c.RequiredText("input.name", in.Name, validate.MaxCompany),
		domains: c.RequiredDomains("input.domains", in.Domains),
		planKey: c.PlanKey("input.planKey", in.PlanKey),
		source:  c.Text("input.source", in.Source, validate.MaxShort),
	}
	if in.Address == nil {
		c.Add("input.address", "is required")
	}
	nt.address = c.Address("input.address", in.Address)
	nt.contacts = checkContacts(c, in.Contacts, nt.domains)
	if err := c.Err(); err != nil {
		return nil, err
	}
	if nt.source == "" {
		nt.source = "operator"
	}
	var t *ent.Tenant
	err := db.InTx(privacy.DecisionContext(ctx, privacy.Allow), s.ent, func(ctx context.Context) error {
		var err error
		t, err = s.create(ctx, db.Client(ctx, s.ent), nt)
		return err
	})
	return t, err
}

// checkContacts validates an operator's contacts: at least one, emails on the tenant's domains
// and not repeated.
func checkContacts(c *validate.Checker, in []ContactInput, domains []string) []ContactInput {
	if len(in) == 0 {
		c.Add("input.contacts", "at least one contact is required; the first is the primary")
	}
	seen := map[string]int{}
	out := make([]ContactInput, 0, len(in))
	for i, ct := range in {
		field := validate.Index("input.contacts", i)
		ct.FirstName = c.RequiredText(field+".firstName", ct.FirstName, validate.MaxName)
		ct.LastName = c.RequiredText(field+".lastName", ct.LastName, validate.MaxName)
		_, ct.Email = c.Email(field+".email", ct.Email)
		c.EmailInDomains(field+".email", ct.Email, domains)
		if j, dup := seen[ct.Email]; dup && ct.Email != "" {
			c.Add(field+".email", "repeats the email of input.contacts[%d]", j)
		}
		seen[ct.Email] = i
		if ct.Type == "" {
			ct.Type = contact.TypeADMIN
		}
		out = append(out, ct)
	}
	return out
}

// create writes the tenant, its contacts and its first status in the transaction of client.
func (s *Service) create(ctx context.Context, client *ent.Client, nt newTenant) (*ent.Tenant,
	error,
) {
	p, err := client.Plan.Query().Where(plan.Key(nt.planKey)).Only(ctx)
	if ent.IsNotFound(err) || (err == nil && !p.Active) {
		return nil, apperr.Validation("input.planKey", "no active plan has this key")
	}
	if err != nil {
		return nil, fmt.Errorf("load plan %q: %w", nt.planKey, err)
	}
	create := client.Tenant.Create().
		SetKey(nt.key).SetName(nt.name).SetDomains(nt.domains).SetSource(nt.source).
		SetStatus(schematype.TenantPendingProvision).SetPlanID(p.ID).
		SetDeploymentModel(p.DeploymentModel).SetIdentityProvider(p.IdentityProvider).
		SetNillableLeadID(nt.leadID)
	if nt.address != nil {
		create.SetAddress(nt.address)
	}
	t, err := create.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create tenant %q: %w", nt.key, db.PublicError(err, "input"))
	}
	for i, ct := range nt.contacts {
		err := client.Contact.Create().SetTenantID(t.ID).SetFirstName(ct.FirstName).
			SetLastName(ct.LastName).SetEmail(ct.Email).SetType(ct.Type).
			SetIsPrimary(i == 0).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("create contact %d of tenant %q: %w", i, nt.key, err)
		}
	}
	return t, s.machine.Created(ctx, client, t, lifecycle.Change{Reason: "onboarded",
		Data: map[string]any{"plan": p.Key}})
}
