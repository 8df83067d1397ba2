// Package onboarding turns sign-ups into tenants (SPEC section 3): createLead with its emailed
// one-time code, verifyLead returning a lead token, onboarding from a verified lead, and direct
// onboarding by an operator. graph/ resolvers call it; the verification email is a River job
// enqueued in the same transaction as the lead.
package onboarding

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/lifecycle"
	"github.com/tenantd/tenantd/internal/ratelimit"
	"github.com/tenantd/tenantd/internal/secret"
)

// Enqueuer inserts a job in the transaction of ctx (internal/db.Jobs).
type Enqueuer interface {
	Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error
}

// VerificationJob builds the job that emails the code of a verification; jobs/ provides it so
// that this package does not import the job package's dependencies.
type VerificationJob func(leadID, verificationID uuid.UUID) river.JobArgs

// Config tunes the service. Zero values take the defaults named on each field.
type Config struct {
	// ReservedKeys are tenant keys nobody may take (RESERVED_TENANT_KEYS; nil: the built-in
	// list of internal/validate).
	ReservedKeys []string
	// CodeTTL is how long an emailed code is good (VERIFICATION_CODE_TTL, default 30m).
	CodeTTL time.Duration
	// MaxFailedCodes burns a verification after that many wrong codes (default 5).
	MaxFailedCodes int
	// LeadsPerAddress and LeadsPerEmail bound createLead per client address and per email per
	// hour (RATE_LIMIT_LEADS_PER_IP default 20, RATE_LIMIT_LEADS_PER_EMAIL default 5; 0 turns
	// a limit off).
	LeadsPerAddress, LeadsPerEmail int
	// VerifyPerLead bounds verifyLead calls per lead per hour (RATE_LIMIT_VERIFY_PER_LEAD,
	// default 10; 0 turns it off).
	VerifyPerLead int
}

func (c Config) withDefaults() Config {
	if c.CodeTTL <= 0 {
		c.CodeTTL = 30 * time.Minute
	}
	if c.MaxFailedCodes <= 0 {
		c.MaxFailedCodes = 5
	}
	return c
}

// Service onboards leads and tenants.
type Service struct {
	ent     *ent.Client
	jobs    Enqueuer
	job     VerificationJob
	machine *lifecycle.Machine
	keys    *secret.Keyring
	minter  *auth.Minter
	cfg     Config
	byAddr  *ratelimit.Limiter
	byEmail *ratelimit.Limiter
	byLead  *ratelimit.Limiter
	now     func() time.Time
}

// New returns a Service; client is the base ent client (methods use the transaction of ctx when
// there is one).
func New(client *ent.Client, jobs Enqueuer, job VerificationJob, machine *lifecycle.Machine,
	keys *secret.Keyring, minter *auth.Minter, cfg Config,
) *Service {
	cfg = cfg.withDefaults()
	perHour := func(n int) *ratelimit.Limiter {
		if n <= 0 {
			return nil
		}
		return ratelimit.New(n, time.Hour/time.Duration(n))
	}
	return &Service{
		ent: client, jobs: jobs, job: job, machine: machine, keys: keys, minter: minter, cfg: cfg,
		byAddr:  perHour(cfg.LeadsPerAddress),
		byEmail: perHour(cfg.LeadsPerEmail),
		byLead:  perHour(cfg.VerifyPerLead),
		now:     time.Now,
	}
}
