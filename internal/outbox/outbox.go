// Package outbox writes domain events into the outbox table inside the transaction of the change
// that caused them (SPEC section 7). The publisher job reads them later; nothing is published
// before commit. Domain packages (onboarding, lifecycle, billing) call Write.
package outbox

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
)

// Event types (SPEC section 7).
const (
	LeadCreated                   = "lead.created"
	LeadVerified                  = "lead.verified"
	TenantCreated                 = "tenant.created"
	TenantProvisioningRequested   = "tenant.provisioning.requested"
	TenantProvisioned             = "tenant.provisioned"
	TenantProvisioningFailed      = "tenant.provisioning.failed"
	TenantSuspended               = "tenant.suspended"
	TenantReactivated             = "tenant.reactivated"
	TenantDeprovisioningRequested = "tenant.deprovisioning.requested"
	TenantOffboarded              = "tenant.offboarded"
	TenantIDPConfigured           = "tenant.idp.configured"
	InvoiceIssued                 = "invoice.issued"
	InvoicePaid                   = "invoice.paid"
	InvoiceCancelled              = "invoice.cancelled"
)

// Event is one domain event to write. Subject is the id the event is about (the tenant, or the
// lead before there is a tenant); TenantID orders events per tenant when set.
type Event struct {
	Type     string
	Subject  uuid.UUID
	TenantID *uuid.UUID
	Data     map[string]any
}

// Write adds e to the outbox through client, which must be the client of the transaction that
// makes the change (db.Client(ctx, …) inside the mutation).
func Write(ctx context.Context, client *ent.Client, e Event) error {
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	err := client.OutboxEvent.Create().
		SetType(e.Type).
		SetSubject(e.Subject.String()).
		SetNillableTenantID(e.TenantID).
		SetData(data).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("write %s event for %s: %w", e.Type, e.Subject, err)
	}
	return nil
}
