package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultAdminURL is the server the throwaway database is created on without TEST_DATABASE_URL.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// target is the service under load.
type target struct {
	base  string // base URL, without a trailing slash
	token string // operator token
	pid   int    // server process, 0 when unknown (no memory readings)
	dsn   string // its database, "" when unknown (seeding through GraphQL)
	// serverKey is its TENANTD_SECRET_KEY, "" when unknown (no onboarding flow).
	serverKey string
}

// service is a tenantd process started by the benchmark on its own database.
type service struct {
	target
	dir      string // temporary folder: binary, data folder, log
	adminURL string
	dbName   string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// startService builds tenantd, creates a database for it and runs it until close; its local
// provisioner answers provisioning requests after delay.
func startService(ctx context.Context, logger *slog.Logger, delay time.Duration,
) (_ *service, err error) {
	s := &service{adminURL: os.Getenv("TEST_DATABASE_URL"), exited: make(chan struct{})}
	if s.adminURL == "" {
		s.adminURL = defaultAdminURL
	}
	if s.dir, err = os.MkdirTemp("", "tenantd-bench-"); err != nil {
		return nil, fmt.Errorf("create temporary folder: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.close(logger))
		}
	}()

	bin := filepath.Join(s.dir, "tenantd")
	logger.Info("building tenantd", slog.String("binary", bin))
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/tenantd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return nil, fmt.Errorf("build ./cmd/tenantd (run bench from the module root): %w", err)
	}
	if err := s.createDatabase(ctx); err != nil {
		return nil, err
	}
	env, err := s.environment(delay)
	if err != nil {
		return nil, err
	}
	if err := s.spawn(bin, env); err != nil {
		return nil, err
	}
	logger.Info("tenantd started", slog.Int("pid", s.pid), slog.String("url", s.base),
		slog.String("database", s.dbName))
	if err := s.waitReady(ctx); err != nil {
		return nil, err
	}
	tok := exec.CommandContext(ctx, bin, "token", "--subject", "bench")
	tok.Env, tok.Stderr = env, os.Stderr
	out, err := tok.Output()
	if err != nil {
		return nil, fmt.Errorf("mint operator token with tenantd token: %w", err)
	}
	s.token = strings.TrimSpace(string(out))
	return s, nil
}

// createDatabase creates a uniquely named database on the admin server.
func (s *service) createDatabase(ctx context.Context) error {
	u, err := url.Parse(s.adminURL)
	if err != nil {
		return fmt.Errorf("parse TEST_DATABASE_URL: %w", err)
	}
	name := "tenantd_bench_" + strings.ToLower(randomHex(4))
	conn, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return fmt.Errorf("connect to TEST_DATABASE_URL: %w", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	s.dbName = name
	u.Path = "/" + name
	s.dsn = u.String()
	return nil
}

// environment returns the server's environment: production mode, fresh secrets, a free port,
// rate limits off, emails written as files into the temporary folder, and the local provisioner
// answering after delay (only the onboarding flow provisions).
func (s *service) environment(delay time.Duration) ([]string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free port: %w", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, fmt.Errorf("release port %s: %w", addr, err)
	}
	s.base = "http://" + addr
	s.serverKey = randomHex(32)
	return append(os.Environ(),
		"DATABASE_URL="+s.dsn,
		"TENANTD_ENV=production",
		"AUTH_HS256_SECRET="+randomHex(32),
		"LEAD_TOKEN_SECRET="+randomHex(32),
		"TENANTD_SECRET_KEY="+s.serverKey,
		"HTTP_ADDR="+addr,
		"LOG_LEVEL=warn",
		"RATE_LIMIT_LEADS_PER_IP=0",
		"RATE_LIMIT_LEADS_PER_EMAIL=0",
		"RATE_LIMIT_VERIFY_PER_LEAD=0",
		"TENANTD_DATA_DIR="+filepath.Join(s.dir, "data"),
		"PROVISIONER=local",
		"LOCAL_PROVISIONER_DELAY="+delay.String(),
	), nil
}

// spawn starts the server with its output going to tenantd.log in the temporary folder.
func (s *service) spawn(bin string, env []string) error {
	logFile, err := os.Create(s.logPath())
	if err != nil {
		return fmt.Errorf("create server log: %w", err)
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, logFile, logFile
	// Its own process group: Ctrl-C reaches only the benchmark, which stops the server itself
	// after the last request instead of racing it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		_ = logFile.Close()
		return fmt.Errorf("start tenantd: %w", err)
	}
	s.pid = s.cmd.Process.Pid
	go func() {
		_ = s.cmd.Wait()
		_ = logFile.Close()
		close(s.exited)
	}()
	return nil
}

// waitReady polls /readyz until it answers 200, the server exits, or a minute passes.
func (s *service) waitReady(ctx context.Context) error {
	probe := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("build readiness request: %w", err)
		}
		if resp, err := probe.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("tenantd exited during start-up:\n%s", s.logTail(20))
		case <-ctx.Done():
			return fmt.Errorf("wait for tenantd: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("tenantd not ready after a minute:\n%s", s.logTail(20))
}

// close stops the server (SIGTERM, then SIGKILL after 30 s), drops its database and removes the
// temporary folder. It is safe on a partly started service.
func (s *service) close(logger *slog.Logger) error {
	var errs []error
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.exited
			errs = append(errs, errors.New("tenantd did not stop within 30s; killed"))
		}
	}
	if s.dbName != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		errs = append(errs, dropDatabase(ctx, s.adminURL, s.dbName))
		logger.Info("database dropped", slog.String("database", s.dbName))
	}
	if s.dir != "" {
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", s.dir, err))
		}
	}
	return errors.Join(errs...)
}

// dropDatabase drops name, disconnecting anyone still using it.
func dropDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to drop database %s: %w", name, err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

func (s *service) logPath() string { return filepath.Join(s.dir, "tenantd.log") }

// logTail returns the last n lines of the server's log.
func (s *service) logTail(n int) string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return "(no server log: " + err.Error() + ")"
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// readMemory returns the VmRSS and VmHWM (peak) of process pid in bytes.
func readMemory(pid int) (mem memory, ok bool) {
	if pid == 0 {
		return mem, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return mem, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, value, found := strings.Cut(line, ":")
		if !found {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		switch {
		case err != nil:
		case name == "VmRSS":
			mem.rss = kb * 1024
		case name == "VmHWM":
			mem.peak = kb * 1024
		}
	}
	return mem, mem.rss > 0
}

// resetPeak resets VmHWM of pid to its current RSS (Linux clear_refs 5), so the next reading is
// the peak of one scenario. Without permission the peak stays the one since start.
func resetPeak(pid int) {
	if pid != 0 {
		_ = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
	}
}

// memory is a process's resident memory.
type memory struct{ rss, peak int64 }
