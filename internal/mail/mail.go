// Package mail sends tenantd's outgoing email: verification links for leads and welcome
// messages for new tenants. It owns the message format (text plus HTML, RFC 5322), the SMTP
// transport (go-mail), the development file sender that writes .eml files and logs their
// links, and the templates with their embedded defaults. cmd/tenantd builds one Sender from
// Config and hands it to the job workers that deliver email; nothing else should import the
// transport details.
package mail

import (
	"context"
	"fmt"
	"log/slog"
)

// Message is one email to one recipient.
type Message struct {
	// To is the recipient's address, for example "jane@example.com". A display name in To
	// ("Jane <jane@example.com>") is accepted; ToName, when set, replaces it.
	To string
	// ToName is the recipient's display name; optional.
	ToName string
	// Subject is the single-line subject; required.
	Subject string
	// Text is the text/plain body; required.
	Text string
	// HTML is the text/html body; optional. When set, the message is multipart/alternative
	// with the text part first, so clients that cannot show HTML show the text.
	HTML string
	// DevLink is the link the message is about (for example a verification link). Only the
	// development file sender logs it, so a developer can click it; the SMTP sender never
	// logs it, because in production it is a secret meant only for the recipient.
	DevLink string
}

// Sender delivers a Message. Implementations are safe for concurrent use.
type Sender interface {
	// Send delivers m or returns an error wrapped with "send mail to <address>". A returned
	// error does not prove that the message was not delivered (the server may have accepted
	// it just before the connection broke), so callers that retry may send a duplicate.
	Send(ctx context.Context, m Message) error
}

// New returns the Sender that cfg asks for: an SMTP sender when cfg.Host is set, else the
// development file sender writing into cfg.Dir. Zero fields take their documented defaults;
// an invalid cfg gives an error listing every problem. A nil logger discards log output.
func New(cfg Config, logger *slog.Logger) (Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("configure mail: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	from, err := parseFrom(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("configure mail: %w", err)
	}
	if cfg.Host == "" {
		return newFileSender(cfg.Dir, from, logger)
	}
	return newSMTPSender(cfg, from, logger), nil
}
