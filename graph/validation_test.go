package graph_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// vMutations are the operator mutations under test: their document and a valid input.
var vMutations = map[string]struct {
	query string
	// id picks the object an update works on; nil for creates.
	id   func(f *azFixture) string
	base func(f *azFixture) map[string]any
}{
	"createPlan": {
		query: `mutation($input: CreatePlanInput!) { createPlan(input: $input) { id } }`,
		base: func(f *azFixture) map[string]any {
			return map[string]any{"key": fmt.Sprintf("v-plan-%d", f.next()), "name": "Gold",
				"tier": "PREMIUM", "deploymentModel": "SILO", "price": 9900, "currency": "eur",
				"billingCycle": "MONTHLY", "identityProvider": "AUTH0"}
		},
	},
	"updatePlan": {
		query: `mutation($id: ID!, $input: UpdatePlanInput!) {
			updatePlan(id: $id, input: $input) { id } }`,
		id: func(f *azFixture) string { return f.planID },
	},
	"createContact": {
		query: `mutation($input: CreateContactInput!) { createContact(input: $input) { id } }`,
		base: func(f *azFixture) map[string]any {
			return map[string]any{"tenantID": f.tenantID, "firstName": "Grace",
				"lastName": "Hopper", "email": fmt.Sprintf("grace%d@acme.example", f.next()),
				"type": "BILLING"}
		},
	},
	"updateContact": {
		query: `mutation($id: ID!, $input: UpdateContactInput!) {
			updateContact(id: $id, input: $input) { id } }`,
		id: func(f *azFixture) string { return f.contactID },
	},
	"createTenantConfig": {
		query: `mutation($input: CreateTenantConfigInput!) {
			createTenantConfig(input: $input) { id } }`,
		base: func(f *azFixture) map[string]any {
			return map[string]any{"tenantID": f.tenantID,
				"key": fmt.Sprintf("keycloak.%d", f.next()), "value": map[string]any{"realm": "x"}}
		},
	},
	"updateTenantConfig": {
		query: `mutation($id: ID!, $input: UpdateTenantConfigInput!) {
			updateTenantConfig(id: $id, input: $input) { id } }`,
		id: func(f *azFixture) string { return f.configID },
	},
	"createInvoice": {
		query: `mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }`,
		base:  (*azFixture).invoiceInput,
	},
	"updateInvoice": {
		query: `mutation($id: ID!, $input: UpdateInvoiceInput!) {
			updateInvoice(id: $id, input: $input) { id } }`,
		id: func(f *azFixture) string { return f.invoiceID },
	},
	"updateTenant": {
		query: `mutation($id: ID!, $input: UpdateTenantInput!) {
			updateTenant(id: $id, input: $input) { id } }`,
		id: func(f *azFixture) string { return f.tenantID },
	},
}

// vDrop in a case's set removes the key from the base input.
const vDrop = "\x00drop"

// vSchema as a case's field marks a rejection by the GraphQL schema itself, whose path is
// gqlgen's to choose.
const vSchema = "<schema>"

type vCase struct {
	name, op string
	// set is merged over the valid base input.
	set map[string]any
	// id replaces the id argument of an update.
	id any
	// field is the expected extensions.field ("" for a passing counterpart).
	field string
}

var (
	long65  = "a" + strings.Repeat("b", 64)
	long101 = strings.Repeat("x", 101)
	long201 = strings.Repeat("y", 201)
	big     = map[string]any{"blob": strings.Repeat("z", 64<<10)}
	address = map[string]any{"line": "1 Main St", "city": "Berlin", "postalCode": "10115",
		"country": "de"}
)

func withAddress(k string, v any) map[string]any {
	a := maps.Clone(address)
	if v == vDrop {
		delete(a, k)
	} else {
		a[k] = v
	}
	return map[string]any{"address": a}
}

