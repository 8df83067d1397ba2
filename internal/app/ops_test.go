package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/config"
)

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func TestOperationsEndpoints(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	base := env.Server.URL

	code, body := get(t, base+"/healthz", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "ok")

	code, body = get(t, base+"/readyz", "")
	require.Equal(t, http.StatusOK, code, body)
	var ready struct{ Checks map[string]string }
	require.NoError(t, json.Unmarshal([]byte(body), &ready))
	require.Equal(t, map[string]string{"database": "ok", "migrations": "ok"}, ready.Checks)

	env.Do(t, env.Admin(t), `query ListPlans { plans { totalCount } }`, nil)
	code, body = get(t, base+"/metrics", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `tenantd_graphql_operations_total{operation="ListPlans"`)
	require.Contains(t, body, `tenantd_http_requests_total{code="200",method="POST",route="/graphql"}`)

	require.Eventually(t, func() bool {
		_, body := get(t, base+"/metrics", "")
		return strings.Contains(body,
			`tenantd_jobs_total{kind="purge_webhook_receipts",outcome="completed"} 1`)
	}, 15*time.Second, 100*time.Millisecond, "the periodic purge job runs on start and is counted")

	code, _ = get(t, base+"/", "")
	require.Equal(t, http.StatusNotFound, code, "no GraphiQL in production mode")
}

func TestRiverDashboardIsForOperatorsOnly(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	base := env.Server.URL + "/riverui/"

	code, _ := get(t, base, "")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = get(t, base, "not-a-token")
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = get(t, base, env.Lead(t, [16]byte{1}))
	require.Equal(t, http.StatusUnauthorized, code)
	code, body := get(t, base, env.Operator(t))
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, strings.ToLower(body), "<html")

	code, _ = get(t, base+"?token="+env.Operator(t), "")
	require.Equal(t, http.StatusSeeOther, code, "a token in the URL becomes a cookie")
}

func TestDevelopmentServesGraphiQLAndIntrospection(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		c.Env = "development"
	}})
	code, body := get(t, env.Server.URL+"/", "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "graphiql")

	resp := env.Do(t, "", `{ __schema { queryType { name } } }`, nil)
	require.Empty(t, resp.Errors)
}

func TestEveryLogLineOfARequestCarriesItsID(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	req, err := http.NewRequest(http.MethodPost, env.Server.URL+"/graphql",
		strings.NewReader(`{"query":"{ plans { totalCount } }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+env.Admin(t))
	req.Header.Set("X-Request-Id", "trace-me-42")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, "trace-me-42", resp.Header.Get("X-Request-Id"))

	lines := env.LogLines("trace-me-42")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		require.Contains(t, l, `"request_id":"trace-me-42"`)
	}
}
