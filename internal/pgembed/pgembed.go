// Package pgembed runs the private PostgreSQL server of tenantd's zero-configuration start
// (SPEC section 12): when no DATABASE_URL is set, `tenantd serve` keeps a cluster under its data
// folder, starts it on 127.0.0.1 for the life of the process and stops it on shutdown. It uses
// the PostgreSQL server binaries installed on the machine. Only cmd/tenantd imports it.
package pgembed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrAlreadyRunning is returned by Start when another process already runs a server on the
// same cluster (for example a second `tenantd serve` on the same data folder).
var ErrAlreadyRunning = errors.New("postgres cluster already in use")

const (
	defaultDatabase     = "tenantd"
	defaultStartTimeout = time.Minute
	defaultFallbackRoot = "/var/lib/tenantd"
	superuser           = "postgres"
)

var databaseNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// Options configures Start.
type Options struct {
	// DataDir is tenantd's data folder; required. It is created (0755) if missing. The cluster
	// lives in DataDir/postgres and is kept between runs; see Start for the root case.
	DataDir string
	// Port is the TCP port the server listens on at 127.0.0.1. 0 (the default) picks a free
	// port on every start.
	Port int
	// Logger receives progress messages; nil discards them.
	Logger *slog.Logger
	// Database is the database created if missing and named by DSN. Default "tenantd"; letters,
	// digits and underscores only.
	Database string
	// StartTimeout bounds the wait for the server to accept connections. Default one minute.
	StartTimeout time.Duration

	// fallbackRoot is where clusters go when the server account cannot reach DataDir;
	// "/var/lib/tenantd" unless a test sets it.
	fallbackRoot string
}

func (o Options) withDefaults() (Options, error) {
	if o.DataDir == "" {
		return o, errors.New("options: DataDir is required")
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return o, fmt.Errorf("options: DataDir %q: %w", o.DataDir, err)
	}
	o.DataDir = abs
	if o.Port < 0 || o.Port > 65535 {
		return o, fmt.Errorf("options: Port %d is outside 0..65535", o.Port)
	}
	if o.Database == "" {
		o.Database = defaultDatabase
	}
	if !databaseNameRE.MatchString(o.Database) {
		return o, fmt.Errorf("options: Database %q must be 1-63 letters, digits or underscores, "+
			"not starting with a digit", o.Database)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = defaultStartTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.fallbackRoot == "" {
		o.fallbackRoot = defaultFallbackRoot
	}
	return o, nil
}

// Server is a running private PostgreSQL server. Its owner must call Stop.
type Server struct {
	dsn        string
	clusterDir string
	logPath    string
	logger     *slog.Logger
	cmd        *exec.Cmd
	exited     chan struct{} // closed when the postmaster process has been reaped
	lock       *os.File      // flock on the data folder, held until Stop

	mu      sync.Mutex
	stopped bool
}

// Start starts the private server for opts.DataDir and returns once it accepts connections
// and opts.Database exists. The first run creates the cluster with initdb (superuser
// "postgres", UTF8, C locale); later runs reuse it. A pid file left by a killed run is removed;
// a server still running on the cluster makes Start fail with ErrAlreadyRunning.
//
// PostgreSQL refuses to run as root. When the process is root, the server runs as the
// "postgres" system user, or a "tenantd" system user created with useradd when there is none.
// If that user cannot traverse the folders leading to DataDir, the cluster is kept in
// /var/lib/tenantd/pg-<hash of DataDir> instead and DataDir/postgres.location records where.
//
// The server listens only on 127.0.0.1; TCP logins need a random password chosen at initdb and
// kept in a 0600 file next to the cluster, and its unix socket lives inside the cluster folder.
// The server log is <cluster>/server.log; errors from Start quote its tail.
func Start(ctx context.Context, opts Options) (*Server, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("start embedded postgres: %w", err)
	}
	bins, err := findBinaries()
	if err != nil {
		return nil, fmt.Errorf("start embedded postgres: %w", err)
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("start embedded postgres: create data folder: %w", err)
	}
	lock, err := lockDataDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start embedded postgres in %q: %w", opts.DataDir, err)
	}
	srv, err := start(ctx, opts, bins, lock)
	if err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("start embedded postgres in %q: %w", opts.DataDir, err)
	}
	return srv, nil
}

func start(ctx context.Context, opts Options, bins binaries, lock *os.File) (*Server, error) {
	clusterDir, known, err := existingCluster(opts.DataDir)
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount(ctx, clusterDir, known, opts.Logger)
	if err != nil {
		return nil, err
	}
	if !known {
		clusterDir, err = chooseClusterDir(opts, acct)
		if err != nil {
			return nil, err
		}
	}
	if err := ensureCluster(ctx, clusterDir, bins, acct, opts.Logger); err != nil {
		return nil, err
	}
	password, err := readPassword(clusterDir)
	if err != nil {
		return nil, err
	}
	if err := clearStalePidFile(clusterDir, opts.Logger); err != nil {
		return nil, err
	}
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	srv := &Server{
		clusterDir: clusterDir,
		logPath:    filepath.Join(clusterDir, "server.log"),
		logger:     opts.Logger,
		lock:       lock,
		exited:     make(chan struct{}),
	}
	if err := srv.spawn(bins, acct, port); err != nil {
		return nil, err
	}
	if err := srv.waitReady(ctx, adminDSN(password, port), opts.StartTimeout); err != nil {
		srv.kill()
		return nil, err
	}
	if err := createDatabase(ctx, adminDSN(password, port), opts.Database); err != nil {
		srv.kill()
		return nil, err
	}
	srv.dsn = buildDSN(password, port, opts.Database)
	opts.Logger.InfoContext(ctx, "embedded postgres started", slog.String("cluster", clusterDir),
		slog.Int("port", port), slog.String("database", opts.Database))
	return srv, nil
}

// DSN returns the postgres:// URL of the server's database for pgx (sslmode=disable). It
// carries the server password: never log it.
func (s *Server) DSN() string {
	return s.dsn
}

// ClusterDir returns the absolute path of the cluster's data directory.
func (s *Server) ClusterDir() string {
	return s.clusterDir
}

// Stop shuts the server down in PostgreSQL's fast mode (open sessions are disconnected, the
// cluster is checkpointed) and waits for it to exit. If ctx ends first the server is stopped in
// immediate mode and ctx's error is returned. Calling Stop again returns nil.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.stopped = true
	defer s.lock.Close()

	// SIGINT is PostgreSQL's fast shutdown, what `pg_ctl stop -m fast` sends.
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		s.logger.InfoContext(ctx, "embedded postgres stopped", slog.String("cluster", s.clusterDir))
		return nil
	case <-ctx.Done():
		s.kill()
		return fmt.Errorf("stop embedded postgres %q: %w", s.clusterDir, ctx.Err())
	}
}

// kill stops the server in immediate mode (SIGQUIT) and waits up to ten seconds for it to exit.
func (s *Server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

func adminDSN(password string, port int) string {
	return buildDSN(password, port, "postgres")
}

func buildDSN(password string, port int, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func createDatabase(ctx context.Context, dsn, name string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connect to create database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	var exists bool
	err = conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
		name).Scan(&exists)
	if err != nil {
		return fmt.Errorf("look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}
