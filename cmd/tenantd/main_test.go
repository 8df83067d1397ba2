package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/migrate"
	"github.com/tenantd/tenantd/internal/testdb"
)

// TestMain leaves the template database empty: `tenantd migrate` is what migrates here.
func TestMain(m *testing.M) {
	testdb.Main(m, nil)
}

const (
	// startTimeout bounds a zero-config start: initdb, migrations, serving.
	startTimeout = 60 * time.Second
	// shutdownTimeout is the default SHUTDOWN_TIMEOUT, which the tests leave unset.
	shutdownTimeout = 30 * time.Second
)

// tokenLine finds the operator token serve prints: a JWT alone on its line.
var tokenLine = regexp.MustCompile(`(?m)^\s*(eyJ[\w-]+\.[\w-]+\.[\w-]+)\s*$`)

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// buildBinary compiles tenantd the way a newcomer would, into a folder that lives as long as t.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "tenantd")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// environ is a clean environment: PATH, HOME and the given variables only.
func environ(vars ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, vars...)
}

// dataDir returns a fresh, not yet existing data folder whose parents the unprivileged
// postgres account can traverse (t.TempDir makes 0700 folders) when the test runs as root.
func dataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(filepath.Dir(dir), 0o755))
	require.NoError(t, os.Chmod(dir, 0o755))
	return filepath.Join(dir, "data")
}

// freeAddr returns a 127.0.0.1 address with a port nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// run runs the binary to its end and returns its exit code and output.
func run(t *testing.T, bin string, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir() // nothing may land in the source tree
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		require.NoError(t, err, "run tenantd %v", args)
	}
	return cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()
}

// server is a running `tenantd serve`.
type server struct {
	cmd     *exec.Cmd
	base    string
	data    string
	stdout  lockedBuffer
	stderr  lockedBuffer
	exited  chan struct{}
	waitErr error
}

// serve starts `tenantd serve` on data and addr, with the extra variables (without
// DATABASE_URL among them it starts its private PostgreSQL). Whatever happens, the process (and
// the private PostgreSQL it started) is gone when t ends.
func serve(t *testing.T, bin, data, addr string, extra ...string) *server {
	t.Helper()
	s := &server{base: "http://" + addr, data: data, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = environ(append([]string{"TENANTD_DATA_DIR=" + data, "HTTP_ADDR=" + addr},
		extra...)...)
	s.cmd.Dir = t.TempDir()
	s.cmd.Stdout, s.cmd.Stderr = &s.stdout, &s.stderr
	require.NoError(t, s.cmd.Start())
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		postmaster := s.postmasterPID()
		if !s.stop(shutdownTimeout) {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		if postmaster > 0 && processAlive(postmaster) {
			_ = syscall.Kill(postmaster, syscall.SIGQUIT)
		}
		if t.Failed() {
			t.Logf("tenantd serve stdout:\n%s\nstderr:\n%s", s.stdout.String(), s.stderr.String())
		}
	})
	return s
}

// stop sends SIGTERM and reports whether the process ended within timeout.
func (s *server) stop(timeout time.Duration) bool {
	select {
	case <-s.exited:
		return true
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return true
	case <-time.After(timeout):
		return false
	}
}

// clusterDir is where the private PostgreSQL keeps its files: <data>/postgres, or the folder
// named in <data>/postgres.location when root had to move it.
func (s *server) clusterDir() string {
	if b, err := os.ReadFile(filepath.Join(s.data, "postgres.location")); err == nil {
		return strings.TrimSpace(string(b))
	}
	return filepath.Join(s.data, "postgres")
}

