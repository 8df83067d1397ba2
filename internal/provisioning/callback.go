package provisioning

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/provisioningattempt"
	"github.com/tenantd/tenantd/ent/resource"
	"github.com/tenantd/tenantd/ent/subscription"
	"github.com/tenantd/tenantd/ent/webhookreceipt"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/lifecycle"
	st "github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/internal/webhook"
)

// Outcomes and callbacks are the webhook's (internal/webhook.Store); Service implements it.
const (
	Applied     = webhook.Applied
	Duplicate   = webhook.Duplicate
	Contradicts = webhook.Contradicts
)

// Apply applies a verified callback exactly once, in one transaction: the replay receipt, the
// attempt's end, the resources, the tenant's status change and, on a provisioning success, the
// welcome email and the identity-provider setup. A late or repeated callback never moves a
// tenant backwards or sideways (SPEC section 4).
func (s *Service) Apply(ctx context.Context, cb webhook.Callback) (webhook.Outcome, error) {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, "provisioner"), privacy.Allow)
	var out webhook.Outcome
	err := db.InTx(db.Detached(ctx), s.ent, func(ctx context.Context) error {
		client := db.Client(ctx, s.ent)
		fresh, err := s.receipt(ctx, client, cb)
		if err != nil || !fresh {
			out = Duplicate
			return err
		}
		t, err := lifecycle.Lock(ctx, client, cb.TenantID)
		if err != nil {
			return err
		}
		a, err := client.ProvisioningAttempt.Query().
			Where(provisioningattempt.ID(cb.AttemptID), provisioningattempt.TenantID(t.ID)).
			ForUpdate().Only(ctx)
		if err != nil {
			return fmt.Errorf("lock attempt %s: %w", cb.AttemptID, err)
		}
		out, err = s.apply(ctx, client, t, a, cb)
		return err
	})
	return out, err
}

// receipt records the delivery; false means the same signed delivery was accepted before.
func (s *Service) receipt(ctx context.Context, client *ent.Client, cb webhook.Callback) (bool,
	error,
) {
	_, err := client.WebhookReceipt.Create().
		SetSignature(cb.Signature).SetAttemptID(cb.AttemptID).SetExpiresAt(cb.Expires).
		OnConflict(sql.ConflictColumns(webhookreceipt.FieldSignature), sql.DoNothing()).
		ID(ctx)
	switch {
	case err == nil:
		return true, nil
	case ent.IsNotFound(err) || errors.Is(err, stdsql.ErrNoRows):
		// ON CONFLICT DO NOTHING returned no row: the receipt exists.
		return false, nil
	default:
		return false, fmt.Errorf("record webhook receipt: %w", err)
	}
}

// apply decides and applies the callback on the locked tenant and attempt.
func (s *Service) apply(ctx context.Context, client *ent.Client, t *ent.Tenant,
	a *ent.ProvisioningAttempt, cb webhook.Callback,
) (webhook.Outcome, error) {
	deprovision := a.Operation == provisioningattempt.OperationDEPROVISION
	if deprovision != (cb.Type == webhook.TypeDeprovisioned) {
		return Contradicts, nil
	}
	if isEnded(a.Status) {
		if (a.Status == provisioningattempt.StatusSUCCEEDED) == cb.Success {
			return Duplicate, nil
		}
		return Contradicts, nil
	}
	want := st.TenantProvisioning
	if deprovision {
		want = st.TenantDeprovisioning
	}
	if t.Status != want {
		return Contradicts, nil
	}
	status := provisioningattempt.StatusSUCCEEDED
	if !cb.Success {
		status = provisioningattempt.StatusFAILED
	}
	err := client.ProvisioningAttempt.UpdateOne(a).SetStatus(status).SetFinishedAt(s.now()).
		SetFailureReason(cb.Reason).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("end attempt %s: %w", a.ID, err)
	}
	s.ended(a, strings.ToLower(string(status)))
	switch {
	case !deprovision && cb.Success:
		return Applied, s.provisioned(ctx, client, t, a, cb)
	case !deprovision:
		_, err = s.machine.Transition(ctx, client, t, st.TenantProvisionFailed,
			lifecycle.Change{Reason: reasonOr(cb.Reason, "provisioner reported failure"),
				AttemptID: &a.ID})
	case cb.Success:
		if _, err = s.machine.Transition(ctx, client, t, st.TenantOffboarded,
			lifecycle.Change{Reason: "resources removed", AttemptID: &a.ID}); err == nil {
			err = client.Subscription.Update().Where(subscription.TenantID(t.ID)).
				SetStatus(subscription.StatusCANCELLED).Exec(ctx)
		}
	default:
		_, err = s.machine.Transition(ctx, client, t, st.TenantDeprovisionFailed,
			lifecycle.Change{Reason: reasonOr(cb.Reason, "provisioner reported failure"),
				AttemptID: &a.ID})
	}
	return Applied, err
}

// isEnded reports whether an attempt has finished one way or another.
func isEnded(s provisioningattempt.Status) bool {
	return s != provisioningattempt.StatusPENDING && s != provisioningattempt.StatusIN_PROGRESS
}

// provisioned applies a provisioning success: resources upserted, tenant ACTIVE, subscription
// started on first activation, welcome email and identity setup enqueued.
func (s *Service) provisioned(ctx context.Context, client *ent.Client, t *ent.Tenant,
	a *ent.ProvisioningAttempt, cb webhook.Callback,
) error {
	for i, r := range cb.Resources {
		ext := r.ExternalIdentifier
		if ext == "" {
			// A resource without an identifier is known by its type and place in the report.
			ext = fmt.Sprintf("%s#%d", r.Type, i)
		}
		err := client.Resource.Create().SetTenantID(t.ID).SetType(r.Type).
			SetExternalIdentifier(ext).SetMetadata(r.Metadata).
			OnConflict(sql.ConflictColumns(resource.FieldTenantID,
				resource.FieldExternalIdentifier)).
			UpdateType().UpdateMetadata().UpdateUpdatedAt().Exec(ctx)
		if err != nil {
			return fmt.Errorf("store resource %q of tenant %q: %w", ext, t.Key, err)
		}
	}
	data := map[string]any{"resources": len(cb.Resources)}
	if cb.AppPlaneURL != "" {
		data["appPlaneUrl"] = cb.AppPlaneURL
	}
	if _, err := s.machine.Transition(ctx, client, t, st.TenantActive,
		lifecycle.Change{Reason: "provisioned", AttemptID: &a.ID, Data: data}); err != nil {
		return err
	}
	if err := s.startSubscription(ctx, client, t); err != nil {
		return err
	}
	if err := s.queue.Enqueue(ctx, s.jobs.Welcome(t.ID), nil); err != nil {
		return err
	}
	return s.queue.Enqueue(ctx, s.jobs.IdentitySetup(t.ID), nil)
}

// startSubscription activates the subscription the first time the tenant becomes ACTIVE; its
// billing anchor is that day (UTC).
func (s *Service) startSubscription(ctx context.Context, client *ent.Client, t *ent.Tenant,
) error {
	now := s.now().UTC()
	anchor := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	err := client.Subscription.Update().
		Where(subscription.TenantID(t.ID), subscription.BillingAnchorIsNil()).
		SetStatus(subscription.StatusACTIVE).SetBillingAnchor(anchor).
		SetCurrentPeriodStart(anchor).Exec(ctx)
	if err != nil {
		return fmt.Errorf("start subscription of tenant %q: %w", t.Key, err)
	}
	return nil
}
