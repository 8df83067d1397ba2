package obs

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
)

// statusWriter records the status code and body size of a response for the access log and
// the metrics. It implements http.Flusher and http.Hijacker by delegating to the writer it
// wraps (so websocket upgrades and streaming keep working through it) and Unwrap, so
// http.ResponseController reaches the deadline setters and anything else underneath.
type statusWriter struct {
	http.ResponseWriter
	status   int   // final status sent, 0 until the header is written
	bytes    int64 // body bytes written
	hijacked bool
}

func newStatusWriter(w http.ResponseWriter) *statusWriter {
	return &statusWriter{ResponseWriter: w}
}

// WriteHeader records the first final status code. Informational codes other than 101 are
// passed on without being recorded, as net/http allows several of them before the final one.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && (code < 100 || code > 199 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and counts the bytes written.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush sends buffered data to the client, which sends an implicit 200 header first. It
// does nothing when the wrapped writer cannot flush, as http.Flusher has no error result.
func (w *statusWriter) Flush() {
	_ = w.FlushError()
}

// FlushError is Flush reporting http.ErrNotSupported when the wrapped writer cannot flush;
// http.ResponseController prefers it to Flush.
func (w *statusWriter) FlushError() error {
	if err := http.NewResponseController(w.ResponseWriter).Flush(); err != nil {
		return fmt.Errorf("flush response: %w", err)
	}
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return nil
}

// Hijack hands the connection over to the caller, as a websocket upgrade does. A hijacked
// response without a recorded status counts as 101 Switching Protocols.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, fmt.Errorf("hijack connection: %w", err)
	}
	w.hijacked = true
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, nil
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter {
	return w.ResponseWriter
}

// code returns the status of the finished response: the recorded one, 200 when the handler
// wrote nothing (net/http sends 200 then), 500 when it panicked before writing a header.
func (w *statusWriter) code(completed bool) int {
	switch {
	case w.status != 0:
		return w.status
	case !completed:
		return http.StatusInternalServerError
	default:
		return http.StatusOK
	}
}
