package obs

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestHijackThroughMiddleware upgrades a raw connection through the whole chain, the way a
// websocket library does, and checks that the request is counted and logged as 101.
func TestHijackThroughMiddleware(t *testing.T) {
	t.Parallel()

	var logs syncBuffer
	m := NewMetrics(nil)
	handlerErr := make(chan error, 1)
	h := chain(NewLogger(&logs, FormatJSON, slog.LevelInfo), m, "GET /ws",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handlerErr <- echoUpgrade(w)
		}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = io.WriteString(conn,
		"GET /ws HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	_, err = io.WriteString(conn, "ping\n")
	require.NoError(t, err)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "echo: ping\n", line)
	require.NoError(t, <-handlerErr)

	require.Eventually(t, func() bool {
		return counterValue(t, m.httpRequests, "GET", "GET /ws", "101") == 1
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, 0, testutil.CollectAndCount(m.httpDuration), "hijacked duration observed")
	require.Eventually(t, func() bool {
		lines := jsonLines(t, logs.snapshot())
		return len(lines) == 1 && lines[0]["status"] == float64(http.StatusSwitchingProtocols)
	}, 5*time.Second, 10*time.Millisecond)
}

// echoUpgrade hijacks the connection behind w through the http.Hijacker interface, answers
// 101 and echoes one line.
func echoUpgrade(w http.ResponseWriter) error {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return http.ErrNotSupported
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n" +
		"Connection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	if err != nil {
		return err
	}
	if err := brw.Flush(); err != nil {
		return err
	}
	line, err := brw.ReadString('\n')
	if err != nil {
		return err
	}
	if _, err := brw.WriteString("echo: " + line); err != nil {
		return err
	}
	return brw.Flush()
}

// TestFlushThroughMiddleware streams a response through the chain: the client must receive
// the first part before the handler writes the second, and ResponseController must reach the
// connection's deadlines through Unwrap.
func TestFlushThroughMiddleware(t *testing.T) {
	t.Parallel()

	var logs syncBuffer
	m := NewMetrics(nil)
	firstRead := make(chan struct{})
	handlerErr := make(chan error, 1)
	h := chain(NewLogger(&logs, FormatJSON, slog.LevelInfo), m, "GET /stream",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rc := http.NewResponseController(w)
			if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
				handlerErr <- err
				return
			}
			_, _ = io.WriteString(w, "first\n")
			w.(http.Flusher).Flush()
			select {
			case <-firstRead:
			case <-time.After(5 * time.Second):
			}
			_, _ = io.WriteString(w, "second\n")
			handlerErr <- rc.Flush()
		}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	resp, err := srv.Client().Get(srv.URL + "/stream")
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "first\n", line)
	close(firstRead)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	require.Equal(t, "second\n", string(rest))
	require.NoError(t, <-handlerErr)
	require.Eventually(t, func() bool {
		return counterValue(t, m.httpRequests, "GET", "GET /stream", "200") == 1
	}, 5*time.Second, 10*time.Millisecond)
}

func TestStatusWriterUnsupported(t *testing.T) {
	t.Parallel()

	// A ResponseWriter with nothing but the three required methods.
	var plain struct{ http.ResponseWriter }
	plain.ResponseWriter = httptest.NewRecorder()
	sw := newStatusWriter(plain)

	_, _, err := sw.Hijack()
	require.ErrorIs(t, err, http.ErrNotSupported)
	require.ErrorIs(t, sw.FlushError(), http.ErrNotSupported)
	require.False(t, sw.hijacked)
	require.Zero(t, sw.status)
}

func TestStatusWriterCode(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		write     func(w http.ResponseWriter)
		completed bool
		want      int
	}{
		{name: "nothing written", write: func(http.ResponseWriter) {}, completed: true, want: 200},
		{name: "explicit", write: func(w http.ResponseWriter) { w.WriteHeader(204) },
			completed: true, want: 204},
		{name: "first header wins", write: func(w http.ResponseWriter) {
			w.WriteHeader(404)
			w.WriteHeader(500)
		}, completed: true, want: 404},
		{name: "informational skipped", write: func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(201)
		}, completed: true, want: 201},
		{name: "implicit by write", write: func(w http.ResponseWriter) {
			_, _ = w.Write([]byte("x"))
			w.WriteHeader(500)
		}, completed: true, want: 200},
		{name: "panic before header", write: func(http.ResponseWriter) {}, want: 500},
		{name: "panic after header", write: func(w http.ResponseWriter) { w.WriteHeader(202) },
			want: 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sw := newStatusWriter(httptest.NewRecorder())
			tt.write(sw)
			require.Equal(t, tt.want, sw.code(tt.completed))
		})
	}
}
