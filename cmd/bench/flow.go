package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantd/tenantd/internal/secret"
)

// flowTarget is the own time per onboarding flow the product asks for (p50).
const flowTarget = 50 * time.Millisecond

// flowTimeout bounds one flow, from createLead to ACTIVE.
const flowTimeout = 60 * time.Second

const (
	verifyLeadQuery = `mutation($id: ID!, $code: String!) {
  verifyLead(id: $id, code: $code) { token } }`
	onboardFromLeadQuery = `mutation($input: OnboardTenantFromLeadInput!) {
  onboardTenantFromLead(input: $input) { id status } }`
	provisionQuery = `mutation($id: ID!) { provisionTenant(tenantId: $id) { status } }`
	statusQuery    = `subscription($id: ID) { tenantStatusChanged(tenantId: $id) { status } }`

	// verificationQuery finds the verification of a lead; its id gives the emailed code.
	verificationQuery = `SELECT id FROM lead_verifications WHERE lead_verifications = $1
ORDER BY created_at DESC LIMIT 1`
)

// The steps of one onboarding flow, in order, as reported.
const (
	stepCreateLead = iota
	stepCode
	stepVerify
	stepOnboard
	stepSubscribe
	stepProvision
	stepProvisioning
	stepActive
	stepCount
)

// stepTitles label the steps in the report.
var stepTitles = [stepCount]string{
	"createLead",
	"code from the database (bench's shortcut, not counted)",
	"verifyLead",
	"onboardTenantFromLead",
	"subscribe: dial, connection_init/ack, first event (PENDING_PROVISION)",
	"provisionTenant",
	"provisionTenant answer → PROVISIONING event",
	"PROVISIONING event → ACTIVE event, minus the provisioner delay",
}

// flowSetup is what the onboarding flow needs besides the client: the server key to derive
// verification codes, the database to find verification ids, and the provisioner's delay.
type flowSetup struct {
	keyring *secret.Keyring
	db      *pgxpool.Pool
	delay   time.Duration
}

// newFlowSetup connects to dsn and builds the keyring from the server key.
func newFlowSetup(ctx context.Context, dsn, serverKey string, delay time.Duration, conns int,
) (*flowSetup, error) {
	kr, err := secret.NewKeyring([]byte(serverKey))
	if err != nil {
		return nil, fmt.Errorf("build keyring from TENANTD_SECRET_KEY: %w", err)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database URL for the flow: %w", err)
	}
	cfg.MaxConns = int32(max(conns, 4))
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to the database for the flow: %w", err)
	}
	return &flowSetup{keyring: kr, db: pool, delay: delay}, nil
}

func (f *flowSetup) close() {
	if f != nil {
		f.db.Close()
	}
}

// flowStats is what the onboarding flow measured besides result's fields: result.latencies
// holds the own time of each measured flow.
type flowStats struct {
	totals  []time.Duration            // wall time of each measured flow, sorted
	steps   [stepCount][]time.Duration // per step, sorted
	delay   time.Duration
	pickups []pickup // job pick-up latency per kind, when the database is known
}

// flowTimes are one flow's step durations and its wall time.
type flowTimes struct {
	steps [stepCount]time.Duration
	total time.Duration
}

// own is the flow's time minus the provisioner's delay and the bench's code lookup.
func (t flowTimes) own(delay time.Duration) time.Duration {
	return t.total - delay - t.steps[stepCode]
}

