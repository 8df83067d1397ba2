package obs

import (
	"context"
	"net/http"

	"github.com/google/uuid"
)

// RequestIDHeader is the header that carries a request id in and out of tenantd.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen is the longest incoming request id that is kept.
const maxRequestIDLen = 128

type requestIDKey struct{}

// WithRequestID returns a copy of ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id carried by ctx, or "" when it carries none.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestIDMiddleware gives every request an id: the incoming X-Request-Id header when it is
// a single value of 1 to 128 characters from [A-Za-z0-9._-] (so ids of a proxy in front are
// kept), a new UUIDv7 otherwise. The id is put in the request context (see RequestID) and
// echoed in the X-Request-Id response header before next runs.
func RequestIDMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := requestIDFrom(r.Header.Values(RequestIDHeader))
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// requestIDFrom returns the single incoming X-Request-Id value when it is valid, a new
// id otherwise.
func requestIDFrom(values []string) string {
	if len(values) == 1 && validRequestID(values[0]) {
		return values[0]
	}
	return newRequestID()
}

// validRequestID reports whether id is 1 to 128 characters of [A-Za-z0-9._-]. The narrow
// alphabet keeps client-chosen ids from forging log lines or header values.
func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// newRequestID returns a new UUIDv7 string. uuid.NewV7 fails only when reading crypto/rand
// fails, which since Go 1.24 never returns an error (the runtime aborts instead), so Must
// cannot panic here.
func newRequestID() string {
	return uuid.Must(uuid.NewV7()).String()
}
