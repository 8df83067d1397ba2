package provisioning

import (
	"context"
	"fmt"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/plan"
	"github.com/tenantd/tenantd/ent/provisioningattempt"
	"github.com/tenantd/tenantd/ent/subscription"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/lifecycle"
	st "github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/internal/validate"
)

// maxReason bounds an operator's reason in characters.
const maxReason = 2000

// inTx runs fn on the locked tenant id in the transaction of ctx (or a new one), with ent
// privacy allowing the domain's own reads: callers authorise first.
func (s *Service) inTx(ctx context.Context, id uuid.UUID,
	fn func(ctx context.Context, client *ent.Client, t *ent.Tenant) (*ent.Tenant, error),
) (*ent.Tenant, error) {
	var out *ent.Tenant
	err := db.InTx(privacy.DecisionContext(ctx, privacy.Allow), s.ent,
		func(ctx context.Context) error {
			client := db.Client(ctx, s.ent)
			t, err := lifecycle.Lock(ctx, client, id)
			if err != nil {
				return err
			}
			out, err = fn(ctx, client, t)
			return err
		})
	return out, err
}

// ProvisionTenant starts provisioning a PENDING_PROVISION tenant (SPEC 5.1). Operators need
// ProvisionTenant; a lead token may provision its own tenant. planKey, when given, changes the
// tenant's plan first.
func (s *Service) ProvisionTenant(ctx context.Context, id uuid.UUID, planKey *string,
) (*ent.Tenant, error) {
	if planKey != nil {
		c := validate.New()
		*planKey = c.PlanKey("planKey", *planKey)
		if err := c.Err(); err != nil {
			return nil, err
		}
	}
	return s.inTx(ctx, id, func(ctx context.Context, client *ent.Client, t *ent.Tenant,
	) (*ent.Tenant, error) {
		if err := authorizeProvision(ctx, t); err != nil {
			return nil, err
		}
		if t.Status != st.TenantPendingProvision {
			return nil, lifecycle.InvalidTransition(t.Status, st.TenantProvisioning)
		}
		if planKey != nil {
			p, err := activePlan(ctx, client, *planKey, "planKey")
			if err != nil {
				return nil, err
			}
			t, err = client.Tenant.UpdateOne(t).SetPlanID(p.ID).
				SetDeploymentModel(p.DeploymentModel).SetIdentityProvider(p.IdentityProvider).
				Save(ctx)
			if err != nil {
				return nil, fmt.Errorf("change plan of tenant %q: %w", t.Key, err)
			}
		}
		return s.start(ctx, client, t, provisioningattempt.OperationPROVISION, "provisioning")
	})
}

// authorizeProvision lets operators with ProvisionTenant, and the lead token of t's lead.
func authorizeProvision(ctx context.Context, t *ent.Tenant) error {
	v := auth.FromContext(ctx)
	if v.IsLead() {
		if t.LeadID != nil && v.IsLeadFor(*t.LeadID) {
			return nil
		}
		return apperr.Forbidden("a lead token may provision only its own tenant")
	}
	return auth.Require(ctx, auth.ProvisionTenant)
}

// RetryProvisioning starts a new attempt for a PROVISION_FAILED tenant.
func (s *Service) RetryProvisioning(ctx context.Context, id uuid.UUID) (*ent.Tenant, error) {
	if err := auth.Require(ctx, auth.ProvisionTenant); err != nil {
		return nil, err
	}
	return s.inTx(ctx, id, func(ctx context.Context, client *ent.Client, t *ent.Tenant,
	) (*ent.Tenant, error) {
		if t.Status != st.TenantProvisionFailed {
			return nil, lifecycle.InvalidTransition(t.Status, st.TenantProvisioning)
		}
		return s.start(ctx, client, t, provisioningattempt.OperationPROVISION, "retry")
	})
}

// SuspendTenant suspends an ACTIVE tenant.
func (s *Service) SuspendTenant(ctx context.Context, id uuid.UUID, reason string,
) (*ent.Tenant, error) {
	return s.simple(ctx, id, reason, st.TenantSuspended)
}

