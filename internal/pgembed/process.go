package pgembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxSocketPath keeps the unix socket path under the kernel's sun_path limit of 108 bytes.
const maxSocketPath = 100

// spawn starts the postmaster as a child process writing to the server log.
func (s *Server) spawn(bins binaries, acct *account, port int) error {
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	defer logFile.Close()

	args := []string{
		"-D", s.clusterDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + socketDirSetting(s.clusterDir),
	}
	cmd := exec.Command(bins.postgres, args...)
	cmd.Dir = s.clusterDir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// Own process group: a Ctrl-C in the terminal reaches tenantd, which then shuts down in
	// order and stops the server last, instead of the server dying under running jobs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if acct != nil {
		cmd.SysProcAttr.Credential = acct.credential()
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", bins.postgres, err)
	}
	s.cmd = cmd
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	return nil
}

// socketDirSetting returns the unix_socket_directories value: the cluster folder, or none when
// its path is too long for a socket or cannot be quoted (tenantd itself only uses TCP).
func socketDirSetting(clusterDir string) string {
	if len(clusterDir)+len("/.s.PGSQL.65535.lock") > maxSocketPath ||
		strings.ContainsAny(clusterDir, `",`) {
		return ""
	}
	return `"` + clusterDir + `"`
}

// waitReady polls until the server accepts a connection, exits, or the timeout passes.
func (s *Server) waitReady(ctx context.Context, dsn string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		err := ping(ctx, dsn)
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited during startup (%s); log %s:\n%s",
				s.cmd.ProcessState, s.logPath, logTail(s.logPath))
		case <-ctx.Done():
			return fmt.Errorf("wait for server to accept connections: %w (last: %v); log %s:\n%s",
				ctx.Err(), err, s.logPath, logTail(s.logPath))
		case <-tick.C:
		}
	}
}

func ping(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// logTail returns up to the last 20 lines of the server log.
func logTail(path string) string {
	const maxBytes, maxLines = 8 << 10, 20
	f, err := os.Open(path)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer f.Close()

	if info, err := f.Stat(); err == nil && info.Size() > maxBytes {
		_, _ = f.Seek(info.Size()-maxBytes, io.SeekStart)
	}
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > maxLines {
		lines = lines[len(lines)-maxLines:]
	}
	return strings.Join(lines, "\n")
}

// clearStalePidFile removes a postmaster.pid left by a server that no longer runs, and fails
// with ErrAlreadyRunning when its process is still a live PostgreSQL.
func clearStalePidFile(clusterDir string, logger *slog.Logger) error {
	pidPath := filepath.Join(clusterDir, "postmaster.pid")
	data, err := os.ReadFile(pidPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read pid file: %w", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err == nil && pid > 0 && postgresRunning(pid) {
		return fmt.Errorf("%w: PostgreSQL (pid %d) is still running on %s; stop the other "+
			"tenantd, or that server with `kill -INT %d`", ErrAlreadyRunning, pid, clusterDir, pid)
	}
	if err := os.Remove(pidPath); err != nil {
		return fmt.Errorf("remove stale pid file: %w", err)
	}
	// Socket lock files carry the same stale pid; PostgreSQL would refuse them if it is reused.
	locks, _ := filepath.Glob(filepath.Join(clusterDir, ".s.PGSQL.*.lock"))
	for _, l := range locks {
		_ = os.Remove(l)
	}
	logger.Info("removed stale postgres pid file", slog.String("cluster", clusterDir),
		slog.Int("pid", pid))
	return nil
}

// postgresRunning reports whether pid is a live process that looks like PostgreSQL. Without
// /proc every live pid counts, which errs on the side of not touching the cluster.
func postgresRunning(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !procMounted()
	}
	return bytes.Contains(cmdline, []byte("postgres"))
}

func procMounted() bool {
	_, err := os.Stat("/proc/self/cmdline")
	return err == nil
}
