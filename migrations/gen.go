//go:build ignore

// Command gen writes a new migration into migrations/ when the ent schema changed. It needs a
// PostgreSQL server to replay the migrations on a scratch database: TEST_DATABASE_URL, default
// the local server. Run it through `make generate`.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/tenantd/tenantd/internal/migrate"
)

func main() {
	admin := os.Getenv("TEST_DATABASE_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	name := "schema"
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	wrote, err := migrate.Generate(context.Background(), admin, "migrations", name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "generate migration:", err)
		os.Exit(1)
	}
	if wrote {
		fmt.Println("wrote a new migration into migrations/")
	}
}
