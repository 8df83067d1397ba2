// Package jobs holds tenantd's River job kinds: one file per kind with its args and worker,
// Register to add the workers, and Periodic for the scheduled ones. internal/app wires it; jobs
// never imports graph.
package jobs

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/mail"
	"github.com/tenantd/tenantd/internal/provisioning"
	"github.com/tenantd/tenantd/internal/secret"
)

// Queues of tenantd's jobs; each has its own worker count (internal/app).
const (
	QueueEmail    = "email"
	QueueEvents   = "events"
	QueueIdentity = "identity"
)

// Inserter inserts jobs outside a transaction (internal/db.Jobs).
type Inserter interface {
	EnqueueNow(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Deps are what the workers need.
type Deps struct {
	Ent       *ent.Client
	Logger    *slog.Logger
	Keys      *secret.Keyring
	Mailer    mail.Sender
	Templates *mail.Templates
	// VerifyURL is the front end's verification page (VERIFY_URL); the email links to
	// <VerifyURL>?lead=<id>&code=<code>.
	VerifyURL string
	// AppDomain is the parent domain of tenants' applications (APP_DOMAIN): a tenant's
	// application is https://<key>.<AppDomain>.
	AppDomain string
	// CallbackURL is the provisioning webhook the local provisioner calls.
	CallbackURL string
	// LocalProvisionerDelay is how long the local provisioner waits before it calls back.
	LocalProvisionerDelay time.Duration
	Provisioning          *provisioning.Service
	Publisher             Publisher
	Jobs                  Inserter
}

// Register adds every worker to workers. It panics on a duplicate kind, which is a programming
// error found at start-up.
func Register(workers *river.Workers, d Deps) {
	river.AddWorker(workers, &PurgeWebhookReceiptsWorker{ent: d.Ent, logger: d.Logger})
	river.AddWorker(workers, &SendVerificationEmailWorker{deps: d})
	river.AddWorker(workers, NewPublishOutboxWorker(d))
	river.AddWorker(workers, &ProvisioningDeadlineWorker{deps: d})
	river.AddWorker(workers, &SendWelcomeEmailWorker{deps: d})
	river.AddWorker(workers, &SetupIdentityProviderWorker{deps: d})
	river.AddWorker(workers, &LocalProvisionWorker{deps: d,
		client: &http.Client{Timeout: 30 * time.Second}})
}

// Periodic lists the scheduled jobs; only River's elected leader enqueues them.
func Periodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeWebhookReceiptsArgs{}, nil },
			&river.PeriodicJobOpts{ID: "purge_webhook_receipts", RunOnStart: true}),
	}
}
