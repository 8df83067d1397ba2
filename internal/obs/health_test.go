package obs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// probe serves one GET on h and returns the status and decoded JSON body.
func probe(t *testing.T, h http.Handler) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var body map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
	return rec.Code, body
}

func ok(context.Context) error { return nil }

func TestHealthz(t *testing.T) {
	t.Parallel()

	code, body := probe(t, Healthz())
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, map[string]any{"status": "ok"}, body)
}

func TestReadyz(t *testing.T) {
	t.Parallel()

	leaky := func(context.Context) error {
		return errors.New("dial tcp 10.1.2.3:5432: password authentication failed for user app")
	}
	tests := []struct {
		name       string
		checks     map[string]Check
		wantCode   int
		wantStatus string
		wantChecks map[string]any
	}{
		{name: "no checks", wantCode: http.StatusOK, wantStatus: "ready",
			wantChecks: map[string]any{}},
		{name: "all pass", checks: map[string]Check{"database": ok, "migrations": ok},
			wantCode: http.StatusOK, wantStatus: "ready",
			wantChecks: map[string]any{"database": "ok", "migrations": "ok"}},
		{name: "one fails", checks: map[string]Check{"database": ok, "migrations": leaky},
			wantCode: http.StatusServiceUnavailable, wantStatus: "unavailable",
			wantChecks: map[string]any{"database": "ok", "migrations": "failing"}},
		{name: "panic", checks: map[string]Check{"database": func(context.Context) error {
			panic("nil pool")
		}}, wantCode: http.StatusServiceUnavailable, wantStatus: "unavailable",
			wantChecks: map[string]any{"database": "failing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			h := Readyz(NewLogger(&logs, FormatJSON, slog.LevelInfo), tt.checks, time.Second)

			code, body := probe(t, h)

			require.Equal(t, tt.wantCode, code)
			require.Equal(t, map[string]any{"status": tt.wantStatus, "checks": tt.wantChecks},
				body)
		})
	}
}

func TestReadyzLogsCauseOncePerChange(t *testing.T) {
	t.Parallel()

	var logs syncBuffer
	var failing atomic.Bool
	failing.Store(true)
	db := func(context.Context) error {
		if failing.Load() {
			return errors.New("connection refused")
		}
		return nil
	}
	h := Readyz(NewLogger(&logs, FormatJSON, slog.LevelInfo), map[string]Check{"database": db},
		time.Second)

	for range 3 {
		code, _ := probe(t, h)
		require.Equal(t, http.StatusServiceUnavailable, code)
	}
	failing.Store(false)
	for range 2 {
		code, _ := probe(t, h)
		require.Equal(t, http.StatusOK, code)
	}

	lines := jsonLines(t, logs.snapshot())
	require.Len(t, lines, 2)
	require.Equal(t, "WARN", lines[0]["level"])
	require.Equal(t, "database", lines[0]["check"])
	require.Equal(t, `readiness check "database": connection refused`, lines[0]["err"])
	require.Equal(t, "INFO", lines[1]["level"])
	require.Equal(t, "readiness check recovered", lines[1]["msg"])
}

func TestReadyzTimeout(t *testing.T) {
	t.Parallel()

	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name  string
		check Check
	}{
		{name: "honours context", check: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}},
		{name: "ignores context", check: func(context.Context) error {
			<-release
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			h := Readyz(NewLogger(&logs, FormatJSON, slog.LevelInfo),
				map[string]Check{"database": ok, "slow": tt.check}, 100*time.Millisecond)

			start := time.Now()
			code, body := probe(t, h)

			require.Less(t, time.Since(start), 2*time.Second)
			require.Equal(t, http.StatusServiceUnavailable, code)
			require.Equal(t, map[string]any{"database": "ok", "slow": "timeout"}, body["checks"])
			lines := jsonLines(t, logs.snapshot())
			require.Len(t, lines, 1)
			require.Equal(t, "slow", lines[0]["check"])
		})
	}
}

func TestReadyzRunsChecksConcurrently(t *testing.T) {
	t.Parallel()

	// Each check waits for the other: run one after the other they would both time out.
	a, b := make(chan struct{}), make(chan struct{})
	checks := map[string]Check{
		"a": func(ctx context.Context) error { close(a); return waitFor(ctx, b) },
		"b": func(ctx context.Context) error { close(b); return waitFor(ctx, a) },
	}

	code, body := probe(t, Readyz(nil, checks, 5*time.Second))

	require.Equal(t, http.StatusOK, code)
	require.Equal(t, map[string]any{"a": "ok", "b": "ok"}, body["checks"])
}

// waitFor waits until ch is closed or ctx is done.
func waitFor(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
