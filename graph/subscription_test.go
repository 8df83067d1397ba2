package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/privacy"
	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/lifecycle"
	"github.com/tenantd/tenantd/internal/outbox"
	st "github.com/tenantd/tenantd/internal/schematype"
	"github.com/tenantd/tenantd/jobs"
)

// The two websocket subprotocols gqlgen speaks.
const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
)

const statusSubscription = `subscription($id: ID) { tenantStatusChanged(tenantId: $id) {
	tenantId status previousStatus reason attemptId attemptNumber actor at } }`

// wsMsg is one message of either protocol, with the time it was read.
type wsMsg struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
	at      time.Time
}

// wsClient is a minimal GraphQL-over-websocket client for both protocols. A goroutine reads the
// socket into msgs (keep-alives dropped) until it fails; err is then set and msgs closed.
type wsClient struct {
	t     testing.TB
	proto string
	conn  *websocket.Conn
	msgs  chan wsMsg
	quit  chan struct{}
	err   error
}

// dialWS opens a socket to env's /graphql speaking proto; it is closed when the test ends.
func dialWS(t testing.TB, env *apptest.Env, proto string) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(env.Server.URL, "http") + "/graphql"
	conn, resp, err := websocket.Dial(ctx, url,
		&websocket.DialOptions{Subprotocols: []string{proto}})
	require.NoError(t, err)
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	require.Equal(t, proto, conn.Subprotocol())
	c := &wsClient{t: t, proto: proto, conn: conn, msgs: make(chan wsMsg, 16),
		quit: make(chan struct{})}
	go c.pump()
	t.Cleanup(func() {
		close(c.quit)
		_ = conn.CloseNow()
	})
	return c
}

func (c *wsClient) pump() {
	defer close(c.msgs)
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.err = err
			return
		}
		m := wsMsg{at: time.Now()}
		if err := json.Unmarshal(data, &m); err != nil {
			c.err = fmt.Errorf("decode %s: %w", data, err)
			return
		}
		if m.Type == "ka" {
			continue
		}
		select {
		case c.msgs <- m:
		case <-c.quit:
			return
		}
	}
}

func (c *wsClient) send(typ, id string, payload any) {
	c.t.Helper()
	m := map[string]any{"type": typ}
	if id != "" {
		m["id"] = id
	}
	if payload != nil {
		m["payload"] = payload
	}
	b, err := json.Marshal(m)
	require.NoError(c.t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(c.t, c.conn.Write(ctx, websocket.MessageText, b))
}

// init sends connection_init carrying token ("" for none).
func (c *wsClient) init(token string) {
	c.t.Helper()
	payload := map[string]any{}
	if token != "" {
		payload["Authorization"] = "Bearer " + token
	}
	c.send("connection_init", "", payload)
}

// connect sends connection_init with token and requires connection_ack.
func (c *wsClient) connect(token string) *wsClient {
	c.t.Helper()
	c.init(token)
	require.Equal(c.t, "connection_ack", c.next(10*time.Second).Type)
	return c
}

// subscribe starts operation id on tenantID ("" for every tenant).
func (c *wsClient) subscribe(id, tenantID string) {
	c.t.Helper()
	vars := map[string]any{}
	if tenantID != "" {
		vars["id"] = tenantID
	}
	typ := "subscribe"
	if c.proto == legacyWS {
		typ = "start"
	}
	c.send(typ, id, map[string]any{"query": statusSubscription, "variables": vars})
}

// next returns the next message, failing after timeout or when the socket ended.
func (c *wsClient) next(timeout time.Duration) wsMsg {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		require.True(c.t, ok, "socket ended: %v", c.err)
		return m
	case <-time.After(timeout):
		c.t.Fatalf("no message within %s", timeout)
		return wsMsg{}
	}
}

// nothing requires that no message arrives within d.
func (c *wsClient) nothing(d time.Duration) {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		c.t.Fatalf("unexpected message %s %s (open: %v)", m.Type, m.Payload, ok)
	case <-time.After(d):
	}
}

