package webhook

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/obs"
	"github.com/tenantd/tenantd/internal/ratelimit"
)

// Defaults of Options.
const (
	// DefaultTolerance is the time window around now a delivery's timestamp must fall in
	// (WEBHOOK_TOLERANCE).
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBody is the largest body read, in bytes (WEBHOOK_MAX_BODY).
	DefaultMaxBody int64 = 1 << 20
	// DefaultRetryAfter is the Retry-After sent with 429 and 503.
	DefaultRetryAfter = 10 * time.Second
)

// Rejection reasons, the only values passed to Metrics.WebhookRejected and logged as reason.
const (
	reasonBadMethod          = "bad_method"
	reasonRateLimited        = "rate_limited"
	reasonTooLarge           = "too_large"
	reasonBodyUnreadable     = "body_unreadable"
	reasonBadTimestamp       = "bad_timestamp"
	reasonBadSignatureHeader = "bad_signature_header"
	reasonUnknownTenant      = "unknown_tenant"
	reasonNoAttempt          = "no_attempt"
	reasonSignatureMismatch  = "signature_mismatch"
	reasonOutsideWindow      = "outside_window"
	reasonBadBody            = "bad_body"
	reasonContradicts        = "contradicts"
	reasonUnavailable        = "unavailable"
	reasonPanic              = "panic"
)

// RejectionCounter counts refused deliveries by reason; *obs.Metrics implements it.
type RejectionCounter interface {
	WebhookRejected(reason string)
}

// Options configures NewHandler. The zero value of every field is usable.
type Options struct {
	// Logger receives one record per refused or accepted delivery; nil discards them.
	Logger *slog.Logger
	// Metrics counts refused deliveries by reason; nil (also a typed nil pointer) counts
	// nothing.
	Metrics RejectionCounter
	// Tolerance is how far a delivery's timestamp may be from now, either side
	// (WEBHOOK_TOLERANCE); DefaultTolerance (5m) when ≤ 0.
	Tolerance time.Duration
	// MaxBody is the largest body accepted, in bytes (WEBHOOK_MAX_BODY); DefaultMaxBody
	// (1 MiB) when ≤ 0. A larger body, announced or sent, is answered 413.
	MaxBody int64
	// Limiter limits deliveries per client address (obs.ClientIP, else the connection's
	// remote host); nil does not limit.
	Limiter *ratelimit.Limiter
	// RetryAfter is sent in Retry-After (rounded up to whole seconds) with 429 and 503;
	// DefaultRetryAfter (10s) when ≤ 0.
	RetryAfter time.Duration
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
}

// handler serves POST /webhooks/provisioning.
type handler struct {
	store      Store
	logger     *slog.Logger
	metrics    RejectionCounter
	tolerance  time.Duration
	maxBody    int64
	limiter    *ratelimit.Limiter
	retryAfter string
	now        func() time.Time
}

// NewHandler returns the handler of POST /webhooks/provisioning (SPEC section 6), applying
// verified deliveries through store. It answers 204 applied, 200 already applied (no change),
// 409 contradicts what is recorded, 400 verified body invalid (JSON {"error","field",
// "message"}), 401 any header, key, signature or time-window problem (always the same body,
// {"error":"unauthorized"}; the log and Metrics say which check failed), 405 not POST, 413
// body over Options.MaxBody, 429 rate limited. It answers 503 with Retry-After when the store
// fails or a panic is recovered: a database outage is not the sender's fault, and a 5xx makes
// the provisioner retry the delivery later; it never answers 500. Secrets, signatures and
// bodies are never logged.
func NewHandler(store Store, opts Options) http.Handler {
	h := &handler{
		store:     store,
		logger:    opts.Logger,
		metrics:   opts.Metrics,
		tolerance: opts.Tolerance,
		maxBody:   opts.MaxBody,
		limiter:   opts.Limiter,
		now:       opts.Now,
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if v := reflect.ValueOf(h.metrics); v.Kind() == reflect.Pointer && v.IsNil() {
		h.metrics = nil // a typed nil such as (*obs.Metrics)(nil) would panic on every count
	}
	if h.tolerance <= 0 {
		h.tolerance = DefaultTolerance
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBody
	}
	if h.now == nil {
		h.now = time.Now
	}
	retryAfter := opts.RetryAfter
	if retryAfter <= 0 {
		retryAfter = DefaultRetryAfter
	}
	h.retryAfter = strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10)
	return h
}

