package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/privacy"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/webhookreceipt"
	"github.com/tenantd/tenantd/internal/auth"
)

// PurgeWebhookReceiptsArgs asks for the deletion of webhook receipts whose delivery can no
// longer pass the webhook's time window, so the replay guard's table stays small.
type PurgeWebhookReceiptsArgs struct{}

// Kind is the stable job kind.
func (PurgeWebhookReceiptsArgs) Kind() string { return "purge_webhook_receipts" }

// InsertOpts keep one pending purge at a time.
func (PurgeWebhookReceiptsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 5,
		UniqueOpts:  river.UniqueOpts{ByPeriod: time.Minute},
	}
}

// PurgeWebhookReceiptsWorker deletes expired receipts.
type PurgeWebhookReceiptsWorker struct {
	river.WorkerDefaults[PurgeWebhookReceiptsArgs]
	ent    *ent.Client
	logger *slog.Logger
}

// Work deletes every receipt past its expiry; running it twice is harmless.
func (w *PurgeWebhookReceiptsWorker) Work(ctx context.Context,
	_ *river.Job[PurgeWebhookReceiptsArgs],
) error {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, "purge_webhook_receipts"), privacy.Allow)
	n, err := w.ent.WebhookReceipt.Delete().
		Where(webhookreceipt.ExpiresAtLT(time.Now())).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete expired webhook receipts: %w", err)
	}
	if n > 0 {
		w.logger.InfoContext(ctx, "expired webhook receipts purged", slog.Int("count", n))
	}
	return nil
}