// gqlResult is the payload of next/data.
type gqlResult struct {
	Data struct {
		TenantStatusChanged *statusEvent `json:"tenantStatusChanged"`
	} `json:"data"`
	Errors []apptest.Error `json:"errors"`
}

// statusEvent is a TenantStatusEvent as clients see it.
type statusEvent struct {
	TenantID       string    `json:"tenantId"`
	Status         string    `json:"status"`
	PreviousStatus *string   `json:"previousStatus"`
	Reason         *string   `json:"reason"`
	AttemptID      *string   `json:"attemptId"`
	AttemptNumber  *int      `json:"attemptNumber"`
	Actor          string    `json:"actor"`
	At             time.Time `json:"at"`
	received       time.Time
}

// event returns the next message, which must be an event of operation id.
func (c *wsClient) event(id string) statusEvent {
	c.t.Helper()
	m := c.next(10 * time.Second)
	require.Contains(c.t, []string{"next", "data"}, m.Type, "payload: %s", m.Payload)
	require.Equal(c.t, id, m.ID)
	var r gqlResult
	require.NoError(c.t, json.Unmarshal(m.Payload, &r))
	require.Empty(c.t, r.Errors)
	require.NotNil(c.t, r.Data.TenantStatusChanged)
	ev := *r.Data.TenantStatusChanged
	ev.received = m.at
	return ev
}

// failure returns the first GraphQL error of operation id, which must then complete.
func (c *wsClient) failure(id string) apptest.Error {
	c.t.Helper()
	m := c.next(10 * time.Second)
	require.Equal(c.t, id, m.ID)
	var errs []apptest.Error
	switch m.Type {
	case "error":
		require.NoError(c.t, json.Unmarshal(m.Payload, &errs))
	case "next", "data":
		var r gqlResult
		require.NoError(c.t, json.Unmarshal(m.Payload, &r))
		errs = r.Errors
	default:
		c.t.Fatalf("expected an error, got %s %s", m.Type, m.Payload)
	}
	require.NotEmpty(c.t, errs)
	if m.Type != "error" { // an error message ends the operation by itself
		c.complete(id, 5*time.Second)
	}
	return errs[0]
}

// complete requires that operation id completes within timeout.
func (c *wsClient) complete(id string, timeout time.Duration) {
	c.t.Helper()
	m := c.next(timeout)
	require.Equal(c.t, "complete", m.Type, "payload: %s", m.Payload)
	require.Equal(c.t, id, m.ID)
}

// closed waits for the server to close the socket and returns the messages read before and the
// close status.
func (c *wsClient) closed() ([]wsMsg, websocket.StatusCode) {
	c.t.Helper()
	var got []wsMsg
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return got, websocket.CloseStatus(c.err)
			}
			got = append(got, m)
		case <-deadline:
			c.t.Fatal("socket not closed within 10s")
		}
	}
}

// code returns an error's extensions.code.
func code(e apptest.Error) string {
	s, _ := e.Extensions["code"].(string)
	return s
}

// suspend suspends tenant id through the API with an admin token and returns the reason given.
func suspend(t testing.TB, env *apptest.Env, id uuid.UUID) string {
	t.Helper()
	reason := "unpaid invoice " + apptest.NewID()[:8]
	env.Do(t, env.Admin(t), `mutation($id: ID!, $r: String) {
		suspendTenant(tenantId: $id, reason: $r) { id } }`,
		map[string]any{"id": id, "r": reason}).Decode(t, &struct{}{})
	return reason
}

var errRollBack = errors.New("roll back on purpose")