// ServeHTTP runs the checks of SPEC section 6 in order; the first that fails answers.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &recordingWriter{ResponseWriter: w}
	client := clientAddr(r)
	defer h.recoverPanic(rw, r, client)

	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		h.reject(rw, r, http.StatusMethodNotAllowed, reasonBadMethod)
		return
	}
	if !h.limiter.Allow(client) {
		rw.Header().Set("Retry-After", h.retryAfter)
		h.reject(rw, r, http.StatusTooManyRequests, reasonRateLimited)
		return
	}
	body, ok := h.readBody(rw, w, r)
	if !ok {
		return
	}
	v, ok := h.authenticate(rw, r, body)
	if !ok {
		return
	}

	cb, err := decodeCallback(body)
	if err != nil {
		h.badBody(rw, r, err)
		return
	}
	if cb.TenantID != v.tenantID {
		// Cannot happen: both decodings share encoding/json's rules for initiatorId. Checked
		// because applying a callback to a tenant other than the verifying one must not be
		// possible by any future change to either decoder.
		h.badBody(rw, r, &bodyError{"initiatorId", "is ambiguous"})
		return
	}
	cb.AttemptID = v.attempt.ID
	cb.Signature = r.Header.Get("X-Signature")
	cb.SentAt = v.sentAt
	cb.Expires = v.sentAt.Add(h.tolerance)
	h.apply(rw, r, cb)
}

// readBody reads the whole body once, at most maxBody bytes; it answers 413 when the body is
// or is announced to be larger, and 400 when it cannot be read. raw is the writer the handler
// was given: http.MaxBytesReader tells the server through it to close the connection after an
// over-long body, which it cannot do through a wrapper.
func (h *handler) readBody(
	w http.ResponseWriter, raw http.ResponseWriter, r *http.Request,
) ([]byte, bool) {
	if r.ContentLength > h.maxBody {
		h.reject(w, r, http.StatusRequestEntityTooLarge, reasonTooLarge,
			slog.Int64("content_length", r.ContentLength))
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(raw, r.Body, h.maxBody))
	if err == nil {
		return body, true
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		h.reject(w, r, http.StatusRequestEntityTooLarge, reasonTooLarge)
		return nil, false
	}
	h.reject(w, r, http.StatusBadRequest, reasonBodyUnreadable, slog.Any("err", err))
	return nil, false
}

// verified is what authenticate established about a delivery.
type verified struct {
	tenantID uuid.UUID
	attempt  Attempt
	sentAt   time.Time
}

