package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/leadverification"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/mail"
)

// SendVerificationEmailArgs asks for the email carrying a lead's verification link. The code
// is not in the args: the worker derives it from the verification id with the server key.
type SendVerificationEmailArgs struct {
	LeadID         uuid.UUID `json:"lead_id"`
	VerificationID uuid.UUID `json:"verification_id"`
}

// Kind is the stable job kind.
func (SendVerificationEmailArgs) Kind() string { return "send_verification_email" }

// InsertOpts retry for about half an hour, the code's default lifetime.
func (SendVerificationEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmail, MaxAttempts: 8}
}

// VerificationEmail builds the job for onboarding.Service.
func VerificationEmail(leadID, verificationID uuid.UUID) river.JobArgs {
	return SendVerificationEmailArgs{LeadID: leadID, VerificationID: verificationID}
}

// SendVerificationEmailWorker renders and sends the verification email.
type SendVerificationEmailWorker struct {
	river.WorkerDefaults[SendVerificationEmailArgs]
	deps Deps
}

// Work sends the email unless the verification was replaced, used or has expired (then there
// is nothing worth sending and the job completes).
func (w *SendVerificationEmailWorker) Work(ctx context.Context,
	job *river.Job[SendVerificationEmailArgs],
) error {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, job.Kind), privacy.Allow)
	v, err := w.deps.Ent.LeadVerification.Query().
		Where(leadverification.ID(job.Args.VerificationID)).WithLead().Only(ctx)
	if ent.IsNotFound(err) {
		w.deps.Logger.InfoContext(ctx, "verification replaced; email not sent",
			slog.String("lead_id", job.Args.LeadID.String()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("load verification %s: %w", job.Args.VerificationID, err)
	}
	left := time.Until(v.ExpiresAt)
	if v.UsedAt != nil || left <= 0 {
		return nil
	}
	link := verifyLink(w.deps.VerifyURL, v.Edges.Lead.ID, w.deps.Keys.Code(v.ID))
	subject, text, html, err := w.deps.Templates.Render(mail.TemplateVerification,
		mail.VerificationData{
			FirstName:   v.Edges.Lead.FirstName,
			CompanyName: v.Edges.Lead.CompanyName,
			Link:        link,
			ExpiresIn:   mail.HumanDuration(left),
		})
	if err != nil {
		return river.JobCancel(fmt.Errorf("render verification email: %w", err))
	}
	return w.deps.Mailer.Send(ctx, mail.Message{
		To: v.Edges.Lead.Email, ToName: v.Edges.Lead.FirstName + " " + v.Edges.Lead.LastName,
		Subject: subject, Text: text, HTML: html, DevLink: link,
	})
}

// verifyLink is <verify URL>?lead=<id>&code=<code>.
func verifyLink(base string, leadID uuid.UUID, code string) string {
	q := url.Values{"lead": {leadID.String()}, "code": {code}}
	sep := "?"
	if u, err := url.Parse(base); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	return base + sep + q.Encode()
}
