// Package lifecycle owns every change of a tenant's status: the allowed transitions of SPEC
// section 4, and with each change, in the same transaction, a TenantStatusChange row, an outbox
// event and a notification to live subscribers. Onboarding, provisioning and the operator
// mutations call it; nothing else writes tenants.status.
package lifecycle

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/tenant"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/pubsub"
	st "github.com/tenantd/tenantd/internal/schematype"
)

// transitions is SPEC section 4: for each status, the statuses it may change to.
var transitions = map[st.TenantStatus][]st.TenantStatus{
	st.TenantPendingProvision:  {st.TenantProvisioning, st.TenantOffboarded},
	st.TenantProvisioning:      {st.TenantActive, st.TenantProvisionFailed},
	st.TenantProvisionFailed:   {st.TenantProvisioning, st.TenantDeprovisioning},
	st.TenantActive:            {st.TenantSuspended, st.TenantDeprovisioning},
	st.TenantSuspended:         {st.TenantActive, st.TenantDeprovisioning},
	st.TenantDeprovisioning:    {st.TenantOffboarded, st.TenantDeprovisionFailed},
	st.TenantDeprovisionFailed: {st.TenantDeprovisioning},
}

// Allowed reports whether a tenant may change from from to to.
func Allowed(from, to st.TenantStatus) bool {
	for _, t := range transitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// eventType is the outbox event of a change.
func eventType(from, to st.TenantStatus) string {
	switch to {
	case st.TenantProvisioning:
		return outbox.TenantProvisioningRequested
	case st.TenantActive:
		if from == st.TenantSuspended {
			return outbox.TenantReactivated
		}
		return outbox.TenantProvisioned
	case st.TenantProvisionFailed:
		return outbox.TenantProvisioningFailed
	case st.TenantSuspended:
		return outbox.TenantSuspended
	case st.TenantDeprovisioning:
		return outbox.TenantDeprovisioningRequested
	case st.TenantOffboarded:
		return outbox.TenantOffboarded
	default:
		return outbox.TenantDeprovisioningFailed
	}
}

// Machine makes status changes.
type Machine struct {
	outbox *outbox.Writer
}

// New returns a Machine writing its events through w.
func New(w *outbox.Writer) *Machine {
	return &Machine{outbox: w}
}

// Outbox returns the writer the machine writes events with, for events that are not status
// changes (lead.created, invoice.issued, …).
func (m *Machine) Outbox() *outbox.Writer { return m.outbox }

// Change describes why a status changes.
type Change struct {
	Reason    string
	AttemptID *uuid.UUID
	// Data is merged into the event's data (for example the provisioning request).
	Data map[string]any
}

// InvalidTransition is the error for a change SPEC section 4 does not allow.
func InvalidTransition(from, to st.TenantStatus) error {
	return &apperr.Error{
		Code:    apperr.CodeInvalidTransition,
		Message: fmt.Sprintf("a tenant in status %s cannot become %s", from, to),
		Extra:   map[string]any{"from": string(from), "to": string(to)},
	}
}

// Lock loads the tenant id for update in the transaction of client, so that one change at a
// time applies to it.
func Lock(ctx context.Context, client *ent.Client, id uuid.UUID) (*ent.Tenant, error) {
	t, err := client.Tenant.Query().Where(tenant.ID(id)).ForUpdate().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("tenant")
	}
	if err != nil {
		return nil, fmt.Errorf("lock tenant %s: %w", id, err)
	}
	return t, nil
}

// Transition changes the locked tenant t to status to: the status itself, a history row, the
// outbox event and the subscriber notification, all through client (one transaction). A change
// the table does not allow is INVALID_TRANSITION naming from and to.
func (m *Machine) Transition(ctx context.Context, client *ent.Client, t *ent.Tenant,
	to st.TenantStatus, c Change,
) (*ent.Tenant, error) {
	from := t.Status
	if !Allowed(from, to) {
		return nil, InvalidTransition(from, to)
	}
	upd := client.Tenant.UpdateOne(t).SetStatus(to)
	if to == st.TenantOffboarded {
		upd.SetDeletedAt(time.Now())
	}
	changed, err := upd.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("set status of tenant %q to %s: %w", t.Key, to, err)
	}
	return changed, m.record(ctx, client, changed, &from, c)
}

// Created records the first status of a new tenant: its first history row, the tenant.created
// event and the notification, through client (the transaction that created the tenant).
func (m *Machine) Created(ctx context.Context, client *ent.Client, t *ent.Tenant, c Change,
) error {
	return m.record(ctx, client, t, nil, c)
}

// record writes the history row, the event and the notification of t's new status.
func (m *Machine) record(ctx context.Context, client *ent.Client, t *ent.Tenant,
	from *st.TenantStatus, c Change,
) error {
	row, err := client.TenantStatusChange.Create().
		SetTenantID(t.ID).SetNillableFrom(from).SetTo(t.Status).SetActor(auth.Actor(ctx)).
		SetReason(c.Reason).SetNillableAttemptID(c.AttemptID).Save(ctx)
	if err != nil {
		return fmt.Errorf("record status %s of tenant %q: %w", t.Status, t.Key, err)
	}
	typ := outbox.TenantCreated
	data := TenantData(t)
	if from != nil {
		typ = eventType(*from, t.Status)
		data["previousStatus"] = string(*from)
	}
	data["reason"] = c.Reason
	if c.AttemptID != nil {
		data["attemptId"] = c.AttemptID.String()
	}
	maps.Copy(data, c.Data)
	tid := t.ID
	err = m.outbox.Write(ctx, client, outbox.Event{Type: typ, Subject: t.ID, TenantID: &tid,
		Data: data})
	if err != nil {
		return err
	}
	return pubsub.Notify(ctx, client, pubsub.Notification{TenantID: t.ID, ChangeID: row.ID})
}

// TenantData is the event payload describing t.
func TenantData(t *ent.Tenant) map[string]any {
	d := map[string]any{
		"id": t.ID.String(), "key": t.Key, "name": t.Name, "status": string(t.Status),
		"domains": t.Domains, "source": t.Source,
	}
	if t.Address != nil {
		d["address"] = t.Address
	}
	if t.LeadID != nil {
		d["leadId"] = t.LeadID.String()
	}
	if t.PlanID != nil {
		d["planId"] = t.PlanID.String()
	}
	return d
}
