package graph

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/contact"
	"github.com/tenantd/tenantd/ent/invoice"
	"github.com/tenantd/tenantd/ent/lead"
	"github.com/tenantd/tenantd/ent/plan"
	"github.com/tenantd/tenantd/ent/provisioningattempt"
	"github.com/tenantd/tenantd/ent/resource"
	"github.com/tenantd/tenantd/ent/subscription"
	"github.com/tenantd/tenantd/ent/tenant"
	"github.com/tenantd/tenantd/ent/tenantconfig"
	"github.com/tenantd/tenantd/ent/tenantstatuschange"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
)

// page applies the default page size when a connection gets neither first nor last. Bounds and
// combinations are refused before execution, for every list, by the pageArgs extension.
func (r *Resolver) page(first, last *int) (*int, *int) {
	if first == nil && last == nil {
		n := r.limits.DefaultPageSize
		return &n, nil
	}
	return first, last
}

// nodeTables are the tables whose rows are GraphQL nodes.
var nodeTables = []string{
	tenant.Table, contact.Table, plan.Table, lead.Table, invoice.Table, subscription.Table,
	tenantconfig.Table, resource.Table, provisioningattempt.Table, tenantstatuschange.Table,
}

// nodeTypeQuery finds the table of an id in one statement (ids are UUIDv7, unique across tables).
var nodeTypeQuery = func() string {
	q := ""
	for i, t := range nodeTables {
		if i > 0 {
			q += " UNION ALL "
		}
		q += fmt.Sprintf("SELECT '%s' FROM %q WHERE id = $1", t, t)
	}
	return q + " LIMIT 1"
}()

// nodeType resolves the table of id for ent's Noder. Anonymous callers learn nothing about which
// ids exist.
func (r *Resolver) nodeType(ctx context.Context, id uuid.UUID) (string, error) {
	if !auth.FromContext(ctx).IsOperator() {
		// Only operators learn which ids exist (leads are routed to their own objects before).
		return "", auth.RequireOperator(ctx)
	}
	rows, err := r.client.QueryContext(ctx, nodeTypeQuery, id)
	if err != nil {
		return "", fmt.Errorf("find node %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return "", fmt.Errorf("find node %s: %w", id, err)
		}
		return "", apperr.NotFound("node")
	}
	var table string
	if err := rows.Scan(&table); err != nil {
		return "", fmt.Errorf("find node %s: %w", id, err)
	}
	return table, nil
}

// notFound turns ent's not-found error into NOT_FOUND naming what.
func notFound(err error, what string) error {
	if ent.IsNotFound(err) {
		return apperr.NotFound(what)
	}
	return err
}
