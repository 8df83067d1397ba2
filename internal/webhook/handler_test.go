package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/obs"
	"github.com/tenantd/tenantd/internal/ratelimit"
	"github.com/tenantd/tenantd/internal/webhook"
)

const unauthorizedBody = `{"error":"unauthorized"}` + "\n"

// fakeStore is an in-memory webhook.Store: one attempt per tenant, a replay guard keyed by
// signature, and knobs to force outcomes and errors. Safe for concurrent use.
type fakeStore struct {
	mu           sync.Mutex
	attempts     map[uuid.UUID]webhook.Attempt
	attemptErr   error
	force        bool // answer outcome (and applyErr) instead of the replay guard
	outcome      webhook.Outcome
	applyErr     error
	applyPanic   bool
	forgetful    bool // keeps no record and no replay guard (for long fuzzing runs)
	seen         map[string]bool
	applied      []webhook.Callback
	attemptCalls int
}

func (s *fakeStore) Attempts(ctx context.Context, tenantID uuid.UUID) ([]webhook.Attempt,
	error,
) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attemptCalls++
	if s.attemptErr != nil {
		return nil, s.attemptErr
	}
	a, ok := s.attempts[tenantID]
	if !ok {
		return nil, fmt.Errorf("load attempt of %s: %w", tenantID, webhook.ErrNoAttempt)
	}
	return []webhook.Attempt{a}, nil
}

func (s *fakeStore) Apply(ctx context.Context, cb webhook.Callback) (webhook.Outcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.applyPanic {
		panic("store exploded")
	}
	if s.forgetful {
		return webhook.Applied, nil
	}
	s.applied = append(s.applied, cb)
	switch {
	case s.force:
		return s.outcome, s.applyErr
	case s.seen[cb.Signature]:
		return webhook.Duplicate, nil
	}
	s.seen[cb.Signature] = true
	return webhook.Applied, nil
}

func (s *fakeStore) calls() (attempts int, applied []webhook.Callback) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attemptCalls, append([]webhook.Callback(nil), s.applied...)
}

// fakeMetrics records rejection reasons.
type fakeMetrics struct {
	mu      sync.Mutex
	reasons []string
}

func (m *fakeMetrics) WebhookRejected(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.reasons = append(m.reasons, reason)
}

func (m *fakeMetrics) got() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.reasons...)
}

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bundle is one handler over one fake store with a fixed clock.
type bundle struct {
	store   *fakeStore
	metrics *fakeMetrics
	logs    *syncBuffer
	handler http.Handler
	now     time.Time
	tenant  uuid.UUID
	attempt webhook.Attempt
}

const tolerance = 5 * time.Minute

func setup(t testing.TB, mutate ...func(*webhook.Options)) *bundle {
	t.Helper()
	b := &bundle{
		metrics: &fakeMetrics{},
		logs:    &syncBuffer{},
		now:     time.UnixMilli(1_700_000_000_000),
		tenant:  uuid.Must(uuid.NewV7()),
		attempt: webhook.Attempt{
			ID:      uuid.Must(uuid.NewV7()),
			Context: "ctx-" + uuid.NewString(),
			Secret:  []byte("secret-" + uuid.NewString()),
		},
	}
	b.store = &fakeStore{
		attempts: map[uuid.UUID]webhook.Attempt{b.tenant: b.attempt},
		seen:     map[string]bool{},
	}
	logHandler := slog.NewJSONHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	opts := webhook.Options{
		Logger:    slog.New(logHandler),
		Metrics:   b.metrics,
		Tolerance: tolerance,
		MaxBody:   4096,
		Now:       func() time.Time { return b.now },
	}
	for _, m := range mutate {
		m(&opts)
	}
	b.handler = webhook.NewHandler(b.store, opts)
	return b
}

// body returns a success body for the bundle's tenant.
func (b *bundle) body() []byte {
	return []byte(`{"initiatorId":"` + b.tenant.String() + `","type":0,"data":{` +
		`"status":"success","resources":[{"type":"database","externalIdentifier":"db-1",` +
		`"metadata":{"tier":"small"}}],` +
		`"appPlaneUrl":"https://acme.example.com"}}`)
}

// request builds a delivery of body with the given headers.
func request(body []byte, ts, sig string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/provisioning", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if ts != "" {
		r.Header.Set("x-timestamp", ts)
	}
	if sig != "" {
		r.Header.Set("x-signature", sig)
	}
	return r
}

