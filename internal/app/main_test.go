package app_test

import (
	"testing"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/testdb"
)

func TestMain(m *testing.M) {
	testdb.Main(m, apptest.Migrate)
}
