package eventbus

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/ent"
)

// testEvent returns an outbox row like the ones the publisher job loads.
func testEvent(t *testing.T) *ent.OutboxEvent {
	t.Helper()
	tenant := uuid.MustParse("0190a1b2-0000-7000-8000-00000000aaaa")
	return &ent.OutboxEvent{
		ID:        uuid.Must(uuid.NewV7()),
		Type:      "tenant.created",
		Subject:   tenant.String(),
		TenantID:  &tenant,
		Data:      map[string]any{"key": "acme", "plan": "pro"},
		CreatedAt: time.Now(),
	}
}

// testEnvelope returns the envelope of a fresh testEvent.
func testEnvelope(t *testing.T) Envelope {
	t.Helper()
	env, err := NewEnvelope("urn:test", testEvent(t))
	require.NoError(t, err)
	return env
}

func TestNewEnvelopeGolden(t *testing.T) {
	t.Parallel()
	berlin := time.FixedZone("CEST", 2*60*60)
	e := &ent.OutboxEvent{
		ID:        uuid.MustParse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"),
		Type:      "tenant.provisioned",
		Subject:   "0190a1b2-0000-7000-8000-00000000aaaa",
		Data:      map[string]any{"key": "acme", "region": "eu", "seats": 5},
		CreatedAt: time.Date(2025, 6, 1, 14, 30, 5, 123456000, berlin),
	}

	env, err := NewEnvelope("", e)
	require.NoError(t, err)
	got, err := json.Marshal(env)
	require.NoError(t, err)

	const want = `{"specversion":"1.0","id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",` +
		`"source":"urn:tenantd","type":"tenant.provisioned","time":"2025-06-01T12:30:05.123456Z",` +
		`"subject":"0190a1b2-0000-7000-8000-00000000aaaa","datacontenttype":"application/json",` +
		`"data":{"key":"acme","region":"eu","seats":5}}`
	require.JSONEq(t, want, string(got))
	require.Equal(t, want, string(got), "key order and time format are part of the contract")

	var back Envelope
	require.NoError(t, json.Unmarshal(got, &back))
	require.Equal(t, env.ID, back.ID)
	require.True(t, env.Time.Equal(back.Time))
}

func TestNewEnvelopeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*ent.OutboxEvent)
		want   []string
	}{
		{"nil data becomes {}", func(e *ent.OutboxEvent) { e.Data = nil }, nil},
		{"no id", func(e *ent.OutboxEvent) { e.ID = uuid.Nil }, []string{"id: "}},
		{"no type or subject", func(e *ent.OutboxEvent) { e.Type, e.Subject = "", "" },
			[]string{"type: must not be empty", "subject: must not be empty"}},
		{"no time", func(e *ent.OutboxEvent) { e.CreatedAt = time.Time{} },
			[]string{"created_at: must be set"}},
		{"data not JSON", func(e *ent.OutboxEvent) { e.Data = map[string]any{"f": func() {}} },
			[]string{"data: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testEvent(t)
			tc.mutate(e)
			env, err := NewEnvelope("urn:x", e)
			if tc.want == nil {
				require.NoError(t, err)
				require.JSONEq(t, `{}`, string(env.Data))
				return
			}
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}

	_, err := NewEnvelope("urn:x", nil)
	require.ErrorContains(t, err, "nil outbox event")
}
