// Package provisioning runs the provisioning protocol (SPEC sections 5 and 6): attempts with
// their own encrypted secret, context and deadline; the operator's lifecycle mutations; the
// deadline that times attempts out; and applying the provisioner's signed callbacks exactly
// once. graph/ resolvers, the webhook handler (internal/webhook) and jobs/ call it.
package provisioning

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/lifecycle"
	"github.com/tenantd/tenantd/internal/secret"
)

// Enqueuer inserts a job in the transaction of ctx (internal/db.Jobs).
type Enqueuer interface {
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// Jobs builds the jobs the protocol enqueues; jobs/ provides them, so that this package does not
// depend on the workers' own dependencies.
type Jobs struct {
	// Deadline times out the attempt at its deadline (scheduled then).
	Deadline func(attemptID uuid.UUID) river.JobArgs
	// Welcome emails the primary contact of a tenant that became ACTIVE.
	Welcome func(tenantID uuid.UUID) river.JobArgs
	// IdentitySetup sets up the identity provider of a tenant that became ACTIVE.
	IdentitySetup func(tenantID uuid.UUID) river.JobArgs
}

// Config tunes the protocol. Zero values take the defaults named on each field.
type Config struct {
	// AttemptTTL is how long the provisioner has to call back (PROVISIONING_DEADLINE, default
	// 60m).
	AttemptTTL time.Duration
	// CallbackURL is the webhook the provisioner calls (CALLBACK_URL, default
	// <PUBLIC_URL>/webhooks/provisioning).
	CallbackURL string
	// Observe records how long an attempt took and how it ended (succeeded, failed,
	// timed_out); nil records nothing.
	Observe func(outcome string, d time.Duration)
}

// Service runs the protocol.
type Service struct {
	ent     *ent.Client
	machine *lifecycle.Machine
	keys    *secret.Keyring
	queue   Enqueuer
	jobs    Jobs
	cfg     Config
	now     func() time.Time
}

// ended records the end of attempt a with outcome.
func (s *Service) ended(a *ent.ProvisioningAttempt, outcome string) {
	if a.StartedAt != nil {
		s.cfg.Observe(outcome, s.now().Sub(*a.StartedAt))
	}
}

// New returns a Service; client is the base ent client (methods use the transaction of ctx when
// there is one).
func New(client *ent.Client, machine *lifecycle.Machine, keys *secret.Keyring, queue Enqueuer,
	jobs Jobs, cfg Config,
) *Service {
	if cfg.AttemptTTL <= 0 {
		cfg.AttemptTTL = time.Hour
	}
	if cfg.Observe == nil {
		cfg.Observe = func(string, time.Duration) {}
	}
	return &Service{ent: client, machine: machine, keys: keys, queue: queue, jobs: jobs, cfg: cfg,
		now: time.Now}
}
