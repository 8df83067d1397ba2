package graph_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/privacy"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/ent/outboxevent"
	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/config"
	"github.com/tenantd/tenantd/internal/mail"
	"github.com/tenantd/tenantd/internal/mail/mailtest"
)

const (
	createLeadQ = `mutation($input: CreateLeadInput!) { createLead(input: $input) { leadId } }`
	verifyLeadQ = `mutation($id: ID!, $code: String!) { verifyLead(id: $id, code: $code) {
		token expiresAt lead { id status } } }`
	fromLeadQ = `mutation($input: OnboardTenantFromLeadInput!) {
		onboardTenantFromLead(input: $input) { id key name status domains
		address { city country } } }`
)

// smtpEnv is a service that sends its email through a real SMTP server (STARTTLS, AUTH PLAIN).
func smtpEnv(t *testing.T, change func(*config.Config)) (*apptest.Env, *mailtest.Server) {
	t.Helper()
	ts := mailtest.Start(t, false)
	env := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		c.Mail = mail.Config{Host: "127.0.0.1", Port: ts.Port, Username: ts.User,
			Password: ts.Pass, TLS: mail.TLSStartTLS, From: "tenantd <signup@tenantd.example>",
			InsecureSkipVerify: true}
		c.VerifyURL = "https://app.example.com/verify"
		if change != nil {
			change(c)
		}
	}})
	return env, ts
}

func leadInput(email string) map[string]any {
	return map[string]any{"input": map[string]any{"firstName": "Grace", "lastName": "Hopper",
		"companyName": "Hopper Labs", "email": email,
		"address": map[string]any{"line": "1 Navy Way", "city": "Arlington", "country": "us"}}}
}

var linkRE = regexp.MustCompile(`https://app\.example\.com/verify\?\S+`)

// verifyLinkOf reads the next delivered email and returns the lead id and code of its link.
func verifyLinkOf(t *testing.T, ts *mailtest.Server, to string) (string, string) {
	t.Helper()
	d := ts.Next(t)
	require.Equal(t, []string{to}, d.Rcpt)
	msg := mailtest.Parse(t, d.Data)
	link := linkRE.FindString(msg.Text)
	require.NotEmpty(t, link, "no verify link in:\n%s", msg.Text)
	require.Contains(t, msg.HTML, strings.ReplaceAll(link, "&", "&amp;"))
	u, err := url.Parse(link)
	require.NoError(t, err)
	return u.Query().Get("lead"), u.Query().Get("code")
}