// signed builds a correctly signed delivery of body sent at the bundle's now.
func (b *bundle) signed(body []byte) *http.Request {
	ts := strconv.FormatInt(b.now.UnixMilli(), 10)
	return request(body, ts, webhook.Sign(b.attempt.Secret, body, b.attempt.Context, ts))
}

func (b *bundle) serve(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	b.handler.ServeHTTP(w, r)
	return w
}

func TestValidDeliveryIsApplied(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.signed(b.body())

	w := b.serve(r)

	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	require.Empty(t, w.Body.String())
	_, applied := b.store.calls()
	require.Len(t, applied, 1)
	want := webhook.Callback{
		TenantID:  b.tenant,
		AttemptID: b.attempt.ID,
		Type:      webhook.TypeProvisioned,
		Success:   true,
		Resources: []webhook.Resource{{Type: "database", ExternalIdentifier: "db-1",
			Metadata: map[string]any{"tier": "small"}}},
		AppPlaneURL: "https://acme.example.com",
		Signature:   r.Header.Get("X-Signature"),
		SentAt:      b.now,
		Expires:     b.now.Add(tolerance),
	}
	require.Empty(t, cmp.Diff(want, applied[0]))
	require.Empty(t, b.metrics.got())
	require.Contains(t, b.logs.String(), "webhook delivery applied")
}

func TestNumericStatusAccepted(t *testing.T) {
	t.Parallel()
	for _, status := range []string{"1", "0"} {
		t.Run(status, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			body := `{"initiatorId":"` + b.tenant.String() + `","type":1,"data":{"status":` +
				status + `,"reason":"r"}}`
			w := b.serve(b.signed([]byte(body)))
			require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
			_, applied := b.store.calls()
			require.Len(t, applied, 1)
			require.Equal(t, status == "1", applied[0].Success)
			require.Equal(t, webhook.TypeDeprovisioned, applied[0].Type)
			require.Equal(t, "r", applied[0].Reason)
		})
	}
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	nowMs := strconv.FormatInt(time.UnixMilli(1_700_000_000_000).UnixMilli(), 10)
	// Each case returns a request that would pass if the check it targets were missing:
	// malformed headers still carry a signature over the header value as sent.
	tests := []struct {
		name    string
		reason  string
		request func(b *bundle) *http.Request
	}{
		{"wrong key", "signature_mismatch", func(b *bundle) *http.Request {
			sig := webhook.Sign([]byte("other"), b.body(), b.attempt.Context, nowMs)
			return request(b.body(), nowMs, sig)
		}},
		{"wrong context", "signature_mismatch", func(b *bundle) *http.Request {
			sig := webhook.Sign(b.attempt.Secret, b.body(), "other", nowMs)
			return request(b.body(), nowMs, sig)
		}},
		{"body changed by one byte", "signature_mismatch", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			changed := bytes.Replace(b.body(), []byte("small"), []byte("smalL"), 1)
			r.Body = io.NopCloser(bytes.NewReader(changed))
			return r
		}},
		{"timestamp changed", "signature_mismatch", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Set("x-timestamp", strconv.FormatInt(b.now.UnixMilli()+1, 10))
			return r
		}},
		{"timestamp in seconds", "outside_window", func(b *bundle) *http.Request {
			return b.withTimestamp(strconv.FormatInt(b.now.Unix(), 10))
		}},
		{"missing timestamp", "bad_timestamp", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Del("x-timestamp")
			return r
		}},
		{"missing signature", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Del("x-signature")
			return r
		}},
		{"duplicated timestamp", "bad_timestamp", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Add("x-timestamp", r.Header.Get("x-timestamp"))
			return r
		}},
		{"duplicated signature", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Add("X-Signature", r.Header.Get("x-signature"))
			return r
		}},
		{"upper-case hex", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Set("x-signature", strings.ToUpper(r.Header.Get("x-signature")))
			return r
		}},
		{"63 hex characters", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Set("x-signature", r.Header.Get("x-signature")[:63])
			return r
		}},
		{"65 hex characters", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Set("x-signature", r.Header.Get("x-signature")+"0")
			return r
		}},
		{"non-hex signature", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header.Set("x-signature", "z"+r.Header.Get("x-signature")[1:])
			return r
		}},
		{"empty signature", "bad_signature_header", func(b *bundle) *http.Request {
			r := b.signed(b.body())
			r.Header["X-Signature"] = []string{""}
			return r
		}},
		{"plus sign", "bad_timestamp", func(b *bundle) *http.Request {
			return b.withTimestamp("+" + nowMs)
		}},
		{"leading space", "bad_timestamp", func(b *bundle) *http.Request {
			return b.withTimestamp(" " + nowMs)
		}},
		{"exponent", "bad_timestamp", func(b *bundle) *http.Request {
			return b.withTimestamp("17e11") // exactly now if read as a float
		}},
		{"negative", "bad_timestamp", func(b *bundle) *http.Request {
			return b.withTimestamp("-" + nowMs)
		}},
		{"empty timestamp", "bad_timestamp", func(b *bundle) *http.Request {
			r := b.withTimestamp("")
			r.Header["X-Timestamp"] = []string{""}
			return r
		}},
		{"unknown tenant", "no_attempt", func(b *bundle) *http.Request {
			other := bytes.Replace(b.body(), []byte(b.tenant.String()), []byte(uuid.NewString()), 1)
			return b.signed(other)
		}},
		{"initiatorId not a UUID", "unknown_tenant", func(b *bundle) *http.Request {
			return b.signed([]byte(`{"initiatorId":"acme","type":0,"data":{"status":1}}`))
		}},
		// Not JSON: the key is the secret of the attempt named by initiatorId, so a body
		// without a readable initiatorId cannot be verified at all, and an unverifiable
		// request is a 401, not a 400; 400 is for verified bodies only.
		{"non-JSON body", "unknown_tenant", func(b *bundle) *http.Request {
			return b.signed([]byte("initiatorId=" + b.tenant.String()))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)

			w := b.serve(tt.request(b))

			require.Equal(t, http.StatusUnauthorized, w.Code)
			require.Equal(t, unauthorizedBody, w.Body.String(), "a 401 never says why")
			require.Equal(t, []string{tt.reason}, b.metrics.got())
			require.Contains(t, b.logs.String(), `"reason":"`+tt.reason+`"`)
			attempts, applied := b.store.calls()
			require.Empty(t, applied)
			if tt.reason == "unknown_tenant" || strings.HasPrefix(tt.reason, "bad_") {
				require.Zero(t, attempts, "no lookup before the headers and the key parse")
			}
		})
	}
}

