package mail

import (
	"crypto/rand"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// origin is the parsed From address and the domain its Message-IDs use.
type origin struct {
	addr   *netmail.Address
	domain string
}

// parseFrom parses a From address such as "tenantd <no-reply@example.com>".
func parseFrom(from string) (origin, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return origin{}, fmt.Errorf("parse address %q: %w", from, err)
	}
	at := strings.LastIndexByte(addr.Address, '@')
	return origin{addr: addr, domain: addr.Address[at+1:]}, nil
}

// build turns m into a go-mail message from s, checking every field first.
func (s origin) build(m Message) (*gomail.Msg, error) {
	to, err := m.recipient()
	if err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.addr)
	msg.ToMailAddress(to)
	msg.Subject(m.Subject)
	msg.SetDateWithValue(time.Now())
	msg.SetMessageIDWithValue(rand.Text() + "@" + s.domain)
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// recipient validates m and returns its parsed recipient.
func (m Message) recipient() (*netmail.Address, error) {
	var errs []error
	to, err := netmail.ParseAddress(m.To)
	if err != nil {
		errs = append(errs, fmt.Errorf("message to: invalid address %q: %w", m.To, err))
	}
	if strings.ContainsAny(m.ToName, "\r\n") {
		errs = append(errs, errors.New("message to name: must be a single line"))
	}
	switch {
	case strings.TrimSpace(m.Subject) == "":
		errs = append(errs, errors.New("message subject: required"))
	case strings.ContainsAny(m.Subject, "\r\n"):
		errs = append(errs, errors.New("message subject: must be a single line"))
	}
	if strings.TrimSpace(m.Text) == "" {
		errs = append(errs, errors.New("message text: required"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if m.ToName != "" {
		to.Name = m.ToName
	}
	return to, nil
}
