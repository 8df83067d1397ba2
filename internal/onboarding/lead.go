package onboarding

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/lead"
	"github.com/tenantd/tenantd/ent/leadverification"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/obs"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/internal/secret"
	"github.com/tenantd/tenantd/internal/validate"
)

// LeadInput is a sign-up.
type LeadInput struct {
	FirstName, LastName, CompanyName, Email string
	Address                                 *schematype.Address
	Source                                  string
}

// CreateLead signs a lead up: it creates the lead (or reuses an unverified one with the same
// normalised email), replaces its verification with a fresh one, writes lead.created for a new
// lead, and enqueues the verification email, all in the transaction of ctx (or a new one). It
// returns only the lead id. A verified or converted email is a CONFLICT on input.email.
func (s *Service) CreateLead(ctx context.Context, in LeadInput) (uuid.UUID, error) {
	c := validate.New()
	in.FirstName = c.RequiredText("input.firstName", in.FirstName, validate.MaxName)
	in.LastName = c.RequiredText("input.lastName", in.LastName, validate.MaxName)
	in.CompanyName = c.RequiredText("input.companyName", in.CompanyName, validate.MaxCompany)
	email, normalized := c.Email("input.email", in.Email)
	in.Address = c.Address("input.address", in.Address)
	in.Source = c.Text("input.source", in.Source, validate.MaxShort)
	if in.Source == "" {
		in.Source = "web"
	}
	if err := c.Err(); err != nil {
		return uuid.Nil, err
	}
	if !s.byAddr.Allow(obs.ClientIP(ctx)) || !s.byEmail.Allow(normalized) {
		return uuid.Nil, apperr.RateLimited("too many sign-ups; try again later")
	}

	var id uuid.UUID
	err := db.InTx(privacy.DecisionContext(ctx, privacy.Allow), s.ent, func(ctx context.Context) error {
		client := db.Client(ctx, s.ent)
		var err error
		id, err = s.upsertLead(ctx, client, in, email, normalized)
		if err != nil {
			return err
		}
		return s.newVerification(ctx, client, id)
	})
	return id, err
}

// upsertLead inserts the lead or, for an email seen before, locks the existing row and refreshes
// it; concurrent sign-ups with one email therefore end in one lead.
func (s *Service) upsertLead(ctx context.Context, client *ent.Client, in LeadInput,
	email, normalized string,
) (uuid.UUID, error) {
	create := client.Lead.Create().
		SetFirstName(in.FirstName).SetLastName(in.LastName).SetCompanyName(in.CompanyName).
		SetEmail(email).SetEmailNormalized(normalized).SetSource(in.Source)
	if in.Address != nil {
		create.SetAddress(in.Address)
	}
	id, err := create.
		OnConflict(sql.ConflictColumns(lead.FieldEmailNormalized)).
		Update(func(u *ent.LeadUpsert) { u.SetUpdatedAt(s.now()) }).
		ID(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("upsert lead: %w", err)
	}
	l, err := client.Lead.Query().Where(lead.ID(id)).ForUpdate().Only(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("lock lead %s: %w", id, err)
	}
	if l.Status == lead.StatusVERIFIED || l.Status == lead.StatusCONVERTED {
		return uuid.Nil, apperr.Conflict("input.email",
			"this email is already verified; continue with its lead token or contact support")
	}
	// A fresh code replaces the old ones. Every sign-up leaves a verification behind, so a
	// lead that had none was inserted just now.
	dropped, err := client.LeadVerification.Delete().
		Where(leadverification.HasLeadWith(lead.ID(id))).Exec(ctx)
	if err != nil {
		return uuid.Nil, fmt.Errorf("drop old verifications of lead %s: %w", id, err)
	}
	if dropped > 0 {
		upd := client.Lead.UpdateOne(l).SetFirstName(in.FirstName).SetLastName(in.LastName).
			SetCompanyName(in.CompanyName).SetEmail(email).SetSource(in.Source).
			SetStatus(lead.StatusPENDING_VERIFICATION)
		if in.Address != nil {
			upd.SetAddress(in.Address)
		} else {
			upd.ClearAddress()
		}
		err = upd.Exec(ctx)
		if err != nil {
			return uuid.Nil, fmt.Errorf("refresh lead %s: %w", id, err)
		}
		return id, nil
	}
	return id, s.machine.Outbox().Write(ctx, client, outbox.Event{
		Type: outbox.LeadCreated, Subject: id,
		Data: map[string]any{"id": id.String(), "companyName": in.CompanyName,
			"source": in.Source},
	})
}

