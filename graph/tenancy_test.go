package graph_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
)

const createContact = `mutation($input: CreateContactInput!) {
  createContact(input: $input) { id email isPrimary createdBy }
}`

func contactInput(tenantID, email string, primary bool) map[string]any {
	return map[string]any{"input": map[string]any{"tenantID": tenantID, "firstName": "Ada",
		"lastName": "Lovelace", "email": email, "type": "ADMIN", "isPrimary": primary}}
}

func TestContactsKeepOnePrimary(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)
	seed := env.SeedTenant(t, "acme")
	tid := seed.Tenant.ID.String()

	var first struct {
		CreateContact struct {
			ID, Email, CreatedBy string
			IsPrimary            bool
		}
	}
	env.Do(t, token, createContact, contactInput(tid, " Ada@ACME.example.com ", true)).
		Decode(t, &first)
	require.Equal(t, "ada@acme.example.com", first.CreateContact.Email)
	require.Equal(t, "test-operator", first.CreateContact.CreatedBy, "actor recorded")

	second := env.Do(t, token, createContact, contactInput(tid, "bob@acme.example.com", true))
	require.Equal(t, "CONFLICT", second.Code())
	require.Equal(t, "input.isPrimary", second.Field())

	var other struct{ CreateContact struct{ ID string } }
	env.Do(t, token, createContact, contactInput(tid, "bob@acme.example.com", false)).
		Decode(t, &other)

	// Promoting bob demotes ada in the same transaction.
	promote := `mutation($id: ID!) { updateContact(id: $id, input: {isPrimary: true}) { isPrimary } }`
	env.Do(t, token, promote, map[string]any{"id": other.CreateContact.ID}).Decode(t, &struct{}{})
	var list struct {
		Tenant struct {
			Contacts struct {
				Edges []struct {
					Node struct {
						Email     string
						IsPrimary bool
					}
				}
			}
		}
	}
	env.Do(t, token, `query($id: ID!) { tenant(id: $id) { contacts(orderBy: {field: EMAIL}) {
		edges { node { email isPrimary } } } } }`, map[string]any{"id": tid}).Decode(t, &list)
	require.Len(t, list.Tenant.Contacts.Edges, 2)
	require.False(t, list.Tenant.Contacts.Edges[0].Node.IsPrimary, "ada demoted")
	require.True(t, list.Tenant.Contacts.Edges[1].Node.IsPrimary, "bob promoted")

	demote := env.Do(t, token, `mutation($id: ID!) { updateContact(id: $id,
		input: {isPrimary: false}) { id } }`, map[string]any{"id": other.CreateContact.ID})
	require.Equal(t, "VALIDATION_FAILED", demote.Code())
	require.Equal(t, "input.isPrimary", demote.Field())

	delPrimary := env.Do(t, token, `mutation($id: ID!) { deleteContact(id: $id) { deletedId } }`,
		map[string]any{"id": other.CreateContact.ID})
	require.Equal(t, "CONFLICT", delPrimary.Code())
	delOther := env.Do(t, token, `mutation($id: ID!) { deleteContact(id: $id) { deletedId } }`,
		map[string]any{"id": first.CreateContact.ID})
	require.Empty(t, delOther.Errors)
}

func TestConcurrentPrimaryContactsOneWins(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)
	tid := env.SeedTenant(t, "race").Tenant.ID.String()

	const n = 10
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("p%d@race.example.com", i)
			codes[i] = env.Do(t, token, createContact, contactInput(tid, email, true)).Code()
		}()
	}
	wg.Wait()
	wins := 0
	for _, c := range codes {
		if c == "" {
			wins++
			continue
		}
		require.Equal(t, "CONFLICT", c)
	}
	require.Equal(t, 1, wins)
}

