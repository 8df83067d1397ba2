// Package pubsub fans tenant status changes out to live GraphQL subscribers on every instance:
// writers call Notify inside the transaction of the change (PostgreSQL delivers the NOTIFY only
// on commit, so a rolled-back change notifies nobody), and each instance's Broker LISTENs on one
// dedicated connection and hands notifications to its local subscribers. internal/lifecycle
// calls Notify; graph/ subscribes.
package pubsub

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
)

// Channel is the PostgreSQL notification channel of tenant status changes.
const Channel = "tenantd_tenant_status"

// Notification says that a tenant's status changed; subscribers load the change (a
// TenantStatusChange row) under their own viewer. It stays far below NOTIFY's 8000-byte limit.
type Notification struct {
	TenantID uuid.UUID `json:"tenant_id"`
	ChangeID uuid.UUID `json:"change_id"`
}

// Notify sends n on Channel through client, which must be the client of the transaction that
// made the change.
func Notify(ctx context.Context, client *ent.Client, n Notification) error {
	payload, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode notification: %w", err)
	}
	if _, err := client.ExecContext(ctx, "SELECT pg_notify($1, $2)", Channel,
		string(payload)); err != nil {
		return fmt.Errorf("notify status change of tenant %s: %w", n.TenantID, err)
	}
	return nil
}