func vCases() []vCase {
	cases := []vCase{
		// Plans.
		{op: "createPlan", set: map[string]any{"key": ""}, field: "input.key"},
		{op: "createPlan", set: map[string]any{"key": "Gold"}, field: "input.key"},
		{op: "createPlan", set: map[string]any{"key": "1gold"}, field: "input.key"},
		{op: "createPlan", set: map[string]any{"key": "gold plan"}, field: "input.key"},
		{op: "createPlan", set: map[string]any{"key": "gøld"}, field: "input.key"},
		{op: "createPlan", set: map[string]any{"key": long65}, field: "input.key"},
		{op: "createPlan", set: map[string]any{"name": "   "}, field: "input.name"},
		{op: "createPlan", set: map[string]any{"name": long201}, field: "input.name"},
		{op: "createPlan", set: map[string]any{"name": "Gold\x00"}, field: "input.name"},
		{op: "createPlan", set: map[string]any{"name": "Gold\nPlan"}, field: "input.name"},
		{op: "createPlan", set: map[string]any{"name": "Gold\u202e"}, field: "input.name"},
		{op: "createPlan", set: map[string]any{"tier": ""}, field: "input.tier"},
		// Fails today: catalog checks tier and size against validate.MaxShort (100) while
		// ent allows 64, so ent's validator answers with field "tier" and its own message.
		{op: "createPlan", set: map[string]any{"tier": long65}, field: "input.tier"},
		{op: "createPlan", set: map[string]any{"size": long65}, field: "input.size"},
		{op: "createPlan", set: map[string]any{"description": strings.Repeat("d", 2001)},
			field: "input.description"},
		{op: "createPlan", set: map[string]any{"price": -1}, field: "input.price"},
		{op: "createPlan", set: map[string]any{"currency": "XYZ"}, field: "input.currency"},
		{op: "createPlan", set: map[string]any{"currency": "us"}, field: "input.currency"},
		{op: "createPlan", set: map[string]any{"currency": ""}, field: "input.currency"},
		// Money is an Int bound to int64, limited to what JSON clients keep exactly (2^53-1).
		{op: "createPlan", set: map[string]any{"price": "100"}, field: vSchema},
		{op: "createPlan", set: map[string]any{"price": 1.5}, field: vSchema},
		{op: "createPlan", set: map[string]any{"price": int64(1) << 53}, field: vSchema},
		{op: "createPlan", set: map[string]any{"deploymentModel": "HYBRID"}, field: vSchema},
		{op: "createPlan", set: map[string]any{"billingCycle": "monthly"}, field: vSchema},
		{op: "createPlan", set: map[string]any{"status": "ACTIVE"}, field: vSchema},
		{op: "createPlan", set: map[string]any{"createdBy": "mallory"}, field: vSchema},
		{op: "createPlan", set: map[string]any{"name": vDrop}, field: vSchema},
		{op: "createPlan", set: map[string]any{"name": nil}, field: vSchema},
		{op: "updatePlan", set: map[string]any{"key": "Bad Key"}, field: "input.key"},
		{op: "updatePlan", set: map[string]any{"name": ""}, field: "input.name"},
		{op: "updatePlan", set: map[string]any{"name": long201}, field: "input.name"},
		{op: "updatePlan", set: map[string]any{"tier": long65}, field: "input.tier"},
		{op: "updatePlan", set: map[string]any{"price": -5}, field: "input.price"},
		{op: "updatePlan", set: map[string]any{"currency": "XYZ"}, field: "input.currency"},
		{op: "updatePlan", set: map[string]any{"id": uuid.NewString()}, field: vSchema},
		{op: "updatePlan", id: "nope", field: "id"},
		{op: "updatePlan", id: 42, field: "id"},

		// Contacts.
		{op: "createContact", set: map[string]any{"firstName": ""}, field: "input.firstName"},
		{op: "createContact", set: map[string]any{"firstName": long101}, field: "input.firstName"},
		{op: "createContact", set: map[string]any{"lastName": "Hop\tper"}, field: "input.lastName"},
		{op: "createContact", set: map[string]any{"email": "not-an-email"}, field: "input.email"},
		{op: "createContact", set: map[string]any{"email": "Bob <bob@acme.example>"},
			field: "input.email"},
		{op: "createContact", set: map[string]any{"email": "bob@localhost"}, field: "input.email"},
		{op: "createContact", set: map[string]any{"email": "b ob@acme.example"},
			field: "input.email"},
		{op: "createContact", set: map[string]any{"email": "bob@@acme.example"},
			field: "input.email"},
		{op: "createContact", set: map[string]any{"email": "bob@10.0.0.1"}, field: "input.email"},
		{op: "createContact", set: map[string]any{"type": "CEO"}, field: vSchema},
		{op: "createContact", set: map[string]any{"isPrimary": "yes"}, field: vSchema},
		{op: "createContact", set: map[string]any{"tenantID": "nope"}, field: "input.tenantID"},
		{op: "createContact", set: map[string]any{"tenantID": uuid.NewString()},
			field: "input.tenantID"},
		{op: "updateContact", set: map[string]any{"firstName": "  "}, field: "input.firstName"},
		{op: "updateContact", set: map[string]any{"lastName": long101}, field: "input.lastName"},
		{op: "updateContact", set: map[string]any{"email": "grace@"}, field: "input.email"},
		{op: "updateContact", set: map[string]any{"tenantID": uuid.NewString()}, field: vSchema},
		{op: "updateContact", id: "nope", field: "id"},

		// Tenant configs.
		{op: "createTenantConfig", set: map[string]any{"key": ""}, field: "input.key"},
		{op: "createTenantConfig", set: map[string]any{"key": "Bad Key"}, field: "input.key"},
		{op: "createTenantConfig", set: map[string]any{"key": `{"a":1}`}, field: "input.key"},
		{op: "createTenantConfig", set: map[string]any{"key": long65}, field: "input.key"},
		{op: "createTenantConfig", set: map[string]any{"value": big}, field: "input.value"},
		{op: "createTenantConfig", set: map[string]any{"value": "not an object"},
			field: "input.value"},
		{op: "createTenantConfig", set: map[string]any{"value": []any{1, 2}},
			field: "input.value"},
		{op: "updateTenantConfig", set: map[string]any{"value": big}, field: "input.value"},
		{op: "updateTenantConfig", set: map[string]any{"value": 42}, field: "input.value"},
		{op: "updateTenantConfig", set: map[string]any{"key": "other"}, field: vSchema},

		// Invoices.
		{op: "createInvoice", set: map[string]any{"amount": -1}, field: "input.amount"},
		{op: "createInvoice", set: map[string]any{"currency": "XYZ"}, field: "input.currency"},
		{op: "createInvoice", set: map[string]any{"currency": "us"}, field: "input.currency"},
		{op: "createInvoice", set: map[string]any{"periodStart": "2030-02-01T00:00:00Z",
			"periodEnd": "2030-01-31T00:00:00Z"}, field: "input.periodEnd"},
		{op: "createInvoice", set: map[string]any{"periodStart": "yesterday"},
			field: "input.periodStart"},
		{op: "createInvoice", set: map[string]any{"periodStart": "2030-13-01T00:00:00Z"},
			field: "input.periodStart"},
		{op: "createInvoice", set: map[string]any{"dueDate": 12345}, field: "input.dueDate"},
		{op: "createInvoice", set: map[string]any{"amount": "10"}, field: vSchema},
		{op: "createInvoice", set: map[string]any{"number": "INV-1999-000001"}, field: vSchema},
		{op: "createInvoice", set: map[string]any{"status": "PAID"}, field: vSchema},
		{op: "createInvoice", set: map[string]any{"tenantID": uuid.NewString()},
			field: "input.tenantID"},
		{op: "updateInvoice", set: map[string]any{"amount": -1}, field: "input.amount"},
		{op: "updateInvoice", set: map[string]any{"currency": "us"}, field: "input.currency"},
		{op: "updateInvoice", set: map[string]any{"periodStart": "2031-02-01T00:00:00Z",
			"periodEnd": "2031-01-01T00:00:00Z"}, field: "input.periodEnd"},
		{op: "updateInvoice", set: map[string]any{"periodEnd": "1999-01-01T00:00:00Z"},
			field: "input.periodEnd"},
		{op: "updateInvoice", set: map[string]any{"dueDate": "soon"}, field: "input.dueDate"},
		{op: "updateInvoice", set: map[string]any{"paidAt": "2030-01-01T00:00:00Z"},
			field: vSchema},

		// Tenants.
		{op: "updateTenant", set: map[string]any{"name": ""}, field: "input.name"},
		{op: "updateTenant", set: map[string]any{"name": long201}, field: "input.name"},
		{op: "updateTenant", set: map[string]any{"name": "Acme\x07"}, field: "input.name"},
		{op: "updateTenant", set: map[string]any{"domains": []string{}}, field: "input.domains"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"acme.example",
			"192.168.1.1"}}, field: "input.domains[1]"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"exa mple.com"}},
			field: "input.domains[0]"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"A.com", "a.com."}},
			field: "input.domains[1]"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"*.acme.example"}},
			field: "input.domains[0]"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"localhost"}},
			field: "input.domains[0]"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"-bad.example"}},
			field: "input.domains[0]"},
		{op: "updateTenant", set: map[string]any{"domains": []string{"[::1]"}},
			field: "input.domains[0]"},
		{op: "updateTenant", set: withAddress("country", "XX"), field: "input.address.country"},
		{op: "updateTenant", set: withAddress("country", "UK"), field: "input.address.country"},
		{op: "updateTenant", set: withAddress("country", "DEU"), field: "input.address.country"},
		{op: "updateTenant", set: withAddress("postalCode", "10😀15"),
			field: "input.address.postalCode"},
		{op: "updateTenant", set: withAddress("line", " "), field: "input.address.line"},
		{op: "updateTenant", set: withAddress("line", strings.Repeat("l", 501)),
			field: "input.address.line"},
		{op: "updateTenant", set: withAddress("city", "Ber\nlin"), field: "input.address.city"},
		{op: "updateTenant", set: withAddress("country", vDrop), field: vSchema},
		{op: "updateTenant", set: map[string]any{"address": address, "clearAddress": true},
			field: "input.clearAddress"},
		{op: "updateTenant", set: map[string]any{"status": "ACTIVE"}, field: vSchema},
		{op: "updateTenant", set: map[string]any{"key": "other"}, field: vSchema},
		{op: "updateTenant", set: map[string]any{"authID": "x"}, field: vSchema},
		{op: "updateTenant", id: "nope", field: "id"},

		// Passing counterparts: the same mutations with good input succeed.
		{name: "ok", op: "createPlan"},
		{name: "ok", op: "updatePlan", set: map[string]any{"name": " Gold ", "currency": "usd"}},
		{name: "ok", op: "createContact"},
		{name: "ok", op: "updateContact", set: map[string]any{"email": "G.Hopper@ACME.example"}},
		{name: "ok", op: "createTenantConfig"},
		{name: "ok", op: "updateTenantConfig", set: map[string]any{"value": map[string]any{
			"nested": map[string]any{"list": []any{1, "two"}}}}},
		{name: "ok", op: "createInvoice"},
		{name: "ok", op: "updateInvoice", set: map[string]any{"amount": 0, "currency": "chf"}},
		{name: "ok", op: "updateTenant", set: map[string]any{"name": "Acme GmbH",
			"domains": []string{"Bücher.example", "acme.example."}, "address": address}},
	}
	return cases
}