// authenticate parses the headers, finds the attempt of the body's initiatorId, verifies the
// signature and then the time window. It answers 401 (or 503 when the store fails) and
// reports false on any failure. The window is checked after the signature so that an
// outside_window rejection always means a genuine but late (or clock-skewed) delivery.
func (h *handler) authenticate(
	w http.ResponseWriter, r *http.Request, body []byte,
) (verified, bool) {
	sentAt, err := parseTimestamp(r.Header.Values("X-Timestamp"))
	if err != nil {
		h.unauthorized(w, r, reasonBadTimestamp, slog.Any("err", err))
		return verified{}, false
	}
	sig, err := parseSignature(r.Header.Values("X-Signature"))
	if err != nil {
		h.unauthorized(w, r, reasonBadSignatureHeader, slog.Any("err", err))
		return verified{}, false
	}
	// The key is the attempt's secret, so the attempt must be found from the unverified
	// body: without a readable initiatorId there is nothing to verify with.
	tenantID, ok := initiatorKey(body)
	if !ok {
		h.unauthorized(w, r, reasonUnknownTenant)
		return verified{}, false
	}
	atts, ok := h.attempts(w, r, tenantID)
	if !ok {
		return verified{}, false
	}

	tenant := slog.String("tenant_id", tenantID.String())
	att, matched := Attempt{}, false
	for _, a := range atts {
		if verifySignature(a.Secret, body, a.Context, r.Header.Get("X-Timestamp"), sig) {
			att, matched = a, true
			break
		}
	}
	if !matched {
		h.unauthorized(w, r, reasonSignatureMismatch, tenant)
		return verified{}, false
	}
	attempt := slog.String("attempt_id", att.ID.String())
	if skew := h.now().Sub(sentAt); skew > h.tolerance || skew < -h.tolerance {
		h.unauthorized(w, r, reasonOutsideWindow, tenant, attempt, slog.Duration("skew", skew))
		return verified{}, false
	}
	return verified{tenantID: tenantID, attempt: att, sentAt: sentAt}, true
}

// attempts loads the attempts of tenantID; it answers 401 when there is none (or one has no
// secret) and 503 when the store fails.
func (h *handler) attempts(
	w http.ResponseWriter, r *http.Request, tenantID uuid.UUID,
) ([]Attempt, bool) {
	tenant := slog.String("tenant_id", tenantID.String())
	atts, err := h.store.Attempts(r.Context(), tenantID)
	if err == nil && len(atts) == 0 {
		err = ErrNoAttempt
	}
	switch {
	case errors.Is(err, ErrNoAttempt):
		h.unauthorized(w, r, reasonNoAttempt, tenant)
		return nil, false
	case err != nil:
		h.unavailable(w, r, slog.Any("err", err), tenant)
		return nil, false
	}
	for _, a := range atts {
		if len(a.Secret) == 0 {
			// A store bug, not the sender's: anyone can sign with an empty key.
			h.logger.ErrorContext(r.Context(), "provisioning attempt has no secret",
				tenant, slog.String("attempt_id", a.ID.String()))
			h.unauthorized(w, r, reasonNoAttempt, tenant)
			return nil, false
		}
	}
	return atts, true
}

// apply hands a verified callback to the store and answers its outcome.
func (h *handler) apply(w http.ResponseWriter, r *http.Request, cb Callback) {
	attrs := []any{
		slog.String("tenant_id", cb.TenantID.String()),
		slog.String("attempt_id", cb.AttemptID.String()),
		slog.String("type", cb.Type.String()),
		slog.Bool("success", cb.Success),
	}
	outcome, err := h.store.Apply(r.Context(), cb)
	if err != nil {
		attrs = append(attrs, slog.Any("err", err))
		outcome = outcomeOf(err)
	}
	switch outcome {
	case Applied:
		h.logger.InfoContext(r.Context(), "webhook delivery applied", attrs...)
		w.WriteHeader(http.StatusNoContent)
	case Duplicate:
		h.logger.InfoContext(r.Context(), "webhook delivery already applied", attrs...)
		writeJSON(w, http.StatusOK, map[string]string{"status": "duplicate"})
	case Contradicts:
		h.reject(w, r, http.StatusConflict, reasonContradicts, attrs...)
	default:
		h.unavailable(w, r, append(attrs, slog.Int("outcome", int(outcome)))...)
	}
}

// outcomeOf maps an error from Store.Apply: ErrNoAttempt (the attempt vanished since it was
// looked up) and a typed CONFLICT or INVALID_TRANSITION error are contradictions too, which
// the provisioner must not retry; anything else is no outcome (the store is unavailable, or
// Apply returned an outcome with its error, which is not trusted).
func outcomeOf(err error) Outcome {
	if errors.Is(err, ErrNoAttempt) {
		return Contradicts
	}
	var appErr *apperr.Error
	if errors.As(err, &appErr) &&
		(appErr.Code == apperr.CodeConflict || appErr.Code == apperr.CodeInvalidTransition) {
		return Contradicts
	}
	return 0
}

