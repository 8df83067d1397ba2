package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/internal/apperr"
)

// Require answers whether ctx's caller may use p: nil when it may; UNAUTHENTICATED when there
// is no valid token (none sent, refused, or expired since); FORBIDDEN naming p when the caller
// is an operator without p or holds a lead token (leads use the lead-scoped checks instead).
func Require(ctx context.Context, p Permission) error {
	v, err := authenticated(ctx)
	if err != nil {
		return err
	}
	if v.Has(p) {
		return nil
	}

	var e *apperr.Error
	if v.IsLead() {
		e = apperr.Forbidden(fmt.Sprintf("permission %s required; a lead token cannot use it", p))
	} else {
		e = apperr.Forbidden(fmt.Sprintf("missing permission %s", p))
	}
	e.Extra = map[string]any{"permission": string(p)}
	return e
}

// RequireOperator answers whether ctx's caller is an operator, whatever its permissions, or
// tenantd itself: nil when it is, UNAUTHENTICATED without a valid token, FORBIDDEN for a lead.
func RequireOperator(ctx context.Context) error {
	v, err := authenticated(ctx)
	if err != nil {
		return err
	}
	if v.IsOperator() || v.IsSystem() {
		return nil
	}
	return apperr.Forbidden("operator token required")
}

// RequireLead returns the lead id of ctx's lead token: UNAUTHENTICATED without a valid token,
// FORBIDDEN for any caller that is not a lead.
func RequireLead(ctx context.Context) (uuid.UUID, error) {
	v, err := authenticated(ctx)
	if err != nil {
		return uuid.Nil, err
	}
	if !v.IsLead() {
		return uuid.Nil, apperr.Forbidden("lead token required")
	}
	return v.LeadID, nil
}

// authenticated returns ctx's caller, or UNAUTHENTICATED when there is no valid token.
func authenticated(ctx context.Context) (*Viewer, error) {
	if err := TokenError(ctx); err != nil {
		var e *apperr.Error
		if errors.As(err, &e) && e.Code == apperr.CodeUnauthenticated {
			return nil, e
		}
		u := apperr.Unauthenticated("invalid token")
		u.Cause = err
		return nil, u
	}

	v := FromContext(ctx)
	if v.IsAnonymous() {
		return nil, apperr.Unauthenticated("authentication required")
	}
	if v.Expired(time.Now()) {
		return nil, apperr.Unauthenticated("token expired")
	}
	return v, nil
}
