package pgembed

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// dataDir returns a fresh data folder that the server account can reach even when the test
// runs as root: t.TempDir makes 0700 folders, which the postgres user could not traverse.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	return filepath.Join(dir, "data")
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Stop(context.Background())) })
	return srv
}

func connect(t *testing.T, srv *Server) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.DSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	return conn
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{"missing data dir", Options{}, "DataDir is required"},
		{"negative port", Options{DataDir: "x", Port: -1}, "Port -1"},
		{"port too big", Options{DataDir: "x", Port: 70000}, "Port 70000"},
		{"bad database", Options{DataDir: "x", Database: "a-b"}, `Database "a-b"`},
		{"database too long", Options{DataDir: "x", Database: strings.Repeat("a", 64)}, "Database"},
		{"database digit first", Options{DataDir: "x", Database: "1a"}, `Database "1a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Start(context.Background(), tt.opts)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	opts, err := Options{DataDir: "rel"}.withDefaults()
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(opts.DataDir))
	require.Equal(t, "tenantd", opts.Database)
	require.Equal(t, time.Minute, opts.StartTimeout)
	require.Equal(t, "/var/lib/tenantd", opts.fallbackRoot)
	require.NotNil(t, opts.Logger)
}

func TestStartKeepsDataBetweenRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := dataDir(t)

	srv, err := Start(ctx, Options{DataDir: dir, Database: "keep_me"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(ctx) })
	require.Equal(t, filepath.Join(dir, "postgres"), srv.ClusterDir())
	require.Contains(t, srv.DSN(), "@127.0.0.1:")
	require.Contains(t, srv.DSN(), "/keep_me?sslmode=disable")
	conn, err := pgx.Connect(ctx, srv.DSN())
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('first run')")
	require.NoError(t, err)
	require.NoError(t, conn.Close(ctx))
	if os.Geteuid() == 0 {
		var st syscall.Stat_t
		require.NoError(t, syscall.Stat(srv.ClusterDir(), &st))
		require.NotZero(t, st.Uid, "cluster must not belong to root")
	}
	require.NoError(t, srv.Stop(ctx))
	require.NoError(t, srv.Stop(ctx), "second Stop")
	_, err = pgx.Connect(ctx, srv.DSN())
	require.Error(t, err, "server still accepts connections after Stop")

	again := startServer(t, Options{DataDir: dir, Database: "keep_me"})
	var v string
	require.NoError(t, connect(t, again).QueryRow(ctx, "SELECT v FROM kept").Scan(&v))
	require.Equal(t, "first run", v)
}

func TestStartRequiresPasswordOverTCP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := startServer(t, Options{DataDir: dataDir(t)})
	cfg, err := pgx.ParseConfig(srv.DSN())
	require.NoError(t, err)
	require.Equal(t, "tenantd", cfg.Database)

	cfg.Password = "wrong"
	_, err = pgx.ConnectConfig(ctx, cfg)
	require.ErrorContains(t, err, "password authentication failed")
}

func TestStartAfterKilledServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := dataDir(t)
	srv, err := Start(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(ctx) })

	// Simulate a killed tenantd: the postmaster dies without cleaning up, the lock goes away.
	require.NoError(t, srv.cmd.Process.Kill())
	<-srv.exited
	require.NoError(t, srv.lock.Close())
	require.FileExists(t, filepath.Join(srv.ClusterDir(), "postmaster.pid"))

	// Orphaned backends notice the postmaster's death within moments; until then PostgreSQL
	// itself refuses the old shared memory, so allow a few attempts.
	var again *Server
	require.Eventually(t, func() bool {
		again, err = Start(ctx, Options{DataDir: dir})
		return err == nil
	}, 20*time.Second, 200*time.Millisecond, "restart after kill: %v", err)
	t.Cleanup(func() { require.NoError(t, again.Stop(ctx)) })
	require.NoError(t, connect(t, again).Ping(ctx))
}

func TestStartReplacesPidFileOfUnrelatedProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := dataDir(t)
	srv, err := Start(ctx, Options{DataDir: dir})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(ctx) })
	require.NoError(t, srv.Stop(ctx))

	// After a reboot the old pid may belong to an unrelated live process.
	sleeper := exec.Command("sleep", "60")
	require.NoError(t, sleeper.Start())
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })
	pidFile := filepath.Join(srv.ClusterDir(), "postmaster.pid")
	content := strconv.Itoa(sleeper.Process.Pid) + "\n" + srv.ClusterDir() + "\n"
	require.NoError(t, os.WriteFile(pidFile, []byte(content), 0o600))

	again := startServer(t, Options{DataDir: dir})
	require.NoError(t, connect(t, again).Ping(ctx))
}

func TestStartRefusesRunningCluster(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := dataDir(t)
	first := startServer(t, Options{DataDir: dir})

	_, err := Start(ctx, Options{DataDir: dir})
	require.ErrorIs(t, err, ErrAlreadyRunning, "second tenantd on the same data folder")

	// An orphaned server whose tenantd died: the lock is gone but the postmaster lives.
	require.NoError(t, first.lock.Close())
	_, err = Start(ctx, Options{DataDir: dir})
	require.ErrorIs(t, err, ErrAlreadyRunning, "orphaned server")
	require.ErrorContains(t, err, strconv.Itoa(first.cmd.Process.Pid))
	require.NoError(t, connect(t, first).Ping(ctx), "running server was disturbed")
}

func TestStartAsRootOutsideUnreachableDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root moves the cluster out of an unreachable data folder")
	}
	t.Parallel()
	ctx := context.Background()
	fallback := dataDir(t)
	private := t.TempDir()
	require.NoError(t, os.Chmod(private, 0o700)) // like /root: only root may enter
	dir := filepath.Join(private, "data")
	opts := Options{DataDir: dir, fallbackRoot: fallback}

	srv, err := Start(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(ctx) })
	require.Equal(t, fallback, filepath.Dir(srv.ClusterDir()))
	require.True(t, strings.HasPrefix(filepath.Base(srv.ClusterDir()), "pg-"))
	marker, err := os.ReadFile(filepath.Join(dir, "postgres.location"))
	require.NoError(t, err)
	require.Equal(t, srv.ClusterDir(), strings.TrimSpace(string(marker)))
	require.NoDirExists(t, filepath.Join(dir, "postgres"))
	info, err := os.Stat(private)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), info.Mode().Perm(), "data folder parent was opened up")
	require.NoError(t, srv.Stop(ctx))

	again := startServer(t, opts)
	require.Equal(t, srv.ClusterDir(), again.ClusterDir())
	require.NoError(t, connect(t, again).Ping(ctx))
}
