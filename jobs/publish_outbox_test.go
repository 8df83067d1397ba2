package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/outboxevent"
	"github.com/tenantd/tenantd/internal/apptest"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/testdb"
	"github.com/tenantd/tenantd/jobs"
)

func TestMain(m *testing.M) {
	testdb.Main(m, apptest.Migrate)
}

// recorder is a transport that keeps what it accepted and refuses while failing is set.
type recorder struct {
	mu      sync.Mutex
	failing bool
	got     []string
}

func (r *recorder) Publish(_ context.Context, e *ent.OutboxEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return errors.New("receiver unavailable")
	}
	r.got = append(r.got, e.Type)
	return nil
}

type bundle struct {
	db     *db.DB
	rec    *recorder
	worker *rivertest.Worker[jobs.PublishOutboxArgs, pgx.Tx]
}

func setup(t *testing.T) bundle {
	t.Helper()
	d, err := db.Open(context.Background(), testdb.New(t), db.Options{MaxConns: 8},
		slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(d.Close)
	workers := river.NewWorkers()
	river.AddWorker(workers, &jobs.PublishOutboxWorker{})
	inserter, err := db.NewJobs(d.SQL, workers)
	require.NoError(t, err)
	rec := &recorder{}
	w := jobs.NewPublishOutboxWorker(jobs.Deps{Ent: d.Ent, Logger: slog.New(slog.DiscardHandler),
		Publisher: rec, Jobs: inserter})
	return bundle{db: d, rec: rec,
		worker: rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{}, w)}
}

// write commits n events of subject, oldest first.
func (b bundle) write(t *testing.T, subject uuid.UUID, types ...string) {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	for _, typ := range types {
		require.NoError(t, b.db.Ent.OutboxEvent.Create().SetType(typ).
			SetSubject(subject.String()).SetData(map[string]any{}).Exec(ctx))
	}
}

func (b bundle) statuses(t *testing.T, subject uuid.UUID) []string {
	t.Helper()
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	evs, err := b.db.Ent.OutboxEvent.Query().Where(outboxevent.Subject(subject.String())).
		Order(outboxevent.ByCreatedAt()).All(ctx)
	require.NoError(t, err)
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type + "=" + string(e.Status)
	}
	return out
}

func (b bundle) work(t *testing.T, subject uuid.UUID, maxAttempts int) (*rivertest.WorkResult,
	error,
) {
	t.Helper()
	tx, err := b.db.Pool.Begin(context.Background())
	require.NoError(t, err)
	defer func() { _ = tx.Rollback(context.Background()) }()
	return b.worker.Work(context.Background(), t, tx,
		jobs.PublishOutboxArgs{Subject: subject.String()},
		&river.InsertOpts{MaxAttempts: maxAttempts})
}

func TestPublishesInOrderAndMarksPublished(t *testing.T) {
	t.Parallel()
	b := setup(t)
	subject := uuid.Must(uuid.NewV7())
	b.write(t, subject, "tenant.created", "tenant.provisioning.requested", "tenant.provisioned")

	res, err := b.work(t, subject, 10)
	require.NoError(t, err)
	require.Equal(t, rivertype.JobStateCompleted, res.Job.State)
	require.Equal(t, []string{"tenant.created", "tenant.provisioning.requested",
		"tenant.provisioned"}, b.rec.got)
	require.Equal(t, []string{"tenant.created=PUBLISHED", "tenant.provisioning.requested=PUBLISHED",
		"tenant.provisioned=PUBLISHED"}, b.statuses(t, subject))

	_, err = b.work(t, subject, 10)
	require.NoError(t, err)
	require.Len(t, b.rec.got, 3, "a published event is not sent again")
}

func TestRefusedEventIsRetriedThenFailsVisibly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	subject := uuid.Must(uuid.NewV7())
	b.write(t, subject, "tenant.created", "tenant.suspended")
	b.rec.failing = true

	res, err := b.work(t, subject, 5)
	require.Error(t, err, "the job fails so that River retries it with backoff")
	// Retried: River makes a job whose retry is due within moments available at once.
	require.Contains(t, []rivertype.JobState{rivertype.JobStateRetryable,
		rivertype.JobStateAvailable}, res.Job.State)
	require.Equal(t, []string{"tenant.created=PENDING", "tenant.suspended=PENDING"},
		b.statuses(t, subject), "nothing is marked published, later events wait")

	_, err = b.work(t, subject, 1) // the job's last attempt
	require.Error(t, err)
	require.Equal(t, []string{"tenant.created=FAILED", "tenant.suspended=PENDING"},
		b.statuses(t, subject), "the poison event ends FAILED")
	ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
	failed, err := b.db.Ent.OutboxEvent.Query().
		Where(outboxevent.StatusEQ(outboxevent.StatusFAILED)).Only(ctx)
	require.NoError(t, err)
	require.Contains(t, failed.LastError, "receiver unavailable")
	require.Equal(t, 2, failed.Attempts)

	b.rec.failing = false
	_, err = b.work(t, subject, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"tenant.created=FAILED", "tenant.suspended=PUBLISHED"},
		b.statuses(t, subject), "later events go out after the failed one")
}