// postmasterPID returns the pid in postmaster.pid, or 0 when there is none.
func (s *server) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(s.clusterDir(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// waitReady waits until /readyz answers 200 and the start banner with its token is printed,
// and returns the token.
func (s *server) waitReady(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case <-s.exited:
			require.FailNow(t, "tenantd serve exited during start", "%v\n%s", s.waitErr,
				s.stderr.String())
		default:
		}
		ready := false
		if resp, err := client.Get(s.base + "/readyz"); err == nil {
			_ = resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
		}
		if m := tokenLine.FindStringSubmatch(s.stdout.String()); ready && m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "tenantd serve not ready", "within %s; stdout:\n%s\nstderr:\n%s",
				startTimeout, s.stdout.String(), s.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gqlResponse is a GraphQL answer.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// graphql posts query to base/graphql with token and decodes data into out; any GraphQL error
// fails t.
func graphql(t *testing.T, base, token, query string, vars map[string]any, out any) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var r gqlResponse
	require.NoError(t, json.Unmarshal(raw, &r), string(raw))
	require.Empty(t, r.Errors, string(raw))
	require.NoError(t, json.Unmarshal(r.Data, out), string(raw))
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

const overview = `{ plans { totalCount } tenants { totalCount } viewer { kind } }`

type overviewData struct {
	Plans   struct{ TotalCount int } `json:"plans"`
	Tenants struct{ TotalCount int } `json:"tenants"`
	Viewer  struct{ Kind string }    `json:"viewer"`
}

const listPlans = `{ plans { totalCount edges { node { key name } } } }`

type plansData struct {
	Plans struct {
		TotalCount int
		Edges      []struct {
			Node struct{ Key, Name string }
		}
	} `json:"plans"`
}

func TestBinary(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)

	t.Run("zero-config start, stop and restart", func(t *testing.T) {
		t.Parallel()
		testZeroConfig(t, bin)
	})

	t.Run("migrate applies, then is a no-op", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		dsn := testdb.New(t)
		env := environ("DATABASE_URL="+dsn, "TENANTD_DATA_DIR="+filepath.Join(t.TempDir(), "d"))
		latest, err := migrate.LatestVersion()
		require.NoError(t, err)
		var states [2]string
		for i := range states {
			code, _, stderr := run(t, bin, env, "migrate")
			require.Equal(t, 0, code, "run %d: %s", i+1, stderr)

			conn, err := pgx.Connect(ctx, dsn)
			require.NoError(t, err)
			var (
				version     uint64
				dirty       bool
				riverLatest int
			)
			require.NoError(t, conn.QueryRow(ctx, `SELECT s.version, s.dirty, r.version
				FROM schema_migrations s, (SELECT max(version) AS version FROM river_migration) r`).
				Scan(&version, &dirty, &riverLatest))
			require.NoError(t, conn.Close(ctx))
			require.Equal(t, uint64(latest), version)
			require.False(t, dirty)
			states[i] = fmt.Sprintf("%d/%t/%d", version, dirty, riverLatest)
		}
		require.Equal(t, states[0], states[1], "second migrate changed the schema state")
	})

	t.Run("token refuses an unknown permission", func(t *testing.T) {
		t.Parallel()
		data := filepath.Join(t.TempDir(), "data")
		env := environ("TENANTD_DATA_DIR=" + data)
		code, stdout, stderr := run(t, bin, env, "token", "-p", "Bogus")
		require.Equal(t, 1, code)
		require.Empty(t, stdout, "no token for an unknown permission")
		require.Contains(t, stderr, "--permission")
		require.Contains(t, stderr, "Bogus")
	})

	t.Run("an event committed before SIGKILL is published after restart", func(t *testing.T) {
		t.Parallel()
		testKillBetweenCommitAndPublish(t, bin)
	})

	t.Run("version", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := run(t, bin, environ(), "version")
		require.Equal(t, 0, code, stderr)
		require.NotEmpty(t, strings.TrimSpace(stdout))
		require.NotContains(t, stdout, "unknown")
	})
}

