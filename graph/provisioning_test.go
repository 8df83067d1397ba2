package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/webhook"
)

const (
	provisionQ = `mutation($id: ID!) { provisionTenant(tenantId: $id) { id status } }`
	tenantQ    = `query($id: ID!) { tenant(id: $id) { status
		subscription { status billingAnchor }
		resources { totalCount edges { node { type externalIdentifier } } }
		provisioningAttempts(orderBy: {field: NUMBER}) { edges { node { number status
			operation failureReason } } }
		statusHistory { edges { node { from to reason actor } } } } }`
)

type tenantView struct {
	Tenant struct {
		Status       string
		Subscription *struct {
			Status        string
			BillingAnchor *time.Time
		}
		Resources struct {
			TotalCount int
			Edges      []struct {
				Node struct{ Type, ExternalIdentifier string }
			}
		}
		ProvisioningAttempts struct {
			Edges []struct {
				Node struct {
					Number                           int
					Status, Operation, FailureReason string
				}
			}
		}
		StatusHistory struct {
			Edges []struct {
				Node struct {
					From              *string
					To, Reason, Actor string
				}
			}
		}
	}
}

func viewTenant(t *testing.T, env *apptest.Env, id string) tenantView {
	t.Helper()
	var v tenantView
	env.Do(t, env.Admin(t), tenantQ, map[string]any{"id": id}).Decode(t, &v)
	return v
}

// onboardOne creates a plan and a PENDING_PROVISION tenant through the API.
func onboardOne(t *testing.T, env *apptest.Env, key string) string {
	t.Helper()
	admin := env.Admin(t)
	env.Do(t, admin, createPlan, planInput(key+"-plan")).Decode(t, &struct{}{})
	var out struct{ OnboardTenant struct{ ID string } }
	env.Do(t, admin, `mutation($input: OnboardTenantInput!) { onboardTenant(input: $input) { id } }`,
		map[string]any{"input": map[string]any{"key": key, "name": "Tenant " + key,
			"domains": []string{key + ".example"}, "planKey": key + "-plan",
			"address": map[string]any{"line": "1 Way", "city": "Bern", "country": "CH"},
			"contacts": []map[string]any{{"firstName": "Pat", "lastName": "Owner",
				"email": "pat@" + key + ".example"}}}}).Decode(t, &out)
	return out.OnboardTenant.ID
}

// provisioner plays an external provisioning pipeline that reads the request events.
type provisioner struct {
	env  *apptest.Env
	sink *apptest.EventSink
}

// request returns the latest request event of type typ for tenant id.
func (p provisioner) request(t *testing.T, typ, tenantID string, number int) apptest.Event {
	t.Helper()
	var found apptest.Event
	require.Eventually(t, func() bool {
		for _, e := range p.sink.Events() {
			a, _ := e.Data["attempt"].(map[string]any)
			if e.Type == typ && e.Subject == tenantID && a["number"] == float64(number) {
				found = e
				return true
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "no %s #%d", typ, number)
	return found
}

// callback signs body for the request's attempt and posts it; it returns the status code.
func (p provisioner) callback(t *testing.T, req apptest.Event, body map[string]any) int {
	t.Helper()
	a := req.Data["attempt"].(map[string]any)
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	return p.post(t, raw, ts, webhook.Sign([]byte(a["secret"].(string)), raw,
		a["context"].(string), ts))
}

func (p provisioner) post(t *testing.T, raw []byte, ts, sig string) int {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, p.env.Server.URL+"/webhooks/provisioning",
		bytes.NewReader(raw))
	require.NoError(t, err)
	r.Header.Set("x-timestamp", ts)
	r.Header.Set("x-signature", sig)
	resp, err := http.DefaultClient.Do(r)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func result(tenantID string, typ int, status any, reason string) map[string]any {
	data := map[string]any{"status": status, "resources": []map[string]any{
		{"type": "database", "externalIdentifier": "db-1", "metadata": map[string]any{"gb": 10}},
		{"type": "bucket", "metadata": map[string]any{}},
	}}
	if reason != "" {
		data["reason"] = reason
	}
	return map[string]any{"initiatorId": tenantID, "type": typ, "data": data}
}

func externalEnv(t *testing.T, change func(*config.Config)) provisioner {
	t.Helper()
	sink := apptest.NewEventSink(t)
	env := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		sink.Configure(c)
		if change != nil {
			change(c)
		}
	}})
	return provisioner{env: env, sink: sink}
}

