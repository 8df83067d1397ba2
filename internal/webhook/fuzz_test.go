package webhook_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/ratelimit"
	"github.com/tenantd/tenantd/internal/webhook"
)

// FuzzHandler sends arbitrary bodies and headers, signed correctly when sign is set (so the
// fuzzer reaches the body decoder) and taken as given otherwise. The handler must never panic
// or answer outside the SPEC's statuses, and must never get past verification (any answer
// but 401, 413, 429) with a signature that is not the right one.
func FuzzHandler(f *testing.F) {
	b := setup(f, func(o *webhook.Options) {
		o.Limiter = ratelimit.New(1_000_000, time.Microsecond)
		o.Logger = nil
	})
	b.store.forgetful = true
	now := strconv.FormatInt(b.now.UnixMilli(), 10)
	valid := b.body()
	tenant := b.tenant.String()
	seeds := []struct {
		body      string
		ts, sig   string
		sign, dup bool
		method    string
	}{
		{string(valid), now, "", true, false, http.MethodPost},
		{string(valid), now, webhook.Sign(b.attempt.Secret, valid, b.attempt.Context, now), false,
			false, http.MethodPost},
		{string(valid), now, "", true, true, http.MethodPost},
		{string(valid), now, "", true, false, http.MethodGet},
		{`{"initiatorId":"` + tenant + `","type":1,"data":{"status":0,"reason":"x"}}`, now, "",
			true, false, http.MethodPost},
		{`{"initiatorId":"` + tenant + `","type":2,"data":{"status":"maybe"}}`, now, "", true,
			false, http.MethodPost},
		{`{"initiatorId":"` + tenant + `"} trailing`, now, "", true, false, http.MethodPost},
		{`{"initiatorId":"` + tenant + `","data":{"resources":[{"type":null}]}}`, now, "", true,
			false, http.MethodPost},
		{"not json", now, "", true, false, http.MethodPost},
		{string(valid), "+" + now, "", true, false, http.MethodPost},
		{string(valid), "1700000000", "", true, false, http.MethodPost},
		{string(valid), now, "ABCDEF", false, false, http.MethodPost},
		{"", "", "", false, false, http.MethodPost},
		{string(bytes.Repeat([]byte("x"), 5000)), now, "", true, false, http.MethodPost},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.ts, s.sig, s.sign, s.dup, s.method)
	}
	allowed := map[int]bool{200: true, 204: true, 400: true, 401: true, 405: true, 409: true,
		413: true, 429: true}
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string, sign, dup bool, method string) {
		if sign {
			sig = webhook.Sign(b.attempt.Secret, body, b.attempt.Context, ts)
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/provisioning", nil)
		r.Method = method // any string, as a raw connection could send
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header["X-Timestamp"] = []string{ts}
		r.Header["X-Signature"] = []string{sig}
		if dup {
			r.Header["X-Signature"] = append(r.Header["X-Signature"], sig)
		}
		w := httptest.NewRecorder()

		b.handler.ServeHTTP(w, r)

		require.True(t, allowed[w.Code], "status %d", w.Code)
		switch w.Code {
		case http.StatusUnauthorized, http.StatusRequestEntityTooLarge,
			http.StatusTooManyRequests, http.StatusMethodNotAllowed:
		default:
			want := webhook.Sign(b.attempt.Secret, body, b.attempt.Context, ts)
			require.Equal(t, want, sig, "status %d without the right signature", w.Code)
			require.False(t, dup, "status %d with a duplicated header", w.Code)
		}
	})
}