// newVerification gives the lead (whose old verifications upsertLead dropped) a fresh one and
// enqueues its email.
func (s *Service) newVerification(ctx context.Context, client *ent.Client, leadID uuid.UUID,
) error {
	vid := uuid.Must(uuid.NewV7())
	err := client.LeadVerification.Create().SetID(vid).SetLeadID(leadID).
		SetCodeHash(secret.HashCode(s.keys.Code(vid))).
		SetExpiresAt(s.now().Add(s.cfg.CodeTTL)).Exec(ctx)
	if err != nil {
		return fmt.Errorf("create verification of lead %s: %w", leadID, err)
	}
	return s.jobs.Enqueue(ctx, s.job(leadID, vid), nil)
}

// errBadCode is the one answer for a wrong, used, expired or burned code and an unknown lead.
var errBadCode = apperr.Unauthenticated("the code is wrong, used or expired; ask for a new email")

// Verified is the answer of VerifyLead.
type Verified struct {
	Lead      *ent.Lead
	Token     string
	ExpiresAt time.Time
}

// VerifyLead checks code against the lead's current verification in constant time. A match
// marks the code used and the lead VERIFIED in one transaction and returns a lead token; a
// mismatch counts a failed attempt (committed even though the call fails), and after
// MaxFailedCodes the verification is burned.
func (s *Service) VerifyLead(ctx context.Context, leadID uuid.UUID, code string) (Verified,
	error,
) {
	if !s.byLead.Allow(leadID.String()) {
		return Verified{}, apperr.RateLimited("too many attempts for this lead; try again later")
	}
	// Its own transaction: the failed-attempt count must survive the failing GraphQL mutation,
	// whose transaction rolls back.
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	var (
		l       *ent.Lead
		matched bool
	)
	err := db.InTx(db.Detached(ctx), s.ent, func(ctx context.Context) error {
		var err error
		l, matched, err = s.checkCode(ctx, db.Client(ctx, s.ent), leadID, code)
		return err
	})
	if err != nil {
		return Verified{}, err
	}
	if !matched {
		return Verified{}, errBadCode
	}
	token, exp, err := s.minter.MintLead(leadID, 0)
	if err != nil {
		return Verified{}, fmt.Errorf("mint lead token: %w", err)
	}
	return Verified{Lead: l, Token: token, ExpiresAt: exp}, nil
}

// checkCode runs inside VerifyLead's transaction. A wrong code reports matched false with a nil
// error, so that the transaction commits the failed-attempt count.
func (s *Service) checkCode(ctx context.Context, client *ent.Client, leadID uuid.UUID,
	code string,
) (_ *ent.Lead, matched bool, _ error) {
	v, err := client.LeadVerification.Query().
		Where(leadverification.HasLeadWith(lead.ID(leadID))).
		Order(ent.Desc(leadverification.FieldCreatedAt)).Limit(1).ForUpdate().Only(ctx)
	if ent.IsNotFound(err) {
		return nil, false, errBadCode
	}
	if err != nil {
		return nil, false, fmt.Errorf("load verification of lead %s: %w", leadID, err)
	}
	if v.UsedAt != nil || !s.now().Before(v.ExpiresAt) || v.FailedAttempts >= s.cfg.MaxFailedCodes {
		return nil, false, errBadCode
	}
	if !secret.CodeMatches(code, v.CodeHash) {
		if err := client.LeadVerification.UpdateOne(v).AddFailedAttempts(1).Exec(ctx); err != nil {
			return nil, false, fmt.Errorf("count failed code of lead %s: %w", leadID, err)
		}
		return nil, false, nil
	}
	now := s.now()
	if err := client.LeadVerification.UpdateOne(v).SetUsedAt(now).Exec(ctx); err != nil {
		return nil, false, fmt.Errorf("use verification of lead %s: %w", leadID, err)
	}
	l, err := client.Lead.UpdateOneID(leadID).Where(lead.StatusEQ(lead.StatusPENDING_VERIFICATION)).
		SetStatus(lead.StatusVERIFIED).SetVerifiedAt(now).Save(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("mark lead %s verified: %w", leadID, err)
	}
	return l, true, s.machine.Outbox().Write(ctx, client, outbox.Event{
		Type: outbox.LeadVerified, Subject: leadID,
		Data: map[string]any{"id": leadID.String(), "verifiedAt": now},
	})
}
