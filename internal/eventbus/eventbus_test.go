package eventbus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/ent"
)

// fakeTransport counts its calls and fails with err when set.
type fakeTransport struct {
	name   string
	err    error
	calls  atomic.Int32
	closed atomic.Bool
}

func (f *fakeTransport) Name() string { return f.name }

func (f *fakeTransport) Publish(context.Context, Envelope) error {
	f.calls.Add(1)
	return f.err
}

func (f *fakeTransport) Close() error {
	f.closed.Store(true)
	return nil
}

func TestBusPublishesToEveryTransport(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	first := &fakeTransport{name: "first"}
	failing := &fakeTransport{name: "failing", err: boom}
	last := &fakeTransport{name: "last"}
	b := NewWithTransports("", slog.New(slog.DiscardHandler), first, failing, last)
	require.Equal(t, []string{"first", "failing", "last"}, b.Names())
	require.Equal(t, DefaultSource, b.Source())
	env := testEnvelope(t)

	err := b.Publish(t.Context(), env)
	require.ErrorIs(t, err, boom)
	require.ErrorContains(t, err, "failing transport: boom")
	require.ErrorContains(t, err, env.ID)
	require.NotContains(t, err.Error(), "first")
	require.NotContains(t, err.Error(), "last")
	require.False(t, IsPermanent(err))
	for _, f := range []*fakeTransport{first, failing, last} {
		require.EqualValues(t, 1, f.calls.Load(), f.name)
	}

	failing.err = nil
	require.NoError(t, b.Publish(t.Context(), env))

	b.Close()
	require.True(t, first.closed.Load())
	require.True(t, last.closed.Load())
}

func TestBusPublishEvent(t *testing.T) {
	t.Parallel()
	var got []Envelope
	rec := &recordingTransport{got: &got}
	b := NewWithTransports("urn:custom", slog.New(slog.DiscardHandler), rec)
	e := testEvent(t)

	require.NoError(t, b.PublishEvent(t.Context(), e))
	require.Len(t, got, 1)
	require.Equal(t, e.ID.String(), got[0].ID)
	require.Equal(t, "urn:custom", got[0].Source)

	err := b.PublishEvent(t.Context(), &ent.OutboxEvent{ID: uuid.Must(uuid.NewV7())})
	require.ErrorContains(t, err, "type: must not be empty")
	require.True(t, IsPermanent(err), "a broken row will never publish")
	require.Len(t, got, 1)
}

// recordingTransport keeps what it is given; it is used by one goroutine only.
type recordingTransport struct{ got *[]Envelope }

func (r *recordingTransport) Name() string { return "recording" }

func (r *recordingTransport) Publish(_ context.Context, e Envelope) error {
	*r.got = append(*r.got, e)
	return nil
}

func TestNew(t *testing.T) {
	t.Parallel()
	b, err := New(Config{
		Transports:  []string{"log", "http"},
		HTTPURLs:    []string{"https://hooks.example.com"},
		HTTPSecrets: []string{testSecretRaw},
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(b.Close)
	require.Equal(t, []string{"log", "http"}, b.Names())
	require.Equal(t, DefaultSource, b.Source())

	b, err = New(Config{}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.Equal(t, []string{"log"}, b.Names())

	_, err = New(Config{Transports: []string{"http", "sqs"}}, slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "EVENT_HTTP_URLS")
	require.ErrorContains(t, err, "SQS_QUEUE_URL")
}

func TestLogTransport(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	b, err := New(Config{}, slog.New(slog.NewJSONHandler(&buf, nil)))
	require.NoError(t, err)
	env := testEnvelope(t)

	require.NoError(t, b.Publish(t.Context(), env))

	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	require.Equal(t, "INFO", line["level"])
	require.Equal(t, "event", line["msg"])
	require.Equal(t, env.ID, line["event_id"])
	require.Equal(t, "tenant.created", line["event_type"])
	require.Equal(t, env.Subject, line["subject"])
	require.Equal(t, map[string]any{"key": "acme", "plan": "pro"}, line["data"])

	var text bytes.Buffer
	lt := &logTransport{logger: slog.New(slog.NewTextHandler(&text, nil))}
	require.NoError(t, lt.Publish(t.Context(), env))
	require.Contains(t, text.String(), `data="{\"key\":\"acme\",\"plan\":\"pro\"}"`)
}

func TestLogTransportRedacts(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	lt := &logTransport{logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	env := testEnvelope(t)
	env.Data = []byte(`{"key":"acme","attempt":{"id":"a1","secret":"hunter2-secret"},` +
		`"items":[{"api_token":"tok-123","n":1}],"adminPassword":"pw-456"}`)

	require.NoError(t, lt.Publish(t.Context(), env))

	for _, s := range []string{"hunter2-secret", "tok-123", "pw-456"} {
		require.NotContains(t, buf.String(), s)
	}
	var line struct{ Data map[string]any }
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
	require.Equal(t, map[string]any{
		"key":           "acme",
		"attempt":       map[string]any{"id": "a1", "secret": "[redacted]"},
		"items":         []any{map[string]any{"api_token": "[redacted]", "n": float64(1)}},
		"adminPassword": "[redacted]",
	}, line.Data)
	require.Contains(t, string(env.Data), "hunter2-secret", "the envelope itself is untouched")
}
