// Package obs owns the HTTP operations plumbing of tenantd (SPEC section 12): request ids,
// the slog logger that stamps them on every record, the access log, the Prometheus metrics and
// the /healthz and /readyz handlers. cmd/tenantd builds these once and wires them around the
// HTTP mux; domain packages import obs only for RequestID and the Observe* methods of Metrics.
//
// The expected order of the middleware, outermost first, is
//
//	RequestIDMiddleware → AccessLog → (*Metrics).HTTP per route → handler
//
// so that the access log line and every record logged by the handler carry the request id.
package obs