// withTimestamp builds a delivery of the bundle's body signed over ts as given.
func (b *bundle) withTimestamp(ts string) *http.Request {
	return request(b.body(), ts, webhook.Sign(b.attempt.Secret, b.body(), b.attempt.Context, ts))
}

func TestTimeWindowEdges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		offset time.Duration // timestamp minus now
		status int
	}{
		{"exactly tolerance old", -tolerance, http.StatusNoContent},
		{"1ms too old", -tolerance - time.Millisecond, http.StatusUnauthorized},
		{"exactly tolerance ahead", tolerance, http.StatusNoContent},
		{"1ms too far ahead", tolerance + time.Millisecond, http.StatusUnauthorized},
		{"now", 0, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			ts := strconv.FormatInt(b.now.Add(tt.offset).UnixMilli(), 10)

			w := b.serve(b.withTimestamp(ts))

			require.Equal(t, tt.status, w.Code, w.Body.String())
			_, applied := b.store.calls()
			if tt.status == http.StatusUnauthorized {
				require.Equal(t, []string{"outside_window"}, b.metrics.got())
				require.Empty(t, applied)
				return
			}
			require.Len(t, applied, 1)
			require.Equal(t, b.now.Add(tt.offset).Add(tolerance), applied[0].Expires)
		})
	}
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		outcome webhook.Outcome
		err     error
		status  int
		reason  string
	}{
		{"applied", webhook.Applied, nil, http.StatusNoContent, ""},
		{"duplicate", webhook.Duplicate, nil, http.StatusOK, ""},
		{"contradicts", webhook.Contradicts, nil, http.StatusConflict, "contradicts"},
		{"typed invalid transition", 0,
			&apperr.Error{Code: apperr.CodeInvalidTransition, Message: "from ACTIVE"},
			http.StatusConflict, "contradicts"},
		{"attempt vanished", 0, fmt.Errorf("apply: %w", webhook.ErrNoAttempt),
			http.StatusConflict, "contradicts"},
		{"store down", 0, errors.New("connection refused"), http.StatusServiceUnavailable,
			"unavailable"},
		{"outcome with an error is not trusted", webhook.Applied, errors.New("commit"),
			http.StatusServiceUnavailable, "unavailable"},
		{"zero outcome", 0, nil, http.StatusServiceUnavailable, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.store.force, b.store.outcome, b.store.applyErr = true, tt.outcome, tt.err

			w := b.serve(b.signed(b.body()))

			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.reason == "" {
				require.Empty(t, b.metrics.got())
			} else {
				require.Equal(t, []string{tt.reason}, b.metrics.got())
			}
			if tt.status == http.StatusServiceUnavailable {
				require.Equal(t, "10", w.Header().Get("Retry-After"))
			}
		})
	}
}

