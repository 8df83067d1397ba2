package obs

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for the server goroutines of httptest.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// snapshot returns a copy of the bytes written so far.
func (b *syncBuffer) snapshot() *bytes.Buffer {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.NewBuffer(bytes.Clone(b.buf.Bytes()))
}

// chain wraps h in the middleware in the order cmd/tenantd uses.
func chain(logger *slog.Logger, m *Metrics, route string, h http.Handler) http.Handler {
	return RequestIDMiddleware(AccessLog(logger)(m.HTTP(route, h)))
}

func TestEveryLineCarriesRequestID(t *testing.T) {
	t.Parallel()

	var buf syncBuffer
	logger := NewLogger(&buf, FormatJSON, slog.LevelInfo)
	h := chain(logger, NewMetrics(nil), "POST /things",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			logger.InfoContext(r.Context(), "first step")
			logger.With(slog.String("component", "x")).WarnContext(r.Context(), "second step")
			w.WriteHeader(http.StatusCreated)
		}))

	for _, id := range []string{"client-id-1", ""} {
		req := httptest.NewRequest(http.MethodPost, "/things", nil)
		if id != "" {
			req.Header.Set(RequestIDHeader, id)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusCreated, rec.Code)
	}

	lines := jsonLines(t, buf.snapshot())
	require.Len(t, lines, 6)
	require.Equal(t, "first step", lines[0]["msg"])
	require.Equal(t, "second step", lines[1]["msg"])
	require.Equal(t, "http request", lines[2]["msg"])
	for _, l := range lines[:3] {
		require.Equal(t, "client-id-1", l["request_id"])
	}
	generated := lines[3]["request_id"]
	require.NotEmpty(t, generated)
	require.NotEqual(t, "client-id-1", generated)
	for _, l := range lines[3:] {
		require.Equal(t, generated, l["request_id"])
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()

	var buf syncBuffer
	logger := NewLogger(&buf, FormatJSON, slog.LevelInfo)
	h := AccessLog(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello"))
		_, _ = w.Write([]byte(" world"))
	}))
	req := httptest.NewRequest(http.MethodGet,
		"/verify?lead=42&code=s3cr3t-code&token=tok-value", nil)
	req.Header.Set("Authorization", "Bearer header-token")
	req.RemoteAddr = "192.0.2.7:4711"

	h.ServeHTTP(httptest.NewRecorder(), req)

	raw := buf.snapshot().String()
	for _, secret := range []string{"s3cr3t-code", "tok-value", "header-token", "code="} {
		require.NotContains(t, raw, secret)
	}
	lines := jsonLines(t, buf.snapshot())
	require.Len(t, lines, 1)
	l := lines[0]
	require.Equal(t, "INFO", l["level"])
	require.Equal(t, "http request", l["msg"])
	require.Equal(t, "GET", l["method"])
	require.Equal(t, "/verify", l["path"])
	require.Equal(t, float64(http.StatusOK), l["status"])
	require.Equal(t, float64(len("hello world")), l["bytes"])
	require.Equal(t, "192.0.2.7:4711", l["remote_addr"])
	require.GreaterOrEqual(t, l["duration_ms"], float64(0))
	require.NotContains(t, l, "panicked")
}

func TestAccessLogQuietPaths(t *testing.T) {
	t.Parallel()

	tests := []struct {
		path      string
		wantLevel string // "" means not logged at Info
	}{
		{path: "/healthz"},
		{path: "/readyz"},
		{path: "/metrics"},
		{path: "/graphql", wantLevel: "INFO"},
		{path: "/healthz/extra", wantLevel: "INFO"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			var info, debug syncBuffer
			ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)

			AccessLog(NewLogger(&info, FormatJSON, slog.LevelInfo))(ok).
				ServeHTTP(httptest.NewRecorder(), req)
			AccessLog(NewLogger(&debug, FormatJSON, slog.LevelDebug))(ok).
				ServeHTTP(httptest.NewRecorder(), req)

			debugLines := jsonLines(t, debug.snapshot())
			require.Len(t, debugLines, 1)
			infoLines := jsonLines(t, info.snapshot())
			if tt.wantLevel == "" {
				require.Empty(t, infoLines)
				require.Equal(t, "DEBUG", debugLines[0]["level"])
				return
			}
			require.Len(t, infoLines, 1)
			require.Equal(t, tt.wantLevel, infoLines[0]["level"])
		})
	}
}

func TestPanicCountedAs500(t *testing.T) {
	t.Parallel()

	var buf syncBuffer
	m := NewMetrics(prometheus.NewRegistry())
	h := AccessLog(NewLogger(&buf, FormatJSON, slog.LevelInfo))(m.HTTP("GET /boom",
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))

	require.PanicsWithValue(t, "boom", func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom", nil))
	})

	lines := jsonLines(t, buf.snapshot())
	require.Len(t, lines, 1)
	require.Equal(t, float64(http.StatusInternalServerError), lines[0]["status"])
	require.Equal(t, true, lines[0]["panicked"])
	require.Equal(t, 1.0, counterValue(t, m.httpRequests, "GET", "GET /boom", "500"))
}
