package eventbus

import (
	"context"
	"log/slog"
)

// logTransport writes each event as one Info line. It never fails.
type logTransport struct {
	logger *slog.Logger
}

// Name returns "log".
func (t *logTransport) Name() string { return TransportLog }

// Publish logs e with its id, type, subject, time, source and data.
func (t *logTransport) Publish(ctx context.Context, e Envelope) error {
	t.logger.LogAttrs(ctx, slog.LevelInfo, "event",
		slog.String("event_id", e.ID),
		slog.String("event_type", e.Type),
		slog.String("subject", e.Subject),
		slog.Time("event_time", e.Time),
		slog.String("source", e.Source),
		slog.Any("data", jsonValue(e.Data)),
	)
	return nil
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
