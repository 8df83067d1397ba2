package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// runID makes this run's keys and emails unique, also against a long-running service: a letter
// and six hex digits, so tenant keys built from it are valid.
var runID = "b" + randomHex(3)

// benchPlan is the plan key every seeded and onboarded tenant uses.
const benchPlan = "bench"

// scenario is one operation driven at full speed.
type scenario struct {
	name     string  // -scenario value
	title    string  // label in the report
	target   float64 // requests per second it should reach
	operator bool    // sends the operator token
	flow     bool    // the onboarding flow (driveFlows) rather than one operation
	query    string
	vars     func(w *worker) map[string]any
}

// worker is the state of one connection's loop; only its goroutine touches it.
type worker struct {
	n   int // worker number
	seq int // requests made so far
	rng *rand.Rand
	ids []string // seeded tenant ids, shared read-only
}

const (
	createLeadQuery = `mutation($input: CreateLeadInput!) { createLead(input: $input) { leadId } }`
	onboardQuery    = `mutation($input: OnboardTenantInput!) {
  onboardTenant(input: $input) { id key status } }`
	tenantQuery = `query($id: ID!) { tenant(id: $id) {
  id key name status domains address { line city postalCode country } plan { key }
  contacts { edges { node { email isPrimary } } } } }`
	tenantsQuery = `query($order: [TenantOrder!]) { tenants(first: 20, orderBy: $order) {
  pageInfo { hasNextPage endCursor }
  edges { node { id key name status domains address { line city country } plan { key }
    contacts { edges { node { email type isPrimary } } } } } } }`
)

// tenantOrders are the orders of the list scenario: the indexed columns a console sorts by.
var tenantOrders = []string{"CREATED_AT", "KEY", "NAME"}

func scenarios() []*scenario {
	return []*scenario{
		{name: "createLead", title: "createLead", target: 1200, query: createLeadQuery,
			vars: func(w *worker) map[string]any {
				return map[string]any{"input": map[string]any{
					"firstName": "Grace", "lastName": "Hopper", "companyName": "Bench Labs",
					"email":   fmt.Sprintf("lead-%s-%d-%d@bench.example", runID, w.n, w.seq),
					"address": map[string]any{"line": "1 Main St", "city": "Berlin", "country": "DE"},
					"source":  "bench",
				}}
			}},
		{name: "onboardTenant", title: "onboardTenant", target: 1200, operator: true,
			query: onboardQuery, vars: func(w *worker) map[string]any {
				return onboardVars(fmt.Sprintf("%s-o%d-%d", runID, w.n, w.seq))
			}},
		{name: "tenant", title: "tenant(id)", target: 3000, operator: true, query: tenantQuery,
			vars: func(w *worker) map[string]any {
				return map[string]any{"id": w.ids[w.rng.IntN(len(w.ids))]}
			}},
		{name: "tenants", title: "tenants(first: 20)", target: 2000, operator: true,
			query: tenantsQuery, vars: func(w *worker) map[string]any {
				dir := [2]string{"ASC", "DESC"}[w.rng.IntN(2)]
				field := tenantOrders[w.rng.IntN(len(tenantOrders))]
				return map[string]any{"order": []any{map[string]any{"field": field,
					"direction": dir}}}
			}},
		{name: "flow", title: "onboarding flow", flow: true},
	}
}

// onboardVars are the variables of onboardTenant for a new tenant key.
func onboardVars(key string) map[string]any {
	domain := key + ".bench.example"
	return map[string]any{"input": map[string]any{
		"key": key, "name": "Bench " + key, "domains": []string{domain}, "planKey": benchPlan,
		"address": map[string]any{"line": "1 Main St", "city": "Berlin", "country": "DE"},
		"contacts": []any{map[string]any{"firstName": "Ada", "lastName": "Admin",
			"email": "ada@" + domain, "type": "ADMIN"}},
	}}
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.name)
	}
	return names
}

// selectScenarios returns every scenario for "all", or the one named.
func selectScenarios(name string) ([]*scenario, error) {
	all := scenarios()
	if name == "all" {
		return all, nil
	}
	for _, s := range all {
		if s.name == name {
			return []*scenario{s}, nil
		}
	}
	return nil, fmt.Errorf("-scenario: %q is not all, %s", name,
		strings.Join(scenarioNames(), ", "))
}
