package graph

import (
	"context"
	"encoding/json"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/graph/generated"
)

// depthLimit refuses operations whose selections nest deeper than max levels (fragments are
// followed; introspection counts too).
type depthLimit struct {
	max int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

// ExtensionName names the extension for gqlgen.
func (depthLimit) ExtensionName() string { return "DepthLimit" }

// Validate accepts every schema.
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext measures the operation before it runs.
func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext,
) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > d.max {
		err := gqlerror.Errorf("query is %d levels deep; the limit is %d", depth, d.max)
		err.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		return err
	}
	return nil
}

// selectionDepth returns the depth of set; seen guards against fragment cycles (which the
// validator already refuses) by bounding the recursion.
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int) int {
	if level > 64 {
		return level
	}
	deepest := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.SelectionSet) == 0 {
				d = level + 1
			} else {
				d = selectionDepth(s.SelectionSet, frags, level+1)
			}
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, level)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, level)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// pageArgs checks the paging arguments of every list in an operation, nested ones included,
// before anything runs: first/last within the server's maximum page size and not together,
// after/before well-formed cursors. It is the one place these rules live.
type pageArgs struct {
	max int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = pageArgs{}

// ExtensionName names the extension for gqlgen.
func (pageArgs) ExtensionName() string { return "PageArgs" }

// Validate accepts every schema.
func (pageArgs) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext walks the operation's selections.
func (p pageArgs) MutateOperationContext(_ context.Context, oc *graphql.OperationContext,
) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	return p.walk(oc.Operation.SelectionSet, oc.Doc.Fragments, oc.Variables, "", 0)
}

// walk checks the fields of set; path names the enclosing list fields ("tenant.contacts").
func (p pageArgs) walk(set ast.SelectionSet, frags ast.FragmentDefinitionList,
	vars map[string]any, path string, depth int,
) *gqlerror.Error {
	if depth > 64 {
		return nil
	}
	for _, sel := range set {
		var err *gqlerror.Error
		switch s := sel.(type) {
		case *ast.Field:
			here := s.Alias
			if path != "" {
				here = path + "." + s.Alias
			}
			if err = p.check(s, vars, here, path == ""); err == nil {
				err = p.walk(s.SelectionSet, frags, vars, here, depth+1)
			}
		case *ast.InlineFragment:
			err = p.walk(s.SelectionSet, frags, vars, path, depth+1)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				err = p.walk(f.SelectionSet, frags, vars, path, depth+1)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// check validates one field's paging arguments.
func (p pageArgs) check(f *ast.Field, vars map[string]any, path string, root bool,
) *gqlerror.Error {
	if f.Definition == nil || len(f.Arguments) == 0 {
		return nil
	}
	args := f.ArgumentMap(vars)
	fail := func(arg, format string, a ...any) *gqlerror.Error {
		field := arg
		if !root {
			field = path + "." + arg
		}
		e := gqlerror.Errorf("%s: "+format, append([]any{field}, a...)...)
		e.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED", "field": field}
		return e
	}
	if args["first"] != nil && args["last"] != nil {
		return fail("last", "cannot be combined with first")
	}
	for _, name := range []string{"first", "last"} {
		if n, ok := asInt(args[name]); ok && (n < 0 || n > int64(p.max)) {
			return fail(name, "must be between 0 and %d", p.max)
		}
	}
	for _, name := range []string{"after", "before"} {
		if v, ok := args[name]; ok && v != nil {
			var c entgql.Cursor[uuid.UUID]
			if err := c.UnmarshalGQL(v); err != nil {
				return fail(name, "is not a cursor of this list")
			}
		}
	}
	return nil
}

// asInt reads an integer argument value as the parser or the JSON variables give it.
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case float64:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// complexity prices list fields by the page they ask for, so that the complexity limit bounds
// the rows one request can load.
func (r *Resolver) complexity() generated.ComplexityRoot {
	var c generated.ComplexityRoot
	pageCost := func(child int, first, last *int) int {
		n := r.limits.DefaultPageSize
		switch {
		case first != nil:
			n = *first
		case last != nil:
			n = *last
		}
		return 1 + max(n, 1)*child
	}
	type (
		cur = *entgql.Cursor[uuid.UUID]
	)
	c.Query.Tenants = func(ch int, _ cur, f *int, _ cur, l *int, _ []*ent.TenantOrder,
		_ *ent.TenantWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Query.Contacts = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.ContactOrder,
		_ *ent.ContactWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Query.Invoices = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.InvoiceOrder,
		_ *ent.InvoiceWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Query.Leads = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.LeadOrder,
		_ *ent.LeadWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Query.Plans = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.PlanOrder,
		_ *ent.PlanWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Query.Nodes = func(ch int, ids []uuid.UUID) int { return 1 + len(ids)*ch }
	c.Tenant.Contacts = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.ContactOrder,
		_ *ent.ContactWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Tenant.Invoices = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.InvoiceOrder,
		_ *ent.InvoiceWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Tenant.Resources = func(ch int, _ cur, f *int, _ cur, l *int, _ *ent.ResourceOrder,
		_ *ent.ResourceWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Tenant.ProvisioningAttempts = func(ch int, _ cur, f *int, _ cur, l *int,
		_ *ent.ProvisioningAttemptOrder, _ *ent.ProvisioningAttemptWhereInput) int {
		return pageCost(ch, f, l)
	}
	c.Tenant.StatusHistory = func(ch int, _ cur, f *int, _ cur, l *int,
		_ *ent.TenantStatusChangeOrder, _ *ent.TenantStatusChangeWhereInput) int {
		return pageCost(ch, f, l)
	}
	return c
}
