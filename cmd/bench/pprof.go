package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// profiler fetches CPU and heap profiles from the server's /debug/pprof/ while scenarios run.
// tenantd serves no pprof endpoint today, so it usually does nothing: profile the server from
// outside instead (perf record -p <pid> during a single -scenario run).
type profiler struct {
	c      *client
	dir    string
	logger *slog.Logger
}

// newProfiler returns a profiler writing into dir, or nil when dir is empty or the server has
// no pprof endpoint.
func newProfiler(ctx context.Context, c *client, dir string, logger *slog.Logger) *profiler {
	if dir == "" {
		return nil
	}
	resp, err := c.get(ctx, "/debug/pprof/")
	if err == nil {
		discard(resp.Body)
		_ = resp.Body.Close()
	}
	if err != nil || resp.StatusCode != http.StatusOK {
		logger.Warn("the server exposes no /debug/pprof/; -pprof skipped (profile it with " +
			"perf record -p <pid> during a single -scenario run)")
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logger.Warn("no profiles", slog.Any("err", err))
		return nil
	}
	return &profiler{c: c, dir: dir, logger: logger}
}

// start records a CPU profile over the measured window of scenario name, and a heap profile
// after it; the returned function waits for both.
func (p *profiler) start(ctx context.Context, name string, warmup, duration time.Duration,
) func() {
	if p == nil {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-time.After(warmup):
		case <-ctx.Done():
			return
		}
		secs := max(int(duration.Seconds()), 1)
		p.save(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), name+".cpu.pprof")
	}()
	return func() {
		wg.Wait()
		p.save(ctx, "/debug/pprof/heap", name+".heap.pprof")
	}
}

// save writes the answer of path into file in the profile folder; failures are only logged, a
// missing profile does not spoil the run.
func (p *profiler) save(ctx context.Context, path, file string) {
	resp, err := p.c.get(ctx, path)
	if err != nil {
		p.logger.Warn("no profile", slog.String("file", file), slog.Any("err", err))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.logger.Warn("no profile", slog.String("file", file), slog.Int("status", resp.StatusCode))
		return
	}
	f, err := os.Create(filepath.Join(p.dir, file))
	if err == nil {
		_, err = f.ReadFrom(resp.Body)
		err = errors.Join(err, f.Close())
	}
	if err != nil {
		p.logger.Warn("no profile", slog.String("file", file), slog.Any("err", err))
	}
}