// unauthorized answers 401 with the one body every verification failure gets.
func (h *handler) unauthorized(
	w http.ResponseWriter, r *http.Request, reason string, attrs ...any,
) {
	h.reject(w, r, http.StatusUnauthorized, reason, attrs...)
}

// unavailable answers 503 with Retry-After: the store failed, the sender should retry.
func (h *handler) unavailable(w http.ResponseWriter, r *http.Request, attrs ...any) {
	w.Header().Set("Retry-After", h.retryAfter)
	h.reject(w, r, http.StatusServiceUnavailable, reasonUnavailable, attrs...)
}

// badBody answers 400 for a verified body that does not decode, naming the field.
func (h *handler) badBody(w http.ResponseWriter, r *http.Request, err error) {
	var be *bodyError
	if !errors.As(err, &be) {
		be = &bodyError{Field: "body", Message: "is invalid"}
	}
	h.count(reasonBadBody)
	h.logger.WarnContext(r.Context(), "webhook delivery rejected",
		slog.String("reason", reasonBadBody), slog.String("client_ip", clientAddr(r)),
		slog.String("field", be.Field), slog.String("problem", be.Message))
	writeJSON(w, http.StatusBadRequest, map[string]string{
		"error": "bad_request", "field": be.Field, "message": be.Error(),
	})
}

// reject counts and logs a refused delivery and answers status with a fixed body. Rate-limited
// deliveries are logged at Debug so a flood cannot flood the log too.
func (h *handler) reject(
	w http.ResponseWriter, r *http.Request, status int, reason string, attrs ...any,
) {
	h.count(reason)
	level := slog.LevelWarn
	switch reason {
	case reasonRateLimited:
		level = slog.LevelDebug
	case reasonUnavailable, reasonPanic:
		level = slog.LevelError
	}
	attrs = append([]any{slog.String("reason", reason), slog.String("client_ip", clientAddr(r)),
		slog.Int("status", status)}, attrs...)
	h.logger.Log(r.Context(), level, "webhook delivery rejected", attrs...)
	writeJSON(w, status, map[string]string{"error": publicError(status)})
}

// count increments the rejection counter for reason.
func (h *handler) count(reason string) {
	if h.metrics != nil {
		h.metrics.WebhookRejected(reason)
	}
}

// recoverPanic turns a panic below ServeHTTP into a logged 503 (when nothing was written
// yet). http.ErrAbortHandler is re-raised: it is the documented way to abort a response.
func (h *handler) recoverPanic(w *recordingWriter, r *http.Request, client string) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	attrs := []any{slog.String("panic", panicText(v)), slog.String("stack", string(debug.Stack()))}
	if w.wrote {
		h.count(reasonPanic)
		h.logger.ErrorContext(r.Context(), "webhook handler panicked after answering",
			append(attrs, slog.String("client_ip", client))...)
		return
	}
	w.Header().Set("Retry-After", h.retryAfter)
	h.reject(w, r, http.StatusServiceUnavailable, reasonPanic, attrs...)
}

// panicText describes a recovered value by its type only when it is not an error or string,
// so that no request data reaches the log through an arbitrary value's formatting.
func panicText(v any) string {
	switch v := v.(type) {
	case error:
		return v.Error()
	case string:
		return v
	default:
		return fmt.Sprintf("value of type %T", v)
	}
}

// publicError is the fixed error word of a refusal status.
func publicError(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusConflict:
		return "conflict"
	case http.StatusBadRequest:
		return "bad_request"
	default:
		return "unavailable"
	}
}

// clientAddr is the rate-limit key: the address obs.ClientIPMiddleware recorded, else the
// connection's remote host (when the handler is mounted without the middleware).
func clientAddr(r *http.Request) string {
	if ip := obs.ClientIP(r.Context()); ip != "" {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