// changeInTx changes tenant id to status through the lifecycle in a transaction of its own,
// as tenantd's own code does, and commits it or rolls it back. It returns when the commit
// returned.
func changeInTx(t testing.TB, env *apptest.Env, id uuid.UUID, to st.TenantStatus, reason string,
	commit bool,
) time.Time {
	t.Helper()
	enq, err := db.NewJobs(env.Service.DB.SQL, nil)
	require.NoError(t, err)
	machine := lifecycle.New(outbox.NewWriter(enq, jobs.PublishOutbox))
	ctx := auth.SystemContext(context.Background(), "subscription_test")
	err = db.InTx(ctx, env.Service.DB.Ent, func(ctx context.Context) error {
		client := db.Client(ctx, env.Service.DB.Ent)
		tn, err := lifecycle.Lock(ctx, client, id)
		if err != nil {
			return err
		}
		if _, err := machine.Transition(ctx, client, tn, to,
			lifecycle.Change{Reason: reason}); err != nil {
			return err
		}
		if !commit {
			return errRollBack
		}
		return nil
	})
	committed := time.Now()
	if commit {
		require.NoError(t, err)
	} else {
		require.ErrorIs(t, err, errRollBack)
	}
	return committed
}

// seedLeadTenant seeds tenant key owned by a new lead and returns both ids.
func seedLeadTenant(t testing.TB, env *apptest.Env, key string) (leadID, tenantID uuid.UUID) {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	client := env.Service.DB.Ent
	l, err := client.Lead.Create().SetFirstName("Lea").SetLastName("Lead").
		SetCompanyName("Acme").SetEmail(key + "@acme.example").
		SetEmailNormalized(key + "@acme.example").Save(ctx)
	require.NoError(t, err)
	p, err := client.Plan.Create().SetKey(key + "-plan").SetName("Plan " + key).
		SetTier("STANDARD").SetDeploymentModel(st.DeploymentPooled).SetPrice(2500).
		SetCurrency("EUR").SetBillingCycle("MONTHLY").Save(ctx)
	require.NoError(t, err)
	tn, err := client.Tenant.Create().SetKey(key).SetName("Tenant " + key).
		SetStatus(st.TenantActive).SetDomains([]string{key + ".example.com"}).
		SetPlanID(p.ID).SetLeadID(l.ID).Save(ctx)
	require.NoError(t, err)
	return l.ID, tn.ID
}

func TestTenantStatusChangedStreamsCurrentStateThenChanges(t *testing.T) {
	t.Parallel()
	for _, proto := range []string{transportWS, legacyWS} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			env := apptest.New(t, apptest.Options{})
			tn := env.SeedTenant(t, "stream").Tenant
			c := dialWS(t, env, proto).connect(env.Operator(t, auth.ViewTenant))
			c.subscribe("1", tn.ID.String())

			first := c.event("1")
			require.Equal(t, tn.ID.String(), first.TenantID)
			require.Equal(t, "ACTIVE", first.Status)
			require.Nil(t, first.PreviousStatus)

			reason := suspend(t, env, tn.ID)
			ev := c.event("1")
			require.Equal(t, "SUSPENDED", ev.Status)
			require.Equal(t, "ACTIVE", *ev.PreviousStatus)
			require.Equal(t, reason, *ev.Reason)
			require.Equal(t, "test-operator", ev.Actor)
			require.Nil(t, ev.AttemptID)
			require.WithinDuration(t, time.Now(), ev.At, time.Minute)

			// A change that rolls back notifies nobody; the next committed one arrives.
			changeInTx(t, env, tn.ID, st.TenantActive, "never happened", false)
			c.nothing(500 * time.Millisecond)
			changeInTx(t, env, tn.ID, st.TenantActive, "paid", true)
			ev = c.event("1")
			require.Equal(t, "ACTIVE", ev.Status)
			require.Equal(t, "SUSPENDED", *ev.PreviousStatus)
			require.Equal(t, "paid", *ev.Reason)
			require.Equal(t, "system:subscription_test", ev.Actor)

			// A client that reconnects gets the latest change first.
			again := dialWS(t, env, proto).connect(env.Operator(t, auth.ViewTenant))
			again.subscribe("7", tn.ID.String())
			latest := again.event("7")
			require.Equal(t, "ACTIVE", latest.Status)
			require.Equal(t, "SUSPENDED", *latest.PreviousStatus)
			require.Equal(t, "paid", *latest.Reason)
			again.nothing(300 * time.Millisecond) // the current state is sent once
		})
	}
}

