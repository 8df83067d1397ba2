// Package apptest runs a whole tenantd service against a per-test database for tests of graph/,
// internal/app and cmd/. It is imported only by tests.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/app"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/mail"
	"github.com/tenantd/tenantd/internal/migrate"
	"github.com/tenantd/tenantd/internal/obs"
	"github.com/tenantd/tenantd/internal/testdb"
)

// Migrate is the testdb.Main hook that brings a template database to the current schema.
func Migrate(ctx context.Context, dsn string) error {
	d, err := db.Open(ctx, dsn, db.Options{MaxConns: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer d.Close()
	return migrate.Up(ctx, d.Pool, slog.New(slog.DiscardHandler))
}

// Secrets used by every test service.
const (
	hs256Secret = "test-operator-secret-0123456789abcdef0123456789"
	leadSecret  = "test-lead-secret-0123456789abcdef0123456789abcd"
)

// Env is one running service on its own database.
type Env struct {
	Service *app.Service
	Server  *httptest.Server
	logs    *lockedWriter
	// MailDir is where the service writes its emails (.eml files) unless the test configured
	// an SMTP server.
	MailDir string
	// DSN is the service's database; Options.DatabaseURL runs another service on it.
	DSN    string
	minter *auth.Minter
}

// Options adjust New.
type Options struct {
	// Tracer sees every SQL statement of the service's pool.
	Tracer pgx.QueryTracer
	// Config changes the test configuration before the service is built.
	Config func(*config.Config)
	// DatabaseURL, when set, is an existing database (another Env's DSN) to share instead of a
	// fresh one, as several instances of one deployment do.
	DatabaseURL string
}

// New starts a service on a fresh database; everything is closed when the test ends.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	dsn := opts.DatabaseURL
	if dsn == "" {
		dsn = testdb.New(t)
	}
	// The listener comes first so that the service knows its own URL (webhook callbacks).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := config.Config{
		PublicURL:        "http://" + ln.Addr().String(),
		Env:              "production",
		DatabaseURL:      dsn,
		DBMaxConns:       20,
		LogLevel:         "debug",
		LogFormat:        "json",
		HS256Secret:      hs256Secret,
		LeadSecret:       leadSecret,
		LeadTokenTTL:     15 * time.Minute,
		MaxPageSize:      100,
		MaxDepth:         12,
		MaxComplexity:    20000,
		MaxTokens:        5000,
		MaxBody:          1 << 20,
		RunJobs:          true,
		ShutdownTimeout:  5 * time.Second,
		SecretKey:        "test-server-key-0123456789abcdef0123456789abcdef",
		CodeTTL:          30 * time.Minute,
		Mail:             mail.Config{Dir: t.TempDir()},
		Provisioner:      "external",
		AttemptTTL:       time.Hour,
		AppDomain:        "apps.example",
		WebhookTolerance: 5 * time.Minute,
		WebhookMaxBody:   1 << 20,
	}
	if opts.Config != nil {
		opts.Config(&cfg)
	}
	logs := &lockedWriter{}
	logger := obs.NewLogger(logs, obs.FormatJSON, slog.LevelDebug)
	ctx := context.Background()
	s, err := app.New(ctx, cfg, logger, app.Options{Tracer: opts.Tracer})
	require.NoError(t, err)
	require.NoError(t, s.Start(ctx))
	select {
	case <-s.Broker.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the status listener did not start within 10s")
	}
	srv := httptest.NewUnstartedServer(s.Handler)
	require.NoError(t, srv.Listener.Close())
	srv.Listener = ln
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, s.Shutdown(sctx))
	})
	m, err := auth.NewMinter(auth.Config{HS256Secret: []byte(hs256Secret),
		LeadSecret: []byte(leadSecret), LeadTokenTTL: 15 * time.Minute})
	require.NoError(t, err)
	return &Env{Service: s, Server: srv, logs: logs, minter: m, MailDir: cfg.Mail.Dir,
		DSN: cfg.DatabaseURL}
}

// Operator mints an operator token holding perms (none when empty), valid for an hour.
func (e *Env) Operator(t testing.TB, perms ...auth.Permission) string {
	t.Helper()
	return e.OperatorFor(t, time.Hour, perms...)
}

// OperatorFor mints an operator token holding perms that expires after ttl. JWT times are whole
// seconds, so the token expires up to a second earlier than ttl says.
func (e *Env) OperatorFor(t testing.TB, ttl time.Duration, perms ...auth.Permission) string {
	t.Helper()
	tok, err := e.minter.MintOperator("test-operator", perms, ttl)
	require.NoError(t, err)
	return tok
}

// Admin mints an operator token holding every permission.
func (e *Env) Admin(t testing.TB) string {
	return e.Operator(t, auth.AllPermissions()...)
}

// Lead mints a lead token for leadID.
func (e *Env) Lead(t testing.TB, leadID uuid.UUID) string {
	t.Helper()
	tok, _, err := e.minter.MintLead(leadID, time.Hour)
	require.NoError(t, err)
	return tok
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
}

// Code returns the first error's extensions.code, or "" without errors.
func (r Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	return code
}

// Field returns the first error's extensions.field.
func (r Response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// Decode unmarshals the data into v and fails the test on errors.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	require.Empty(t, r.Errors, "unexpected GraphQL errors")
	require.NoError(t, json.Unmarshal(r.Data, v))
}

// Do posts one GraphQL operation with token ("" for anonymous).
func (e *Env) Do(t testing.TB, token, query string, vars map[string]any) Response {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, e.Server.URL+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := e.Server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := Response{}
	require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	out.Status = resp.StatusCode
	if out.Code() == "INTERNAL" {
		// Show the cause that the server logged, to make the failure readable.
		id, _ := out.Errors[0].Extensions["requestId"].(string)
		t.Logf("internal error; server log:\n%s", strings.Join(e.LogLines(id), "\n"))
	}
	return out
}

// LogLines returns the service's log lines that contain substr.
func (e *Env) LogLines(substr string) []string {
	var out []string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}
