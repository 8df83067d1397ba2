package mail

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/mail/mailtest"
)

const testLink = "https://app.example.com/verify?lead=0190e6a2-7c1b-7c3e-9f00-5b1a2c3d4e5f" +
	"&code=Zm9vYmFyYmF6cXV4LXRlbmFudGQtdGVzdA"

// verificationMessage renders the default verification template into a Message.
func verificationMessage(t *testing.T, firstName string) Message {
	t.Helper()
	tmpl, err := LoadTemplates("")
	require.NoError(t, err)
	subject, text, html, err := tmpl.Render(TemplateVerification, VerificationData{
		FirstName: firstName, CompanyName: "Acme GmbH", Link: testLink, ExpiresIn: "30 minutes",
	})
	require.NoError(t, err)
	return Message{To: "jane.doe@acme.example", ToName: "Jane Doe", Subject: subject,
		Text: text, HTML: html, DevLink: testLink}
}

func smtpConfig(ts *mailtest.Server, tlsMode string) Config {
	return Config{Host: "127.0.0.1", Port: ts.Port, Username: ts.User, Password: ts.Pass,
		TLS: tlsMode, From: "tenantd <no-reply@tenantd.example>", Timeout: 5 * time.Second,
		InsecureSkipVerify: true}
}

func TestSMTPStartTLSDeliversTextAndHTML(t *testing.T) {
	t.Parallel()
	ts := mailtest.Start(t, false)
	var logs bytes.Buffer
	sender, err := New(smtpConfig(ts, TLSStartTLS),
		slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)

	msg := verificationMessage(t, "Jane")
	require.NoError(t, sender.Send(t.Context(), msg))

	d := ts.Next(t)
	require.True(t, d.TLS, "message must travel after STARTTLS")
	require.Equal(t, "PLAIN", d.Mech)
	require.Equal(t, ts.User, d.User)
	require.Equal(t, "no-reply@tenantd.example", d.From)
	require.Equal(t, []string{"jane.doe@acme.example"}, d.Rcpt)

	p := mailtest.Parse(t, d.Data)
	require.Equal(t, "Confirm your email address for tenantd", p.Subject)
	require.Len(t, p.To, 1)
	require.Equal(t, "Jane Doe", p.To[0].Name)
	require.Equal(t, "jane.doe@acme.example", p.To[0].Address)
	require.Contains(t, p.Header.Get("From"), "no-reply@tenantd.example")
	require.Regexp(t, `^<[A-Z2-7]+@tenantd\.example>$`, p.Header.Get("Message-ID"))
	date, err := p.Header.Date()
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), date, time.Minute)

	require.Contains(t, p.Text, "\n"+testLink+"\n", "link verbatim on its own line")
	require.Contains(t, p.Text, "Hello Jane,")
	require.Contains(t, p.HTML, `href="`+strings.ReplaceAll(testLink, "&", "&amp;")+`"`)
	require.NotContains(t, p.HTML, "&code=", "a bare & in HTML would be unescaped")
	require.NotContains(t, logs.String(), "code=", "the SMTP sender never logs the link")
	require.Contains(t, logs.String(), "email sent")
}

func TestSMTPImplicitTLS(t *testing.T) {
	t.Parallel()
	ts := mailtest.Start(t, true)
	sender, err := New(smtpConfig(ts, TLSImplicit), nil)
	require.NoError(t, err)

	msg := verificationMessage(t, "Jane")
	require.NoError(t, sender.Send(t.Context(), msg))

	d := ts.Next(t)
	require.True(t, d.TLS)
	require.Equal(t, "PLAIN", d.Mech)
	p := mailtest.Parse(t, d.Data)
	require.Contains(t, p.Text, testLink)
}

func TestSMTPStartTLSRequired(t *testing.T) {
	t.Parallel()
	ts := mailtest.Start(t, true)
	cfg := smtpConfig(ts, TLSStartTLS) // plain text towards a TLS-only port fails, never falls back
	cfg.Timeout = 2 * time.Second
	sender, err := New(cfg, nil)
	require.NoError(t, err)

	require.Error(t, sender.Send(t.Context(), verificationMessage(t, "Jane")))
}

func TestSMTPConcurrentSends(t *testing.T) {
	t.Parallel()
	ts := mailtest.Start(t, false)
	sender, err := New(smtpConfig(ts, TLSStartTLS), nil)
	require.NoError(t, err)
	msg := verificationMessage(t, "Jane")

	const n = 5
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = sender.Send(t.Context(), msg) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	ids := map[string]bool{}
	for range n {
		ids[mailtest.Parse(t, ts.Next(t).Data).Header.Get("Message-ID")] = true
	}
	require.Len(t, ids, n, "every message has its own Message-ID")
}

func TestSMTPWrongPassword(t *testing.T) {
	t.Parallel()
	ts := mailtest.Start(t, false)
	cfg := smtpConfig(ts, TLSStartTLS)
	cfg.Password = "wr0ng-Secret-Value"
	sender, err := New(cfg, nil)
	require.NoError(t, err)

	err = sender.Send(t.Context(), verificationMessage(t, "Jane"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "send mail to jane.doe@acme.example")
	require.NotContains(t, err.Error(), cfg.Password)
	require.NotContains(t, err.Error(), ts.Pass)
	require.Zero(t, ts.Pending(), "nothing delivered")
}

func TestSMTPRedactsPassword(t *testing.T) {
	t.Parallel()
	s := &smtpSender{cfg: Config{Password: "hunter2-secret"}}
	err := s.redact(context.Canceled)
	require.ErrorIs(t, err, context.Canceled, "errors without the password keep their chain")

	err = s.redact(&net.OpError{Op: "dial", Err: net.UnknownNetworkError("hunter2-secret")})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2-secret")
	require.Contains(t, err.Error(), "[redacted]")
}

func TestSMTPServerNotListening(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	sender, err := New(Config{Host: "127.0.0.1", Port: port, Timeout: 3 * time.Second}, nil)
	require.NoError(t, err)
	start := time.Now()
	err = sender.Send(t.Context(), verificationMessage(t, "Jane"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "send mail to jane.doe@acme.example")
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestSMTPHonoursContextDeadline(t *testing.T) {
	t.Parallel()
	// A server that accepts and then never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = conn.Close() })
		}
	}()

	sender, err := New(Config{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port,
		Timeout: time.Minute}, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.Error(t, sender.Send(ctx, verificationMessage(t, "Jane")))
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestSendRejectsBadMessage(t *testing.T) {
	t.Parallel()
	sender, err := New(Config{Dir: t.TempDir()}, nil)
	require.NoError(t, err)
	tests := []struct {
		name string
		msg  Message
		want string
	}{
		{"bad address", Message{To: "not-an-address", Subject: "s", Text: "t"}, "message to:"},
		{"no subject", Message{To: "a@b.example", Text: "t"}, "message subject: required"},
		{"subject injection", Message{To: "a@b.example", Subject: "s\r\nBcc: x@y.example",
			Text: "t"}, "message subject: must be a single line"},
		{"name injection", Message{To: "a@b.example", ToName: "A\nBcc: x@y.example",
			Subject: "s", Text: "t"}, "message to name"},
		{"no text", Message{To: "a@b.example", Subject: "s", HTML: "<p>h</p>"},
			"message text: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := sender.Send(t.Context(), tt.msg)
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}
