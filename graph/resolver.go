// Package graph is tenantd's GraphQL API: the hand-written schema in graph/schema, thin resolvers
// that authorise through ent privacy and internal/ domain services, the error presenter and the
// HTTP handler. cmd/tenantd (through internal/app) mounts it at /graphql.
package graph

import (
	"log/slog"

	"golang.org/x/sync/singleflight"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/billing"
	"github.com/tenantd/tenantd/internal/catalog"
	"github.com/tenantd/tenantd/internal/onboarding"
	"github.com/tenantd/tenantd/internal/provisioning"
	"github.com/tenantd/tenantd/internal/pubsub"
	"github.com/tenantd/tenantd/internal/tenancy"
)

// Resolver holds what the resolvers need. It is built once by NewHandler.
type Resolver struct {
	client       *ent.Client
	logger       *slog.Logger
	catalog      *catalog.Service
	tenancy      *tenancy.Service
	billing      *billing.Service
	onboarding   *onboarding.Service
	provisioning *provisioning.Service
	// broker delivers tenant status changes to subscriptions.
	broker *pubsub.Broker
	// changes loads each notified status change once for all local subscribers.
	changes singleflight.Group
	limits  Limits
}

// Limits bound what one request may ask for.
type Limits struct {
	// MaxPageSize is the largest first/last of a connection (GRAPHQL_MAX_PAGE_SIZE, default 100).
	MaxPageSize int
	// DefaultPageSize applies when neither first nor last is given (default 20).
	DefaultPageSize int
	// MaxDepth is the deepest selection allowed (GRAPHQL_MAX_DEPTH, default 12).
	MaxDepth int
	// MaxTokens is the most tokens a document may have (GRAPHQL_MAX_TOKENS, default 5000).
	MaxTokens int
	// MaxComplexity is the largest computed query cost (GRAPHQL_MAX_COMPLEXITY, default 20000).
	MaxComplexity int
}

// withDefaults fills zero limits with their defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxPageSize <= 0 {
		l.MaxPageSize = 100
	}
	if l.DefaultPageSize <= 0 {
		l.DefaultPageSize = 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 12
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = 5000
	}
	if l.MaxComplexity <= 0 {
		l.MaxComplexity = 20000
	}
	return l
}
