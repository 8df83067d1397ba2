package provisioning

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/contact"
	"github.com/tenantd/tenantd/ent/provisioningattempt"
	"github.com/tenantd/tenantd/internal/lifecycle"
	st "github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/internal/secret"
	"github.com/tenantd/tenantd/internal/webhook"
)

// start opens a new attempt of op for the locked tenant t and moves it to PROVISIONING or
// DEPROVISIONING: the attempt with a fresh secret (stored encrypted) and context, the
// subscription if missing, the request event, and the deadline job, all in one transaction.
func (s *Service) start(ctx context.Context, client *ent.Client, t *ent.Tenant,
	op provisioningattempt.Operation, reason string,
) (*ent.Tenant, error) {
	to := st.TenantProvisioning
	if op == provisioningattempt.OperationDEPROVISION {
		to = st.TenantDeprovisioning
	}
	if !lifecycle.Allowed(t.Status, to) {
		return nil, lifecycle.InvalidTransition(t.Status, to)
	}
	if op == provisioningattempt.OperationPROVISION {
		if err := ensureSubscription(ctx, client, t); err != nil {
			return nil, err
		}
	}
	n, err := client.ProvisioningAttempt.Query().
		Where(provisioningattempt.TenantID(t.ID)).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count attempts of tenant %q: %w", t.Key, err)
	}
	p, err := t.QueryPlan().Only(ctx)
	if err != nil {
		return nil, fmt.Errorf("load plan of tenant %q: %w", t.Key, err)
	}
	now := s.now()
	deadline := now.Add(s.cfg.AttemptTTL)
	plain := secret.Random(32)
	a, err := client.ProvisioningAttempt.Create().
		SetTenantID(t.ID).SetNumber(n + 1).SetOperation(op).
		SetStatus(provisioningattempt.StatusIN_PROGRESS).
		SetContext(secret.Random(16)).SetSecretCiphertext(s.keys.Encrypt([]byte(plain))).
		SetPlanSnapshot(planData(p)).SetDeadline(deadline).SetStartedAt(now).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create attempt of tenant %q: %w", t.Key, err)
	}
	data, err := s.requestData(ctx, client, t, to, p, a)
	if err != nil {
		return nil, err
	}
	changed, err := s.machine.Transition(ctx, client, t, to,
		lifecycle.Change{Reason: reason, AttemptID: &a.ID, Data: data})
	if err != nil {
		return nil, err
	}
	err = s.queue.Enqueue(ctx, s.jobs.Deadline(a.ID), &river.InsertOpts{ScheduledAt: deadline})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// planData is what the provisioner learns about a plan.
func planData(p *ent.Plan) map[string]any {
	return map[string]any{
		"key": p.Key, "name": p.Name, "tier": p.Tier, "deploymentModel": string(p.DeploymentModel),
		"size": p.Size, "identityProvider": string(p.IdentityProvider),
		"billingCycle": string(p.BillingCycle),
	}
}

// requestData is the provisioning request of SPEC 5.2 without the secret: the publisher adds
// the secret (decrypted from the attempt) only when it builds the event for the transports, so
// that the outbox table never holds it in the clear.
func (s *Service) requestData(ctx context.Context, client *ent.Client, t *ent.Tenant,
	to st.TenantStatus, p *ent.Plan, a *ent.ProvisioningAttempt,
) (map[string]any, error) {
	contacts, err := client.Contact.Query().Where(contact.TenantID(t.ID)).
		Order(contact.ByIsPrimary(sql.OrderDesc()), contact.ByCreatedAt()).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load contacts of tenant %q: %w", t.Key, err)
	}
	cs := make([]map[string]any, len(contacts))
	for i, c := range contacts {
		cs[i] = map[string]any{"firstName": c.FirstName, "lastName": c.LastName,
			"email": c.Email, "type": string(c.Type), "isPrimary": c.IsPrimary}
	}
	tenant := lifecycle.TenantData(t)
	tenant["status"] = string(to)
	tenant["contacts"] = cs
	return map[string]any{
		"tenant": tenant,
		"plan":   planData(p),
		"attempt": map[string]any{
			"id": a.ID.String(), "number": a.Number, "operation": string(a.Operation),
			"context": a.Context, "deadline": a.Deadline,
		},
		"callbackUrl": s.cfg.CallbackURL,
	}, nil
}

// ErrNoAttempt says a tenant is unknown or has no provisioning attempt.
var ErrNoAttempt = webhook.ErrNoAttempt

// Secret returns the decrypted secret of attempt id, for the provisioning request event and the
// local provisioner.
func (s *Service) Secret(ctx context.Context, id uuid.UUID) (*ent.ProvisioningAttempt, []byte,
	error,
) {
	a, err := s.ent.ProvisioningAttempt.Get(privacy.DecisionContext(ctx, privacy.Allow), id)
	if ent.IsNotFound(err) {
		return nil, nil, ErrNoAttempt
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load attempt %s: %w", id, err)
	}
	plain, err := s.keys.Decrypt(a.SecretCiphertext)
	if err != nil {
		return nil, nil, fmt.Errorf("decrypt secret of attempt %s: %w", id, err)
	}
	return a, plain, nil
}

// Attempts returns the attempts of a tenant, newest first, with their decrypted secrets: the
// ones a callback may be signed for (webhook.Store).
func (s *Service) Attempts(ctx context.Context, tenantID uuid.UUID) ([]webhook.Attempt, error) {
	as, err := s.ent.ProvisioningAttempt.Query().
		Where(provisioningattempt.TenantID(tenantID)).
		Order(ent.Desc(provisioningattempt.FieldNumber)).
		All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, fmt.Errorf("load attempts of tenant %s: %w", tenantID, err)
	}
	if len(as) == 0 {
		return nil, ErrNoAttempt
	}
	out := make([]webhook.Attempt, len(as))
	for i, a := range as {
		key, err := s.keys.Decrypt(a.SecretCiphertext)
		if err != nil {
			return nil, fmt.Errorf("decrypt secret of attempt %s: %w", a.ID, err)
		}
		out[i] = webhook.Attempt{ID: a.ID, Context: a.Context, Secret: key}
	}
	return out, nil
}
