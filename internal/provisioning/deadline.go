package provisioning

import (
	"context"
	"fmt"
	"time"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/provisioningattempt"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/lifecycle"
	st "github.com/tenantd/tenantd/internal/schematype"
)

// TimeOut ends attempt id when it is still open at its deadline: the attempt becomes TIMED_OUT
// and the tenant PROVISION_FAILED (or DEPROVISION_FAILED) with the reason "timeout". It returns
// how long to wait when the deadline is still ahead (the attempt was found early), else zero.
// Running it again is harmless.
func (s *Service) TimeOut(ctx context.Context, id uuid.UUID) (time.Duration, error) {
	ctx = privacy.DecisionContext(auth.SystemContext(ctx, "provisioning_deadline"), privacy.Allow)
	var wait time.Duration
	err := db.InTx(ctx, s.ent, func(ctx context.Context) error {
		client := db.Client(ctx, s.ent)
		a, err := client.ProvisioningAttempt.Get(ctx, id)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("load attempt %s: %w", id, err)
		}
		if isEnded(a.Status) {
			return nil
		}
		if left := a.Deadline.Sub(s.now()); left > 0 {
			wait = left
			return nil
		}
		t, err := lifecycle.Lock(ctx, client, a.TenantID)
		if err != nil {
			return err
		}
		// Re-read under the tenant lock: a callback may have ended it meanwhile.
		a, err = client.ProvisioningAttempt.Get(ctx, id)
		if err != nil || isEnded(a.Status) {
			return err
		}
		err = client.ProvisioningAttempt.UpdateOne(a).
			SetStatus(provisioningattempt.StatusTIMED_OUT).SetFinishedAt(s.now()).
			SetFailureReason("timeout").Exec(ctx)
		if err != nil {
			return fmt.Errorf("time out attempt %s: %w", id, err)
		}
		s.ended(a, "timed_out")
		want, to := st.TenantProvisioning, st.TenantProvisionFailed
		if a.Operation == provisioningattempt.OperationDEPROVISION {
			want, to = st.TenantDeprovisioning, st.TenantDeprovisionFailed
		}
		if t.Status != want {
			return nil
		}
		_, err = s.machine.Transition(ctx, client, t, to,
			lifecycle.Change{Reason: "timeout", AttemptID: &a.ID})
		return err
	})
	return wait, err
}