func TestReplayIsDuplicate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := b.body()

	first := b.serve(b.signed(body))
	second := b.serve(b.signed(body))

	require.Equal(t, http.StatusNoContent, first.Code)
	require.Equal(t, http.StatusOK, second.Code)
	require.JSONEq(t, `{"status":"duplicate"}`, second.Body.String())
}

func TestRacingDeliveries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	body := b.body()
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Go(func() {
			codes[i] = b.serve(b.signed(body)).Code
		})
	}
	wg.Wait()

	require.ElementsMatch(t, []int{http.StatusNoContent, http.StatusOK}, codes)
	_, applied := b.store.calls()
	require.Len(t, applied, 2, "both reached the store, which applied one")
}

func TestStoreFailures(t *testing.T) {
	t.Parallel()
	t.Run("attempt lookup fails", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.store.attemptErr = errors.New("database is down")
		w := b.serve(b.signed(b.body()))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Equal(t, "10", w.Header().Get("Retry-After"))
		require.Equal(t, []string{"unavailable"}, b.metrics.got())
	})
	t.Run("attempt without secret", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.attempt.Secret = nil
		b.store.attempts[b.tenant] = b.attempt
		w := b.serve(b.signed(b.body())) // signed with the empty key
		require.Equal(t, http.StatusUnauthorized, w.Code)
		_, applied := b.store.calls()
		require.Empty(t, applied)
	})
	t.Run("panic", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.store.applyPanic = true
		w := b.serve(b.signed(b.body()))
		require.Equal(t, http.StatusServiceUnavailable, w.Code)
		require.Equal(t, []string{"panic"}, b.metrics.got())
		require.Contains(t, b.logs.String(), "store exploded")
	})
}

func TestBadBodyAfterVerification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string // %s is the tenant id
		field string
	}{
		{"type 2", `{"initiatorId":"%s","type":2,"data":{"status":1}}`, "type"},
		{"status maybe", `{"initiatorId":"%s","type":0,"data":{"status":"maybe"}}`, "data.status"},
		{"status missing", `{"initiatorId":"%s","type":0,"data":{}}`, "data.status"},
		{"trailing garbage", `{"initiatorId":"%s","type":0,"data":{"status":1}} {`, "body"},
		{"resources wrong type", `{"initiatorId":"%s","type":0,"data":{"status":1,"resources":1}}`,
			"data.resources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			w := b.serve(b.signed(fmt.Appendf(nil, tt.body, b.tenant)))
			require.Equal(t, http.StatusBadRequest, w.Code)
			require.Contains(t, w.Body.String(), `"field":"`+tt.field+`"`)
			require.Equal(t, []string{"bad_body"}, b.metrics.got())
			_, applied := b.store.calls()
			require.Empty(t, applied)
		})
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		size    int
		chunked bool
		status  int
	}{
		{"at the limit", 4096, false, http.StatusNoContent},
		{"over the limit, announced", 4097, false, http.StatusRequestEntityTooLarge},
		{"over the limit, chunked", 4097, true, http.StatusRequestEntityTooLarge},
		{"at the limit, chunked", 4096, true, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			body := b.body()
			body = append(body[:len(body)-1], `,"pad":"`...)
			body = append(body, bytes.Repeat([]byte("x"), tt.size-len(body)-2)...)
			body = append(body, `"}`...)
			require.Len(t, body, tt.size)
			r := b.signed(body)
			if tt.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(bytes.NewReader(body)) // hides the length
			}

			w := b.serve(r)

			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.status == http.StatusRequestEntityTooLarge {
				require.Equal(t, []string{"too_large"}, b.metrics.got())
			}
		})
	}
}