func TestProvisioningThroughTheSignedWebhook(t *testing.T) {
	t.Parallel()
	p := externalEnv(t, nil)
	env, admin := p.env, p.env.Admin(t)
	id := onboardOne(t, env, "prov")

	var out struct{ ProvisionTenant struct{ Status string } }
	env.Do(t, admin, provisionQ, map[string]any{"id": id}).Decode(t, &out)
	require.Equal(t, "PROVISIONING", out.ProvisionTenant.Status)

	req := p.request(t, "tenant.provisioning.requested", id, 1)
	a := req.Data["attempt"].(map[string]any)
	require.NotEmpty(t, a["secret"], "the request carries the attempt's secret")
	require.NotEmpty(t, a["context"])
	require.NotEmpty(t, a["deadline"])
	require.Equal(t, env.Server.URL, env.Server.URL) // callbackUrl is PUBLIC_URL-based
	require.NotEmpty(t, req.Data["callbackUrl"])
	tenant := req.Data["tenant"].(map[string]any)
	require.Equal(t, "prov", tenant["key"])
	require.Len(t, tenant["contacts"], 1)
	require.Equal(t, "POOLED", req.Data["plan"].(map[string]any)["deploymentModel"])

	var stored int
	require.NoError(t, env.Service.DB.Pool.QueryRow(t.Context(),
		`SELECT count(*) FROM outbox_events WHERE data::text LIKE '%' || $1 || '%'`,
		a["secret"]).Scan(&stored))
	require.Zero(t, stored, "the outbox never holds the secret in the clear")

	require.Equal(t, http.StatusNoContent, p.callback(t, req, result(id, 0, "success", "")))
	v := viewTenant(t, env, id)
	require.Equal(t, "ACTIVE", v.Tenant.Status)
	require.Equal(t, 2, v.Tenant.Resources.TotalCount)
	require.Equal(t, "ACTIVE", v.Tenant.Subscription.Status)
	require.NotNil(t, v.Tenant.Subscription.BillingAnchor)
	require.Equal(t, "SUCCEEDED", v.Tenant.ProvisioningAttempts.Edges[0].Node.Status)
	history := v.Tenant.StatusHistory.Edges
	require.Equal(t, "ACTIVE", history[len(history)-1].Node.To)
	require.Equal(t, "system:provisioner", history[len(history)-1].Node.Actor)

	// The same delivery again, and a success for the ended attempt: nothing applied twice.
	require.Equal(t, http.StatusOK, p.callback(t, req, result(id, 0, "success", "")))
	require.Equal(t, http.StatusConflict, p.callback(t, req, result(id, 0, "failure", "late")))
	require.Equal(t, 2, viewTenant(t, env, id).Tenant.Resources.TotalCount)

	p.sink.Await(t, "tenant.provisioned", id)
	require.Eventually(t, func() bool {
		return len(env.LogLines("identity provider setup not configured yet")) == 1
	}, 15*time.Second, 50*time.Millisecond, "the identity setup job ran")
	require.Eventually(t, func() bool { return len(env.LogLines(`"email written"`)) == 1 },
		15*time.Second, 50*time.Millisecond, "the welcome email went out")

	// Suspend, reactivate, off-board through the provisioner.
	var s struct{ SuspendTenant struct{ Status string } }
	env.Do(t, admin, `mutation($id: ID!) { suspendTenant(tenantId: $id, reason: "unpaid") {
		status } }`, map[string]any{"id": id}).Decode(t, &s)
	require.Equal(t, "SUSPENDED", s.SuspendTenant.Status)
	env.Do(t, admin, `mutation($id: ID!) { reactivateTenant(tenantId: $id) { status } }`,
		map[string]any{"id": id}).Decode(t, &struct{}{})
	var off struct{ OffboardTenant struct{ Status string } }
	env.Do(t, admin, `mutation($id: ID!) { offboardTenant(tenantId: $id) { status } }`,
		map[string]any{"id": id}).Decode(t, &off)
	require.Equal(t, "DEPROVISIONING", off.OffboardTenant.Status)
	dreq := p.request(t, "tenant.deprovisioning.requested", id, 2)
	wrongType := p.callback(t, dreq, result(id, 0, "success", ""))
	require.Equal(t, http.StatusConflict, wrongType, "a type-0 result for a deprovisioning")
	require.Equal(t, http.StatusNoContent, p.callback(t, dreq, result(id, 1, "success", "")))
	v = viewTenant(t, env, id)
	require.Equal(t, "OFFBOARDED", v.Tenant.Status)
	require.Equal(t, "CANCELLED", v.Tenant.Subscription.Status)

	taken := env.Do(t, admin, `mutation($input: OnboardTenantInput!) { onboardTenant(input: $input)
		{ id } }`, map[string]any{"input": map[string]any{"key": "prov", "name": "Again",
		"domains": []string{"prov2.example"}, "planKey": "prov-plan",
		"address": map[string]any{"line": "1 Way", "city": "Bern", "country": "CH"},
		"contacts": []map[string]any{{"firstName": "A", "lastName": "B",
			"email": "a@prov2.example"}}}})
	require.Equal(t, "CONFLICT", taken.Code(), "an off-boarded tenant's key stays reserved")

	types := map[string]bool{}
	for _, e := range p.sink.Events() {
		types[e.Type] = true
	}
	for _, want := range []string{"tenant.created", "tenant.provisioning.requested",
		"tenant.provisioned", "tenant.suspended", "tenant.reactivated",
		"tenant.deprovisioning.requested", "tenant.offboarded"} {
		require.Eventually(t, func() bool {
			for _, e := range p.sink.Events() {
				if e.Type == want {
					return true
				}
			}
			return false
		}, 15*time.Second, 20*time.Millisecond, "event %s published", want)
	}
}

