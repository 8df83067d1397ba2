// Package auth owns who is calling tenantd and what they may do. It verifies operator and lead
// bearer tokens (SPEC 11 and 3.1), mints them, carries the resulting Viewer in a context and
// answers authorisation questions with typed apperr errors. The HTTP server installs
// Verifier.Middleware; resolvers, domain code, jobs and the webhook import it to authorise and
// to name the actor of a change.
package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Permission is an operator permission named in a token's permissions claim (SPEC 11).
type Permission string

// The permissions of SPEC 11. Their string values are the canonical names used in tokens.
const (
	ViewLead           Permission = "ViewLead"
	CreateTenant       Permission = "CreateTenant"
	ViewTenant         Permission = "ViewTenant"
	UpdateTenant       Permission = "UpdateTenant"
	ProvisionTenant    Permission = "ProvisionTenant"
	DeleteTenant       Permission = "DeleteTenant"
	ViewContact        Permission = "ViewContact"
	CreateContact      Permission = "CreateContact"
	UpdateContact      Permission = "UpdateContact"
	DeleteContact      Permission = "DeleteContact"
	ViewInvoice        Permission = "ViewInvoice"
	CreateInvoice      Permission = "CreateInvoice"
	UpdateInvoice      Permission = "UpdateInvoice"
	DeleteInvoice      Permission = "DeleteInvoice"
	ViewTenantConfig   Permission = "ViewTenantConfig"
	CreateTenantConfig Permission = "CreateTenantConfig"
	UpdateTenantConfig Permission = "UpdateTenantConfig"
	DeleteTenantConfig Permission = "DeleteTenantConfig"
	ViewPlan           Permission = "ViewPlan"
	ManagePlan         Permission = "ManagePlan"
)

// allPermissions lists every permission in SPEC order; AllPermissions hands out copies.
var allPermissions = []Permission{
	ViewLead, CreateTenant, ViewTenant, UpdateTenant, ProvisionTenant, DeleteTenant,
	ViewContact, CreateContact, UpdateContact, DeleteContact,
	ViewInvoice, CreateInvoice, UpdateInvoice, DeleteInvoice,
	ViewTenantConfig, CreateTenantConfig, UpdateTenantConfig, DeleteTenantConfig,
	ViewPlan, ManagePlan,
}

// arcAliases maps the numeric permission codes of ARC SaaS tokens to our names (SPEC 11).
// ManagePlan has no numeric code.
var arcAliases = map[string]Permission{
	"10203": ViewLead,
	"10204": CreateTenant,
	"10205": UpdateTenant,
	"10206": DeleteTenant,
	"10207": ViewTenant,
	"10208": CreateContact,
	"10209": UpdateContact,
	"10210": DeleteContact,
	"10211": ViewContact,
	"10212": CreateInvoice,
	"10213": UpdateInvoice,
	"10214": DeleteInvoice,
	"10215": ViewInvoice,
	"10216": ProvisionTenant,
	"10220": CreateTenantConfig,
	"10221": ViewTenantConfig,
	"10222": UpdateTenantConfig,
	"10223": DeleteTenantConfig,
	"7008":  ViewPlan,
}

// AllPermissions returns every permission in SPEC order. The slice is a fresh copy the caller
// may modify.
func AllPermissions() []Permission {
	return slices.Clone(allPermissions)
}

// ParsePermission maps a permission name or an ARC SaaS numeric alias (for example "10207" for
// ViewTenant) to its Permission. Names are matched exactly, case included; it reports false for
// anything else.
func ParsePermission(s string) (Permission, bool) {
	if p, ok := arcAliases[s]; ok {
		return p, true
	}
	p := Permission(s)
	if slices.Contains(allPermissions, p) {
		return p, true
	}
	return "", false
}

// PermissionSet is a set of permissions. A nil set is empty and safe to read; a set is not
// modified after it is put in a Viewer, so concurrent readers need no lock.
type PermissionSet map[Permission]struct{}

// NewPermissionSet returns a set holding perms.
func NewPermissionSet(perms ...Permission) PermissionSet {
	s := make(PermissionSet, len(perms))
	for _, p := range perms {
		s[p] = struct{}{}
	}
	return s
}

// Has reports whether p is in s.
func (s PermissionSet) Has(p Permission) bool {
	_, ok := s[p]
	return ok
}

// List returns the permissions of s in SPEC order.
func (s PermissionSet) List() []Permission {
	out := make([]Permission, 0, len(s))
	for _, p := range allPermissions {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// permissionList is the permissions claim: a JSON list whose entries are names or ARC codes,
// as strings or numbers. Entries that name no known permission are dropped, so that a token
// from an identity provider that also carries other products' permissions still works.
type permissionList []Permission

// UnmarshalJSON decodes the claim; only a value that is not a list (or null) is an error.
func (l *permissionList) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*l = nil
		return nil
	}
	var entries []json.RawMessage
	if err := json.Unmarshal(b, &entries); err != nil {
		return fmt.Errorf("decode permissions claim: must be a list of strings or numbers: %w", err)
	}
	out := make(permissionList, 0, len(entries))
	for _, e := range entries {
		if p, ok := parsePermissionEntry(e); ok {
			out = append(out, p)
		}
	}
	*l = out
	return nil
}

// parsePermissionEntry reads one entry of the permissions claim, a string or an integer.
func parsePermissionEntry(raw json.RawMessage) (Permission, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return ParsePermission(s)
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return ParsePermission(n.String())
	}
	return "", false
}
