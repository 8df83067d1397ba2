package pubsub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/pubsub"
	"github.com/tenantd/tenantd/internal/testdb"
)

func TestMain(m *testing.M) {
	testdb.Main(m, nil)
}

// logBuffer collects log output safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// bundle is a running broker on its own database.
type bundle struct {
	db     *db.DB
	broker *pubsub.Broker
	logs   *logBuffer
	done   chan error
	cancel context.CancelFunc
}

// setup runs a broker on a fresh database until the test ends, and waits until it listens.
func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d, err := db.Open(ctx, testdb.New(t), db.Options{MaxConns: 4}, logger)
	require.NoError(t, err)
	b := &bundle{db: d, broker: pubsub.NewBroker(d.Pool, logger), logs: logs,
		done: make(chan error, 1)}
	rctx, cancel := context.WithCancel(ctx)
	b.cancel = cancel
	go func() { b.done <- b.broker.Run(rctx) }()
	t.Cleanup(func() {
		cancel()
		<-b.done
		d.Close()
	})
	select {
	case <-b.broker.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("broker not listening after 10s")
	}
	return b
}

// notify sends n outside any transaction.
func (b *bundle) notify(t *testing.T, n pubsub.Notification) {
	t.Helper()
	payload, err := json.Marshal(n)
	require.NoError(t, err)
	_, err = b.db.Pool.Exec(context.Background(), "SELECT pg_notify($1, $2)", pubsub.Channel,
		string(payload))
	require.NoError(t, err)
}

func newNotification(tenantID uuid.UUID) pubsub.Notification {
	return pubsub.Notification{TenantID: tenantID, ChangeID: uuid.Must(uuid.NewV7())}
}

// receive returns the next notification of ch, failing after 5s or when ch is closed.
func receive(t *testing.T, ch <-chan pubsub.Notification) pubsub.Notification {
	t.Helper()
	select {
	case n, ok := <-ch:
		require.True(t, ok, "subscription closed")
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5s")
		return pubsub.Notification{}
	}
}

// requireNothing fails when ch yields anything (or closes) within d.
func requireNothing(t *testing.T, ch <-chan pubsub.Notification, d time.Duration) {
	t.Helper()
	select {
	case n, ok := <-ch:
		t.Fatalf("unexpected notification %+v (open: %v)", n, ok)
	case <-time.After(d):
	}
}

// requireClosed fails unless ch is closed within 5s, draining what is buffered before.
func requireClosed(t *testing.T, ch <-chan pubsub.Notification) int {
	t.Helper()
	deadline := time.After(5 * time.Second)
	drained := 0
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return drained
			}
			drained++
		case <-deadline:
			t.Fatal("subscription not closed within 5s")
		}
	}
}

func TestBrokerDeliversByTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	a, other := uuid.New(), uuid.New()
	onlyA := b.broker.Subscribe(ctx, &a)
	all := b.broker.Subscribe(ctx, nil)

	na := newNotification(a)
	b.notify(t, na)
	no := newNotification(other)
	b.notify(t, no)

	require.Equal(t, na, receive(t, onlyA))
	require.Equal(t, na, receive(t, all))
	require.Equal(t, no, receive(t, all))
	requireNothing(t, onlyA, 200*time.Millisecond)
}

func TestBrokerNotifiesOnlyOnCommit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	id := uuid.New()
	ch := b.broker.Subscribe(ctx, &id)

	tx, err := b.db.Ent.Tx(ctx)
	require.NoError(t, err)
	require.NoError(t, pubsub.Notify(ctx, tx.Client(), newNotification(id)))
	require.NoError(t, tx.Rollback())
	requireNothing(t, ch, 500*time.Millisecond)

	tx, err = b.db.Ent.Tx(ctx)
	require.NoError(t, err)
	committed := newNotification(id)
	require.NoError(t, pubsub.Notify(ctx, tx.Client(), committed))
	requireNothing(t, ch, 100*time.Millisecond) // not before the commit
	require.NoError(t, tx.Commit())
	require.Equal(t, committed, receive(t, ch))
}

func TestBrokerEndsSubscriptionWithContext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	ch := b.broker.Subscribe(ctx, nil)
	cancel()
	require.Zero(t, requireClosed(t, ch))

	// The broker no longer knows the subscriber: a notification reaches the others only.
	other := b.broker.Subscribe(t.Context(), nil)
	n := newNotification(uuid.New())
	b.notify(t, n)
	require.Equal(t, n, receive(t, other))
}

func TestBrokerCutsOffSlowSubscriber(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	id := uuid.New()
	slow := b.broker.Subscribe(ctx, &id)
	fast := b.broker.Subscribe(ctx, &id)

	const sent = 100
	got := make(chan int, 1)
	go func() {
		n := 0
		for range fast {
			n++
			if n == sent {
				break
			}
		}
		got <- n
	}()
	for range sent {
		b.notify(t, newNotification(id))
	}

	select {
	case n := <-got:
		require.Equal(t, sent, n, "the fast subscriber must get everything")
	case <-time.After(10 * time.Second):
		t.Fatal("fast subscriber starved")
	}
	buffered := requireClosed(t, slow)
	require.Equal(t, 64, buffered, "the slow subscriber keeps its buffer, then is closed")
	require.Contains(t, b.logs.String(), "slow status subscribers cut off")
}

func TestBrokerReconnects(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	before := b.broker.Subscribe(ctx, nil)

	// Kill the listener's connection from another session.
	var killed int
	err := b.db.Pool.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`).
		Scan(&killed)
	require.NoError(t, err)
	require.Equal(t, 1, killed)

	// A subscriber from before the loss may have missed notifications: it is cut off.
	requireClosed(t, before)
	require.Contains(t, b.logs.String(), "status listener lost its connection")

	// After LISTEN is active again, new subscribers get notifications. Subscribers made while
	// it was not are cut off too, so try until one survives.
	deadline := time.Now().Add(10 * time.Second)
	for {
		sub := b.broker.Subscribe(ctx, nil)
		n := newNotification(uuid.New())
		b.notify(t, n)
		select {
		case got, ok := <-sub:
			if ok {
				require.Equal(t, n, got)
				return
			}
		case <-time.After(300 * time.Millisecond):
		}
		require.True(t, time.Now().Before(deadline), "no delivery after reconnecting")
	}
}

func TestBrokerRunEndsWithContext(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ch := b.broker.Subscribe(t.Context(), nil)
	b.cancel()
	select {
	case err := <-b.done:
		require.NoError(t, err)
		b.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	requireClosed(t, ch)
	requireClosed(t, b.broker.Subscribe(t.Context(), nil))
}

func TestBrokerLen(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	id := uuid.New()
	b.broker.Subscribe(ctx, &id)
	b.broker.Subscribe(t.Context(), nil)
	require.Equal(t, 2, b.broker.Len())
	cancel()
	require.Eventually(t, func() bool { return b.broker.Len() == 1 }, 5*time.Second,
		10*time.Millisecond)
}