// driveFlows runs onboarding flows on conns workers in a closed loop, like drive: a warm-up
// whose flows are dropped, then duration measured; flows started in the window are counted.
func (c *client) driveFlows(ctx context.Context, sc *scenario, f *flowSetup,
	warmup, duration time.Duration, conns int,
) result {
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(duration)
	var (
		mu    sync.Mutex
		res   = result{sc: sc, flow: &flowStats{delay: f.delay}, from: start, conns: conns}
		wg    sync.WaitGroup
		times []flowTimes
	)
	for n := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for seq := 0; ctx.Err() == nil; seq++ {
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				ft, err := c.flow(ctx, f, fmt.Sprintf("%s-f%d-%d", runID, n, seq), &buf)
				mu.Lock()
				switch {
				case err != nil && ctx.Err() != nil:
				case err != nil:
					res.errors++
					if len(res.samples) < 5 {
						res.samples = append(res.samples, err.Error())
					}
				case !t0.Before(measureFrom):
					times = append(times, ft)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.to = time.Now()
	res.elapsed = res.to.Sub(measureFrom)
	res.requests = len(times)
	for _, t := range times {
		res.latencies = append(res.latencies, t.own(f.delay))
		res.flow.totals = append(res.flow.totals, t.total)
		for i, d := range t.steps {
			res.flow.steps[i] = append(res.flow.steps[i], d)
		}
	}
	slices.Sort(res.latencies)
	slices.Sort(res.flow.totals)
	for i := range res.flow.steps {
		slices.Sort(res.flow.steps[i])
	}
	return res
}

// flow onboards one tenant keyed key from sign-up to ACTIVE and times each step.
func (c *client) flow(ctx context.Context, f *flowSetup, key string, buf *bytes.Buffer,
) (ft flowTimes, err error) {
	ctx, cancel := context.WithTimeout(ctx, flowTimeout)
	defer cancel()
	domain := key + ".flow.example"
	t0 := time.Now()
	last := t0
	lap := func(step int) {
		now := time.Now()
		ft.steps[step] = now.Sub(last)
		last = now
	}

	var lead struct{ LeadID uuid.UUID }
	if err := c.call(ctx, "", createLeadQuery, map[string]any{"input": map[string]any{
		"firstName": "Grace", "lastName": "Hopper", "companyName": "Flow " + key,
		"email":   "grace@" + domain,
		"address": map[string]any{"line": "1 Main St", "city": "Berlin", "country": "DE"},
		"source":  "bench",
	}}, "createLead", &lead, buf); err != nil {
		return ft, err
	}
	lap(stepCreateLead)

	var vid uuid.UUID
	if err := f.db.QueryRow(ctx, verificationQuery, lead.LeadID).Scan(&vid); err != nil {
		return ft, fmt.Errorf("find verification of lead %s: %w", lead.LeadID, err)
	}
	code := f.keyring.Code(vid)
	lap(stepCode)

	var verified struct{ Token string }
	if err := c.call(ctx, "", verifyLeadQuery, map[string]any{"id": lead.LeadID, "code": code},
		"verifyLead", &verified, buf); err != nil {
		return ft, err
	}
	lap(stepVerify)

	var tenant struct{ ID, Status string }
	if err := c.call(ctx, verified.Token, onboardFromLeadQuery, map[string]any{
		"input": map[string]any{"key": key, "domains": []string{domain}, "planKey": benchPlan},
	}, "onboardTenantFromLead", &tenant, buf); err != nil {
		return ft, err
	}
	lap(stepOnboard)

	ws, err := c.subscribeStatus(ctx, verified.Token, tenant.ID)
	if err != nil {
		return ft, err
	}
	defer ws.close()
	if st, err := ws.nextStatus(ctx); err != nil {
		return ft, err
	} else if st != "PENDING_PROVISION" {
		return ft, fmt.Errorf("subscription: first status %s, want PENDING_PROVISION", st)
	}
	lap(stepSubscribe)

	var prov struct{ Status string }
	if err := c.call(ctx, verified.Token, provisionQuery, map[string]any{"id": tenant.ID},
		"provisionTenant", &prov, buf); err != nil {
		return ft, err
	}
	lap(stepProvision)

	for _, want := range []string{"PROVISIONING", "ACTIVE"} {
		st, err := ws.nextStatus(ctx)
		if err != nil {
			return ft, fmt.Errorf("wait for %s: %w", want, err)
		}
		if st != want {
			return ft, fmt.Errorf("subscription: status %s, want %s", st, want)
		}
		if want == "PROVISIONING" {
			lap(stepProvisioning)
		}
	}
	lap(stepActive)
	ft.steps[stepActive] -= f.delay
	ft.total = time.Since(t0)
	return ft, nil
}

// call sends one operation with token ("" for none) and decodes its field into out.
func (c *client) call(ctx context.Context, token, query string, vars map[string]any,
	field string, out any, buf *bytes.Buffer,
) error {
	data, err := c.doAs(ctx, token, query, vars, buf)
	if err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	if err := json.Unmarshal(data[field], out); err != nil {
		return fmt.Errorf("decode %s: %w", field, err)
	}
	return nil
}

// statusSocket is one graphql-transport-ws connection following one tenant's status.
type statusSocket struct {
	conn *websocket.Conn
}

// wsMessage is a graphql-transport-ws message.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// subscribeStatus opens a socket with token in connection_init, waits for connection_ack and
// subscribes to tenantStatusChanged of tenantID.
func (c *client) subscribeStatus(ctx context.Context, token, tenantID string,
) (*statusSocket, error) {
	url := "ws" + strings.TrimPrefix(c.base, "http") + "/graphql"
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: c.http})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	s := &statusSocket{conn: conn}
	if err := s.send(ctx, wsMessage{Type: "connection_init",
		Payload: mustJSON(map[string]string{"Authorization": "Bearer " + token})}); err != nil {
		s.close()
		return nil, err
	}
	m, err := s.read(ctx)
	if err == nil && m.Type != "connection_ack" {
		err = fmt.Errorf("websocket: got %s %s, want connection_ack", m.Type, m.Payload)
	}
	if err == nil {
		err = s.send(ctx, wsMessage{Type: "subscribe", ID: "1", Payload: mustJSON(map[string]any{
			"query": statusQuery, "variables": map[string]any{"id": tenantID}})})
	}
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// nextStatus returns the status of the next event of the subscription.
func (s *statusSocket) nextStatus(ctx context.Context) (string, error) {
	m, err := s.read(ctx)
	if err != nil {
		return "", err
	}
	if m.Type != "next" {
		return "", fmt.Errorf("websocket: got %s %.200s, want next", m.Type, m.Payload)
	}
	var r struct {
		Data struct {
			TenantStatusChanged *struct{ Status string }
		}
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		return "", fmt.Errorf("decode subscription event: %w", err)
	}
	if len(r.Errors) > 0 {
		return "", fmt.Errorf("subscription: %s", r.Errors[0].Message)
	}
	if r.Data.TenantStatusChanged == nil {
		return "", errors.New("subscription: event without tenantStatusChanged")
	}
	return r.Data.TenantStatusChanged.Status, nil
}

// read returns the next message other than a keep-alive, answering pings.
func (s *statusSocket) read(ctx context.Context) (wsMessage, error) {
	for {
		_, data, err := s.conn.Read(ctx)
		if err != nil {
			return wsMessage{}, fmt.Errorf("read websocket: %w", err)
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return m, fmt.Errorf("decode websocket message %.200s: %w", data, err)
		}
		switch m.Type {
		case "ping":
			if err := s.send(ctx, wsMessage{Type: "pong"}); err != nil {
				return m, err
			}
		case "pong", "ka":
		default:
			return m, nil
		}
	}
}

func (s *statusSocket) send(ctx context.Context, m wsMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode websocket message: %w", err)
	}
	if err := s.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("write websocket %s: %w", m.Type, err)
	}
	return nil
}

// close ends the subscription and the socket without waiting for the server.
func (s *statusSocket) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.send(ctx, wsMessage{Type: "complete", ID: "1"})
	_ = s.conn.CloseNow()
}

// mustJSON encodes v, which is always encodable here.
func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
