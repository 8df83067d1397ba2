package mail

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// The values of Config.TLS.
const (
	// TLSStartTLS connects in plain text and requires the server to upgrade with STARTTLS
	// before anything else is sent; a server without STARTTLS is an error.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit = "tls"
	// TLSNone sends everything in plain text; only for a relay on the same host or network.
	TLSNone = "none"
)

// Defaults applied to zero Config fields.
const (
	// DefaultPort is the submission port used with starttls and none.
	DefaultPort = 587
	// DefaultImplicitTLSPort is the port used with tls.
	DefaultImplicitTLSPort = 465
	// DefaultFrom is the sender when MAIL_FROM is not set.
	DefaultFrom = "tenantd <no-reply@localhost>"
	// DefaultTimeout bounds one SMTP conversation.
	DefaultTimeout = 15 * time.Second
)

// Config configures outgoing email. The env tags let cmd/tenantd load it with the rest of
// the configuration; Dir has no variable of its own because it derives from the data folder.
type Config struct {
	// Host is the SMTP server's host name without port (SMTP_HOST). Empty selects the
	// development file sender.
	Host string `env:"SMTP_HOST"`
	// Port is the SMTP server's port (SMTP_PORT, default 587, or 465 when TLS is "tls").
	Port int `env:"SMTP_PORT"`
	// Username turns on SMTP authentication (SMTP_USERNAME). The mechanism is discovered from
	// the server; PLAIN and LOGIN are only used over an encrypted connection.
	Username string `env:"SMTP_USERNAME"`
	// Password is the SMTP password (SMTP_PASSWORD). It never appears in logs or errors.
	Password string `env:"SMTP_PASSWORD"`
	// TLS is "starttls" (mandatory STARTTLS), "tls" (implicit TLS) or "none" (plain text, for
	// local relays only) (SMTP_TLS, default starttls).
	TLS string `env:"SMTP_TLS"`
	// From is the sender address, with an optional display name (MAIL_FROM, default
	// "tenantd <no-reply@localhost>"). Its domain also names the Message-ID.
	From string `env:"MAIL_FROM"`
	// Dir is the folder the file sender writes .eml files into (default <data dir>/mail, set
	// by the caller). It is created with mode 0700. Required when Host is empty.
	Dir string
	// TemplateDir holds template overrides (MAIL_TEMPLATE_DIR, optional). New does not read
	// it; the caller passes it to LoadTemplates.
	TemplateDir string `env:"MAIL_TEMPLATE_DIR"`
	// Timeout bounds one SMTP conversation, dial included (SMTP_TIMEOUT, default 15s). A
	// sooner context deadline wins.
	Timeout time.Duration `env:"SMTP_TIMEOUT"`
	// InsecureSkipVerify accepts any server certificate. It exists for tests against a
	// server with a self-signed certificate and must never be set in production; no
	// environment variable sets it.
	InsecureSkipVerify bool
}

// Validate reports every problem of c at once, each prefixed with the environment variable
// (or field) it concerns. Zero fields that have a default are valid.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("SMTP_PORT: must be between 1 and 65535, not %d", c.Port))
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		errs = append(errs, fmt.Errorf("SMTP_TLS: must be starttls, tls or none, not %q", c.TLS))
	}
	if _, err := parseFrom(c.From); err != nil {
		errs = append(errs, fmt.Errorf("MAIL_FROM: %w", err))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("SMTP_TIMEOUT: must not be negative, not %s", c.Timeout))
	}
	if err := checkHost(c.Host); err != nil {
		errs = append(errs, fmt.Errorf("SMTP_HOST: %w", err))
	}
	if c.Password != "" && c.Username == "" {
		errs = append(errs, errors.New("SMTP_PASSWORD: set without SMTP_USERNAME"))
	}
	if c.Host == "" && c.Dir == "" {
		errs = append(errs, errors.New("mail dir: required when SMTP_HOST is empty"))
	}
	return errors.Join(errs...)
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	c.TLS = strings.ToLower(strings.TrimSpace(c.TLS))
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	if c.Port == 0 {
		c.Port = DefaultPort
		if c.TLS == TLSImplicit {
			c.Port = DefaultImplicitTLSPort
		}
	}
	if c.From == "" {
		c.From = DefaultFrom
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// checkHost accepts an empty host (file mode) and rejects what would silently dial the
// wrong place: a URL, a host with its port, white space.
func checkHost(host string) error {
	switch {
	case host == "":
		return nil
	case strings.ContainsAny(host, " \t\r\n/"):
		return fmt.Errorf("%q is not a host name (give the host only, without scheme)", host)
	}
	if _, _, err := net.SplitHostPort(host); err == nil {
		return fmt.Errorf("%q contains a port; give the port in SMTP_PORT", host)
	}
	return nil
}
