package graph_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
)

func postRaw(t *testing.T, env *apptest.Env, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(env.Server.URL+"/graphql", contentType, strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(out)
}

func TestMalformedRequestsAreRefusedNotCrashed(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	for _, body := range []string{
		`{"query": "{ viewer { kind } }"`, ``, `[1,2]`, `{"query": 5}`,
		`{"query": "{ viewer { kind } }", "variables": "x"}`,
		strings.Repeat("[", 20000),
	} {
		code, out := postRaw(t, env, "application/json", body)
		require.GreaterOrEqual(t, code, 400, body)
		require.Less(t, code, 500, body)
		require.NotContains(t, out, "INTERNAL", body)
	}
	require.Empty(t, env.LogLines("panic"), "no panic on undecodable bodies")
	require.Empty(t, env.LogLines(`"level":"ERROR"`))

	big := `{"query": "{ viewer { kind } }", "variables": {"x": "` +
		strings.Repeat("a", 2<<20) + `"}}`
	code, _ := postRaw(t, env, "application/json", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
}

func TestExpensiveDocumentsAreRefusedQuickly(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	start := time.Now()
	resp := env.Do(t, "", "{"+strings.Repeat(" viewer { kind }", 20000)+" }", nil)
	require.Equal(t, "VALIDATION_FAILED", resp.Code(), "over the token limit")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestValuesTheDatabaseCannotStore(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	admin := env.Admin(t)
	for _, q := range []string{
		`{ tenants(where: {search: "a\u0000"}) { totalCount } }`,
		`{ tenants(where: {keyHasPrefix: "a\u0000"}) { totalCount } }`,
		`{ leads(where: {emailContains: "a\u0000"}) { totalCount } }`,
		`{ tenantByKey(key: "a\u0000b") { id } }`,
		`{ tenants(first: 1, last: 1) { totalCount } }`,
	} {
		require.Equal(t, "VALIDATION_FAILED", env.Do(t, admin, q, nil).Code(), q)
	}
	seed := env.SeedTenant(t, "nul")
	resp := env.Do(t, admin, `mutation($id: ID!) { createTenantConfig(input: {tenantID: $id,
		key: "branding", value: {x: "a\u0000b"}}) { id } }`,
		map[string]any{"id": seed.Tenant.ID})
	require.Equal(t, "VALIDATION_FAILED", resp.Code())
}

func TestNestedListArguments(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	admin := env.Admin(t)
	id := env.SeedTenant(t, "nested").Tenant.ID
	for q, field := range map[string]string{
		`{ tenants { edges { node { contacts(first: 1, last: 1) { totalCount } } } } }`:                "tenants.edges.node.contacts.last",
		`{ tenants { edges { node { contacts(first: -1) { totalCount } } } } }`:                        "tenants.edges.node.contacts.first",
		`{ tenants { edges { node { statusHistory(first: 5000) { totalCount } } } } }`:                 "tenants.edges.node.statusHistory.first",
		`query($id: ID!) { tenant(id: $id) { contacts(after: "xx") { totalCount } } }`:                 "tenant.contacts.after",
		`query($id: ID!) { node(id: $id) { ... on Tenant { invoices(before: "!") { totalCount } } } }`: "node.invoices.before",
		`{ tenants(first: 101) { totalCount } }`:                                                       "first",
	} {
		resp := env.Do(t, admin, q, map[string]any{"id": id})
		require.Equal(t, "VALIDATION_FAILED", resp.Code(), q)
		require.Equal(t, field, resp.Field(), q)
	}
	require.Empty(t, env.LogLines("panic"))
	ok := env.Do(t, admin, `query($id: ID!) { tenant(id: $id) { contacts(first: 100) {
		totalCount } } }`, map[string]any{"id": id})
	require.Empty(t, ok.Errors)
}

func TestUnsupportedRequestsCarryACode(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	for _, c := range []struct{ method, contentType string }{
		{http.MethodPost, "text/plain"}, {http.MethodPut, "application/json"},
		{http.MethodDelete, ""},
	} {
		req, err := http.NewRequest(c.method, env.Server.URL+"/graphql",
			strings.NewReader(`{"query":"{ viewer { kind } }"}`))
		require.NoError(t, err)
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, c.method)
		require.Contains(t, string(body), `"code":"VALIDATION_FAILED"`, c.method)
	}
}
