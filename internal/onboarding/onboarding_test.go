package onboarding_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/lifecycle"
	"github.com/tenantd/tenantd/internal/onboarding"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/secret"
	"github.com/tenantd/tenantd/internal/testdb"
	"github.com/tenantd/tenantd/jobs"
)

func TestMain(m *testing.M) {
	testdb.Main(m, apptest.Migrate)
}

type bundle struct {
	db  *db.DB
	svc *onboarding.Service
}

func setup(t *testing.T) bundle {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, testdb.New(t), db.Options{MaxConns: 4}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(d.Close)
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.SendVerificationEmailWorker{})
	river.AddWorker(workers, &jobs.PublishOutboxWorker{})
	enqueuer, err := db.NewJobs(d.SQL, workers)
	require.NoError(t, err)
	keys, err := secret.NewKeyring([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	minter, err := auth.NewMinter(auth.Config{
		LeadSecret: []byte("lead-secret-0123456789abcdef0123456789")})
	require.NoError(t, err)
	machine := lifecycle.New(outbox.NewWriter(enqueuer, jobs.PublishOutbox))
	svc := onboarding.New(d.Ent, enqueuer, jobs.VerificationEmail, machine, keys, minter,
		onboarding.Config{})
	return bundle{db: d, svc: svc}
}

func (b bundle) count(t *testing.T, query string) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.Pool.QueryRow(context.Background(), query).Scan(&n))
	return n
}

var lead = onboarding.LeadInput{FirstName: "Ada", LastName: "Lovelace",
	CompanyName: "Engines", Email: "ada@engines.example"}

func TestCreateLeadCommitsLeadAndEmailJobTogether(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	boom := errors.New("a later step of the same transaction failed")
	err := db.InTx(ctx, b.db.Ent, func(ctx context.Context) error {
		_, err := b.svc.CreateLead(ctx, lead)
		require.NoError(t, err)
		return boom
	})
	require.ErrorIs(t, err, boom)
	require.Zero(t, b.count(t, "SELECT count(*) FROM leads"), "no lead survives the rollback")
	require.Zero(t, b.count(t, "SELECT count(*) FROM lead_verifications"))
	require.Zero(t, b.count(t, "SELECT count(*) FROM river_job"), "no email job either")
	require.Zero(t, b.count(t, "SELECT count(*) FROM outbox_events"))

	id, err := b.svc.CreateLead(ctx, lead)
	require.NoError(t, err)
	require.Equal(t, 1, b.count(t, "SELECT count(*) FROM leads"))
	require.Equal(t, 1, b.count(t,
		"SELECT count(*) FROM river_job WHERE kind = 'send_verification_email' AND args->>'lead_id' = '"+
			id.String()+"'"))
	require.Equal(t, 1, b.count(t,
		"SELECT count(*) FROM river_job WHERE kind = 'publish_outbox'"), "lead.created goes out")
	require.Zero(t, b.count(t, `SELECT count(*) FROM river_job WHERE args::text ~* 'code'`),
		"the job carries no code")
}

func TestVerificationStoresOnlyAHash(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.svc.CreateLead(context.Background(), lead)
	require.NoError(t, err)
	require.Equal(t, 32, b.count(t, "SELECT octet_length(code_hash) FROM lead_verifications"),
		"a SHA-256 digest, not the code")
	require.Equal(t, 30, b.count(t,
		"SELECT round(extract(epoch FROM expires_at - created_at) / 60) FROM lead_verifications"),
		"codes live 30 minutes by default")
}
