package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
)

// Middleware puts the caller of each request in its context: the Viewer of a valid
// "Authorization: Bearer <token>" header (scheme case-insensitive), the refusal of any other
// header (see WithTokenError), or nothing when the header is absent (anonymous). It never
// writes a response; the GraphQL layer answers with its own error codes.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		switch values := r.Header.Values("Authorization"); len(values) {
		case 0:
		case 1:
			ctx = v.Authenticate(ctx, values[0])
		default:
			ctx = WithTokenError(ctx, unauthenticated(errors.New("several Authorization headers")))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Authenticate returns ctx carrying the caller named by an Authorization value such as
// "Bearer <token>": its Viewer when the token is valid, a token error otherwise. An empty value
// leaves ctx anonymous. The websocket transport calls it with the connection-init payload.
func (v *Verifier) Authenticate(ctx context.Context, authorization string) context.Context {
	if strings.TrimSpace(authorization) == "" {
		return ctx
	}
	raw, err := bearerToken(authorization)
	if err != nil {
		return WithTokenError(ctx, unauthenticated(err))
	}
	viewer, err := v.Verify(ctx, raw)
	if err != nil {
		return WithTokenError(ctx, err)
	}
	return WithViewer(ctx, viewer)
}

// bearerToken returns the token of a "Bearer <token>" value.
func bearerToken(authorization string) (string, error) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(authorization), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("parse Authorization header: scheme is not Bearer")
	}
	token = strings.TrimSpace(token)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", errors.New("parse Authorization header: malformed bearer token")
	}
	return token, nil
}