// vVars builds the variables of c: the valid base input with c.set merged over it.
func vVars(f *azFixture, c vCase) map[string]any {
	m := vMutations[c.op]
	in := map[string]any{}
	if m.base != nil {
		in = m.base(f)
	}
	for k, v := range c.set {
		if v == vDrop {
			delete(in, k)
			continue
		}
		in[k] = v
	}
	vars := map[string]any{"input": in}
	if m.id != nil {
		vars["id"] = m.id(f)
		if c.id != nil {
			vars["id"] = c.id
		}
	}
	return vars
}

func TestValidationFailures(t *testing.T) {
	t.Parallel()
	f := newAuthzFixture(t)

	for i, c := range vCases() {
		name := c.name
		if name == "" {
			keys := slices.Sorted(maps.Keys(c.set))
			if c.id != nil {
				keys = append(keys, "id")
			}
			name = fmt.Sprintf("%s/%d:%s", c.op, i, strings.Join(keys, ","))
		} else {
			name = c.op + "/" + name
		}
		t.Run(name, func(t *testing.T) {
			// Updates of the same object in parallel would only race on the passing rows.
			if c.field != "" {
				t.Parallel()
			}
			vars := vVars(f, c)
			resp := f.env.Do(t, f.admin, vMutations[c.op].query, vars)
			if c.field == "" {
				require.Empty(t, resp.Errors, "a valid input was refused: %+v", resp.Errors)
				return
			}
			requireAllCodes(t, resp, "VALIDATION_FAILED")
			e := resp.Errors[0]
			require.NotEmpty(t, e.Message)
			if c.field == vSchema {
				if len(e.Path) > 0 {
					require.NotEmpty(t, resp.Field(), "errors: %+v", resp.Errors)
				}
				return
			}
			require.Equal(t, c.field, resp.Field(), "errors: %+v", resp.Errors)
		})
	}
}

