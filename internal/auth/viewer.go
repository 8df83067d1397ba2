package auth

import (
	"time"

	"github.com/google/uuid"
)

// leeway is the clock skew allowed when checking a token's times, both when it is verified and
// when a long-lived context (a subscription) is checked again later.
const leeway = 30 * time.Second

// Kind says what sort of caller a Viewer is. The zero value is Anonymous.
type Kind int

// The kinds of caller.
const (
	// Anonymous is a caller without a valid token; only public operations are open to it.
	Anonymous Kind = iota
	// Operator is a control-plane administrator; what it may do is its Permissions.
	Operator
	// Lead is a verified lead holding a lead token; it may only touch its own lead and tenant.
	Lead
	// System is tenantd itself (jobs, the webhook); it holds every permission.
	System
)

// String returns the lower-case name of k, for logs.
func (k Kind) String() string {
	switch k {
	case Anonymous:
		return "anonymous"
	case Operator:
		return "operator"
	case Lead:
		return "lead"
	case System:
		return "system"
	default:
		return "unknown"
	}
}

// Viewer is the caller of a request or the actor of a job. A Viewer is not modified once it is
// put in a context. Methods are safe on a nil *Viewer, which behaves as Anonymous.
type Viewer struct {
	// Kind is the sort of caller.
	Kind Kind
	// Subject names the caller: the token's sub for an operator, "lead:<id>" for a lead,
	// "system:<name>" for System, empty for Anonymous. It is what created_by records.
	Subject string
	// Permissions are the operator's permissions; empty for every other kind (System holds
	// every permission without listing them).
	Permissions PermissionSet
	// LeadID is the lead a lead token is good for; uuid.Nil for every other kind.
	LeadID uuid.UUID
	// ExpiresAt is when the token stops being valid; zero when there is no token (Anonymous,
	// System).
	ExpiresAt time.Time
}

// Has reports whether v may use p: System always, an operator when its token lists p, nobody
// else.
func (v *Viewer) Has(p Permission) bool {
	switch {
	case v == nil:
		return false
	case v.Kind == System:
		return true
	case v.Kind == Operator:
		return v.Permissions.Has(p)
	default:
		return false
	}
}

// IsAnonymous reports whether v holds no valid token.
func (v *Viewer) IsAnonymous() bool { return v == nil || v.Kind == Anonymous }

// IsOperator reports whether v is an operator.
func (v *Viewer) IsOperator() bool { return v != nil && v.Kind == Operator }

// IsLead reports whether v holds a lead token.
func (v *Viewer) IsLead() bool { return v != nil && v.Kind == Lead }

// IsSystem reports whether v is tenantd itself.
func (v *Viewer) IsSystem() bool { return v != nil && v.Kind == System }

// IsLeadFor reports whether v holds a lead token for the lead id.
func (v *Viewer) IsLeadFor(id uuid.UUID) bool {
	return v.IsLead() && id != uuid.Nil && v.LeadID == id
}

// Expired reports whether v's token has expired at now, allowing the same 30 s of clock skew
// as verification. A Viewer without a token (zero ExpiresAt) never expires.
func (v *Viewer) Expired(now time.Time) bool {
	if v == nil || v.ExpiresAt.IsZero() {
		return false
	}
	return now.After(v.ExpiresAt.Add(leeway))
}
