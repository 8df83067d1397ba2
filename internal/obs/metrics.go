package obs

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const (
	// maxOperationNameLen is the longest GraphQL operation name kept in a label, in runes.
	maxOperationNameLen = 64
	// maxOperationNames is how many distinct GraphQL operation names get their own series;
	// later new names are counted under otherOperation.
	maxOperationNames = 500
	// anonymousOperation labels operations sent without a name.
	anonymousOperation = "anonymous"
	// otherOperation labels operations whose name came after maxOperationNames others.
	otherOperation = "other"
)

// Duration buckets, in seconds.
var (
	// jobBuckets span quick emails to slow provisioning steps.
	jobBuckets = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
	// provisioningBuckets span a local provisioner (seconds) to a cloud one (an hour and more).
	provisioningBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
)

// Metrics holds the Prometheus collectors of tenantd, registered on one registry. Its methods
// are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	graphqlOps      *prometheus.CounterVec
	graphqlDuration *prometheus.HistogramVec

	jobs        *prometheus.CounterVec
	jobDuration *prometheus.HistogramVec

	provisioningDuration *prometheus.HistogramVec
	webhookRejections    *prometheus.CounterVec

	mu             sync.RWMutex
	operationNames map[string]struct{} // sanitised GraphQL operation names that have a series
}

// NewMetrics registers the tenantd collectors and the Go and process collectors on reg and
// returns them; a nil reg gets a new registry. Like promauto it panics when reg already holds
// a collector of the same name, which only a wiring mistake (calling it twice on one
// registry) can cause.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantd_http_requests_total",
			Help: "HTTP requests by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tenantd_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, hijacked connections excluded.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		graphqlOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantd_graphql_operations_total",
			Help: "GraphQL operations by client-chosen operation name, type and outcome.",
		}, []string{"operation", "type", "outcome"}),
		graphqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tenantd_graphql_operation_duration_seconds",
			Help:    "Time to execute a GraphQL operation by operation type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"type"}),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantd_jobs_total",
			Help: "Background job runs by kind and outcome.",
		}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tenantd_job_duration_seconds",
			Help:    "Time to run a background job by kind.",
			Buckets: jobBuckets,
		}, []string{"kind"}),
		provisioningDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tenantd_provisioning_duration_seconds",
			Help:    "Time from the start of a provisioning attempt to its outcome.",
			Buckets: provisioningBuckets,
		}, []string{"outcome"}),
		webhookRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantd_webhook_rejections_total",
			Help: "Provisioning webhook deliveries refused, by reason.",
		}, []string{"reason"}),
		operationNames: make(map[string]struct{}),
	}
	reg.MustRegister(
		m.httpRequests, m.httpDuration, m.graphqlOps, m.graphqlDuration, m.jobs, m.jobDuration,
		m.provisioningDuration, m.webhookRejections,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry returns the registry the metrics are registered on, for further collectors
// (River's, the database pool's).
func (m *Metrics) Registry() *prometheus.Registry {
	return m.reg
}

// Handler serves the metrics of the registry in the Prometheus exposition formats, for
// /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// HTTP returns next instrumented as route: every request increments
// tenantd_http_requests_total{method,route,code} and, unless hijacked (a websocket whose
// handler returns only when the socket closes), observes
// tenantd_http_request_duration_seconds{method,route}. route must be the mux pattern (for
// example "POST /webhooks/provisioning"), never the raw path, so the number of series stays
// bounded; methods outside the standard ones are counted as "OTHER" for the same reason.
// A handler that panics before writing a header is counted with code 500.
func (m *Metrics) HTTP(route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := newStatusWriter(w)
		completed := false
		defer func() {
			method := methodLabel(r.Method)
			code := strconv.Itoa(sw.code(completed))
			m.httpRequests.WithLabelValues(method, route, code).Inc()
			if !sw.hijacked {
				m.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
			}
		}()
		next.ServeHTTP(sw, r)
		completed = true
	})
}

// methodLabel returns method when it is a standard HTTP method, "OTHER" otherwise.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	default:
		return "OTHER"
	}
}

// ObserveGraphQL counts one GraphQL operation in tenantd_graphql_operations_total and
// observes its duration d in tenantd_graphql_operation_duration_seconds{type}. opType is the
// operation type ("query", "mutation", "subscription") and outcome a small fixed set chosen
// by the caller (for example "ok", "error"). Operation names are chosen by clients, so they
// are bounded before becoming a label: characters outside [A-Za-z0-9_] become "_", names are
// cut to 64 characters, an empty name becomes "anonymous", and once 500 distinct names have
// been seen by this process further new names are counted as "other".
func (m *Metrics) ObserveGraphQL(operationName, opType string, outcome string, d time.Duration) {
	name := m.operationLabel(SanitizeOperationName(operationName))
	m.graphqlOps.WithLabelValues(name, opType, outcome).Inc()
	m.graphqlDuration.WithLabelValues(opType).Observe(d.Seconds())
}

// operationLabel returns name when it already has a series or there is room for one more,
// otherOperation otherwise.
func (m *Metrics) operationLabel(name string) string {
	m.mu.RLock()
	_, seen := m.operationNames[name]
	m.mu.RUnlock()
	if seen {
		return name
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if _, seen := m.operationNames[name]; seen {
		return name
	}
	if len(m.operationNames) >= maxOperationNames {
		return otherOperation
	}
	m.operationNames[name] = struct{}{}
	return name
}

// SanitizeOperationName returns a GraphQL operation name fit for a metric label: every
// character outside [A-Za-z0-9_] replaced by "_", at most 64 characters, "anonymous" when
// name is empty.
func SanitizeOperationName(name string) string {
	if name == "" {
		return anonymousOperation
	}
	out := make([]byte, 0, min(len(name), maxOperationNameLen))
	for _, c := range name {
		if len(out) == maxOperationNameLen {
			break
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			out = append(out, byte(c))
		} else {
			out = append(out, '_')
		}
	}
	return string(out)
}

// ObserveJob counts one finished run of a background job of kind with outcome (for example
// "completed", "failed", "cancelled", "snoozed") and observes its duration d. Both labels
// come from code, not clients.
func (m *Metrics) ObserveJob(kind, outcome string, d time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(d.Seconds())
}

// ObserveProvisioning observes the duration d of a provisioning attempt that ended with
// outcome (for example "succeeded", "failed", "timed_out").
func (m *Metrics) ObserveProvisioning(outcome string, d time.Duration) {
	m.provisioningDuration.WithLabelValues(outcome).Observe(d.Seconds())
}

// WebhookRejected counts one provisioning webhook delivery refused for reason, a fixed word
// chosen by the webhook handler (for example "signature_mismatch", "outside_window",
// "bad_timestamp", "too_large"), never text from the request.
func (m *Metrics) WebhookRejected(reason string) {
	m.webhookRejections.WithLabelValues(reason).Inc()
}
