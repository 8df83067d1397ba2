package migrate

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"sync"
	"text/template"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	entmigrate "github.com/tenantd/tenantd/ent/migrate"
	"github.com/tenantd/tenantd/migrations"
)

// upOnly writes golang-migrate "up" files only. Atlas's golang-migrate formatter stamps the up
// and down files of one change with two separate clock readings, which can differ by a second
// and then no longer pair up; tenantd rolls forward with a new migration instead of "down".
var upOnly = func() atlasmigrate.Formatter {
	f, err := atlasmigrate.NewTemplateFormatter(
		template.Must(template.New("").Funcs(template.FuncMap{"now": stamp}).
			Parse("{{ now }}{{ with .Name }}_{{ . }}{{ end }}.up.sql")),
		template.Must(template.New("").Parse(
			"{{ range .Changes }}{{ with .Comment }}-- {{ println . }}{{ end }}"+
				"{{ printf \"%s;\\n\" .Cmd }}{{ end }}")),
	)
	if err != nil {
		panic(err)
	}
	return f
}()

// stamp is the version of a new migration: the UTC time to the second.
func stamp() string { return time.Now().UTC().Format("20060102150405") }

// registerOnce makes pgx answer for the "postgres" database/sql driver name that Atlas opens.
var registerOnce sync.Once

// Plan replays the embedded migrations on a scratch database of the server at adminDSN and
// returns the SQL that would still be needed to reach the ent schema. An empty result means the
// ent schema and migrations/ agree.
func Plan(ctx context.Context, adminDSN string) (string, error) {
	dir, err := memCopy()
	if err != nil {
		return "", err
	}
	before, err := dir.Files()
	if err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	if err := diff(ctx, adminDSN, dir, "pending"); err != nil {
		return "", err
	}
	after, err := dir.Files()
	if err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	known := make(map[string]bool, len(before))
	for _, f := range before {
		known[f.Name()] = true
	}
	pending := ""
	for _, f := range after {
		if !known[f.Name()] {
			pending += string(f.Bytes())
		}
	}
	return pending, nil
}

// Generate writes a new migration called name into the folder path when the ent schema differs
// from what the migrations there produce. It reports whether a file was written.
func Generate(ctx context.Context, adminDSN, path, name string) (bool, error) {
	dir, err := sqltool.NewGolangMigrateDir(path)
	if err != nil {
		return false, fmt.Errorf("open migration folder %q: %w", path, err)
	}
	before, err := dir.Files()
	if err != nil {
		return false, fmt.Errorf("list migrations: %w", err)
	}
	if err := diff(ctx, adminDSN, dir, name); err != nil {
		return false, err
	}
	after, err := dir.Files()
	if err != nil {
		return false, fmt.Errorf("list migrations: %w", err)
	}
	if len(after) == len(before) {
		return false, nil
	}
	// golang-migrate never applies a version below a database's current one, so a new file
	// must sort last (it does not when this machine's clock is behind the newest migration).
	last := after[len(after)-1]
	if len(before) > 0 && last.Name() == before[len(before)-1].Name() {
		return true, fmt.Errorf("the new migration sorts before %s; check the clock and rename "+
			"it", last.Name())
	}
	return true, nil
}

// diff runs ent's versioned-migration planner against a scratch database that exists only for
// the call.
func diff(ctx context.Context, adminDSN string, dir atlasmigrate.Dir, name string) error {
	registerOnce.Do(func() { sql.Register("postgres", stdlib.GetDefaultDriver()) })
	devURL, drop, err := scratchDatabase(ctx, adminDSN)
	if err != nil {
		return err
	}
	defer drop()

	err = entmigrate.NamedDiff(ctx, devURL, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect.Postgres),
		schema.WithFormatter(upOnly),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return fmt.Errorf("plan migration %q: %w", name, err)
	}
	return nil
}

// memCopy copies the embedded migrations into an in-memory folder that a plan may write to.
func memCopy() (*atlasmigrate.MemDir, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	dir := atlasmigrate.OpenMemDir("plan-" + hex.EncodeToString(b))
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	for _, e := range entries {
		data, err := fs.ReadFile(migrations.FS, e.Name())
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", e.Name(), err)
		}
		if err := dir.WriteFile(e.Name(), data); err != nil {
			return nil, fmt.Errorf("copy migration %q: %w", e.Name(), err)
		}
	}
	return dir, nil
}

// scratchDatabase creates an empty database on the server of adminDSN and returns its URL and a
// function that drops it.
func scratchDatabase(ctx context.Context, adminDSN string) (string, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "tenantd_plan_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return "", nil, fmt.Errorf("connect to %s: %w", redact(adminDSN), err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		_ = conn.Close(ctx)
		return "", nil, fmt.Errorf("create scratch database: %w", err)
	}
	u, err := url.Parse(adminDSN)
	if err != nil {
		_ = conn.Close(ctx)
		return "", nil, fmt.Errorf("parse admin URL: %w", err)
	}
	u.Path = "/" + name
	q := u.Query()
	q.Set("sslmode", "disable")
	q.Set("search_path", "public")
	u.RawQuery = q.Encode()
	drop := func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		_ = conn.Close(context.Background())
	}
	return u.String(), drop, nil
}

// redact returns dsn without its password, for error messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}