func TestTenantStatusChangedRejectedInit(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	for _, proto := range []string{transportWS, legacyWS} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			c := dialWS(t, env, proto)
			c.init("not-a-valid-token")
			msgs, status := c.closed()
			require.Equal(t, websocket.StatusCode(4403), status)
			types := make([]string, 0, len(msgs))
			for _, m := range msgs {
				types = append(types, m.Type)
			}
			if proto == legacyWS {
				require.Equal(t, []string{"connection_error"}, types)
			} else {
				require.Empty(t, types, "graphql-transport-ws only closes the socket")
			}
		})
	}
}

func TestTenantStatusChangedAuthorisation(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	leadID, own := seedLeadTenant(t, env, "own")
	other := env.SeedTenant(t, "other").Tenant.ID
	lead := env.Lead(t, leadID)
	cases := []struct {
		name, token, tenant, code string
	}{
		{"anonymous", "", own.String(), "UNAUTHENTICATED"},
		{"lead other tenant", lead, other.String(), "FORBIDDEN"},
		{"lead every tenant", lead, "", "FORBIDDEN"},
		{"lead unknown tenant", lead, apptest.NewID(), "FORBIDDEN"},
		{"operator without ViewTenant", env.Operator(t, auth.UpdateTenant), own.String(),
			"FORBIDDEN"},
		{"operator without ViewTenant, every tenant", env.Operator(t), "", "FORBIDDEN"},
		{"operator unknown tenant", env.Operator(t, auth.ViewTenant), apptest.NewID(),
			"NOT_FOUND"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dialWS(t, env, transportWS).connect(tc.token)
			c.subscribe("1", tc.tenant)
			e := c.failure("1")
			require.Equal(t, tc.code, code(e), "message: %s", e.Message)
		})
	}

	t.Run("lead own tenant", func(t *testing.T) {
		t.Parallel()
		c := dialWS(t, env, transportWS).connect(lead)
		c.subscribe("1", own.String())
		require.Equal(t, "ACTIVE", c.event("1").Status)
		reason := suspend(t, env, own)
		ev := c.event("1")
		require.Equal(t, own.String(), ev.TenantID)
		require.Equal(t, "SUSPENDED", ev.Status)
		require.Equal(t, reason, *ev.Reason)
	})
}

func TestTenantStatusChangedAllTenants(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	a := env.SeedTenant(t, "all-a").Tenant.ID
	b := env.SeedTenant(t, "all-b").Tenant.ID
	c := dialWS(t, env, transportWS).connect(env.Operator(t, auth.ViewTenant))
	c.subscribe("all", "")
	waitSubscribers(t, env, 1)
	c.nothing(300 * time.Millisecond) // no current state for all tenants
	suspend(t, env, a)
	suspend(t, env, b)
	got := []string{c.event("all").TenantID, c.event("all").TenantID}
	require.Equal(t, []string{a.String(), b.String()}, got)
}

func TestTenantStatusChangedEndsWhenTokenExpires(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	tn := env.SeedTenant(t, "expiry").Tenant
	c := dialWS(t, env, transportWS).connect(env.OperatorFor(t, 3*time.Second, auth.ViewTenant))
	start := time.Now()
	c.subscribe("1", tn.ID.String())
	require.Equal(t, "ACTIVE", c.event("1").Status)
	c.complete("1", 10*time.Second)
	require.Greater(t, time.Since(start), time.Second, "completed long before the token expired")

	// Nothing more is sent for the ended subscription.
	suspend(t, env, tn.ID)
	c.nothing(500 * time.Millisecond)
}

func TestTenantStatusChangedAcrossInstances(t *testing.T) {
	t.Parallel()
	a := apptest.New(t, apptest.Options{})
	b := apptest.New(t, apptest.Options{DatabaseURL: a.DSN})
	tn := a.SeedTenant(t, "scale").Tenant
	c := dialWS(t, a, transportWS).connect(a.Operator(t, auth.ViewTenant))
	c.subscribe("1", tn.ID.String())
	require.Equal(t, "ACTIVE", c.event("1").Status)

	reason := suspend(t, b, tn.ID) // made through the other instance
	ev := c.event("1")
	require.Equal(t, "SUSPENDED", ev.Status)
	require.Equal(t, reason, *ev.Reason)
}

