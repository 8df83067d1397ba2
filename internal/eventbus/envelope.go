package eventbus

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
)

// CloudEvents constants of every Envelope.
const (
	// SpecVersion is the CloudEvents version of Envelope.
	SpecVersion = "1.0"
	// DataContentType is the media type of Envelope.Data.
	DataContentType = "application/json"
	// ContentType is the media type of a whole Envelope in JSON (CloudEvents structured mode),
	// sent by the http and nats transports.
	ContentType = "application/cloudevents+json"
)

// Envelope is one outbox event as a CloudEvents 1.0 event; marshalled with encoding/json it
// is the structured-mode JSON every transport sends. Receivers de-duplicate by ID.
type Envelope struct {
	// SpecVersion is always "1.0".
	SpecVersion string `json:"specversion"`
	// ID is the event id (the outbox row's UUIDv7); a redelivery carries the same ID.
	ID string `json:"id"`
	// Source names the producer (Config.Source, default "urn:tenantd").
	Source string `json:"source"`
	// Type is the event type, e.g. "tenant.created" (SPEC section 7).
	Type string `json:"type"`
	// Time is when the event was written, in UTC.
	Time time.Time `json:"time"`
	// Subject is the id of the tenant (or, before there is one, the lead) the event is about.
	Subject string `json:"subject"`
	// DataContentType is always "application/json".
	DataContentType string `json:"datacontenttype"`
	// Data is the event payload as JSON; an event without data has {}.
	Data json.RawMessage `json:"data"`
}

// NewEnvelope builds the Envelope of e with source as its source (DefaultSource when empty).
// It fails, naming the field, when e lacks an id, type, subject or creation time, or when its
// data cannot be marshalled: such a row will never publish, so the caller should treat the
// error as permanent.
func NewEnvelope(source string, e *ent.OutboxEvent) (Envelope, error) {
	if e == nil {
		return Envelope{}, errors.New("build envelope: nil outbox event")
	}
	if source == "" {
		source = DefaultSource
	}
	var errs []error
	if e.ID == uuid.Nil {
		errs = append(errs, errors.New("id: must not be the nil uuid"))
	}
	if e.Type == "" {
		errs = append(errs, errors.New("type: must not be empty"))
	}
	if e.Subject == "" {
		errs = append(errs, errors.New("subject: must not be empty"))
	}
	if e.CreatedAt.IsZero() {
		errs = append(errs, errors.New("created_at: must be set"))
	}
	data := []byte("{}")
	if e.Data != nil {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			errs = append(errs, fmt.Errorf("data: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Envelope{}, fmt.Errorf("build envelope of event %s: %w", e.ID, err)
	}
	return Envelope{
		SpecVersion:     SpecVersion,
		ID:              e.ID.String(),
		Source:          source,
		Type:            e.Type,
		Time:            e.CreatedAt.UTC(),
		Subject:         e.Subject,
		DataContentType: DataContentType,
		Data:            data,
	}, nil
}
