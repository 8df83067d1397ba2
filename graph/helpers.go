package graph

import (
	"github.com/google/uuid"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/ent/predicate"
	"github.com/tenantd/tenantd/graph/model"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/auth"
	"github.com/tenantd/tenantd/internal/validate"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"

	"github.com/tenantd/tenantd/ent/tenant"
)

// deleted builds a delete mutation's answer.
func deleted(id uuid.UUID, err error) (*model.DeletePayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.DeletePayload{DeletedID: id}, nil
}

// viewerModel describes v for the viewer query.
func viewerModel(v *auth.Viewer) *model.Viewer {
	m := &model.Viewer{Kind: model.ViewerKindAnonymous, Permissions: []string{}}
	switch {
	case v.IsOperator():
		m.Kind = model.ViewerKindOperator
	case v.IsLead():
		m.Kind = model.ViewerKindLead
		id := v.LeadID
		m.LeadID = &id
	default:
		return m
	}
	subject := v.Subject
	m.Subject = &subject
	for _, p := range v.Permissions.List() {
		m.Permissions = append(m.Permissions, string(p))
	}
	if !v.ExpiresAt.IsZero() {
		exp := v.ExpiresAt
		m.ExpiresAt = &exp
	}
	return m
}

// filterDomain restricts a tenant filter to tenants listing the (normalised) domain.
func filterDomain(w *ent.TenantWhereInput, domain *string) error {
	if domain == nil {
		return nil
	}
	d, err := validate.NormalizeDomain(*domain)
	if err != nil {
		return apperr.Validation("where.domain", "%v", err)
	}
	w.AddPredicates(predicate.Tenant(func(s *entsql.Selector) {
		s.Where(sqljson.ValueContains(s.C(tenant.FieldDomains), d))
	}))
	return nil
}

// deref returns *s, or "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
