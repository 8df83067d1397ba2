// Package billing owns invoices: numbering, the operator's create/update/delete and, later, the
// periodic issuing job. graph/ resolvers and jobs/ call it.
package billing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/invoice"
	"github.com/tenantd/tenantd/ent/subscription"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/validate"
)

// Service manages invoices. Every method authorises the caller first.
type Service struct {
	ent *ent.Client
	now func() time.Time
}

// New returns a Service over client; methods use the transaction in ctx when there is one.
func New(client *ent.Client) *Service {
	return &Service{ent: client, now: time.Now}
}

// CreateInvoice issues an invoice for a period of the tenant's subscription, numbered
// INV-<year>-<sequence>. A second invoice for the same period is a CONFLICT on input.periodStart.
func (s *Service) CreateInvoice(ctx context.Context, in ent.CreateInvoiceInput) (*ent.Invoice, error) {
	if err := auth.Require(ctx, auth.CreateInvoice); err != nil {
		return nil, err
	}
	c := validate.New()
	c.NonNegative("input.amount", in.Amount)
	in.Currency = c.Currency("input.currency", in.Currency)
	in.PeriodStart, in.PeriodEnd, in.DueDate = day(in.PeriodStart), day(in.PeriodEnd), day(in.DueDate)
	if in.PeriodEnd.Before(in.PeriodStart) {
		c.Add("input.periodEnd", "must not be before periodStart")
	}
	if err := c.Err(); err != nil {
		return nil, err
	}

	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	return s.issue(ctx, in)
}

// issue numbers and stores an invoice in the transaction of ctx (or a new one).
func (s *Service) issue(ctx context.Context, in ent.CreateInvoiceInput) (*ent.Invoice, error) {
	var inv *ent.Invoice
	err := db.InTx(ctx, s.ent, func(ctx context.Context) error {
		client := db.Client(ctx, s.ent)
		sub, err := client.Subscription.Query().Where(subscription.TenantID(in.TenantID)).Only(ctx)
		if ent.IsNotFound(err) {
			return apperr.Validation("input.tenantID", "the tenant has no subscription to invoice")
		}
		if err != nil {
			return fmt.Errorf("load subscription of tenant %s: %w", in.TenantID, err)
		}
		issuedAt := s.now().UTC()
		number, err := nextNumber(ctx, client, issuedAt.Year())
		if err != nil {
			return err
		}
		inv, err = client.Invoice.Create().SetInput(in).SetSubscriptionID(sub.ID).
			SetNumber(number).SetIssuedAt(issuedAt).Save(ctx)
		if err != nil {
			return fmt.Errorf("create invoice %s: %w", number, db.PublicError(err, "input"))
		}
		return nil
	})
	return inv, err
}

// nextNumber returns the next invoice number of year. A transaction-scoped advisory lock per year
// serialises numbering across instances; the unique index on number is the final guard.
func nextNumber(ctx context.Context, client *ent.Client, year int) (string, error) {
	prefix := fmt.Sprintf("INV-%d-", year)
	if _, err := client.ExecContext(ctx,
		"SELECT pg_advisory_xact_lock(hashtext($1))", "invoice-number:"+prefix); err != nil {
		return "", fmt.Errorf("lock invoice numbers of %d: %w", year, err)
	}
	last, err := client.Invoice.Query().Where(invoice.NumberHasPrefix(prefix)).
		Order(ent.Desc(invoice.FieldNumber)).Limit(1).Select(invoice.FieldNumber).String(ctx)
	seq := 0
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return "", fmt.Errorf("read last invoice number of %d: %w", year, err)
	default:
		seq, err = strconv.Atoi(strings.TrimPrefix(last, prefix))
		if err != nil {
			return "", fmt.Errorf("parse invoice number %q: %w", last, err)
		}
	}
	return fmt.Sprintf("%s%06d", prefix, seq+1), nil
}

// UpdateInvoice changes a pending invoice; paid and cancelled invoices are final.
func (s *Service) UpdateInvoice(ctx context.Context, id uuid.UUID, in ent.UpdateInvoiceInput,
) (*ent.Invoice, error) {
	if err := auth.Require(ctx, auth.UpdateInvoice); err != nil {
		return nil, err
	}
	c := validate.New()
	if in.Amount != nil {
		c.NonNegative("input.amount", *in.Amount)
	}
	if in.Currency != nil {
		*in.Currency = c.Currency("input.currency", *in.Currency)
	}
	for _, t := range []*time.Time{in.PeriodStart, in.PeriodEnd, in.DueDate} {
		if t != nil {
			*t = day(*t)
		}
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	inv, err := client.Invoice.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("invoice")
	}
	if err != nil {
		return nil, fmt.Errorf("load invoice %s: %w", id, err)
	}
	if inv.Status != invoice.StatusPENDING {
		return nil, apperr.Conflict("id", "only a pending invoice can be changed (it is %s)", inv.Status)
	}
	inv, err = client.Invoice.UpdateOne(inv).SetInput(in).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update invoice %s: %w", id, db.PublicError(err, "input"))
	}
	return inv, nil
}

// DeleteInvoice deletes an invoice that is not paid.
func (s *Service) DeleteInvoice(ctx context.Context, id uuid.UUID) error {
	if err := auth.Require(ctx, auth.DeleteInvoice); err != nil {
		return err
	}
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	client := db.Client(ctx, s.ent)
	inv, err := client.Invoice.Get(ctx, id)
	if ent.IsNotFound(err) {
		return apperr.NotFound("invoice")
	}
	if err != nil {
		return fmt.Errorf("load invoice %s: %w", id, err)
	}
	if inv.Status == invoice.StatusPAID {
		return apperr.Conflict("id", "a paid invoice cannot be deleted")
	}
	if err := client.Invoice.DeleteOne(inv).Exec(ctx); err != nil {
		return fmt.Errorf("delete invoice %s: %w", id, err)
	}
	return nil
}

// day truncates t to its UTC calendar date; invoices carry dates, not instants.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
