package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"entgo.io/ent/privacy"
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/tenant"
	"github.com/tenantd/tenantd/ent/tenantstatuschange"
	"github.com/tenantd/tenantd/graph/model"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/pubsub"
)

// loadTimeout bounds loading one status change for the subscribers waiting on it.
const loadTimeout = 5 * time.Second

// statusEvent is one message of tenantStatusChanged with the change it comes from.
type statusEvent struct {
	changeID uuid.UUID // uuid.Nil for a tenant without history rows
	event    *model.TenantStatusEvent
}

// tenantStatusChanged streams the status changes of tenantID (every tenant's when nil) until
// ctx ends or the caller's token expires. For one tenant its current state comes first.
func (r *Resolver) tenantStatusChanged(ctx context.Context, tenantID *uuid.UUID,
) (<-chan *model.TenantStatusEvent, error) {
	v, err := r.authoriseStatusStream(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	if r.broker == nil {
		return nil, errors.New("subscribe to status changes: no broker configured")
	}

	// The stream ends when the token expires: the deadline ends the broker subscription too.
	var cancel context.CancelFunc
	if v.ExpiresAt.IsZero() {
		ctx, cancel = context.WithCancel(ctx)
	} else {
		ctx, cancel = context.WithDeadline(ctx, v.ExpiresAt)
	}
	// Subscribe before reading the current state, so that no change falls in between.
	sub := r.broker.Subscribe(ctx, tenantID)
	var first *statusEvent
	if tenantID != nil {
		if first, err = r.currentStatus(ctx, *tenantID); err != nil {
			cancel()
			return nil, err
		}
	}
	out := make(chan *model.TenantStatusEvent)
	go r.streamStatus(ctx, cancel, sub, first, out)
	return out, nil
}

// authoriseStatusStream checks that ctx's caller may follow tenantID (every tenant when nil): a
// lead token only its own tenant, an operator with ViewTenant any existing tenant or all.
func (r *Resolver) authoriseStatusStream(ctx context.Context, tenantID *uuid.UUID,
) (*auth.Viewer, error) {
	v := auth.FromContext(ctx)
	if v.IsLead() {
		if _, err := auth.RequireLead(ctx); err != nil {
			return nil, err
		}
		if tenantID == nil {
			return nil, apperr.Forbidden("a lead token may follow only its own tenant; " +
				"tenantId is required")
		}
		_, err := r.ownTenant(ctx, v, func(q *ent.TenantQuery) { q.Where(tenant.ID(*tenantID)) })
		return v, err
	}
	if err := auth.Require(ctx, auth.ViewTenant); err != nil {
		return nil, err
	}
	if tenantID == nil {
		return v, nil
	}
	ok, err := r.client.Tenant.Query().Where(tenant.ID(*tenantID)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("look up tenant %s: %w", *tenantID, err)
	}
	if !ok {
		return nil, apperr.NotFound("tenant")
	}
	return v, nil
}

// currentStatus returns the latest status change of the tenant id. A tenant without history
// rows (written before history was kept, or seeded directly) is described by its own row.
// The caller has been authorised already.
func (r *Resolver) currentStatus(ctx context.Context, id uuid.UUID) (*statusEvent, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	c, err := r.client.TenantStatusChange.Query().
		Where(tenantstatuschange.TenantID(id)).
		Order(ent.Desc(tenantstatuschange.FieldCreatedAt), ent.Desc(tenantstatuschange.FieldID)).
		WithAttempt().First(ctx)
	if err == nil {
		return changeEvent(c), nil
	}
	if !ent.IsNotFound(err) {
		return nil, fmt.Errorf("load current status of tenant %s: %w", id, err)
	}
	t, err := r.client.Tenant.Get(ctx, id)
	if err != nil {
		return nil, notFound(err, "tenant")
	}
	actor := t.UpdatedBy
	if actor == "" {
		actor = t.CreatedBy
	}
	return &statusEvent{event: &model.TenantStatusEvent{
		TenantID: t.ID, Status: t.Status, Actor: actor, At: t.UpdatedAt,
	}}, nil
}

// streamStatus owns out: it sends first (if any), then every notified change, and closes out
// when sub closes (ctx ended, token expired, or the broker cut the subscriber off) or a change
// cannot be loaded; the client then subscribes again and gets the current state first.
func (r *Resolver) streamStatus(ctx context.Context, cancel context.CancelFunc,
	sub <-chan pubsub.Notification, first *statusEvent, out chan<- *model.TenantStatusEvent,
) {
	defer close(out)
	defer cancel()
	var since time.Time
	if first != nil {
		if !sendEvent(ctx, out, first.event) {
			return
		}
		since = first.event.At
	}
	for n := range sub {
		// The current state may already include this change, or a later one.
		if first != nil && n.ChangeID == first.changeID {
			continue
		}
		ev, err := r.loadChange(ctx, n.ChangeID)
		if err != nil {
			r.logger.WarnContext(ctx, "status subscription ended", slog.Any("err", err))
			return
		}
		if ev.event.At.Before(since) {
			continue
		}
		if !sendEvent(ctx, out, ev.event) {
			return
		}
	}
}

// sendEvent sends ev on out unless ctx ends first, and reports whether it did.
func sendEvent(ctx context.Context, out chan<- *model.TenantStatusEvent,
	ev *model.TenantStatusEvent,
) bool {
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// loadChange loads the status change id once for all the subscribers of this instance that are
// waiting for it at the same moment. The result is shared: nobody may modify it.
func (r *Resolver) loadChange(ctx context.Context, id uuid.UUID) (*statusEvent, error) {
	v, err, _ := r.changes.Do(id.String(), func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		lctx = privacy.DecisionContext(lctx, privacy.Allow)
		c, err := r.client.TenantStatusChange.Query().Where(tenantstatuschange.ID(id)).
			WithAttempt().Only(lctx)
		if err != nil {
			return nil, fmt.Errorf("load status change %s: %w", id, err)
		}
		return changeEvent(c), nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*statusEvent), nil
}

// changeEvent maps a history row (with its attempt loaded) to the subscription's message.
func changeEvent(c *ent.TenantStatusChange) *statusEvent {
	ev := &model.TenantStatusEvent{
		TenantID:       c.TenantID,
		Status:         c.To,
		PreviousStatus: c.From,
		AttemptID:      c.AttemptID,
		Actor:          c.Actor,
		At:             c.CreatedAt,
	}
	if c.Reason != "" {
		reason := c.Reason
		ev.Reason = &reason
	}
	if a := c.Edges.Attempt; a != nil {
		n := a.Number
		ev.AttemptNumber = &n
	}
	return &statusEvent{changeID: c.ID, event: ev}
}
