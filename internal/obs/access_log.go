package obs

import (
	"log/slog"
	"net/http"
	"time"
)

// quietPaths are the probe and scrape endpoints whose hits are logged at Debug, not Info.
var quietPaths = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// AccessLog returns a middleware that logs one "http request" line per finished request at
// Info (Debug for /healthz, /readyz and /metrics) with method, path, status, bytes,
// duration_ms and remote_addr, plus request_id when RequestIDMiddleware runs outside it.
// It never logs the query string (it can carry verification codes or tokens) nor any header
// (Authorization). A handler that panics before writing a header is logged with status 500
// and panicked=true; the panic then continues to net/http. Hijacked connections (websockets)
// are logged when the handler returns, with status 101 unless the handler wrote another one.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := newStatusWriter(w)
			completed := false
			defer func() { logRequest(logger, r, sw, time.Since(start), completed) }()
			next.ServeHTTP(sw, r)
			completed = true
		})
	}
}

// logRequest writes the access log line of r.
func logRequest(logger *slog.Logger, r *http.Request, sw *statusWriter, d time.Duration,
	completed bool,
) {
	ctx := r.Context()
	level := slog.LevelInfo
	if quietPaths[r.URL.Path] {
		level = slog.LevelDebug
	}
	if !logger.Enabled(ctx, level) {
		return
	}

	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", sw.code(completed)),
		slog.Int64("bytes", sw.bytes),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("remote_addr", r.RemoteAddr),
	}
	if !completed {
		attrs = append(attrs, slog.Bool("panicked", true))
	}
	logger.LogAttrs(ctx, level, "http request", attrs...)
}
