package obs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// DefaultReadyTimeout bounds the readiness checks when Readyz is given no timeout.
const DefaultReadyTimeout = 2 * time.Second

// Public states of a readiness check in the /readyz answer.
const (
	checkOK      = "ok"
	checkFailing = "failing"
	checkTimeout = "timeout"
)

// Check reports whether one dependency is usable (the database answers, the migrations are
// current). It must return promptly once ctx is done; its error is logged, never shown.
type Check func(ctx context.Context) error

// Healthz returns the liveness handler: 200 {"status":"ok"} whenever the process serves
// HTTP. It checks no dependency, so an orchestrator never restarts tenantd for a database
// outage; that is what Readyz is for.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// Readyz returns the readiness handler. It runs every check concurrently with a deadline of
// timeout (DefaultReadyTimeout when timeout ≤ 0) and answers 200
// {"status":"ready","checks":{"database":"ok",...}} when all pass, or 503
// {"status":"unavailable","checks":{...}} where each failing check's entry is "failing" or
// "timeout"; no error text is shown. A check that ignores its context is abandoned at the
// deadline (its goroutine ends when the check returns). Causes are logged to logger with
// the check name when a check starts failing or fails differently, and once at Info when it
// recovers, not on every probe; a nil logger discards them.
func Readyz(logger *slog.Logger, checks map[string]Check, timeout time.Duration) http.Handler {
	if timeout <= 0 {
		timeout = DefaultReadyTimeout
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &readiness{logger: logger, checks: checks, timeout: timeout, last: map[string]string{}}
}

// readiness is the Readyz handler; last holds each check's last logged failure.
type readiness struct {
	logger  *slog.Logger
	checks  map[string]Check
	timeout time.Duration

	mu   sync.Mutex
	last map[string]string // check name → error text last logged; absent when passing
}

// checkResult is the outcome of one check run.
type checkResult struct {
	name string
	err  error
}

// ServeHTTP implements http.Handler.
func (h *readiness) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()

	results := h.run(ctx)
	if r.Context().Err() != nil {
		return // the prober has gone: nothing to answer, and its cancellation is no failure
	}

	states := make(map[string]string, len(h.checks))
	ready := true
	for name := range h.checks {
		err, answered := results[name]
		if !answered {
			err = fmt.Errorf("readiness check %q: no answer within %s", name, h.timeout)
		}
		states[name] = checkState(err, answered)
		ready = ready && states[name] == checkOK
		h.record(ctx, name, err)
	}

	status, word := http.StatusOK, "ready"
	if !ready {
		status, word = http.StatusServiceUnavailable, "unavailable"
	}
	writeJSON(w, status, map[string]any{"status": word, "checks": states})
}

// checkState returns the public state of a check that answered err, or did not answer.
func checkState(err error, answered bool) string {
	switch {
	case !answered || errors.Is(err, context.DeadlineExceeded):
		return checkTimeout
	case err != nil:
		return checkFailing
	default:
		return checkOK
	}
}

// run starts every check and returns the results that arrived before ctx was done. Checks
// still running then are left to finish into a buffered channel nobody reads.
func (h *readiness) run(ctx context.Context) map[string]error {
	ch := make(chan checkResult, len(h.checks))
	for name, check := range h.checks {
		go func() { ch <- checkResult{name: name, err: runCheck(ctx, name, check)} }()
	}

	results := make(map[string]error, len(h.checks))
	for range len(h.checks) {
		select {
		case res := <-ch:
			results[res.name] = res.err
		case <-ctx.Done():
			return results
		}
	}
	return results
}

// runCheck runs check, turning a panic into an error: it runs on its own goroutine, where
// net/http's recovery does not reach.
func runCheck(ctx context.Context, name string, check Check) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("readiness check %q: panic: %v", name, p)
		}
	}()
	if err := check(ctx); err != nil {
		return fmt.Errorf("readiness check %q: %w", name, err)
	}
	return nil
}

// record logs a check's state when it changed since the last probe.
func (h *readiness) record(ctx context.Context, name string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	last, failing := h.last[name]
	switch {
	case err == nil && failing:
		delete(h.last, name)
		h.logger.InfoContext(ctx, "readiness check recovered", slog.String("check", name))
	case err != nil && (!failing || last != err.Error()):
		h.last[name] = err.Error()
		h.logger.WarnContext(ctx, "readiness check failing",
			slog.String("check", name), slog.Any("err", err))
	}
}

// writeJSON writes v as the JSON body of a response with status. The values written here
// always encode, and a failed write means the client has gone, so errors are dropped.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
