// Package outbox writes domain events into the outbox table inside the transaction of the change
// that caused them (SPEC section 7). The publisher job reads them later; nothing is published
// before commit. Domain packages (onboarding, lifecycle, billing) call Write.
package outbox

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

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
// lead before there is a tenant); events are published in order per subject. TenantID is set
// for events about a tenant (then equal to Subject).
type Event struct {
	Type     string
	Subject  uuid.UUID
	TenantID *uuid.UUID
	Data     map[string]any
}

// TenantDeprovisioningFailed is not in SPEC section 7's list but is needed for the
// DEPROVISIONING → DEPROVISION_FAILED change, which must write an event like every other.
const TenantDeprovisioningFailed = "tenant.deprovisioning.failed"

// Enqueuer inserts a job in the transaction of ctx (internal/db.Jobs).
type Enqueuer interface {
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// PublishJob builds the job that publishes the pending events of one subject, oldest first;
// jobs/ provides it, so that this package does not depend on the transports.
type PublishJob func(subject string) river.JobArgs

// Writer writes events and, in the same transaction, enqueues their publication.
type Writer struct {
	jobs    Enqueuer
	publish PublishJob
}

// NewWriter returns a Writer that enqueues publish(subject) for every event it writes.
func NewWriter(jobs Enqueuer, publish PublishJob) *Writer {
	return &Writer{jobs: jobs, publish: publish}
}

// Write adds e to the outbox through client, which must be the client of the transaction that
// makes the change (db.Client(ctx, …)), and enqueues its publication in that transaction: after
// a crash between commit and publication the job is still there.
func (w *Writer) Write(ctx context.Context, client *ent.Client, e Event) error {
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
	return w.jobs.Enqueue(ctx, w.publish(e.Subject.String()), nil)
}
