package jobs

import (
	"context"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// ProvisioningDeadlineArgs times out a provisioning attempt still open at its deadline; it is
// enqueued with the attempt, scheduled at the deadline.
type ProvisioningDeadlineArgs struct {
	AttemptID uuid.UUID `json:"attempt_id"`
}

// Kind is the stable job kind.
func (ProvisioningDeadlineArgs) Kind() string { return "provisioning_deadline" }

// InsertOpts retry a few times on database trouble.
func (ProvisioningDeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10}
}

// ProvisioningDeadline builds the job for provisioning.Service.
func ProvisioningDeadline(attemptID uuid.UUID) river.JobArgs {
	return ProvisioningDeadlineArgs{AttemptID: attemptID}
}

// ProvisioningDeadlineWorker applies the deadline.
type ProvisioningDeadlineWorker struct {
	river.WorkerDefaults[ProvisioningDeadlineArgs]
	deps Deps
}

// Work times the attempt out, or waits again when it runs before the deadline.
func (w *ProvisioningDeadlineWorker) Work(ctx context.Context,
	job *river.Job[ProvisioningDeadlineArgs],
) error {
	wait, err := w.deps.Provisioning.TimeOut(ctx, job.Args.AttemptID)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}