// unreadBody fails the test when read.
type unreadBody struct{ t *testing.T }

func (u unreadBody) Read([]byte) (int, error) {
	u.t.Error("body read although Content-Length announced more than the limit")
	return 0, io.EOF
}

func TestBodyLimitAnnouncedIsRefusedUnread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.signed(b.body())
	r.ContentLength = 4097
	r.Body = io.NopCloser(unreadBody{t})

	w := b.serve(r)

	require.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	require.JSONEq(t, `{"error":"too_large"}`, w.Body.String())
}

func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.signed(b.body())
	r.Method = http.MethodGet

	w := b.serve(r)

	require.Equal(t, http.StatusMethodNotAllowed, w.Code)
	require.Equal(t, http.MethodPost, w.Header().Get("Allow"))
	require.Equal(t, []string{"bad_method"}, b.metrics.got())
	_, applied := b.store.calls()
	require.Empty(t, applied)
}

func TestRateLimitPerClientAddress(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *webhook.Options) {
		o.Limiter = ratelimit.New(2, time.Hour)
		o.RetryAfter = 1500 * time.Millisecond
	})
	h := obs.ClientIPMiddleware(true)(b.handler)
	send := func(ip string) *httptest.ResponseRecorder {
		r := b.signed(b.body())
		r.Header.Set("X-Forwarded-For", ip)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	require.Equal(t, http.StatusNoContent, send("198.51.100.1").Code)
	require.Equal(t, http.StatusOK, send("198.51.100.1").Code)
	limited := send("198.51.100.1")
	other := send("198.51.100.2")

	require.Equal(t, http.StatusTooManyRequests, limited.Code)
	require.Equal(t, "2", limited.Header().Get("Retry-After"), "rounded up to whole seconds")
	require.Equal(t, http.StatusOK, other.Code, "another address has its own bucket")
	require.Equal(t, []string{"rate_limited"}, b.metrics.got())
}

func TestRateLimitWithoutMiddlewareUsesRemoteAddr(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *webhook.Options) { o.Limiter = ratelimit.New(1, time.Hour) })
	first, second, third := b.signed(b.body()), b.signed(b.body()), b.signed(b.body())
	third.RemoteAddr = "203.0.113.9:4000"

	require.Equal(t, http.StatusNoContent, b.serve(first).Code)
	require.Equal(t, http.StatusTooManyRequests, b.serve(second).Code)
	require.Equal(t, http.StatusOK, b.serve(third).Code)
}

func TestNoSecretsInLogs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	good := b.signed(b.body())
	sig := good.Header.Get("X-Signature")
	b.serve(good)
	b.serve(b.signed(b.body())) // duplicate
	bad := b.signed(b.body())
	bad.Header.Set("x-signature", strings.Repeat("a", 64))
	b.serve(bad)
	bodyErr := []byte(`{"initiatorId":"` + b.tenant.String() + `","type":7,"data":{"marker":1}}`)
	b.serve(b.signed(bodyErr))

	logs := b.logs.String()
	require.Contains(t, logs, `"reason":"signature_mismatch"`)
	require.Contains(t, logs, `"reason":"bad_body"`)
	for _, secret := range []string{string(b.attempt.Secret), b.attempt.Context, sig,
		strings.Repeat("a", 64), "acme.example.com", "marker"} {
		require.NotContains(t, logs, secret)
	}
}

func TestTypedNilMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *webhook.Options) { o.Metrics = (*obs.Metrics)(nil) })
	r := b.signed(b.body())
	r.Header.Del("x-signature")

	require.Equal(t, http.StatusUnauthorized, b.serve(r).Code)
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	h := webhook.NewHandler(b.store, webhook.Options{}) // real clock, 5m, 1 MiB, no logger
	ts := strconv.FormatInt(time.Now().Add(-4*time.Minute).UnixMilli(), 10)
	body := b.body()
	body = append(body[:len(body)-1], `,"pad":"`+strings.Repeat("x", 1<<19)+`"}`...)
	r := request(body, ts, webhook.Sign(b.attempt.Secret, body, b.attempt.Context, ts))
	w := httptest.NewRecorder()

	h.ServeHTTP(w, r)

	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())

	big := make([]byte, webhook.DefaultMaxBody+1)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, request(big, ts, strings.Repeat("a", 64)))
	require.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
}
