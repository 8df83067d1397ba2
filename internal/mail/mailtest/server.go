// Package mailtest runs a real SMTP server (go-smtp) inside a test process, with STARTTLS or
// implicit TLS on a throw-away certificate and AUTH PLAIN, and hands every delivered message to
// the test. It is imported only by tests (internal/mail, internal/apptest).
package mailtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"
)

// Delivery is what the server received in one mail transaction.
type Delivery struct {
	From, Mech, User string
	Rcpt             []string
	TLS              bool
	Data             []byte
}

// Server is a real SMTP server (go-smtp) in this process that requires AUTH PLAIN with User
// and Pass.
type Server struct {
	Port       int
	User, Pass string
	got        chan Delivery
}

// Start starts a server with a self-signed certificate; implicit selects TLS from the
// first byte, else the server offers STARTTLS. It stops when the test ends.
func Start(t testing.TB, implicit bool) *Server {
	t.Helper()
	ts := &Server{User: "mailer", Pass: "s3cret-Pa55w0rd!", got: make(chan Delivery, 64)}
	tlsConfig := &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}

	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: ts, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.ErrorLog = log.New(io.Discard, "", 0)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if implicit {
		ln = tls.NewListener(ln, tlsConfig)
	} else {
		srv.TLSConfig = tlsConfig
	}
	ts.Port = ln.Addr().(*net.TCPAddr).Port
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ts
}

// selfSigned makes a throw-away certificate for 127.0.0.1 and localhost.
func selfSigned(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

type session struct {
	srv  *Server
	conn *smtp.Conn
	cur  Delivery
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.User || pass != s.srv.Pass {
			return errors.New("invalid credentials")
		}
		s.cur.Mech, s.cur.User = mech, user
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.cur.User == "" {
		return smtp.ErrAuthRequired
	}
	s.cur.From = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.Rcpt = append(s.cur.Rcpt, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.cur.TLS = s.conn.TLSConnectionState()
	d := s.cur
	d.Data = data
	s.srv.got <- d
	return nil
}

func (s *session) Reset() {
	s.cur = Delivery{Mech: s.cur.Mech, User: s.cur.User}
}

func (s *session) Logout() error { return nil }

// Next returns the next delivery, or fails the test when none arrives within 15 seconds.
func (ts *Server) Next(t testing.TB) Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	select {
	case d := <-ts.got:
		return d
	case <-ctx.Done():
		t.Fatal("no message delivered")
		return Delivery{}
	}
}

// Pending returns how many delivered messages no Next call has taken yet.
func (ts *Server) Pending() int { return len(ts.got) }
