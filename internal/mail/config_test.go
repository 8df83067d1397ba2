package mail

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // each must appear in the error; none means valid
	}{
		{"file mode", Config{Dir: "/tmp/mail"}, nil},
		{"smtp defaults", Config{Host: "smtp.example.com"}, nil},
		{"smtp full", Config{Host: "smtp.example.com", Port: 465, TLS: "TLS",
			Username: "u", Password: "p", From: "Acme <no-reply@acme.example>",
			Timeout: time.Second}, nil},
		{"plain relay", Config{Host: "localhost", Port: 25, TLS: "none"}, nil},
		{"file mode without dir", Config{}, []string{"mail dir: required"}},
		{"port too big", Config{Host: "h", Port: 70000}, []string{"SMTP_PORT", "70000"}},
		{"port negative", Config{Host: "h", Port: -1}, []string{"SMTP_PORT"}},
		{"bad tls", Config{Host: "h", TLS: "ssl"},
			[]string{`SMTP_TLS: must be starttls, tls or none, not "ssl"`}},
		{"bad from", Config{Host: "h", From: "no address"}, []string{"MAIL_FROM"}},
		{"negative timeout", Config{Host: "h", Timeout: -time.Second}, []string{"SMTP_TIMEOUT"}},
		{"host with port", Config{Host: "smtp.example.com:587"}, []string{"SMTP_HOST", "SMTP_PORT"}},
		{"host as url", Config{Host: "smtp://smtp.example.com"}, []string{"SMTP_HOST"}},
		{"password alone", Config{Host: "h", Password: "p"}, []string{"SMTP_PASSWORD"}},
		{"all at once", Config{Host: "h", Port: 0x10000, TLS: "x", From: "@", Timeout: -1},
			[]string{"SMTP_PORT", "SMTP_TLS", "MAIL_FROM", "SMTP_TIMEOUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Config
		want Config
	}{
		{"starttls", Config{Host: "h"}, Config{Host: "h", Port: 587, TLS: "starttls",
			From: DefaultFrom, Timeout: 15 * time.Second}},
		{"implicit tls", Config{Host: "h", TLS: " TLS "}, Config{Host: "h", Port: 465,
			TLS: "tls", From: DefaultFrom, Timeout: 15 * time.Second}},
		{"kept", Config{Host: "h", Port: 2525, TLS: "none", From: "a@b.example",
			Timeout: time.Second}, Config{Host: "h", Port: 2525, TLS: "none",
			From: "a@b.example", Timeout: time.Second}},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.in.withDefaults(), tt.name)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Host: "h", TLS: "ssl", Port: -5}, nil)
	require.ErrorContains(t, err, "configure mail")
	require.ErrorContains(t, err, "SMTP_TLS")
	require.ErrorContains(t, err, "SMTP_PORT")
}
