package eventbus

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
)

// natsTest is what a NATS test works with.
type natsTest struct {
	bus    *Bus
	js     jetstream.JetStream
	prefix string
	stream string
}

// testNATSURL is the JetStream-enabled server the tests use: NATS_URL or the local default.
func testNATSURL() string {
	if u := os.Getenv("NATS_URL"); u != "" {
		return u
	}
	return DefaultNATSURL
}

// setupNATS returns a Bus with the nats transport on a stream and subject prefix of its own,
// and a JetStream handle for checking; the stream is deleted at the end of the test.
func setupNATS(t *testing.T) natsTest {
	t.Helper()
	suffix := strings.ReplaceAll(uuid.NewString(), "-", "")[:12]
	nt := natsTest{prefix: "eventbustest" + suffix, stream: "EVENTBUS_TEST_" + suffix}

	nc, err := nats.Connect(testNATSURL())
	require.NoError(t, err, "these tests need a NATS server with JetStream at %s", testNATSURL())
	t.Cleanup(nc.Close)
	nt.js, err = jetstream.New(nc)
	require.NoError(t, err)
	t.Cleanup(func() {
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := nt.js.DeleteStream(ctx, nt.stream)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			t.Errorf("delete stream %s: %v", nt.stream, err)
		}
	})

	nt.bus, err = New(Config{
		Transports:        []string{"nats"},
		NATSURL:           testNATSURL(),
		NATSSubjectPrefix: nt.prefix,
		NATSStream:        nt.stream,
	}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(nt.bus.Close)
	return nt
}

func TestNATSPublish(t *testing.T) {
	t.Parallel()
	nt := setupNATS(t)
	env := testEnvelope(t)

	require.NoError(t, nt.bus.Publish(t.Context(), env))

	s, err := nt.js.Stream(t.Context(), nt.stream)
	require.NoError(t, err)
	info := s.CachedInfo()
	require.Equal(t, []string{nt.prefix + ".>"}, info.Config.Subjects)
	require.GreaterOrEqual(t, info.Config.Duplicates, 2*time.Minute)

	c, err := s.OrderedConsumer(t.Context(), jetstream.OrderedConsumerConfig{})
	require.NoError(t, err)
	msg, err := c.Next(jetstream.FetchMaxWait(5 * time.Second))
	require.NoError(t, err)
	require.Equal(t, nt.prefix+".tenant.created", msg.Subject())
	require.Equal(t, env.ID, msg.Headers().Get(jetstream.MsgIDHeader))
	require.Equal(t, "application/cloudevents+json", msg.Headers().Get("Content-Type"))
	var got Envelope
	require.NoError(t, json.Unmarshal(msg.Data(), &got))
	require.Equal(t, env.ID, got.ID)
	require.Equal(t, env.Type, got.Type)
	require.Equal(t, env.Subject, got.Subject)
	require.JSONEq(t, string(env.Data), string(got.Data))
}

func TestNATSDeduplicates(t *testing.T) {
	t.Parallel()
	nt := setupNATS(t)
	env := testEnvelope(t)

	for range 3 {
		require.NoError(t, nt.bus.Publish(t.Context(), env))
	}
	other := testEnvelope(t)
	other.Type = "tenant.provisioning.requested"
	require.NoError(t, nt.bus.Publish(t.Context(), other))

	s, err := nt.js.Stream(t.Context(), nt.stream)
	require.NoError(t, err)
	info, err := s.Info(t.Context())
	require.NoError(t, err)
	require.EqualValues(t, 2, info.State.Msgs, "the same event id is stored once")
}

func TestNATSInvalidSubject(t *testing.T) {
	t.Parallel()
	nt := setupNATS(t)
	env := testEnvelope(t)
	env.Type = "tenant.*"

	err := nt.bus.Publish(t.Context(), env)
	require.ErrorContains(t, err, "nats transport")
	require.True(t, IsPermanent(err))
}

func TestNATSUsesExistingStream(t *testing.T) {
	t.Parallel()
	nt := setupNATS(t)
	_, err := nt.js.CreateStream(t.Context(), jetstream.StreamConfig{
		Name:     nt.stream,
		Subjects: []string{nt.prefix + ".tenant.>"},
	})
	require.NoError(t, err)

	require.NoError(t, nt.bus.Publish(t.Context(), testEnvelope(t)))

	s, err := nt.js.Stream(t.Context(), nt.stream)
	require.NoError(t, err)
	require.Equal(t, []string{nt.prefix + ".tenant.>"}, s.CachedInfo().Config.Subjects,
		"an existing stream is not changed")
	require.EqualValues(t, 1, s.CachedInfo().State.Msgs)

	env := testEnvelope(t)
	env.Type = "lead.created" // outside the stream's subjects
	require.Error(t, nt.bus.Publish(t.Context(), env))
}
