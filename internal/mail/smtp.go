package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpSender delivers over SMTP with a new connection per message. tenantd sends few
// messages (one per lead or tenant), so a pool would only add state that can go stale.
type smtpSender struct {
	cfg    Config
	from   origin
	logger *slog.Logger
}

func newSMTPSender(cfg Config, from origin, logger *slog.Logger) *smtpSender {
	return &smtpSender{cfg: cfg, from: from, logger: logger}
}

// Send delivers m. The conversation is bounded by the sooner of cfg.Timeout and ctx's
// deadline; cancelling ctx without a deadline stops the dial but not a conversation already
// running, which then ends at the latest after cfg.Timeout.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	if err := s.send(ctx, m); err != nil {
		return s.redact(fmt.Errorf("send mail to %s: %w", m.To, err))
	}
	return nil
}

func (s *smtpSender) send(ctx context.Context, m Message) error {
	msg, err := s.from.build(m)
	if err != nil {
		return err
	}
	timeout := s.cfg.Timeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(deadline))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if timeout <= 0 {
		return context.DeadlineExceeded
	}

	client, err := gomail.NewClient(s.cfg.Host, s.options(timeout)...)
	if err != nil {
		return fmt.Errorf("create smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return err
	}
	s.logger.DebugContext(ctx, "email sent", slog.String("to", m.To),
		slog.String("message_id", msg.GetMessageID()))
	return nil
}

// options translates the configuration into go-mail client options.
func (s *smtpSender) options(timeout time.Duration) []gomail.Option {
	tlsConfig := &tls.Config{
		ServerName: s.cfg.Host,
		MinVersion: tls.VersionTLS12,
		// Only ever true in tests; see Config.InsecureSkipVerify.
		InsecureSkipVerify: s.cfg.InsecureSkipVerify, //nolint:gosec // tests only, documented
	}
	opts := []gomail.Option{
		gomail.WithPort(s.cfg.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	switch s.cfg.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.cfg.Username != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username),
			gomail.WithPassword(s.cfg.Password))
	}
	return opts
}

// redact makes sure the password never leaves in an error text. Servers and libraries are
// not expected to echo it, so this is a guard; when it does trigger, the error chain is
// given up for a flat message, because a wrapped cause would still print the password.
func (s *smtpSender) redact(err error) error {
	if s.cfg.Password == "" || !strings.Contains(err.Error(), s.cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), s.cfg.Password, "[redacted]"))
}
