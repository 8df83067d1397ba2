package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Tuning of the broker.
const (
	// bufferSize is how many notifications a subscriber may have waiting before it is cut off.
	bufferSize = 64
	// minBackoff and maxBackoff bound the wait before reconnecting a lost listener connection;
	// the wait doubles after every failed attempt.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Broker is one instance's end of Channel: it LISTENs on one dedicated connection and hands each
// notification to the local subscribers it concerns. Build it with NewBroker, run it with Run,
// and subscribe with Subscribe; all methods are safe for concurrent use.
//
// Nobody waits for a subscriber: a subscriber whose buffer is full is cut off (its channel is
// closed) rather than slowing the delivery to the others. Its client sees the subscription end,
// subscribes again, and receives the tenant's current state first, so it loses no state, only
// intermediate steps. For the same reason every subscriber is cut off whenever LISTEN starts
// (again): notifications sent while no connection listened are lost, and a subscriber that may
// have missed some must not go on as if it had not.
type Broker struct {
	pool   *pgxpool.Pool
	logger *slog.Logger

	mu      sync.Mutex
	subs    map[*subscriber]struct{}
	stopped bool

	ready     chan struct{}
	readyOnce sync.Once
}

// subscriber is one Subscribe call. Its channel is owned by the broker: only the broker sends on
// it and closes it, always under Broker.mu.
type subscriber struct {
	tenantID *uuid.UUID
	ch       chan Notification
	stop     func() bool // stops the context.AfterFunc that unsubscribes
}

// NewBroker returns a Broker listening through connections configured like pool's. It does not
// connect before Run.
func NewBroker(pool *pgxpool.Pool, logger *slog.Logger) *Broker {
	return &Broker{
		pool:   pool,
		logger: logger,
		subs:   map[*subscriber]struct{}{},
		ready:  make(chan struct{}),
	}
}

// Ready is closed once LISTEN is active for the first time; notifications committed after that
// reach the subscribers.
func (b *Broker) Ready() <-chan struct{} { return b.ready }

// Len returns the number of current subscribers.
func (b *Broker) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Subscribe returns the notifications of tenantID's changes, or of every tenant's when tenantID
// is nil, committed from now on. The channel belongs to the broker, which closes it when ctx
// ends, when the subscriber is cut off (see Broker), or when Run returns. Subscribing after Run
// returned yields a closed channel.
func (b *Broker) Subscribe(ctx context.Context, tenantID *uuid.UUID) <-chan Notification {
	s := &subscriber{ch: make(chan Notification, bufferSize)}
	if tenantID != nil {
		id := *tenantID
		s.tenantID = &id
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		close(s.ch)
		return s.ch
	}
	b.subs[s] = struct{}{}
	s.stop = context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.removeLocked(s)
	})
	return s.ch
}

// removeLocked closes s's channel and forgets s, if it is still subscribed. b.mu must be held.
func (b *Broker) removeLocked(s *subscriber) {
	if _, ok := b.subs[s]; !ok {
		return
	}
	delete(b.subs, s)
	s.stop()
	close(s.ch)
}

// Run listens until ctx ends and then returns nil, after closing every subscriber. A lost
// connection is reconnected with exponential backoff (up to 5 s) and LISTEN issued again.
func (b *Broker) Run(ctx context.Context) error {
	defer b.shutdown()
	backoff := minBackoff
	for {
		listened, err := b.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if listened {
			backoff = minBackoff
		}
		b.logger.WarnContext(ctx, "status listener lost its connection",
			slog.Any("err", err), slog.Duration("retry_in", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// listen connects, LISTENs and dispatches notifications until the connection fails or ctx ends.
// It reports whether LISTEN became active.
func (b *Broker) listen(ctx context.Context) (bool, error) {
	cfg := b.pool.Config().ConnConfig.Copy()
	cfg.Tracer = nil // the pool's tracer counts request queries, not the listener's
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect status listener: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return false, fmt.Errorf("listen on %s: %w", Channel, err)
	}
	b.restarted()
	b.logger.DebugContext(ctx, "status listener ready", slog.String("channel", Channel))

	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true, fmt.Errorf("wait for notification: %w", err)
		}
		b.dispatch(ctx, n.Payload)
	}
}

// restarted marks LISTEN active and cuts off every subscriber that may have missed
// notifications while it was not.
func (b *Broker) restarted() {
	b.mu.Lock()
	n := len(b.subs)
	for s := range b.subs {
		b.removeLocked(s)
	}
	b.mu.Unlock()
	if n > 0 {
		b.logger.Warn("status subscribers cut off after the listener reconnected",
			slog.Int("subscribers", n))
	}
	b.readyOnce.Do(func() { close(b.ready) })
}

// dispatch decodes payload and offers it to every subscriber it concerns, without blocking.
func (b *Broker) dispatch(ctx context.Context, payload string) {
	var n Notification
	if err := json.Unmarshal([]byte(payload), &n); err != nil || n.TenantID == uuid.Nil {
		b.logger.WarnContext(ctx, "status notification ignored", slog.Any("err", err),
			slog.Int("payload_bytes", len(payload)))
		return
	}
	dropped := 0
	b.mu.Lock()
	for s := range b.subs {
		if s.tenantID != nil && *s.tenantID != n.TenantID {
			continue
		}
		select {
		case s.ch <- n:
		default:
			b.removeLocked(s)
			dropped++
		}
	}
	b.mu.Unlock()
	if dropped > 0 {
		b.logger.WarnContext(ctx, "slow status subscribers cut off",
			slog.Int("subscribers", dropped), slog.Int("buffer", bufferSize),
			slog.String("tenant_id", n.TenantID.String()))
	}
}

// shutdown closes every subscriber and refuses new ones.
func (b *Broker) shutdown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	for s := range b.subs {
		b.removeLocked(s)
	}
}