// testZeroConfig starts tenantd as a newcomer would, without any configuration, uses it, stops
// it, and starts it again on the same data folder.
func testZeroConfig(t *testing.T, bin string) {
	data := dataDir(t)
	addr := freeAddr(t)
	first := serve(t, bin, data, addr)
	token := first.waitReady(t)
	out := first.stdout.String()
	require.Contains(t, out, "http://"+addr+"/", "GraphiQL URL is printed")

	var o overviewData
	graphql(t, first.base, token, overview, nil, &o)
	require.Equal(t, "OPERATOR", o.Viewer.Kind)
	require.Zero(t, o.Plans.TotalCount, "fresh data folder has plans")
	require.Zero(t, o.Tenants.TotalCount, "fresh data folder has tenants")

	var created struct {
		CreatePlan struct{ Key string } `json:"createPlan"`
	}
	graphql(t, first.base, token,
		`mutation($input: CreatePlanInput!) { createPlan(input: $input) { key } }`,
		map[string]any{"input": map[string]any{
			"key": "starter", "name": "Starter", "tier": "STANDARD", "deploymentModel": "POOLED",
			"price": 1900, "currency": "EUR", "billingCycle": "MONTHLY",
		}}, &created)
	require.Equal(t, "starter", created.CreatePlan.Key)

	resp, err := http.Get(first.base + "/")
	require.NoError(t, err)
	page, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, strings.ToLower(string(page)), "graphiql")
	require.Contains(t, string(page), "/graphql")

	// `tenantd token` signs with the data folder's development secret, which serve accepts.
	code, minted, stderr := run(t, bin, environ("TENANTD_DATA_DIR="+data),
		"token", "-p", "ViewPlan")
	require.Equal(t, 0, code, stderr)
	m := tokenLine.FindStringSubmatch(minted)
	require.NotNil(t, m, "token prints a JWT: %q", minted)
	var v struct {
		Viewer struct {
			Kind        string
			Permissions []string
		}
	}
	graphql(t, first.base, m[1], `{ viewer { kind permissions } }`, nil, &v)
	require.Equal(t, "OPERATOR", v.Viewer.Kind)
	require.Equal(t, []string{"ViewPlan"}, v.Viewer.Permissions)

	// SIGTERM ends serve cleanly and takes the private PostgreSQL with it.
	postmaster := first.postmasterPID()
	require.Positive(t, postmaster, "no postmaster.pid while serving")
	require.True(t, first.stop(shutdownTimeout), "serve did not stop within %s", shutdownTimeout)
	require.NoError(t, first.waitErr, "serve exit: %s", first.stderr.String())
	require.Equal(t, 0, first.cmd.ProcessState.ExitCode())
	require.NoFileExists(t, filepath.Join(first.clusterDir(), "postmaster.pid"))
	require.Eventually(t, func() bool { return !processAlive(postmaster) },
		5*time.Second, 50*time.Millisecond, "postmaster %d still runs", postmaster)

	// The data folder is kept: the plan and the signing secret survive a restart.
	second := serve(t, bin, data, freeAddr(t))
	second.waitReady(t)
	var p plansData
	graphql(t, second.base, token, listPlans, nil, &p)
	require.Equal(t, 1, p.Plans.TotalCount)
	require.Len(t, p.Plans.Edges, 1)
	require.Equal(t, "starter", p.Plans.Edges[0].Node.Key)
	require.Equal(t, "Starter", p.Plans.Edges[0].Node.Name)
	require.True(t, second.stop(shutdownTimeout), "second serve did not stop")
	require.NoError(t, second.waitErr, "second serve exit: %s", second.stderr.String())
}

// testKillBetweenCommitAndPublish commits a change whose event is not published yet, kills the
// service with SIGKILL, and checks that a new process on the same database publishes it.
func testKillBetweenCommitAndPublish(t *testing.T, bin string) {
	sink := apptest.NewEventSink(t)
	vars := []string{
		"DATABASE_URL=" + testdb.New(t), "TENANTD_ENV=production",
		"AUTH_HS256_SECRET=kill-test-operator-secret-0123456789abcdef",
		"LEAD_TOKEN_SECRET=kill-test-lead-secret-0123456789abcdef0123",
		"TENANTD_SECRET_KEY=kill-test-server-key-0123456789abcdef01234",
		"EVENT_TRANSPORTS=http", "EVENT_HTTP_URLS=" + sink.URL,
		"EVENT_HTTP_SECRETS=" + sink.Secret, "PROVISIONER=external",
	}
	code, token, stderr := run(t, bin, environ(vars...), "token")
	require.Equal(t, 0, code, stderr)
	token = strings.TrimSpace(token)

	// The first instance runs no jobs, so the event is certainly committed and unpublished
	// when it dies.
	first := serve(t, bin, t.TempDir(), freeAddr(t), append(vars, "RUN_JOBS=false")...)
	waitHealthy(t, first)
	var plan struct{ CreatePlan struct{ ID string } }
	graphql(t, first.base, token, `mutation { createPlan(input: {key: "k", name: "K",
		tier: "T", deploymentModel: POOLED, price: 1, currency: "EUR", billingCycle: MONTHLY})
		{ id } }`, nil, &plan)
	var out struct{ OnboardTenant struct{ ID string } }
	graphql(t, first.base, token, `mutation { onboardTenant(input: {key: "killed",
		name: "Killed", domains: ["killed.example"], planKey: "k",
		address: {line: "1 Way", city: "Oslo", country: "NO"},
		contacts: [{firstName: "K", lastName: "K", email: "k@killed.example"}]}) { id } }`,
		nil, &out)
	require.NoError(t, first.cmd.Process.Kill())
	<-first.exited
	require.Empty(t, sink.Events(), "nothing was published before the kill")

	second := serve(t, bin, t.TempDir(), freeAddr(t), vars...)
	waitHealthy(t, second)
	e := sink.Await(t, "tenant.created", out.OnboardTenant.ID)
	require.Equal(t, "killed", e.Data["key"])
}

// waitHealthy waits until /readyz answers 200 (servers with configuration print no banner).
func waitHealthy(t *testing.T, s *server) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	require.Eventually(t, func() bool {
		resp, err := client.Get(s.base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, startTimeout, 100*time.Millisecond, "not ready: %s", s.stderr.String())
}
