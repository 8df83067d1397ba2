package webhook

import (
	"encoding/json"
	"net/http"
)

// recordingWriter remembers whether a header was written, so a recovered panic knows whether
// it can still answer.
type recordingWriter struct {
	http.ResponseWriter
	wrote bool
}

// WriteHeader records the write and passes it on.
func (w *recordingWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

// Write records the write and passes it on.
func (w *recordingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap exposes the wrapped writer to http.ResponseController.
func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// writeJSON answers status with v encoded as JSON. v is always a small map of fixed strings,
// so encoding cannot fail; a failed write means the client is gone and is not reported.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