func TestValidationCoversEveryOperatorMutation(t *testing.T) {
	t.Parallel()
	seen := map[string]int{}
	for _, c := range vCases() {
		_, ok := vMutations[c.op]
		require.True(t, ok, "case for unknown mutation %s", c.op)
		if c.field != "" {
			seen[c.op]++
		}
	}
	for op := range vMutations {
		require.NotZero(t, seen[op], "%s has no bad-input case", op)
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	t.Parallel()
	f := newAuthzFixture(t)

	cases := []struct {
		op     string
		set    map[string]any
		fields []string
	}{
		{"createPlan", map[string]any{"key": "Bad", "name": "", "price": -1, "currency": "XYZ"},
			[]string{"input.key", "input.name", "input.price", "input.currency"}},
		{"createContact", map[string]any{"firstName": " ", "lastName": long101, "email": "x"},
			[]string{"input.firstName", "input.lastName", "input.email"}},
		{"updateTenant", map[string]any{"name": "", "domains": []string{"ok.example", "1.2.3.4",
			"OK.example."}, "address": map[string]any{"line": "", "city": "Berlin",
			"country": "XX"}},
			[]string{"input.name", "input.domains[1]", "input.domains[2]",
				"input.address.line", "input.address.country"}},
		{"createInvoice", map[string]any{"amount": -3, "currency": "us",
			"periodStart": "2030-02-01T00:00:00Z", "periodEnd": "2030-01-01T00:00:00Z"},
			[]string{"input.amount", "input.currency", "input.periodEnd"}},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			t.Parallel()
			resp := f.env.Do(t, f.admin, vMutations[c.op].query,
				vVars(f, vCase{op: c.op, set: c.set}))
			requireAllCodes(t, resp, "VALIDATION_FAILED")
			require.Equal(t, c.fields[0], resp.Field())

			all, ok := resp.Errors[0].Extensions["errors"].([]any)
			require.True(t, ok, "extensions.errors missing: %+v", resp.Errors[0].Extensions)
			var got []string
			for _, raw := range all {
				item, ok := raw.(map[string]any)
				require.True(t, ok)
				msg, _ := item["message"].(string)
				require.NotEmpty(t, msg, "problem without message: %v", item)
				field, _ := item["field"].(string)
				got = append(got, field)
			}
			require.Equal(t, c.fields, got)
		})
	}
}
