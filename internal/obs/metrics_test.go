package obs

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// counterValue returns the value of the series of vec with labels.
func counterValue(t *testing.T, vec *prometheus.CounterVec, labels ...string) float64 {
	t.Helper()
	return testutil.ToFloat64(vec.WithLabelValues(labels...))
}

func TestMetricsHTTP(t *testing.T) {
	t.Parallel()

	m := NewMetrics(prometheus.NewRegistry())
	mux := http.NewServeMux()
	mux.Handle("GET /tenants/{id}", m.HTTP("GET /tenants/{id}",
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("id") == "missing" {
				http.NotFound(w, r)
				return
			}
			_, _ = io.WriteString(w, "ok")
		})))

	for _, path := range []string{"/tenants/1", "/tenants/2", "/tenants/missing"} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}

	require.Equal(t, 2.0, counterValue(t, m.httpRequests, "GET", "GET /tenants/{id}", "200"))
	require.Equal(t, 1.0, counterValue(t, m.httpRequests, "GET", "GET /tenants/{id}", "404"))
	require.Equal(t, 2, testutil.CollectAndCount(m.httpRequests), "raw paths became labels")
	require.Equal(t, 1, testutil.CollectAndCount(m.httpDuration))
}

func TestMetricsHTTPMethodBounded(t *testing.T) {
	t.Parallel()

	m := NewMetrics(nil)
	h := m.HTTP("/x", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for _, method := range []string{"GET", "BREW", "PROPFIND", "get"} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, "/x", nil))
	}

	require.Equal(t, 1.0, counterValue(t, m.httpRequests, "GET", "/x", "200"))
	require.Equal(t, 3.0, counterValue(t, m.httpRequests, "OTHER", "/x", "200"))
}

func TestMetricsHandler(t *testing.T) {
	t.Parallel()

	m := NewMetrics(prometheus.NewRegistry())
	m.ObserveGraphQL("ListTenants", "query", "ok", 20*time.Millisecond)
	m.ObserveGraphQL("", "mutation", "error", time.Second)
	m.ObserveJob("send_email", "completed", 3*time.Second)
	m.ObserveJob("send_email", "failed", time.Second)
	m.ObserveProvisioning("succeeded", 90*time.Second)
	m.WebhookRejected("signature")
	m.WebhookRejected("signature")
	m.WebhookRejected("replay")

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	body := rec.Body.String()
	for _, want := range []string{
		`tenantd_graphql_operations_total{operation="ListTenants",outcome="ok",type="query"} 1`,
		`tenantd_graphql_operations_total{operation="anonymous",outcome="error",type="mutation"} 1`,
		`tenantd_graphql_operation_duration_seconds_count{type="query"} 1`,
		`tenantd_jobs_total{kind="send_email",outcome="completed"} 1`,
		`tenantd_jobs_total{kind="send_email",outcome="failed"} 1`,
		`tenantd_job_duration_seconds_sum{kind="send_email"} 4`,
		`tenantd_provisioning_duration_seconds_bucket{outcome="succeeded",le="60"} 0`,
		`tenantd_provisioning_duration_seconds_bucket{outcome="succeeded",le="120"} 1`,
		`tenantd_webhook_rejections_total{reason="signature"} 2`,
		`tenantd_webhook_rejections_total{reason="replay"} 1`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		require.Contains(t, body, want)
	}
}

func TestNewMetricsTwicePanics(t *testing.T) {
	t.Parallel()

	reg := prometheus.NewRegistry()
	NewMetrics(reg)
	require.Panics(t, func() { NewMetrics(reg) })
}

func TestSanitizeOperationName(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: "anonymous"},
		{name: "plain", in: "ListTenants", want: "ListTenants"},
		{name: "digits and underscore", in: "_get_2", want: "_get_2"},
		{name: "punctuation", in: "a-b.c d{}", want: "a_b_c_d__"},
		{name: "quotes and newline", in: "x\"\n}", want: "x___"},
		{name: "multibyte rune is one underscore", in: "héllo", want: "h_llo"},
		{name: "invalid utf-8", in: "a\xffb", want: "a_b"},
		{name: "64 kept", in: strings.Repeat("a", 64), want: strings.Repeat("a", 64)},
		{name: "65 cut", in: strings.Repeat("b", 65), want: strings.Repeat("b", 64)},
		{name: "long multibyte cut", in: strings.Repeat("é", 100), want: strings.Repeat("_", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, SanitizeOperationName(tt.in))
		})
	}
}

func TestOperationNamesBounded(t *testing.T) {
	t.Parallel()

	m := NewMetrics(nil)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range maxOperationNames {
				m.ObserveGraphQL(fmt.Sprintf("Op%d_%d", w, i), "query", "ok", time.Millisecond)
			}
		})
	}
	wg.Wait()
	var kept string
	for name := range m.operationNames {
		kept = name
		break
	}
	m.ObserveGraphQL(kept, "query", "ok", time.Millisecond)

	require.Equal(t, maxOperationNames+1, testutil.CollectAndCount(m.graphqlOps))
	require.Equal(t, 2.0, counterValue(t, m.graphqlOps, kept, "query", "ok"))
	total := 0.0
	for name := range m.operationNames {
		total += counterValue(t, m.graphqlOps, name, "query", "ok")
	}
	other := counterValue(t, m.graphqlOps, otherOperation, "query", "ok")
	require.Equal(t, float64(4*maxOperationNames+1), total+other)
	require.Equal(t, float64(3*maxOperationNames), other)
}
