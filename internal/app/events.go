package app

import (
	"context"
	"fmt"
	"maps"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/eventbus"
	"github.com/tenantd/tenantd/internal/outbox"
	"github.com/tenantd/tenantd/internal/provisioning"
	"github.com/tenantd/tenantd/jobs"
)

// publisher is what the outbox job publishes through: the configured transports, then the local
// provisioner when it is on.
type publisher struct {
	bus   *eventbus.Bus
	prov  *provisioning.Service
	local *jobs.LocalProvisioner
}

// Publish sends e to every transport. Provisioning requests get the attempt's secret here, from
// its encrypted column, so that the outbox table never holds it in the clear.
func (p *publisher) Publish(ctx context.Context, e *ent.OutboxEvent) error {
	if e.Type == outbox.TenantProvisioningRequested ||
		e.Type == outbox.TenantDeprovisioningRequested {
		withSecret, err := p.withSecret(ctx, e)
		if err != nil {
			return err
		}
		e = withSecret
	}
	if err := p.bus.PublishEvent(ctx, e); err != nil {
		return err
	}
	if p.local != nil {
		return p.local.Publish(ctx, e)
	}
	return nil
}

// withSecret returns a copy of the request event e with attempt.secret filled in.
func (p *publisher) withSecret(ctx context.Context, e *ent.OutboxEvent) (*ent.OutboxEvent, error) {
	attempt, _ := e.Data["attempt"].(map[string]any)
	id, err := uuid.Parse(fmt.Sprint(attempt["id"]))
	if err != nil {
		return nil, fmt.Errorf("request event %s names no attempt: %w", e.ID, err)
	}
	_, key, err := p.prov.Secret(ctx, id)
	if err != nil {
		return nil, err
	}
	attempt = maps.Clone(attempt)
	attempt["secret"] = string(key)
	out := *e
	out.Data = maps.Clone(e.Data)
	out.Data["attempt"] = attempt
	return &out, nil
}
