// Package webhook owns the HTTP side of the provisioning webhook, POST /webhooks/provisioning
// (SPEC section 6): it reads and bounds the body, parses the x-timestamp and x-signature
// headers strictly, verifies the HMAC-SHA256 signature with the attempt's secret and context,
// checks the time window, decodes the callback and hands it to a Store, then maps the outcome
// to a status code. It knows nothing about the database: internal/provisioning implements
// Store, and cmd/tenantd mounts NewHandler. The local provisioner and tests use Sign.
package webhook

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
)

// ErrNoAttempt is returned by Store.Attempt when the tenant is unknown or has never had a
// provisioning attempt. The handler answers it with 401, like any other verification failure.
var ErrNoAttempt = errors.New("no provisioning attempt")

// Store is what the handler needs from the provisioning domain (implemented by
// internal/provisioning). Its methods must be safe for concurrent use: deliveries of the same
// callback may arrive at the same time.
type Store interface {
	// Attempts returns the provisioning attempts of tenantID, newest first, each with its
	// context string and decrypted secret; the delivery is verified against each in turn, so
	// that a late callback of an older attempt is recognised (and then answered 200 or 409
	// rather than 401). It returns an error wrapping ErrNoAttempt when the tenant is unknown
	// or has no attempt; any other error is taken as the store being unavailable (503).
	Attempts(ctx context.Context, tenantID uuid.UUID) ([]Attempt, error)
	// Apply applies a verified callback exactly once and reports what happened. A
	// contradiction is the Contradicts outcome, not an error (an error wrapping ErrNoAttempt,
	// or an *apperr.Error with code CONFLICT or INVALID_TRANSITION, is answered 409 as well);
	// any other error is taken as the store being unavailable (503, the provisioner retries)
	// and must leave nothing applied.
	// cb.Signature is the replay-guard key; a guard entry may be forgotten after cb.Expires.
	Apply(ctx context.Context, cb Callback) (Outcome, error)
}

// Attempt is the part of a provisioning attempt the handler needs to verify a delivery.
// Secret is the HMAC key; an attempt with an empty Secret is refused (401) because anyone
// could sign with an empty key.
type Attempt struct {
	ID      uuid.UUID
	Context string
	Secret  []byte
}

// CallbackType says what a callback reports: resources provisioned or deprovisioned.
type CallbackType int

// The callback types of SPEC section 6 ("type" in the body).
const (
	// TypeProvisioned (0) reports the outcome of provisioning a tenant's resources.
	TypeProvisioned CallbackType = 0
	// TypeDeprovisioned (1) reports the outcome of removing them (off-boarding).
	TypeDeprovisioned CallbackType = 1
)

// String returns "provisioned" or "deprovisioned", for logs.
func (t CallbackType) String() string {
	switch t {
	case TypeProvisioned:
		return "provisioned"
	case TypeDeprovisioned:
		return "deprovisioned"
	default:
		return "unknown"
	}
}

// Callback is a verified, decoded delivery, ready to be applied.
type Callback struct {
	// TenantID is the body's initiatorId; AttemptID the attempt whose secret verified it.
	// The callback applies to that attempt even when a newer one was opened meanwhile.
	TenantID  uuid.UUID
	AttemptID uuid.UUID
	Type      CallbackType
	// Success is true for status "success" or 1, false for "failure" or 0.
	Success bool
	// Resources are the reported resources in body order; empty when none were reported.
	Resources []Resource
	// AppPlaneURL is data.appPlaneUrl (an absolute http or https URL), "" when absent.
	AppPlaneURL string
	// Reason is data.reason as sent, "" when absent.
	Reason string
	// Signature is the x-signature header (64 lower-case hex characters), the replay key.
	Signature string
	// SentAt is the x-timestamp header as a time (millisecond precision).
	SentAt time.Time
	// Expires is SentAt plus the tolerance: after it the delivery can no longer pass the
	// time window, so its replay-guard entry is no longer needed.
	Expires time.Time
}

// Resource is one resource reported by the provisioner.
type Resource struct {
	// Type is the resource kind as the provisioner names it (never empty).
	Type string
	// ExternalIdentifier is the provisioner's id of the resource, "" when absent.
	ExternalIdentifier string
	// Metadata is the resource's metadata object, decoded by encoding/json (numbers are
	// float64); an empty map when absent or null, never nil.
	Metadata map[string]any
}

// Outcome is what Store.Apply did with a callback. The zero value is not an outcome; the
// handler treats it as a store bug (503).
type Outcome int

// The outcomes of Store.Apply.
const (
	// Applied means the callback changed state (answered 204).
	Applied Outcome = iota + 1
	// Duplicate means nothing changed because the same delivery was accepted before, or the
	// attempt already ended with the same outcome (answered 200).
	Duplicate
	// Contradicts means nothing changed because the callback contradicts what is recorded: a
	// different outcome for an ended attempt, or a tenant no longer in the state the callback
	// applies to (answered 409).
	Contradicts
)

// String returns "applied", "duplicate" or "contradicts", for logs.
func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case Duplicate:
		return "duplicate"
	case Contradicts:
		return "contradicts"
	default:
		return "invalid"
	}
}