// ReactivateTenant reactivates a SUSPENDED tenant.
func (s *Service) ReactivateTenant(ctx context.Context, id uuid.UUID, reason string,
) (*ent.Tenant, error) {
	return s.simple(ctx, id, reason, st.TenantActive)
}

// simple makes an operator's change that needs no provisioner (UpdateTenant).
func (s *Service) simple(ctx context.Context, id uuid.UUID, reason string, to st.TenantStatus,
) (*ent.Tenant, error) {
	reason, err := authorizeWithReason(ctx, auth.UpdateTenant, reason)
	if err != nil {
		return nil, err
	}
	return s.inTx(ctx, id, func(ctx context.Context, client *ent.Client, t *ent.Tenant,
	) (*ent.Tenant, error) {
		if to == st.TenantActive && t.Status != st.TenantSuspended {
			// ACTIVE is also reached by a provisioning success; operators only reactivate.
			return nil, lifecycle.InvalidTransition(t.Status, to)
		}
		return s.machine.Transition(ctx, client, t, to, lifecycle.Change{Reason: reason})
	})
}

// OffboardTenant off-boards a tenant (DeleteTenant): one never provisioned is OFFBOARDED at once;
// otherwise a deprovisioning attempt asks the provisioner to remove its resources.
func (s *Service) OffboardTenant(ctx context.Context, id uuid.UUID, reason string,
) (*ent.Tenant, error) {
	reason, err := authorizeWithReason(ctx, auth.DeleteTenant, reason)
	if err != nil {
		return nil, err
	}
	return s.inTx(ctx, id, func(ctx context.Context, client *ent.Client, t *ent.Tenant,
	) (*ent.Tenant, error) {
		if t.Status == st.TenantPendingProvision {
			return s.machine.Transition(ctx, client, t, st.TenantOffboarded,
				lifecycle.Change{Reason: reasonOr(reason, "nothing to remove")})
		}
		if !lifecycle.Allowed(t.Status, st.TenantDeprovisioning) {
			return nil, lifecycle.InvalidTransition(t.Status, st.TenantDeprovisioning)
		}
		return s.start(ctx, client, t, provisioningattempt.OperationDEPROVISION,
			reasonOr(reason, "off-boarding"))
	})
}

// authorizeWithReason checks the caller holds perm and returns the validated reason.
func authorizeWithReason(ctx context.Context, perm auth.Permission, reason string) (string,
	error,
) {
	if err := auth.Require(ctx, perm); err != nil {
		return "", err
	}
	c := validate.New()
	reason = c.Text("reason", reason, maxReason)
	return reason, c.Err()
}

// reasonOr returns reason, or def when it is empty.
func reasonOr(reason, def string) string {
	if reason == "" {
		return def
	}
	return reason
}

// activePlan loads the active plan key, or a VALIDATION_FAILED error on field.
func activePlan(ctx context.Context, client *ent.Client, key, field string) (*ent.Plan, error) {
	p, err := client.Plan.Query().Where(plan.Key(key), plan.Active(true)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.Validation(field, "no active plan has this key")
	}
	if err != nil {
		return nil, fmt.Errorf("load plan %q: %w", key, err)
	}
	return p, nil
}

// ensureSubscription creates the tenant's subscription (PENDING) when it has none.
func ensureSubscription(ctx context.Context, client *ent.Client, t *ent.Tenant) error {
	exists, err := client.Subscription.Query().Where(subscription.TenantID(t.ID)).Exist(ctx)
	if err != nil || exists {
		return err
	}
	if t.PlanID == nil {
		return apperr.Validation("planKey", "the tenant has no plan; provision it with a planKey")
	}
	err = client.Subscription.Create().SetTenantID(t.ID).SetPlanID(*t.PlanID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("create subscription of tenant %q: %w", t.Key, err)
	}
	return nil
}
