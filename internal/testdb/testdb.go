// Package testdb gives every test its own PostgreSQL database, copied from a template that is
// migrated once per test process, on the server named by TEST_DATABASE_URL. Isolating by
// database (not by rolled-back transaction) lets full-stack tests run code that opens and
// commits its own transactions, with t.Parallel. It is imported only by tests: a package's
// TestMain calls Main, its tests call New.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultAdminDSN is the server used when TEST_DATABASE_URL is not set.
const DefaultAdminDSN = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// namePrefix starts the name of every database this package creates.
const namePrefix = "tenantd_test_"

// current is the harness set up by Main for this test process.
var current atomic.Pointer[harness]

// AdminDSN returns the URL of the server the databases are created on: TEST_DATABASE_URL, or
// DefaultAdminDSN when that is unset.
func AdminDSN() string {
	if dsn := os.Getenv("TEST_DATABASE_URL"); dsn != "" {
		return dsn
	}
	return DefaultAdminDSN
}

// Main runs a package's tests around one template database: it creates the template, runs
// migrate on it (nil leaves it empty), runs m, drops the template and every database New made,
// and exits with m's code. Databases left behind by test processes of this machine that have
// died (a panic or a timeout skips the cleanup) are dropped first. Call it from TestMain.
func Main(m *testing.M, migrate func(ctx context.Context, dsn string) error) {
	os.Exit(run(m, migrate))
}

func run(m *testing.M, migrate func(ctx context.Context, dsn string) error) int {
	ctx := context.Background()
	h, err := newHarness(ctx, AdminDSN())
	if err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		return 1
	}
	defer h.close()
	if err := h.sweepDead(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
	}
	if err := h.createTemplate(ctx, migrate); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		_ = h.cleanup(ctx)
		return 1
	}
	current.Store(h)

	code := m.Run()
	if err := h.cleanup(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "testdb: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// New creates a database for t, copied from the migrated template, drops it when t ends, and
// returns its DSN. It fails t when Main did not run in the package's TestMain. Safe for
// parallel tests.
func New(t testing.TB) string {
	t.Helper()
	h := current.Load()
	if h == nil {
		t.Fatal("testdb.New: testdb.Main was not called from TestMain")
	}
	ctx := context.Background()
	name, err := h.createDatabase(ctx)
	if err != nil {
		t.Fatalf("testdb.New: %v", err)
	}
	t.Cleanup(func() {
		if err := h.dropDatabase(context.Background(), name); err != nil {
			t.Errorf("testdb cleanup: %v", err)
		}
	})
	return h.dsnFor(name)
}

// harness owns the databases of one test process: all are named prefix + something.
type harness struct {
	admin    *pgxpool.Pool
	adminDSN string
	hostTag  string // namePrefix + hash of the host name + "_"
	prefix   string // hostTag + pid + "_" + random + "_"
	template string
	seq      atomic.Int64
	// createMu serialises CREATE DATABASE: PostgreSQL refuses to copy a template that
	// another CREATE DATABASE is copying at the same moment.
	createMu sync.Mutex
}

func newHarness(ctx context.Context, adminDSN string) (*harness, error) {
	pool, err := pgxpool.New(ctx, adminDSN)
	if err != nil {
		return nil, fmt.Errorf("connect to test server: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to test server (set TEST_DATABASE_URL): %w", err)
	}
	host, _ := os.Hostname()
	sum := fnv.New32a()
	_, _ = sum.Write([]byte(host))
	hostTag := fmt.Sprintf("%s%08x_", namePrefix, sum.Sum32())
	random := make([]byte, 3)
	_, _ = rand.Read(random)
	prefix := fmt.Sprintf("%s%d_%s_", hostTag, os.Getpid(), hex.EncodeToString(random))
	return &harness{
		admin:    pool,
		adminDSN: adminDSN,
		hostTag:  hostTag,
		prefix:   prefix,
		template: prefix + "tpl",
	}, nil
}

func (h *harness) close() {
	h.admin.Close()
}

// createTemplate creates the template database and migrates it. Connections migrate leaves
// open are ended, because PostgreSQL cannot copy a database others are connected to.
func (h *harness) createTemplate(
	ctx context.Context, migrate func(ctx context.Context, dsn string) error,
) error {
	if _, err := h.admin.Exec(ctx, "CREATE DATABASE "+ident(h.template)); err != nil {
		return fmt.Errorf("create template database %q: %w", h.template, err)
	}
	if migrate != nil {
		if err := migrate(ctx, h.dsnFor(h.template)); err != nil {
			return fmt.Errorf("migrate template database %q: %w", h.template, err)
		}
	}
	_, err := h.admin.Exec(ctx, "ALTER DATABASE "+ident(h.template)+" ALLOW_CONNECTIONS false")
	if err != nil {
		return fmt.Errorf("close template database %q: %w", h.template, err)
	}
	_, err = h.admin.Exec(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", h.template)
	if err != nil {
		return fmt.Errorf("end connections to template database %q: %w", h.template, err)
	}
	return nil
}

func (h *harness) createDatabase(ctx context.Context) (string, error) {
	name := h.prefix + strconv.FormatInt(h.seq.Add(1), 10)
	h.createMu.Lock()
	defer h.createMu.Unlock()
	_, err := h.admin.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(h.template))
	if err != nil {
		return "", fmt.Errorf("create database %q: %w", name, err)
	}
	return name, nil
}

func (h *harness) dropDatabase(ctx context.Context, name string) error {
	_, err := h.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)")
	if err != nil {
		return fmt.Errorf("drop database %q: %w", name, err)
	}
	return nil
}

// cleanup drops the template and every database of this process that is still there.
func (h *harness) cleanup(ctx context.Context) error {
	names, err := h.databases(ctx, h.prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		errs = append(errs, h.dropDatabase(ctx, name))
	}
	return errors.Join(errs...)
}

// sweepDead drops databases that test processes of this host left behind when they died
// before their cleanup. A process counts as dead when its pid no longer exists; a reused pid
// only delays the sweep.
func (h *harness) sweepDead(ctx context.Context) error {
	names, err := h.databases(ctx, h.hostTag)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(name, h.hostTag), "_")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		errs = append(errs, h.dropDatabase(ctx, name))
	}
	return errors.Join(errs...)
}

func (h *harness) databases(ctx context.Context, prefix string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	rows, err := h.admin.Query(ctx,
		"SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname", prefix)
	if err != nil {
		return nil, fmt.Errorf("list test databases %q: %w", prefix, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list test databases %q: %w", prefix, err)
	}
	return names, nil
}

// dsnFor returns the admin DSN with its database replaced by name. Both URL and
// keyword/value DSNs are understood.
func (h *harness) dsnFor(name string) string {
	u, err := url.Parse(h.adminDSN)
	if err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		u.RawPath = ""
		return u.String()
	}
	return h.adminDSN + " dbname=" + name
}

func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
