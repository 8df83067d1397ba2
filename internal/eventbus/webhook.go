package eventbus

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// Standard Webhooks header names set by the http transport and read by Verify.
const (
	// HeaderWebhookID carries the event id; it stays the same on redelivery.
	HeaderWebhookID = standardwebhooks.HeaderWebhookID
	// HeaderWebhookTimestamp carries the signing time in Unix seconds.
	HeaderWebhookTimestamp = standardwebhooks.HeaderWebhookTimestamp
	// HeaderWebhookSignature carries one "v1,<base64 signature>" per secret, space separated.
	HeaderWebhookSignature = standardwebhooks.HeaderWebhookSignature
)

// DefaultTolerance is how far a webhook timestamp may be from the receiver's clock when
// Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// secretPrefix marks a base64 Standard Webhooks secret.
const secretPrefix = "whsec_"

// webhookTransport posts each envelope to every URL, signed with every secret. It is safe
// for concurrent use.
type webhookTransport struct {
	client *http.Client
	urls   []string
	keys   []*standardwebhooks.Webhook
	now    func() time.Time
}

// newWebhookTransport builds the http transport of c, which has been validated.
func newWebhookTransport(c Config) (*webhookTransport, error) {
	keys := make([]*standardwebhooks.Webhook, len(c.HTTPSecrets))
	for i, s := range c.HTTPSecrets {
		k, err := parseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("EVENT_HTTP_SECRETS: secret %d: %w", i+1, err)
		}
		keys[i] = k
	}
	return &webhookTransport{
		client: &http.Client{
			Timeout: c.HTTPTimeout,
			// A redirect is answered as a failure: following it would send the signed
			// event to a place nobody configured.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		urls: c.HTTPURLs,
		keys: keys,
		now:  time.Now,
	}, nil
}

// Name returns "http".
func (t *webhookTransport) Name() string { return TransportHTTP }

// Publish posts e to every URL, one after the other. It returns the failures joined, each
// naming the URL by position and host; a 4xx answer other than 408 and 429 is Permanent.
// When it fails, the caller's retry posts to every URL again, so a receiver that accepted the
// first time sees the event twice (same webhook-id).
func (t *webhookTransport) Publish(ctx context.Context, e Envelope) error {
	body, err := json.Marshal(e)
	if err != nil {
		return permanent(fmt.Errorf("marshal event %s: %w", e.ID, err))
	}
	ts := t.now()
	sigs := make([]string, len(t.keys))
	for i, k := range t.keys {
		if sigs[i], err = k.Sign(e.ID, ts, body); err != nil {
			return fmt.Errorf("sign event %s: %w", e.ID, err)
		}
	}
	header := http.Header{}
	header.Set("Content-Type", ContentType)
	header.Set("User-Agent", "tenantd-eventbus")
	header.Set(HeaderWebhookID, e.ID)
	header.Set(HeaderWebhookTimestamp, strconv.FormatInt(ts.Unix(), 10))
	header.Set(HeaderWebhookSignature, strings.Join(sigs, " "))

	var errs []error
	for i, u := range t.urls {
		if err := t.post(ctx, u, header, body); err != nil {
			errs = append(errs, fmt.Errorf("post event %s to webhook %d (%s): %w",
				e.ID, i+1, hostOf(u), err))
		}
	}
	return errors.Join(errs...)
}

// post sends one request and classifies the answer.
func (t *webhookTransport) post(ctx context.Context, u string, h http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return permanent(errors.New("invalid URL"))
	}
	req.Header = h.Clone()
	resp, err := t.client.Do(req)
	if err != nil {
		// The *url.Error would repeat the URL, query string and all; keep only its cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return err
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("receiver answered %s: %q", resp.Status, strings.TrimSpace(string(snippet)))
	if isPermanentStatus(resp.StatusCode) {
		return permanent(err)
	}
	return err
}

// isPermanentStatus reports whether a webhook answer says that retrying is pointless: a
// client error other than 408 Request Timeout and 429 Too Many Requests.
func isPermanentStatus(code int) bool {
	return code >= 400 && code < 500 &&
		code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}

// hostOf returns the host of a URL, for messages that must not show the rest.
func hostOf(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Host
	}
	return "invalid URL"
}

// parseSecret turns a configured secret into a signing key: "whsec_<base64>" is decoded,
// anything else is used verbatim. The errors never contain the secret.
func parseSecret(s string) (*standardwebhooks.Webhook, error) {
	key := []byte(s)
	if rest, ok := strings.CutPrefix(s, secretPrefix); ok {
		var err error
		// The library decodes too, but its error would not say which form was expected.
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			return nil, errors.New("the part after \"whsec_\" is not standard base64")
		}
	}
	if len(key) < MinSecretBytes {
		return nil, fmt.Errorf("key has %d bytes, want at least %d", len(key), MinSecretBytes)
	}
	return standardwebhooks.NewWebhookRaw(key)
}

// Verify checks a Standard Webhooks delivery as a receiver does: one of the "v1," entries of
// the webhook-signature header must be the HMAC-SHA256 with secret (in either form
// EVENT_HTTP_SECRETS accepts) of "<webhook-id>.<webhook-timestamp>.<body>", and the timestamp
// must be within tolerance of now (DefaultTolerance when tolerance is not positive). Errors
// wrap the standardwebhooks library's sentinels (ErrNoMatchingSignature, ErrMessageTooOld,
// ErrMessageTooNew, ErrRequiredHeaders, ErrInvalidHeaders).
func Verify(secret string, headers http.Header, body []byte, tolerance time.Duration) error {
	key, err := parseSecret(secret)
	if err != nil {
		return fmt.Errorf("verify webhook: secret: %w", err)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	id := headers.Get(HeaderWebhookID)
	sec, err := strconv.ParseInt(headers.Get(HeaderWebhookTimestamp), 10, 64)
	if err != nil {
		return fmt.Errorf("verify webhook %q: timestamp: %w", id,
			standardwebhooks.ErrInvalidHeaders)
	}
	switch age := time.Since(time.Unix(sec, 0)); {
	case age > tolerance:
		return fmt.Errorf("verify webhook %q: %w", id, standardwebhooks.ErrMessageTooOld)
	case age < -tolerance:
		return fmt.Errorf("verify webhook %q: %w", id, standardwebhooks.ErrMessageTooNew)
	}
	if err := key.VerifyIgnoringTimestamp(body, headers); err != nil {
		return fmt.Errorf("verify webhook %q: %w", id, err)
	}
	return nil
}
