package auth

import (
	"context"
)

// anonymousActor is what Actor returns when nobody is authenticated.
const anonymousActor = "anonymous"

// stateKey is the context key of the caller's state.
type stateKey struct{}

// state is what a context knows about its caller: either a viewer or the reason a presented
// token was refused. Keeping both under one key means setting one always clears the other.
type state struct {
	viewer   *Viewer
	tokenErr error
}

// WithViewer returns ctx carrying v as the caller, replacing any earlier viewer or token error.
// A nil v stands for an anonymous caller.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, stateKey{}, state{viewer: v})
}

// WithTokenError returns ctx recording that the caller presented a token that was refused for
// err (malformed, badly signed, expired). The caller then counts as anonymous, but Require
// answers UNAUTHENTICATED with err as the cause instead of letting it reach public operations
// as if no token had been sent. A nil err leaves ctx unchanged.
func WithTokenError(ctx context.Context, err error) context.Context {
	if err == nil {
		return ctx
	}
	return context.WithValue(ctx, stateKey{}, state{tokenErr: err})
}

// TokenError returns the reason the caller's token was refused, or nil when none was refused.
func TokenError(ctx context.Context) error {
	st, _ := ctx.Value(stateKey{}).(state)
	return st.tokenErr
}

// FromContext returns the caller of ctx, or an anonymous Viewer when none was set (also when a
// token was refused). The result is never nil and must not be modified.
func FromContext(ctx context.Context) *Viewer {
	st, _ := ctx.Value(stateKey{}).(state)
	if st.viewer == nil {
		return &Viewer{Kind: Anonymous}
	}
	return st.viewer
}

// SystemContext returns ctx acting as tenantd itself, with every permission and the subject
// "system:"+name (for example "system:provision_job"). Jobs and the webhook use it; it must
// never be derived from anything a client sends.
func SystemContext(ctx context.Context, name string) context.Context {
	subject := "system"
	if name != "" {
		subject += ":" + name
	}
	return WithViewer(ctx, &Viewer{Kind: System, Subject: subject})
}

// Actor returns the subject to record as created_by or updated_by for ctx's caller, or
// "anonymous" when there is none (public operations such as createLead).
func Actor(ctx context.Context) string {
	return subjectOf(FromContext(ctx))
}

// subjectOf returns v's subject, or "anonymous".
func subjectOf(v *Viewer) string {
	if v == nil || v.Subject == "" {
		return anonymousActor
	}
	return v.Subject
}
