package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/privacy"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/outboxevent"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
)

// PublishOutboxArgs asks for the publication of the pending events of one subject (a tenant or
// a lead), oldest first. One job is enqueued with every event, in the event's transaction.
type PublishOutboxArgs struct {
	Subject string `json:"subject"`
}

// Kind is the stable job kind.
func (PublishOutboxArgs) Kind() string { return "publish_outbox" }

// publishAttempts is how often an event is tried before it is marked FAILED.
const publishAttempts = 10

// InsertOpts: the events queue, retried with River's backoff (1 s, 16 s, 81 s, … about 3 hours
// in all).
func (PublishOutboxArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, MaxAttempts: publishAttempts}
}

// PublishOutbox builds the job for outbox.Writer.
func PublishOutbox(subject string) river.JobArgs { return PublishOutboxArgs{Subject: subject} }

// Publisher sends one event to every configured transport; it returns nil only when all of
// them accepted it (internal/eventbus behind an adapter in internal/app).
type Publisher interface {
	Publish(ctx context.Context, e *ent.OutboxEvent) error
}

// PublishOutboxWorker publishes events at least once and in order per subject.
type PublishOutboxWorker struct {
	river.WorkerDefaults[PublishOutboxArgs]
	deps Deps
}

// NewPublishOutboxWorker returns the worker with its dependencies (Register uses it too).
func NewPublishOutboxWorker(d Deps) *PublishOutboxWorker {
	return &PublishOutboxWorker{deps: d}
}

// Work takes the subject's lock (another job holding it means that job publishes these events;
// this one waits a moment), then publishes its pending events oldest first, marking each
// PUBLISHED only after every transport accepted it. A failing event stops the run so that
// later events do not overtake it; after its last attempt it is marked FAILED and left behind.
func (w *PublishOutboxWorker) Work(ctx context.Context, job *river.Job[PublishOutboxArgs]) error {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, job.Kind), privacy.Allow)
	var failed *refused
	err := db.InTx(ctx, w.deps.Ent, func(ctx context.Context) error {
		client := db.Client(ctx, w.deps.Ent)
		locked, err := tryLock(ctx, client, "outbox:"+job.Args.Subject)
		if err != nil || !locked {
			if err == nil {
				err = river.JobSnooze(250 * time.Millisecond)
			}
			return err
		}
		failed, err = w.publishPending(ctx, client, job.Args.Subject)
		return err
	})
	if err != nil || failed == nil {
		return err
	}
	return w.recordFailure(ctx, job, failed)
}

// refused is an event a transport did not accept, with the transport's error.
type refused struct {
	event *ent.OutboxEvent
	err   error
}

// publishPending publishes the subject's pending events in order; it stops at the first event
// a transport refused and returns it.
func (w *PublishOutboxWorker) publishPending(ctx context.Context, client *ent.Client,
	subject string,
) (*refused, error) {
	events, err := client.OutboxEvent.Query().
		Where(outboxevent.Subject(subject), outboxevent.StatusEQ(outboxevent.StatusPENDING)).
		Order(outboxevent.ByCreatedAt(), outboxevent.ByID()).Limit(500).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load pending events of %s: %w", subject, err)
	}
	for _, e := range events {
		if perr := w.deps.Publisher.Publish(ctx, e); perr != nil {
			return &refused{event: e, err: perr}, nil
		}
		err := client.OutboxEvent.UpdateOne(e).SetStatus(outboxevent.StatusPUBLISHED).
			SetPublishedAt(time.Now()).AddAttempts(1).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("mark event %s published: %w", e.ID, err)
		}
	}
	return nil, nil
}

// recordFailure keeps the transport's error on the event and, on the job's last attempt, marks
// it FAILED so that the subject's later events can go out. It returns the error for River to
// retry with backoff.
func (w *PublishOutboxWorker) recordFailure(ctx context.Context, job *river.Job[PublishOutboxArgs],
	f *refused,
) error {
	e, pubErr := f.event, f.err
	msg := pubErr.Error()
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	upd := w.deps.Ent.OutboxEvent.UpdateOne(e).AddAttempts(1).SetLastError(msg)
	last := job.Attempt >= job.MaxAttempts
	if last {
		upd.SetStatus(outboxevent.StatusFAILED)
	}
	if err := upd.Exec(ctx); err != nil {
		return fmt.Errorf("record failure of event %s: %w", e.ID, err)
	}
	if last {
		w.deps.Logger.ErrorContext(ctx, "event failed after its last attempt",
			slog.String("event_id", e.ID.String()), slog.String("type", e.Type),
			slog.Any("err", pubErr))
		// Later events of the subject were waiting behind this one.
		if err := w.deps.Jobs.EnqueueNow(ctx, PublishOutbox(job.Args.Subject), nil); err != nil {
			return err
		}
	}
	return fmt.Errorf("publish event %s (%s): %w", e.ID, e.Type, pubErr)
}

// tryLock takes a transaction-scoped advisory lock on key without waiting.
func tryLock(ctx context.Context, client *ent.Client, key string) (bool, error) {
	rows, err := client.QueryContext(ctx, "SELECT pg_try_advisory_xact_lock(hashtext($1))", key)
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", key, err)
	}
	defer rows.Close()
	var ok bool
	if rows.Next() {
		if err := rows.Scan(&ok); err != nil {
			return false, fmt.Errorf("lock %s: %w", key, err)
		}
	}
	return ok, rows.Err()
}
