// Package eventbus owns the transports that publish tenantd's outbox events (SPEC section 7):
// log, NATS JetStream, Standard Webhooks HTTP, AWS EventBridge and AWS SQS. Each event
// travels as a CloudEvents 1.0 structured JSON Envelope.
//
// The publisher job in jobs/ builds a Bus from Config once and calls Bus.Publish (or
// PublishEvent) for each pending outbox row, marking the row published only when it returns
// nil and retrying it otherwise. Delivery is therefore at least once: a receiver can get an
// event twice and must de-duplicate by its id (NATS and FIFO SQS do it server-side within
// their windows; webhook receivers get it as webhook-id). cmd/tenantd loads Config with the
// rest of the configuration. Nothing else imports this package.
package eventbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/tenantd/tenantd/ent"
)

// Transport delivers envelopes to one destination. Publish returns nil only once the
// destination has accepted the event; it must be safe to call again with the same envelope
// and from several goroutines at once.
type Transport interface {
	// Name is the transport's name in Config.Transports, used in errors.
	Name() string
	// Publish delivers e, or fails; a failure that retrying cannot fix is a Permanent.
	Publish(ctx context.Context, e Envelope) error
}

// Bus publishes each event to every enabled transport. It is safe for concurrent use; Close
// it once publishers have stopped.
type Bus struct {
	source     string
	transports []Transport
	logger     *slog.Logger
}

// New validates cfg and builds its transports in the order cfg.Transports names them.
// The NATS connection is opened here (a server that is down is retried in the background,
// not reported); the AWS clients resolve credentials at their first request. The caller
// owns the Bus and must Close it.
func New(cfg Config, logger *slog.Logger) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("event bus config: %w", err)
	}
	cfg = cfg.withDefaults()
	var awsCfg aws.Config
	if cfg.enabled(TransportEventBridge) || cfg.enabled(TransportSQS) {
		var err error
		if awsCfg, err = loadAWSConfig(cfg); err != nil {
			return nil, err
		}
	}
	b := &Bus{source: cfg.Source, logger: logger}
	for _, name := range cfg.Transports {
		var t Transport
		var err error
		switch name {
		case TransportLog:
			t = &logTransport{logger: logger}
		case TransportNATS:
			t, err = newNATSTransport(cfg, logger)
		case TransportHTTP:
			t, err = newWebhookTransport(cfg)
		case TransportEventBridge:
			t = newEventBridgeTransport(cfg, awsCfg)
		case TransportSQS:
			t = newSQSTransport(cfg, awsCfg)
		}
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("build %s event transport: %w", name, err)
		}
		b.transports = append(b.transports, t)
	}
	return b, nil
}

// NewWithTransports returns a Bus over the given transports, for tests and for programs that
// bring their own; source is the CloudEvents source PublishEvent uses (DefaultSource when
// empty). Close closes the transports that have a Close() error method.
func NewWithTransports(source string, logger *slog.Logger, transports ...Transport) *Bus {
	if source == "" {
		source = DefaultSource
	}
	return &Bus{source: source, transports: transports, logger: logger}
}

// Source returns the CloudEvents source of the events this Bus publishes through
// PublishEvent.
func (b *Bus) Source() string { return b.source }

// Names returns the names of the transports in publishing order.
func (b *Bus) Names() []string {
	names := make([]string, len(b.transports))
	for i, t := range b.transports {
		names[i] = t.Name()
	}
	return names
}

// Publish sends e to every transport, one after the other, and returns nil only when all
// accepted it. Otherwise it returns the failures joined, each naming its transport; a
// failing transport does not stop the others. The caller retries the whole event, so the
// transports that had accepted it receive it again: receivers de-duplicate by event id.
// IsPermanent tells whether retrying is pointless.
func (b *Bus) Publish(ctx context.Context, e Envelope) error {
	var errs []error
	for _, t := range b.transports {
		if err := t.Publish(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("%s transport: %w", t.Name(), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("publish event %s (%s): %w", e.ID, e.Type, err)
	}
	return nil
}

// PublishEvent builds the Envelope of the outbox row e with the Bus's source and publishes
// it. A row that cannot become an envelope fails with a Permanent error.
func (b *Bus) PublishEvent(ctx context.Context, e *ent.OutboxEvent) error {
	env, err := NewEnvelope(b.source, e)
	if err != nil {
		return permanent(err)
	}
	return b.Publish(ctx, env)
}

// Close releases the transports' connections. Publish must not be called afterwards.
func (b *Bus) Close() {
	for _, t := range b.transports {
		c, ok := t.(interface{ Close() error })
		if !ok {
			continue
		}
		if err := c.Close(); err != nil {
			b.logger.Warn("close event transport", slog.String("transport", t.Name()),
				slog.Any("err", err))
		}
	}
}
