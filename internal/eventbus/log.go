package eventbus

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
)

// logTransport writes each event as one Info line. It never fails.
type logTransport struct {
	logger *slog.Logger
}

// Name returns "log".
func (t *logTransport) Name() string { return TransportLog }

// Publish logs e with its id, type, subject, time, source and data. Values under keys that
// name a secret, password or token are replaced by "[redacted]" at any depth of the data:
// provisioning requests carry their attempt's secret, and logs must never hold one.
func (t *logTransport) Publish(ctx context.Context, e Envelope) error {
	t.logger.LogAttrs(ctx, slog.LevelInfo, "event",
		slog.String("event_id", e.ID),
		slog.String("event_type", e.Type),
		slog.String("subject", e.Subject),
		slog.Time("event_time", e.Time),
		slog.String("source", e.Source),
		slog.Any("data", jsonValue(redactJSON(e.Data))),
	)
	return nil
}

// redactJSON returns data with the values of secret-like keys replaced; data that is not
// valid JSON is replaced as a whole, since it cannot be inspected.
func redactJSON(data []byte) []byte {
	if len(data) == 0 {
		return data
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return []byte(`"[unparsable data]"`)
	}
	out, err := json.Marshal(redact(v))
	if err != nil {
		return []byte(`"[unparsable data]"`)
	}
	return out
}

// redact replaces, in place, the values of secret-like keys at any depth of v.
func redact(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if isSecretKey(k) {
				v[k] = "[redacted]"
			} else {
				v[k] = redact(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = redact(x)
		}
	}
	return v
}

// isSecretKey reports whether a data key names something that must not be logged.
func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range []string{"secret", "password", "token", "credential", "private"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// jsonValue is raw JSON that slog's JSON handler embeds as JSON and its text handler prints
// as text (a json.RawMessage alone would print as a list of bytes there).
type jsonValue []byte

// MarshalJSON returns v unchanged ("null" when empty).
func (v jsonValue) MarshalJSON() ([]byte, error) {
	if len(v) == 0 {
		return []byte("null"), nil
	}
	return v, nil
}

// MarshalText returns v unchanged.
func (v jsonValue) MarshalText() ([]byte, error) { return v, nil }