func TestTenantConfigs(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)
	tid := env.SeedTenant(t, "cfg").Tenant.ID.String()

	create := `mutation($input: CreateTenantConfigInput!) { createTenantConfig(input: $input) {
		id key value } }`
	in := map[string]any{"input": map[string]any{"tenantID": tid, "key": "branding",
		"value": map[string]any{"logoUrl": "https://cfg.example.com/logo.png"}}}
	var out struct {
		CreateTenantConfig struct {
			ID    string
			Value map[string]any
		}
	}
	env.Do(t, token, create, in).Decode(t, &out)
	require.Equal(t, "https://cfg.example.com/logo.png", out.CreateTenantConfig.Value["logoUrl"])

	dup := env.Do(t, token, create, in)
	require.Equal(t, "CONFLICT", dup.Code())
	require.Equal(t, "input.key", dup.Field())

	upd := env.Do(t, token, `mutation($id: ID!) { updateTenantConfig(id: $id,
		input: {value: {primary: "#112233"}}) { value } }`,
		map[string]any{"id": out.CreateTenantConfig.ID})
	require.Empty(t, upd.Errors)
	require.Contains(t, string(upd.Data), "#112233")
}

func TestInvoiceNumbersAreSequentialUnderConcurrency(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)
	tid := env.SeedTenant(t, "inv").Tenant.ID.String()

	create := `mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { number } }`
	const n = 10
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := fmt.Sprintf("2026-%02d-01T00:00:00Z", i+1)
			var out struct{ CreateInvoice struct{ Number string } }
			env.Do(t, token, create, map[string]any{"input": map[string]any{
				"tenantID": tid, "periodStart": start, "periodEnd": start, "amount": 2500,
				"currency": "eur", "dueDate": start}}).Decode(t, &out)
			numbers[i] = out.CreateInvoice.Number
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, num := range numbers {
		require.Regexp(t, `^INV-\d{4}-\d{6}$`, num)
		seen[num] = true
	}
	require.Len(t, seen, n, "numbers are unique")
	year := numbers[0][4:8]
	for i := 1; i <= n; i++ {
		require.True(t, seen[fmt.Sprintf("INV-%s-%06d", year, i)], "no gaps: %v", numbers)
	}

	dup := env.Do(t, token, create, map[string]any{"input": map[string]any{
		"tenantID": tid, "periodStart": "2026-01-01T00:00:00Z", "periodEnd": "2026-01-31T00:00:00Z",
		"amount": 1, "currency": "EUR", "dueDate": "2026-02-15T00:00:00Z"}})
	require.Equal(t, "CONFLICT", dup.Code())
	require.Equal(t, "input.periodStart", dup.Field())
}

func TestUpdateTenant(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)
	tid := env.SeedTenant(t, "upd").Tenant.ID.String()

	var out struct {
		UpdateTenant struct {
			Name    string
			Domains []string
			Address struct{ Country string }
			Status  string
		}
	}
	env.Do(t, token, `mutation($id: ID!) { updateTenant(id: $id, input: {name: "Upd GmbH",
		domains: ["Bücher.Example", "upd.example.com"],
		address: {line: "2 Side St", city: "Wien", country: "at"}}) {
		name domains address { country } status } }`, map[string]any{"id": tid}).Decode(t, &out)
	require.Equal(t, "Upd GmbH", out.UpdateTenant.Name)
	require.Equal(t, []string{"xn--bcher-kva.example", "upd.example.com"}, out.UpdateTenant.Domains)
	require.Equal(t, "AT", out.UpdateTenant.Address.Country)
	require.Equal(t, "ACTIVE", out.UpdateTenant.Status, "status untouched")

	var stamps struct {
		Tenant struct {
			CreatedAt, UpdatedAt time.Time
			CreatedBy            *string
			UpdatedBy            string
		}
	}
	env.Do(t, token, `query($id: ID!) { tenant(id: $id) { createdAt updatedAt createdBy
		updatedBy } }`, map[string]any{"id": tid}).Decode(t, &stamps)
	require.True(t, stamps.Tenant.UpdatedAt.After(stamps.Tenant.CreatedAt),
		"updated_at moves on every write")
	require.Equal(t, "test-operator", stamps.Tenant.UpdatedBy, "the writer is recorded")

	status := env.Do(t, token, `mutation($id: ID!) { updateTenant(id: $id,
		input: {status: SUSPENDED}) { id } }`, map[string]any{"id": tid})
	require.Equal(t, "VALIDATION_FAILED", status.Code(), "status is not writable")
}
