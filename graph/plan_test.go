package graph_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
)

const createPlan = `mutation($input: CreatePlanInput!) { createPlan(input: $input) { id key currency } }`

func planInput(key string) map[string]any {
	return map[string]any{"input": map[string]any{
		"key": key, "name": "Plan " + key, "tier": "STANDARD", "deploymentModel": "POOLED",
		"price": 4900, "currency": "eur", "billingCycle": "MONTHLY",
	}}
}

func TestCreatePlanRaceOneWins(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)

	const n = 20
	codes := make([]string, n)
	fields := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := env.Do(t, token, createPlan, planInput("race"))
			codes[i], fields[i] = resp.Code(), resp.Field()
		}()
	}
	wg.Wait()

	wins := 0
	for i := range n {
		switch codes[i] {
		case "":
			wins++
		case "CONFLICT":
			require.Equal(t, "input.key", fields[i])
		default:
			require.Failf(t, "unexpected answer", "request %d answered %s", i, codes[i])
		}
	}
	require.Equal(t, 1, wins, "exactly one createPlan must win")

	var out struct {
		Plans struct{ TotalCount int } `json:"plans"`
	}
	env.Do(t, token, `{ plans { totalCount } }`, nil).Decode(t, &out)
	require.Equal(t, 1, out.Plans.TotalCount)
}

func TestPlanCRUD(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	token := env.Admin(t)

	var created struct {
		CreatePlan struct{ ID, Key, Currency string }
	}
	env.Do(t, token, createPlan, planInput("gold")).Decode(t, &created)
	require.Equal(t, "EUR", created.CreatePlan.Currency, "currency is stored upper case")

	var updated struct {
		UpdatePlan struct {
			Price int
			Name  string
		}
	}
	env.Do(t, token, `mutation($id: ID!) { updatePlan(id: $id, input: {price: 9900, name: " Gold "}) {
		price name } }`, map[string]any{"id": created.CreatePlan.ID}).Decode(t, &updated)
	require.Equal(t, 9900, updated.UpdatePlan.Price)
	require.Equal(t, "Gold", updated.UpdatePlan.Name)

	del := env.Do(t, token, `mutation($id: ID!) { deletePlan(id: $id) { deletedId } }`,
		map[string]any{"id": created.CreatePlan.ID})
	require.Empty(t, del.Errors)
	again := env.Do(t, token, `mutation($id: ID!) { deletePlan(id: $id) { deletedId } }`,
		map[string]any{"id": created.CreatePlan.ID})
	require.Equal(t, "NOT_FOUND", again.Code(), fmt.Sprint(again.Errors))
}
