package apptest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/eventbus"
)

// Event is a CloudEvents envelope as a receiver sees it.
type Event struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Subject string         `json:"subject"`
	Time    time.Time      `json:"time"`
	Data    map[string]any `json:"data"`
}

// EventSink is an HTTP event receiver that checks the Standard Webhooks signature of every
// delivery and keeps the events, like a customer's endpoint would.
type EventSink struct {
	URL, Secret string
	mu          sync.Mutex
	events      []Event
	// Refuse, while set, answers 503 to every delivery (a receiver that is down).
	refuse bool
}

// NewEventSink starts a receiver; it stops when the test ends.
func NewEventSink(t testing.TB) *EventSink {
	t.Helper()
	s := &EventSink{Secret: "whsec_dGVzdC1ldmVudC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg=="}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil || eventbus.Verify(s.Secret, r.Header, body, time.Minute) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var e Event
		if err := json.Unmarshal(body, &e); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.refuse {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		s.events = append(s.events, e)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Configure points the service's event transports at the sink.
func (s *EventSink) Configure(c *config.Config) {
	c.Events = eventbus.Config{Transports: []string{"http"}, HTTPURLs: []string{s.URL},
		HTTPSecrets: []string{s.Secret}}
}

// SetRefuse makes the sink refuse (true) or accept (false) deliveries.
func (s *EventSink) SetRefuse(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

// Events returns the events received so far, in arrival order.
func (s *EventSink) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Await waits until an event of type typ about subject arrives and returns it; it fails the
// test after 20 seconds.
func (s *EventSink) Await(t testing.TB, typ, subject string) Event {
	t.Helper()
	var found Event
	require.Eventually(t, func() bool {
		for _, e := range s.Events() {
			if e.Type == typ && (subject == "" || e.Subject == subject) {
				found = e
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "no %s event for %s", typ, subject)
	return found
}