// waitSubscribers waits until env's broker serves at least n subscriptions: an operation without
// a first message gives no other sign that the server has subscribed.
func waitSubscribers(t testing.TB, env *apptest.Env, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return env.Service.Broker.Len() >= n },
		5*time.Second, 10*time.Millisecond)
}

func TestTenantStatusChangedThousandSubscribers(t *testing.T) {
	t.Parallel()
	const subscribers = 1000
	ensureFileLimit(t, 4*subscribers)
	env := apptest.New(t, apptest.Options{})
	tn := env.SeedTenant(t, "crowd").Tenant
	token := env.Operator(t, auth.ViewTenant)

	clients := make([]*wsClient, subscribers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 50)
	errs := make(chan error, subscribers)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- connectSubscriber(t, env, token, tn.ID, &clients[i])
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	committed := changeInTx(t, env, tn.ID, st.TenantSuspended, "crowd test", true)
	delays := make([]time.Duration, subscribers)
	deadline := time.Now().Add(10 * time.Second)
	for i, c := range clients {
		select {
		case m, ok := <-c.msgs:
			require.True(t, ok, "subscriber %d lost its socket: %v", i, c.err)
			require.Equal(t, "next", m.Type, "subscriber %d: %s", i, m.Payload)
			require.Contains(t, string(m.Payload), `"status":"SUSPENDED"`)
			delays[i] = m.at.Sub(committed)
		case <-time.After(time.Until(deadline)):
			t.Fatalf("subscriber %d got nothing within 10s of the commit", i)
		}
	}
	slices.Sort(delays)
	p50, p99 := delays[subscribers/2], delays[subscribers*99/100]
	t.Logf("%d subscribers: commit to delivery p50 %s, p99 %s, max %s", subscribers, p50, p99,
		delays[subscribers-1])
	require.Less(t, delays[subscribers-1], 10*time.Second)
}

// connectSubscriber dials, subscribes to tenant id and reads the current state, storing the
// client in *out. It returns errors instead of failing, as it runs outside the test goroutine.
func connectSubscriber(t *testing.T, env *apptest.Env, token string, id uuid.UUID,
	out **wsClient,
) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(env.Server.URL, "http") + "/graphql"
	conn, resp, err := websocket.Dial(ctx, url,
		&websocket.DialOptions{Subprotocols: []string{transportWS}})
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
	c := &wsClient{t: t, proto: transportWS, conn: conn, msgs: make(chan wsMsg, 16),
		quit: make(chan struct{})}
	go c.pump()
	t.Cleanup(func() {
		close(c.quit)
		_ = conn.CloseNow()
	})
	*out = c
	write := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return conn.Write(ctx, websocket.MessageText, b)
	}
	read := func() (wsMsg, error) {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return wsMsg{}, fmt.Errorf("socket ended: %w", c.err)
			}
			return m, nil
		case <-ctx.Done():
			return wsMsg{}, ctx.Err()
		}
	}
	if err := write(map[string]any{"type": "connection_init",
		"payload": map[string]any{"Authorization": "Bearer " + token}}); err != nil {
		return err
	}
	if m, err := read(); err != nil || m.Type != "connection_ack" {
		return fmt.Errorf("connection_init: %v %s", err, m.Type)
	}
	if err := write(map[string]any{"type": "subscribe", "id": "1", "payload": map[string]any{
		"query": statusSubscription, "variables": map[string]any{"id": id}}}); err != nil {
		return err
	}
	m, err := read()
	if err != nil || m.Type != "next" || !strings.Contains(string(m.Payload), `"ACTIVE"`) {
		return fmt.Errorf("current state: %v %s %s", err, m.Type, m.Payload)
	}
	return nil
}
