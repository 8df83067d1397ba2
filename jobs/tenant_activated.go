package jobs

import (
	"context"
	"fmt"
	"log/slog"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/contact"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/mail"
)

// SendWelcomeEmailArgs asks for the welcome email of a tenant that became ACTIVE, sent to its
// primary contact through the same mail pipeline as the verification email.
type SendWelcomeEmailArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is the stable job kind.
func (SendWelcomeEmailArgs) Kind() string { return "send_welcome_email" }

// InsertOpts: the email queue, retried for about an hour.
func (SendWelcomeEmailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEmail, MaxAttempts: 10}
}

// WelcomeEmail builds the job for provisioning.Service.
func WelcomeEmail(tenantID uuid.UUID) river.JobArgs { return SendWelcomeEmailArgs{TenantID: tenantID} }

// SendWelcomeEmailWorker renders and sends the welcome email.
type SendWelcomeEmailWorker struct {
	river.WorkerDefaults[SendWelcomeEmailArgs]
	deps Deps
}

// Work sends the email to the tenant's primary contact.
func (w *SendWelcomeEmailWorker) Work(ctx context.Context, job *river.Job[SendWelcomeEmailArgs],
) error {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, job.Kind), privacy.Allow)
	t, err := w.deps.Ent.Tenant.Get(ctx, job.Args.TenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", job.Args.TenantID, err)
	}
	c, err := t.QueryContacts().Where(contact.IsPrimary(true)).Only(ctx)
	if ent.IsNotFound(err) {
		w.deps.Logger.WarnContext(ctx, "tenant has no primary contact; no welcome email",
			slog.String("tenant_id", t.ID.String()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("load primary contact of tenant %q: %w", t.Key, err)
	}
	subject, text, html, err := w.deps.Templates.Render(mail.TemplateWelcome, mail.WelcomeData{
		FirstName: c.FirstName, TenantName: t.Name, TenantKey: t.Key,
		AppURL: fmt.Sprintf("https://%s.%s", t.Key, w.deps.AppDomain),
	})
	if err != nil {
		return river.JobCancel(fmt.Errorf("render welcome email: %w", err))
	}
	return w.deps.Mailer.Send(ctx, mail.Message{To: c.Email, ToName: c.FirstName + " " + c.LastName,
		Subject: subject, Text: text, HTML: html})
}

// SetupIdentityProviderArgs asks for the identity provider of a tenant that became ACTIVE to be
// set up according to its plan (SPEC section 8).
type SetupIdentityProviderArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
}

// Kind is the stable job kind.
func (SetupIdentityProviderArgs) Kind() string { return "setup_identity_provider" }

// InsertOpts: the identity-provider queue.
func (SetupIdentityProviderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueIdentity, MaxAttempts: 25}
}

// IdentitySetup builds the job for provisioning.Service.
func IdentitySetup(tenantID uuid.UUID) river.JobArgs {
	return SetupIdentityProviderArgs{TenantID: tenantID}
}

// SetupIdentityProviderWorker sets up a tenant's identity provider.
//
// Keycloak and Auth0 adapters are the next capability (SPEC section 8); until they exist the
// worker records, for every kind but NONE, that the provider is not configured yet, and
// completes, so that nothing waits on it.
type SetupIdentityProviderWorker struct {
	river.WorkerDefaults[SetupIdentityProviderArgs]
	deps Deps
}

// Work records the provider the tenant's plan asks for.
func (w *SetupIdentityProviderWorker) Work(ctx context.Context,
	job *river.Job[SetupIdentityProviderArgs],
) error {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, job.Kind), privacy.Allow)
	t, err := w.deps.Ent.Tenant.Get(ctx, job.Args.TenantID)
	if err != nil {
		return fmt.Errorf("load tenant %s: %w", job.Args.TenantID, err)
	}
	w.deps.Logger.InfoContext(ctx,
		"identity provider setup not configured yet; tenant left without one",
		slog.String("tenant_id", t.ID.String()), slog.String("tenant_key", t.Key),
		slog.String("identity_provider", string(t.IdentityProvider)))
	return nil
}
