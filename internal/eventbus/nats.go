package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSDuplicateWindow is the de-duplication window of the stream the nats transport creates:
// a republication of the same event id within it is stored once. It covers the publisher's
// first retries after a lost acknowledgement; later duplicates are left to receivers, who
// de-duplicate by event id. The server keeps one id per message of the window, which is
// little at tenantd's event rates.
const NATSDuplicateWindow = time.Hour

// natsTransport publishes to JetStream. The connection is made in New and kept up by
// nats.go, which reconnects forever; the stream is looked up (and created when missing) at
// the first Publish, and again after a publication found no stream. It is safe for concurrent use.
type natsTransport struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	prefix string
	stream string
	logger *slog.Logger

	mu    sync.Mutex // guards ready and serialises the stream look-up
	ready bool
}

// newNATSTransport connects to c.NATSURL. A server that is down at start is not an error:
// nats.go keeps trying in the background and publications fail until it answers.
func newNATSTransport(c Config, logger *slog.Logger) (*natsTransport, error) {
	nc, err := nats.Connect(c.NATSURL,
		nats.Name("tenantd eventbus"),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil when we close the connection ourselves
				logger.Warn("nats disconnected", slog.Any("err", err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			logger.Info("nats reconnected", slog.String("server", nc.ConnectedUrlRedacted()))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to nats: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("open jetstream: %w", err)
	}
	return &natsTransport{
		nc: nc, js: js, prefix: c.NATSSubjectPrefix, stream: c.NATSStream, logger: logger,
	}, nil
}

// Name returns "nats".
func (t *natsTransport) Name() string { return TransportNATS }

// Publish stores e in the stream under "<prefix>.<type>" with the event id as message id, so
// that JetStream stores a republication within its duplicate window once. It returns only
// after the server acknowledged; an event type that is not a valid subject is Permanent.
func (t *natsTransport) Publish(ctx context.Context, e Envelope) error {
	subject := t.prefix + "." + e.Type
	if err := checkSubject(subject); err != nil {
		return permanent(fmt.Errorf("publish event %s to nats: subject: %w", e.ID, err))
	}
	body, err := json.Marshal(e)
	if err != nil {
		return permanent(fmt.Errorf("marshal event %s: %w", e.ID, err))
	}
	if err := t.ensureStream(ctx); err != nil {
		return err
	}
	msg := nats.NewMsg(subject)
	msg.Data = body
	msg.Header.Set("Content-Type", ContentType)
	_, err = t.js.PublishMsg(ctx, msg,
		jetstream.WithMsgID(e.ID), jetstream.WithExpectStream(t.stream))
	if err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			t.mu.Lock()
			t.ready = false // the stream may have been deleted: look it up again next time
			t.mu.Unlock()
		}
		return fmt.Errorf("publish event %s to nats subject %q: %w", e.ID, subject, err)
	}
	return nil
}

// ensureStream makes sure the stream exists, creating it with subjects "<prefix>.>" when it
// does not. An existing stream is not changed; a duplicate window shorter than two minutes
// is logged since it weakens de-duplication.
func (t *natsTransport) ensureStream(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ready {
		return nil
	}
	s, err := t.js.Stream(ctx, t.stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		_, err = t.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        t.stream,
			Description: "tenantd domain events (CloudEvents JSON)",
			Subjects:    []string{t.prefix + ".>"},
			Duplicates:  NATSDuplicateWindow,
		})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("create nats stream %q: %w", t.stream, err)
		}
	case err != nil:
		return fmt.Errorf("look up nats stream %q: %w", t.stream, err)
	default:
		if d := s.CachedInfo().Config.Duplicates; d < 2*time.Minute {
			t.logger.Warn("nats stream has a short duplicate window",
				slog.String("stream", t.stream), slog.Duration("duplicates", d))
		}
	}
	t.ready = true
	return nil
}

// Close closes the connection; publications still waiting for an acknowledgement fail.
func (t *natsTransport) Close() error {
	t.nc.Close()
	return nil
}
