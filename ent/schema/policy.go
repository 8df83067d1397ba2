package schema

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/privacy"

	"github.com/tenantd/tenantd/internal/auth"
)

// readableWith is the privacy policy of an entity that callers may read when they hold perm.
// Writes are authorised by the domain functions in internal/ before they touch ent, so the
// mutation side allows everything that reached ent.
func readableWith(perm auth.Permission) ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.ContextQueryMutationRule(func(ctx context.Context) error {
				if err := auth.Require(ctx, perm); err != nil {
					return err
				}
				return privacy.Allow
			}),
		},
		Mutation: privacy.MutationPolicy{privacy.AlwaysAllowRule()},
	}
}

// internalOnly is the policy of tables that no caller reads through the API; only code running
// with a privacy.Allow decision in its context (domain functions, jobs) may query them.
func internalOnly() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.ContextQueryMutationRule(func(ctx context.Context) error {
				if err := auth.Require(ctx, auth.Permission("internal")); err != nil {
					return err
				}
				return privacy.Allow
			}),
		},
		Mutation: privacy.MutationPolicy{privacy.AlwaysAllowRule()},
	}
}
