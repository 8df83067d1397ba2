// Package lifecycle owns every change of a tenant's status: the allowed transitions of SPEC
// section 4, and with each change, in the same transaction, a TenantStatusChange row and an
// outbox event. Onboarding, provisioning and the operator mutations call it; nothing else writes
// tenants.status.
package lifecycle

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/schematype"
)

// Created records the first status of a new tenant (PENDING_PROVISION): its first history row
// and the tenant.created event, through client (the transaction that created the tenant).
func Created(ctx context.Context, client *ent.Client, t *ent.Tenant, reason string,
	data map[string]any,
) error {
	err := client.TenantStatusChange.Create().
		SetTenantID(t.ID).
		SetTo(schematype.TenantPendingProvision).
		SetActor(auth.Actor(ctx)).
		SetReason(reason).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record first status of tenant %q: %w", t.Key, err)
	}
	tid := t.ID
	return outbox.Write(ctx, client, outbox.Event{
		Type: outbox.TenantCreated, Subject: t.ID, TenantID: &tid, Data: data,
	})
}

// TenantData is the event payload describing t.
func TenantData(t *ent.Tenant, planKey string) map[string]any {
	d := map[string]any{
		"id": t.ID.String(), "key": t.Key, "name": t.Name, "status": string(t.Status),
		"domains": t.Domains, "source": t.Source, "plan": planKey,
	}
	if t.Address != nil {
		d["address"] = t.Address
	}
	if t.LeadID != nil {
		d["leadId"] = t.LeadID.String()
	}
	return d
}

var _ = uuid.Nil
