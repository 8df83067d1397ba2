package eventbus

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"
)

// delivery is one request a test receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// receiver is an httptest webhook endpoint that answers status and records what it got.
type receiver struct {
	url string

	mu         sync.Mutex
	deliveries []delivery
}

// newReceiver starts a receiver answering status.
func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.deliveries = append(r.deliveries, delivery{header: req.Header.Clone(), body: body})
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = fmt.Fprint(w, "answer body")
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hook?token=s3cr3t"
	return r
}

// got returns the deliveries so far.
func (r *receiver) got() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

// newHTTPBus returns a Bus with the http transport posting to urls.
func newHTTPBus(t *testing.T, urls ...string) *Bus {
	t.Helper()
	b, err := New(Config{
		Transports:  []string{"http"},
		HTTPURLs:    urls,
		HTTPSecrets: []string{testSecretB64, testSecretRaw},
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return b
}

// hmacSignature computes a Standard Webhooks v1 signature independently of the package.
func hmacSignature(key []byte, id, ts string, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestWebhookSignedForEverySecret(t *testing.T) {
	t.Parallel()
	r1, r2 := newReceiver(t, http.StatusNoContent), newReceiver(t, http.StatusOK)
	b := newHTTPBus(t, r1.url, r2.url)
	env := testEnvelope(t)

	require.NoError(t, b.Publish(t.Context(), env))

	b64Key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(testSecretB64, "whsec_"))
	require.NoError(t, err)
	for _, r := range []*receiver{r1, r2} {
		got := r.got()
		require.Len(t, got, 1)
		d := got[0]
		require.Equal(t, "application/cloudevents+json", d.header.Get("Content-Type"))
		require.Equal(t, env.ID, d.header.Get("webhook-id"))
		ts := d.header.Get("webhook-timestamp")
		sec, err := strconv.ParseInt(ts, 10, 64)
		require.NoError(t, err)
		require.WithinDuration(t, time.Now(), time.Unix(sec, 0), 5*time.Second)

		sigs := strings.Split(d.header.Get("webhook-signature"), " ")
		require.Equal(t, []string{
			hmacSignature(b64Key, env.ID, ts, d.body),
			hmacSignature([]byte(testSecretRaw), env.ID, ts, d.body),
		}, sigs)

		var back Envelope
		require.NoError(t, json.Unmarshal(d.body, &back))
		require.Equal(t, env.ID, back.ID)
		require.JSONEq(t, string(env.Data), string(back.Data))

		// A receiver that knows only one of the secrets accepts; tampering is refused.
		require.NoError(t, Verify(testSecretB64, d.header, d.body, time.Minute))
		require.NoError(t, Verify(testSecretRaw, d.header, d.body, time.Minute))
		tampered := []byte(strings.Replace(string(d.body), "acme", "evil", 1))
		require.NotEqual(t, d.body, tampered)
		err = Verify(testSecretB64, d.header, tampered, time.Minute)
		require.ErrorIs(t, err, standardwebhooks.ErrNoMatchingSignature)
		err = Verify("whsec_"+base64.StdEncoding.EncodeToString([]byte("another-secret-123")),
			d.header, d.body, time.Minute)
		require.ErrorIs(t, err, standardwebhooks.ErrNoMatchingSignature)

		// The library verifies it too, with either secret.
		wh, err := standardwebhooks.NewWebhook(testSecretB64)
		require.NoError(t, err)
		require.NoError(t, wh.Verify(d.body, d.header))
	}
}

func TestWebhookFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		permanent bool
	}{
		{http.StatusInternalServerError, false},
		{http.StatusServiceUnavailable, false},
		{http.StatusTooManyRequests, false},
		{http.StatusRequestTimeout, false},
		{http.StatusFound, false},
		{http.StatusGone, true},
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
	}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			t.Parallel()
			ok := newReceiver(t, http.StatusAccepted)
			bad := newReceiver(t, tc.status)
			b := newHTTPBus(t, ok.url, bad.url)

			err := b.Publish(t.Context(), testEnvelope(t))
			require.Error(t, err)
			require.ErrorContains(t, err, "http transport")
			require.ErrorContains(t, err, "webhook 2 (127.0.0.1:")
			require.ErrorContains(t, err, strconv.Itoa(tc.status))
			require.NotContains(t, err.Error(), "s3cr3t", "query strings stay out of errors")
			require.Equal(t, tc.permanent, IsPermanent(err))
			var p *Permanent
			require.Equal(t, tc.permanent, errors.As(err, &p))
			require.Len(t, ok.got(), 1, "the other URL still got the event")
			require.Len(t, bad.got(), 1, "redirects are not followed")
		})
	}
}

func TestWebhookNetworkError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/hook?token=s3cr3t"
	srv.Close()
	b := newHTTPBus(t, url)

	err := b.Publish(t.Context(), testEnvelope(t))
	require.ErrorContains(t, err, "webhook 1")
	require.NotContains(t, err.Error(), "s3cr3t")
	require.False(t, IsPermanent(err))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"x"}`)
	headers := func(ts time.Time, secret []byte) http.Header {
		h := http.Header{}
		sec := strconv.FormatInt(ts.Unix(), 10)
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", sec)
		h.Set("webhook-signature", "v1,bogus "+hmacSignature(secret, "msg_1", sec, body))
		return h
	}
	key := []byte(testSecretRaw)
	noTS := headers(time.Now(), key)
	noTS.Del("webhook-timestamp")
	tests := []struct {
		name      string
		secret    string
		header    http.Header
		tolerance time.Duration
		want      error
	}{
		{"valid", testSecretRaw, headers(time.Now(), key), time.Minute, nil},
		{"default tolerance", testSecretRaw, headers(time.Now().Add(-4*time.Minute), key), 0, nil},
		{"too old", testSecretRaw, headers(time.Now().Add(-2*time.Minute), key), time.Minute,
			standardwebhooks.ErrMessageTooOld},
		{"too new", testSecretRaw, headers(time.Now().Add(2*time.Minute), key), time.Minute,
			standardwebhooks.ErrMessageTooNew},
		{"wrong secret", "whsec_" + base64.StdEncoding.EncodeToString(key[1:]),
			headers(time.Now(), key), time.Minute, standardwebhooks.ErrNoMatchingSignature},
		{"no timestamp", testSecretRaw, noTS, time.Minute, standardwebhooks.ErrInvalidHeaders},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(tc.secret, tc.header, body, tc.tolerance)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}

	err := Verify("short", headers(time.Now(), key), body, time.Minute)
	require.ErrorContains(t, err, "secret: key has 5 bytes")
}