func TestSelfServiceOnboarding(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)
	admin := env.Admin(t)
	env.Do(t, admin, createPlan, planInput("standard")).Decode(t, &struct{}{})

	var created struct{ CreateLead struct{ LeadID string } }
	resp := env.Do(t, "", createLeadQ, leadInput("Grace@Hopper.example"))
	resp.Decode(t, &created)
	require.NotContains(t, string(resp.Data), "code", "the answer holds only the lead id")

	leadID, code := verifyLinkOf(t, ts, "Grace@Hopper.example")
	require.Equal(t, created.CreateLead.LeadID, leadID)
	require.GreaterOrEqual(t, len(code), 22, "at least 128 bits")

	var verified struct {
		VerifyLead struct {
			Token string
			Lead  struct{ ID, Status string }
		}
	}
	env.Do(t, "", verifyLeadQ, map[string]any{"id": leadID, "code": code}).Decode(t, &verified)
	require.Equal(t, "VERIFIED", verified.VerifyLead.Lead.Status)
	leadToken := verified.VerifyLead.Token

	again := env.Do(t, "", verifyLeadQ, map[string]any{"id": leadID, "code": code})
	require.Equal(t, "UNAUTHENTICATED", again.Code(), "a code works once")

	var own struct {
		Viewer struct{ Kind string }
		Lead   struct{ Email, Status string }
	}
	env.Do(t, leadToken, `query($id: ID!) { viewer { kind } lead(id: $id) { email status } }`,
		map[string]any{"id": leadID}).Decode(t, &own)
	require.Equal(t, "LEAD", own.Viewer.Kind)
	require.Equal(t, "Grace@Hopper.example", own.Lead.Email)

	var onboarded struct {
		OnboardTenantFromLead struct {
			ID, Key, Name, Status string
			Domains               []string
			Address               struct{ City, Country string }
		}
	}
	env.Do(t, leadToken, fromLeadQ, map[string]any{"input": map[string]any{
		"key": "Hopper", "domains": []string{"HOPPER.example"}, "planKey": "standard"}}).
		Decode(t, &onboarded)
	tn := onboarded.OnboardTenantFromLead
	require.Equal(t, "hopper", tn.Key, "keys are stored lower case")
	require.Equal(t, "Hopper Labs", tn.Name, "name defaults to the lead's company")
	require.Equal(t, "PENDING_PROVISION", tn.Status)
	require.Equal(t, []string{"hopper.example"}, tn.Domains)
	require.Equal(t, "US", tn.Address.Country, "address defaults to the lead's")

	var check struct {
		Tenant struct {
			Lead     struct{ Status string }
			Contacts struct {
				Edges []struct {
					Node struct {
						Email, Type string
						IsPrimary   bool
					}
				}
			}
			StatusHistory struct {
				Edges []struct {
					Node struct {
						From      *string
						To, Actor string
					}
				}
			}
		}
	}
	env.Do(t, admin, `query($id: ID!) { tenant(id: $id) { lead { status }
		contacts { edges { node { email type isPrimary } } }
		statusHistory { edges { node { from to actor } } } } }`,
		map[string]any{"id": tn.ID}).Decode(t, &check)
	require.Equal(t, "CONVERTED", check.Tenant.Lead.Status)
	require.Len(t, check.Tenant.Contacts.Edges, 1)
	primary := check.Tenant.Contacts.Edges[0].Node
	require.Equal(t, "grace@hopper.example", primary.Email)
	require.Equal(t, "ADMIN", primary.Type)
	require.True(t, primary.IsPrimary)
	require.Len(t, check.Tenant.StatusHistory.Edges, 1)
	first := check.Tenant.StatusHistory.Edges[0].Node
	require.Nil(t, first.From)
	require.Equal(t, "PENDING_PROVISION", first.To)
	require.Equal(t, "lead:"+leadID, first.Actor)

	types := outboxTypes(t, env)
	require.Equal(t, []string{"lead.created", "lead.verified", "tenant.created"}, types)

	// The lead token reads its own tenant, and nothing else.
	var mine struct{ Tenant struct{ Key string } }
	env.Do(t, leadToken, `query($id: ID!) { tenant(id: $id) { key } }`,
		map[string]any{"id": tn.ID}).Decode(t, &mine)
	require.Equal(t, "hopper", mine.Tenant.Key)
	other := env.SeedTenant(t, "other")
	for _, q := range []struct {
		query string
		vars  map[string]any
	}{
		{`query($id: ID!) { tenant(id: $id) { key } }`, map[string]any{"id": other.Tenant.ID}},
		{`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": other.Tenant.ID}},
		{`query($id: ID!) { lead(id: $id) { id } }`, map[string]any{"id": apptest.NewID()}},
		{`{ tenants { totalCount } }`, nil},
		{`{ plans { totalCount } }`, nil},
		{`query($id: ID!) { tenant(id: $id) { contacts { totalCount } } }`,
			map[string]any{"id": tn.ID}},
	} {
		require.Equal(t, "FORBIDDEN", env.Do(t, leadToken, q.query, q.vars).Code(), q.query)
	}

	twice := env.Do(t, leadToken, fromLeadQ, map[string]any{"input": map[string]any{
		"key": "hopper-two", "domains": []string{"hopper.example"}, "planKey": "standard"}})
	require.Equal(t, "CONFLICT", twice.Code(), "one tenant per lead")

	require.Empty(t, env.LogLines(code), "the code never appears in a log line")
}

// outboxTypes lists the event types in the outbox, oldest first.
func outboxTypes(t *testing.T, env *apptest.Env) []string {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	evs, err := env.Service.DB.Ent.OutboxEvent.Query().
		Order(outboxevent.ByCreatedAt()).All(ctx)
	require.NoError(t, err)
	types := make([]string, len(evs))
	for i, e := range evs {
		types[i] = e.Type
	}
	return types
}

// signUp creates and verifies a lead for email, returning its id and lead token.
func signUp(t *testing.T, env *apptest.Env, ts *mailtest.Server, email string) (string, string) {
	t.Helper()
	env.Do(t, "", createLeadQ, leadInput(email)).Decode(t, &struct{}{})
	id, code := verifyLinkOf(t, ts, email)
	var v struct{ VerifyLead struct{ Token string } }
	env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": code}).Decode(t, &v)
	return id, v.VerifyLead.Token
}

func TestVerifyLeadRefusesAlike(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)

	env.Do(t, "", createLeadQ, leadInput("ada@babbage.example")).Decode(t, &struct{}{})
	id, oldCode := verifyLinkOf(t, ts, "ada@babbage.example")
	// Asking again replaces the code: the old one stops working, the same lead is reused.
	var again struct{ CreateLead struct{ LeadID string } }
	env.Do(t, "", createLeadQ, leadInput("ADA@babbage.example")).Decode(t, &again)
	require.Equal(t, id, again.CreateLead.LeadID)
	_, newCode := verifyLinkOf(t, ts, "ADA@babbage.example")
	require.NotEqual(t, oldCode, newCode)

	answers := map[string]string{}
	for name, vars := range map[string]map[string]any{
		"replaced code": {"id": id, "code": oldCode},
		"unknown lead":  {"id": apptest.NewID(), "code": newCode},
		"empty code":    {"id": id, "code": ""},
	} {
		resp := env.Do(t, "", verifyLeadQ, vars)
		require.Equal(t, "UNAUTHENTICATED", resp.Code(), name)
		answers[resp.Errors[0].Message] = name
	}
	// Five wrong codes burn the verification; the right one then fails too.
	for range 3 {
		require.Equal(t, "UNAUTHENTICATED",
			env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": "wrong"}).Code())
	}
	burned := env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": newCode})
	require.Equal(t, "UNAUTHENTICATED", burned.Code(), "burned after five wrong codes")
	answers[burned.Errors[0].Message] = "burned"
	require.Len(t, answers, 1, "every refusal reads the same: %v", answers)

	// A new email brings a new code that works.
	env.Do(t, "", createLeadQ, leadInput("ada@babbage.example")).Decode(t, &struct{}{})
	_, fresh := verifyLinkOf(t, ts, "ada@babbage.example")
	ok := env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": fresh})
	require.Empty(t, ok.Errors)

	conflict := env.Do(t, "", createLeadQ, leadInput("Ada@Babbage.example"))
	require.Equal(t, "CONFLICT", conflict.Code(), "a verified email cannot sign up again")
	require.Equal(t, "input.email", conflict.Field())
}

func TestExpiredCodeIsRefused(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)
	env.Do(t, "", createLeadQ, leadInput("late@slow.example")).Decode(t, &struct{}{})
	id, code := verifyLinkOf(t, ts, "late@slow.example")
	_, err := env.Service.DB.Pool.Exec(context.Background(),
		`UPDATE lead_verifications SET expires_at = now() - interval '1 second'`)
	require.NoError(t, err)
	resp := env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": code})
	require.Equal(t, "UNAUTHENTICATED", resp.Code())
}

func TestConcurrentSignUpsMakeOneLead(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)
	const n = 10
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct{ CreateLead struct{ LeadID string } }
			email := "same@race.example"
			if i%2 == 1 {
				email = "SAME@Race.example"
			}
			env.Do(t, "", createLeadQ, leadInput(email)).Decode(t, &out)
			ids[i] = out.CreateLead.LeadID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		require.Equal(t, ids[0], id)
	}
	var leads struct{ Leads struct{ TotalCount int } }
	env.Do(t, env.Admin(t), `{ leads { totalCount } }`, nil).Decode(t, &leads)
	require.Equal(t, 1, leads.Leads.TotalCount)
	// Each sign-up replaced the code before it; at least the current one is emailed.
	ts.Next(t)
	require.Equal(t, []string{"lead.created"}, outboxTypes(t, env), "one lead, one event")
}

func TestConcurrentOnboardingOfOneLead(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)
	env.Do(t, env.Admin(t), createPlan, planInput("basic")).Decode(t, &struct{}{})
	_, token := signUp(t, env, ts, "kim@race.example")

	const n = 10
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = env.Do(t, token, fromLeadQ, map[string]any{"input": map[string]any{
				"key": fmt.Sprintf("race-%d", i), "domains": []string{"race.example"},
				"planKey": "basic"}}).Code()
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
	require.Equal(t, 1, wins, "codes: %v", codes)
	var out struct{ Tenants struct{ TotalCount int } }
	env.Do(t, env.Admin(t), `{ tenants { totalCount } }`, nil).Decode(t, &out)
	require.Equal(t, 1, out.Tenants.TotalCount)
}

func TestOnboardFromLeadRules(t *testing.T) {
	t.Parallel()
	env, ts := smtpEnv(t, nil)
	env.Do(t, env.Admin(t), createPlan, planInput("basic")).Decode(t, &struct{}{})
	_, token := signUp(t, env, ts, "lin@rules.example")

	cases := []struct {
		name  string
		input map[string]any
		code  string
		field string
	}{
		{"email not on the domains", map[string]any{"key": "rules",
			"domains": []string{"elsewhere.example"}, "planKey": "basic"},
			"VALIDATION_FAILED", "input.domains"},
		{"another address", map[string]any{"key": "rules", "domains": []string{"rules.example"},
			"planKey": "basic", "address": map[string]any{"line": "2 Other Rd",
				"city": "Arlington", "country": "US"}}, "VALIDATION_FAILED", "input.address"},
		{"reserved key", map[string]any{"key": "Admin", "domains": []string{"rules.example"},
			"planKey": "basic"}, "VALIDATION_FAILED", "input.key"},
		{"unknown plan", map[string]any{"key": "rules", "domains": []string{"rules.example"},
			"planKey": "gold"}, "VALIDATION_FAILED", "input.planKey"},
		{"taken key in other case", map[string]any{"key": "SEEDED",
			"domains": []string{"rules.example"}, "planKey": "basic"}, "CONFLICT", "input.key"},
	}
	env.SeedTenant(t, "seeded")
	for _, c := range cases {
		resp := env.Do(t, token, fromLeadQ, map[string]any{"input": c.input})
		require.Equal(t, c.code, resp.Code(), c.name)
		require.Equal(t, c.field, resp.Field(), c.name)
	}
	same := env.Do(t, token, fromLeadQ, map[string]any{"input": map[string]any{"key": "rules",
		"domains": []string{"mail.rules.example", "rules.example"}, "planKey": "basic",
		"address": map[string]any{"line": "1 Navy Way", "city": "Arlington", "country": "US"}}})
	require.Empty(t, same.Errors, "the lead's own address and a sub-domain are fine")
}

func TestOperatorOnboarding(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	admin := env.Admin(t)
	env.Do(t, admin, createPlan, planInput("pro")).Decode(t, &struct{}{})
	const q = `mutation($input: OnboardTenantInput!) { onboardTenant(input: $input) {
		id key status contacts { edges { node { email isPrimary type } } } } }`
	input := func(key string, emails ...string) map[string]any {
		contacts := []map[string]any{}
		for i, e := range emails {
			contacts = append(contacts, map[string]any{"firstName": "C", "lastName": fmt.Sprint(i),
				"email": e, "type": "BILLING"})
		}
		return map[string]any{"input": map[string]any{"key": key, "name": "Globex",
			"domains": []string{"globex.example", "Bücher.example"}, "planKey": "pro",
			"address":  map[string]any{"line": "1 Way", "city": "Springfield", "country": "US"},
			"contacts": contacts}}
	}
	var out struct {
		OnboardTenant struct {
			Key, Status string
			Contacts    struct {
				Edges []struct {
					Node struct {
						Email     string
						IsPrimary bool
					}
				}
			}
		}
	}
	env.Do(t, admin, q, input("globex", "hank@globex.example", "Ops@IT.Bücher.example")).
		Decode(t, &out)
	require.Equal(t, "PENDING_PROVISION", out.OnboardTenant.Status)
	edges := out.OnboardTenant.Contacts.Edges
	require.Len(t, edges, 2)
	primaries := 0
	for _, e := range edges {
		if e.Node.IsPrimary {
			primaries++
			require.Equal(t, "hank@globex.example", e.Node.Email, "the first is primary")
		}
	}
	require.Equal(t, 1, primaries)

	for name, c := range map[string]struct {
		in    map[string]any
		code  string
		field string
	}{
		"no contacts":    {input("initech"), "VALIDATION_FAILED", "input.contacts"},
		"foreign domain": {input("initech", "bob@evilglobex.example"), "VALIDATION_FAILED", "input.contacts[0].email"},
		"repeated email": {input("initech", "a@globex.example", "A@globex.example"), "VALIDATION_FAILED", "input.contacts[1].email"},
		"key taken":      {input("GLOBEX", "x@globex.example"), "CONFLICT", "input.key"},
		"reserved key":   {input("www", "x@globex.example"), "VALIDATION_FAILED", "input.key"},
	} {
		resp := env.Do(t, admin, q, c.in)
		require.Equal(t, c.code, resp.Code(), name)
		require.Equal(t, c.field, resp.Field(), name)
	}
}

func TestSignUpRateLimits(t *testing.T) {
	t.Parallel()
	env, _ := smtpEnv(t, func(c *config.Config) {
		c.LeadsPerEmail, c.LeadsPerIP, c.VerifyPerLead = 2, 4, 2
	})
	var first struct{ CreateLead struct{ LeadID string } }
	for range 2 {
		env.Do(t, "", createLeadQ, leadInput("r@limit.example")).Decode(t, &first)
	}
	require.Equal(t, "RATE_LIMITED",
		env.Do(t, "", createLeadQ, leadInput("R@limit.example")).Code(), "per email")
	require.Empty(t, env.Do(t, "", createLeadQ, leadInput("s@limit.example")).Errors)
	require.Equal(t, "RATE_LIMITED",
		env.Do(t, "", createLeadQ, leadInput("t@limit.example")).Code(), "per client address")

	id := first.CreateLead.LeadID
	for range 2 {
		require.Equal(t, "UNAUTHENTICATED",
			env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": "x"}).Code())
	}
	require.Equal(t, "RATE_LIMITED",
		env.Do(t, "", verifyLeadQ, map[string]any{"id": id, "code": "x"}).Code(), "per lead")
}

func TestDevelopmentEmailGoesToAFileWithTheLink(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{Config: func(c *config.Config) {
		c.VerifyURL = "https://app.example.com/verify"
	}})
	var out struct{ CreateLead struct{ LeadID string } }
	env.Do(t, "", createLeadQ, leadInput("file@dev.example")).Decode(t, &out)

	var files []string
	require.Eventually(t, func() bool {
		files, _ = filepath.Glob(filepath.Join(env.MailDir, "*.eml"))
		return len(files) == 1
	}, 15*time.Second, 50*time.Millisecond, "the email job writes one .eml file")
	raw, err := os.ReadFile(files[0])
	require.NoError(t, err)
	msg := mailtest.Parse(t, raw)
	link := linkRE.FindString(msg.Text)
	require.Contains(t, link, "lead="+out.CreateLead.LeadID)
	logged := env.LogLines("email written")
	require.Len(t, logged, 1)
	u, err := url.Parse(link)
	require.NoError(t, err)
	require.Contains(t, logged[0], u.Query().Get("code"), "development mode logs the verify link")
}

func TestCreateLeadValidation(t *testing.T) {
	t.Parallel()
	env := apptest.New(t, apptest.Options{})
	long := strings.Repeat("x", 101)
	for _, c := range []struct {
		set   map[string]any
		field string
	}{
		{map[string]any{"firstName": " "}, "input.firstName"},
		{map[string]any{"lastName": long}, "input.lastName"},
		{map[string]any{"companyName": strings.Repeat("c", 201)}, "input.companyName"},
		{map[string]any{"email": "not-an-email"}, "input.email"},
		{map[string]any{"email": "Bob <bob@x.example>"}, "input.email"},
		{map[string]any{"email": "bob@localhost"}, "input.email"},
		{map[string]any{"firstName": "Bo\u0000b"}, "input.firstName"},
		{map[string]any{"address": map[string]any{"line": "1 A St", "city": "X",
			"country": "XX"}}, "input.address.country"},
		{map[string]any{"source": long}, "input.source"},
	} {
		in := leadInput("ok@valid.example")
		for k, v := range c.set {
			in["input"].(map[string]any)[k] = v
		}
		resp := env.Do(t, "", createLeadQ, in)
		require.Equal(t, "VALIDATION_FAILED", resp.Code(), c.field)
		require.Equal(t, c.field, resp.Field())
	}
	idn := env.Do(t, "", createLeadQ, leadInput("Müller@Bücher.example"))
	require.Empty(t, idn.Errors, "international addresses are accepted")
}
