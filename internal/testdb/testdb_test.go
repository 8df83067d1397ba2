package testdb

import (
	"context"
	"fmt"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	Main(m, func(ctx context.Context, dsn string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE migrated (owner text NOT NULL)")
		return err
	})
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(ctx) })
	return conn
}

func TestNewGivesEachTestItsOwnDatabase(t *testing.T) {
	t.Parallel()
	dsns := make(chan string, 2)
	t.Run("group", func(t *testing.T) {
		for _, owner := range []string{"a", "b"} {
			t.Run(owner, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				dsn := New(t)
				dsns <- dsn
				conn := connect(t, dsn)

				// The template's migration is there, and this test's writes are its own.
				_, err := conn.Exec(ctx, "INSERT INTO migrated (owner) VALUES ($1)", owner)
				require.NoError(t, err)
				_, err = conn.Exec(ctx, "CREATE TABLE only_"+owner+" (id int)")
				require.NoError(t, err)
				rows, err := conn.Query(ctx, "SELECT owner FROM migrated")
				require.NoError(t, err)
				owners, err := pgx.CollectRows(rows, pgx.RowTo[string])
				require.NoError(t, err)
				require.Equal(t, []string{owner}, owners)
				var tables int
				err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables "+
					"WHERE schemaname = 'public' AND tablename LIKE 'only_%'").Scan(&tables)
				require.NoError(t, err)
				require.Equal(t, 1, tables, "sees another test's table")
			})
		}
	})
	close(dsns)
	first, second := <-dsns, <-dsns
	require.NotEqual(t, first, second)

	// Both databases are gone once their tests ended.
	h := current.Load()
	ctx := context.Background()
	for _, dsn := range []string{first, second} {
		cfg, err := pgx.ParseConfig(dsn)
		require.NoError(t, err)
		var exists bool
		err = h.admin.QueryRow(ctx,
			"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
			cfg.Database).Scan(&exists)
		require.NoError(t, err)
		require.False(t, exists, "database %s left after its test", cfg.Database)
	}
}

func TestCleanupLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, err := newHarness(ctx, AdminDSN())
	require.NoError(t, err)
	t.Cleanup(h.close)
	require.NotEqual(t, current.Load().prefix, h.prefix, "prefix must be unique per harness")
	require.NoError(t, h.createTemplate(ctx, nil))
	for range 3 {
		_, err := h.createDatabase(ctx)
		require.NoError(t, err)
	}
	names, err := h.databases(ctx, h.prefix)
	require.NoError(t, err)
	require.Len(t, names, 4, "template and three test databases")

	// A connection left open must not keep a database alive.
	conn := connect(t, h.dsnFor(names[0]))
	require.NoError(t, conn.Ping(ctx))

	require.NoError(t, h.cleanup(ctx))
	names, err = h.databases(ctx, h.prefix)
	require.NoError(t, err)
	require.Empty(t, names)
}

func TestSweepDeadDropsOnlyDeadProcessesDatabases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, err := newHarness(ctx, AdminDSN())
	require.NoError(t, err)
	t.Cleanup(h.close)

	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	alive := exec.Command("sleep", "60")
	require.NoError(t, alive.Start())
	t.Cleanup(func() { _ = alive.Process.Kill(); _ = alive.Wait() })

	deadName := fmt.Sprintf("%s%d_sweep_1", h.hostTag, dead.Process.Pid)
	aliveName := fmt.Sprintf("%s%d_sweep_1", h.hostTag, alive.Process.Pid)
	for _, name := range []string{deadName, aliveName} {
		_, err := h.admin.Exec(ctx, "CREATE DATABASE "+ident(name))
		require.NoError(t, err)
		t.Cleanup(func() { _ = h.dropDatabase(context.Background(), name) })
	}

	require.NoError(t, h.sweepDead(ctx))
	left, err := h.databases(ctx, h.hostTag)
	require.NoError(t, err)
	require.NotContains(t, left, deadName)
	require.Contains(t, left, aliveName)
	require.Contains(t, left, current.Load().template, "own template must survive")
}

func TestDSNFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		admin string
		want  string
	}{
		{
			"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			"postgres://postgres@127.0.0.1:5432/x_1?sslmode=disable",
		},
		{"postgresql://u:p@db/", "postgresql://u:p@db/x_1"},
		{"host=127.0.0.1 user=postgres dbname=postgres", "host=127.0.0.1 user=postgres " +
			"dbname=postgres dbname=x_1"},
	}
	for _, tt := range tests {
		h := &harness{adminDSN: tt.admin}
		got := h.dsnFor("x_1")
		require.Equal(t, tt.want, got)
		cfg, err := pgx.ParseConfig(got)
		require.NoError(t, err)
		require.Equal(t, "x_1", cfg.Database)
	}
}

func TestAdminDSN(t *testing.T) {
	// Not parallel: t.Setenv changes the process environment.
	t.Setenv("TEST_DATABASE_URL", "")
	require.Equal(t, DefaultAdminDSN, AdminDSN())
	t.Setenv("TEST_DATABASE_URL", "postgres://elsewhere/db")
	require.Equal(t, "postgres://elsewhere/db", AdminDSN())
}