func TestProvisioningFailureAndRetry(t *testing.T) {
	t.Parallel()
	p := externalEnv(t, nil)
	env, admin := p.env, p.env.Admin(t)
	id := onboardOne(t, env, "fail")
	env.Do(t, admin, provisionQ, map[string]any{"id": id}).Decode(t, &struct{}{})
	first := p.request(t, "tenant.provisioning.requested", id, 1)
	require.Equal(t, http.StatusNoContent,
		p.callback(t, first, result(id, 0, "failure", "quota exceeded")))
	v := viewTenant(t, env, id)
	require.Equal(t, "PROVISION_FAILED", v.Tenant.Status)
	require.Equal(t, "quota exceeded", v.Tenant.ProvisioningAttempts.Edges[0].Node.FailureReason)
	require.Zero(t, v.Tenant.Resources.TotalCount, "a failure stores no resources")

	again := env.Do(t, admin, provisionQ, map[string]any{"id": id})
	require.Equal(t, "INVALID_TRANSITION", again.Code())
	require.Equal(t, "PROVISION_FAILED", again.Errors[0].Extensions["from"])
	require.Equal(t, "PROVISIONING", again.Errors[0].Extensions["to"])

	var retry struct{ RetryProvisioning struct{ Status string } }
	env.Do(t, admin, `mutation($id: ID!) { retryProvisioning(tenantId: $id) { status } }`,
		map[string]any{"id": id}).Decode(t, &retry)
	require.Equal(t, "PROVISIONING", retry.RetryProvisioning.Status)
	second := p.request(t, "tenant.provisioning.requested", id, 2)
	require.NotEqual(t, first.Data["attempt"].(map[string]any)["secret"],
		second.Data["attempt"].(map[string]any)["secret"], "every attempt has its own secret")

	// A late success for the first attempt contradicts its recorded failure.
	require.Equal(t, http.StatusConflict, p.callback(t, first, result(id, 0, "success", "")))
	require.Equal(t, http.StatusNoContent, p.callback(t, second, result(id, 0, 1, "")))
	require.Equal(t, "ACTIVE", viewTenant(t, env, id).Tenant.Status)
}

func TestInvalidTransitionsAndDirectOffboarding(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	admin := env.Admin(t)
	id := onboardOne(t, env, "pend")
	for _, m := range []string{"suspendTenant", "reactivateTenant", "retryProvisioning"} {
		q := fmt.Sprintf(`mutation($id: ID!) { %s(tenantId: $id) { status } }`, m)
		resp := env.Do(t, admin, q, map[string]any{"id": id})
		require.Equal(t, "INVALID_TRANSITION", resp.Code(), m)
		require.Equal(t, "PENDING_PROVISION", resp.Errors[0].Extensions["from"], m)
	}
	var off struct{ OffboardTenant struct{ Status string } }
	env.Do(t, admin, `mutation($id: ID!) { offboardTenant(tenantId: $id) { status } }`,
		map[string]any{"id": id}).Decode(t, &off)
	require.Equal(t, "OFFBOARDED", off.OffboardTenant.Status, "nothing to remove")
	resp := env.Do(t, admin, provisionQ, map[string]any{"id": id})
	require.Equal(t, "INVALID_TRANSITION", resp.Code())
}

