package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/provisioningattempt"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/webhook"
)

// LocalProvisioner plays the external provisioning pipeline in development and demos (SPEC
// 5.5): it receives the request events and, a moment later, calls the provisioning webhook
// with a correctly signed success, over HTTP like a real provisioner.
type LocalProvisioner struct {
	jobs Inserter
}

// NewLocalProvisioner returns a provisioner; its worker answers Deps.LocalProvisionerDelay
// after each request.
func NewLocalProvisioner(jobs Inserter) *LocalProvisioner {
	return &LocalProvisioner{jobs: jobs}
}

// Publish takes the provisioning and deprovisioning requests and schedules their answer; other
// events are not for it. It is called by the outbox publisher, so a failed insert is retried.
func (p *LocalProvisioner) Publish(ctx context.Context, e *ent.OutboxEvent) error {
	if e.Type != outbox.TenantProvisioningRequested &&
		e.Type != outbox.TenantDeprovisioningRequested {
		return nil
	}
	attempt, _ := e.Data["attempt"].(map[string]any)
	id, err := uuid.Parse(fmt.Sprint(attempt["id"]))
	if err != nil {
		return fmt.Errorf("request event %s has no attempt id: %w", e.ID, err)
	}
	// Inserted available at once: River releases scheduled jobs only every few seconds, so
	// the worker itself waits out the delay.
	return p.jobs.EnqueueNow(ctx, LocalProvisionArgs{AttemptID: id}, nil)
}

// LocalProvisionArgs asks the local provisioner to answer one attempt.
type LocalProvisionArgs struct {
	AttemptID uuid.UUID `json:"attempt_id"`
}

// Kind is the stable job kind.
func (LocalProvisionArgs) Kind() string { return "local_provision" }

// InsertOpts: retried briefly (the service may still be starting).
func (LocalProvisionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 8, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// LocalProvisionWorker signs and sends the success callback.
type LocalProvisionWorker struct {
	river.WorkerDefaults[LocalProvisionArgs]
	deps   Deps
	client *http.Client
}

// Timeout leaves room for the delay on top of River's default minute.
func (w *LocalProvisionWorker) Timeout(*river.Job[LocalProvisionArgs]) time.Duration {
	return w.deps.LocalProvisionerDelay + time.Minute
}

// Work waits until the delay after the request has passed, then calls the webhook for an
// attempt that is still open.
func (w *LocalProvisionWorker) Work(ctx context.Context, job *river.Job[LocalProvisionArgs]) error {
	if wait := time.Until(job.CreatedAt.Add(w.deps.LocalProvisionerDelay)); wait > 0 {
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	a, key, err := w.deps.Provisioning.Secret(ctx, job.Args.AttemptID)
	if err != nil {
		return err
	}
	if a.Status != provisioningattempt.StatusIN_PROGRESS &&
		a.Status != provisioningattempt.StatusPENDING {
		return nil
	}
	body, err := json.Marshal(localCallback(a))
	if err != nil {
		return fmt.Errorf("encode callback: %w", err)
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.deps.CallbackURL,
		bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build callback request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-timestamp", ts)
	req.Header.Set("x-signature", webhook.Sign(key, body, a.Context, ts))
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("call webhook %s: %w", w.deps.CallbackURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// localCallback is the success a real provisioner would report: one database and one
// application per tenant.
func localCallback(a *ent.ProvisioningAttempt) map[string]any {
	typ := 0
	if a.Operation == provisioningattempt.OperationDEPROVISION {
		typ = 1
	}
	short := a.TenantID.String()[:8]
	return map[string]any{
		"initiatorId": a.TenantID.String(),
		"type":        typ,
		"data": map[string]any{
			"status": "success",
			"resources": []map[string]any{
				{"type": "database", "externalIdentifier": "local-db-" + short,
					"metadata": map[string]any{"engine": "postgres", "provisioner": "local"}},
				{"type": "application", "externalIdentifier": "local-app-" + short,
					"metadata": map[string]any{"replicas": 1, "provisioner": "local"}},
			},
			"appPlaneUrl": "http://localhost/" + short,
		},
	}
}
