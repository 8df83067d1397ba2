package apptest

import (
	"bytes"
	"sync"
)

// lockedWriter collects the log output of concurrent goroutines.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p under the lock.
func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything written so far.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