func TestDeadlineTimesAttemptsOut(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		c.AttemptTTL = time.Second
	}})
	id := onboardOne(t, env, "slow")
	env.Do(t, env.Admin(t), provisionQ, map[string]any{"id": id}).Decode(t, &struct{}{})
	require.Eventually(t, func() bool {
		return viewTenant(t, env, id).Tenant.Status == "PROVISION_FAILED"
	}, 20*time.Second, 100*time.Millisecond)
	v := viewTenant(t, env, id)
	require.Equal(t, "TIMED_OUT", v.Tenant.ProvisioningAttempts.Edges[0].Node.Status)
	last := v.Tenant.StatusHistory.Edges[len(v.Tenant.StatusHistory.Edges)-1].Node
	require.Equal(t, "timeout", last.Reason)
}

func TestLocalProvisionerActivatesByItself(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		c.Provisioner = "local"
		c.LocalProvisionerDelay = 100 * time.Millisecond
	}})
	id := onboardOne(t, env, "showcase")
	env.Do(t, env.Admin(t), provisionQ, map[string]any{"id": id}).Decode(t, &struct{}{})
	require.Eventually(t, func() bool {
		return viewTenant(t, env, id).Tenant.Status == "ACTIVE"
	}, 20*time.Second, 100*time.Millisecond)
	require.Equal(t, 2, viewTenant(t, env, id).Tenant.Resources.TotalCount)
}

func TestLeadProvisionsItsOwnTenantOnly(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)
	env.Do(t, env.Admin(t), createPlan, planInput("basic")).Decode(t, &struct{}{})
	_, token := signUp(t, env, ts, "max@mine.example")
	var tn struct{ OnboardTenantFromLead struct{ ID string } }
	env.Do(t, token, fromLeadQ, map[string]any{"input": map[string]any{"key": "mine",
		"domains": []string{"mine.example"}, "planKey": "basic"}}).Decode(t, &tn)
	other := onboardOne(t, env, "theirs")

	require.Equal(t, "FORBIDDEN", env.Do(t, token, provisionQ,
		map[string]any{"id": other}).Code())
	var out struct{ ProvisionTenant struct{ Status string } }
	env.Do(t, token, provisionQ, map[string]any{"id": tn.OnboardTenantFromLead.ID}).Decode(t, &out)
	require.Equal(t, "PROVISIONING", out.ProvisionTenant.Status)
	require.Equal(t, "FORBIDDEN", env.Do(t, token,
		`mutation($id: ID!) { suspendTenant(tenantId: $id) { id } }`,
		map[string]any{"id": tn.OnboardTenantFromLead.ID}).Code())
}

func TestRacingCallbacksApplyOnce(t *testing.T) {
	t.Parallel()
	p := externalEnv(t, nil)
	env := p.env
	id := onboardOne(t, env, "race")
	env.Do(t, env.Admin(t), provisionQ, map[string]any{"id": id}).Decode(t, &struct{}{})
	req := p.request(t, "tenant.provisioning.requested", id, 1)

	// The same signed delivery twice at once, and a contradicting one beside them.
	a := req.Data["attempt"].(map[string]any)
	raw, err := json.Marshal(result(id, 0, "success", ""))
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	sig := webhook.Sign([]byte(a["secret"].(string)), raw, a["context"].(string), ts)
	codes := make(chan int, 3)
	for range 2 {
		go func() { codes <- p.post(t, raw, ts, sig) }()
	}
	go func() { codes <- p.callback(t, req, result(id, 0, "failure", "late")) }()
	got := map[int]int{}
	for range 3 {
		got[<-codes]++
	}
	require.Equal(t, 1, got[http.StatusNoContent], "one delivery applied: %v", got)
	require.Equal(t, 2, got[http.StatusOK]+got[http.StatusConflict],
		"the others were a repeat (200) or contradicted it (409): %v", got)
	v := viewTenant(t, env, id)
	require.Contains(t, []string{"ACTIVE", "PROVISION_FAILED"}, v.Tenant.Status)
	require.Len(t, v.Tenant.ProvisioningAttempts.Edges, 1)
	changes := 0
	for _, e := range v.Tenant.StatusHistory.Edges {
		if e.Node.From != nil && *e.Node.From == "PROVISIONING" {
			changes++
		}
	}
	require.Equal(t, 1, changes, "exactly one callback changed the tenant")
}
