// Package schematype holds the value types that ent stores in columns and that the GraphQL schema
// shares between entities: the postal address and the enumerations used by more than one table.
// It imports nothing of this module, so ent/schema, graph and internal packages may all use it.
package schematype

import (
	"fmt"
	"io"
	"strconv"
)

// Address is a postal address. Country is an ISO 3166-1 alpha-2 code in upper case; the other
// fields are free text bounded by validation (line 500 characters, the rest 100).
type Address struct {
	Line       string `json:"line"`
	City       string `json:"city"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country"`
}

// Equal reports whether a and b are the same address, treating nil as no address.
func (a *Address) Equal(b *Address) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// enum is the GraphQL marshalling shared by the string enumerations below.
func unmarshalEnum(v any, name string, valid func(string) bool) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s must be a string", name)
	}
	if !valid(s) {
		return "", fmt.Errorf("%q is not a valid %s", s, name)
	}
	return s, nil
}

func contains(values []string, s string) bool {
	for _, v := range values {
		if v == s {
			return true
		}
	}
	return false
}

// TenantStatus is a tenant's lifecycle state (SPEC section 4).
type TenantStatus string

// The tenant lifecycle states.
const (
	TenantPendingProvision  TenantStatus = "PENDING_PROVISION"
	TenantProvisioning      TenantStatus = "PROVISIONING"
	TenantProvisionFailed   TenantStatus = "PROVISION_FAILED"
	TenantActive            TenantStatus = "ACTIVE"
	TenantSuspended         TenantStatus = "SUSPENDED"
	TenantDeprovisioning    TenantStatus = "DEPROVISIONING"
	TenantDeprovisionFailed TenantStatus = "DEPROVISION_FAILED"
	TenantOffboarded        TenantStatus = "OFFBOARDED"
)

// Values lists every tenant status; ent uses it for the column's enum values.
func (TenantStatus) Values() []string {
	return []string{
		string(TenantPendingProvision), string(TenantProvisioning), string(TenantProvisionFailed),
		string(TenantActive), string(TenantSuspended), string(TenantDeprovisioning),
		string(TenantDeprovisionFailed), string(TenantOffboarded),
	}
}

// MarshalGQL writes the status as a GraphQL enum value.
func (s TenantStatus) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(s))) }

// UnmarshalGQL reads a GraphQL enum value.
func (s *TenantStatus) UnmarshalGQL(v any) error {
	str, err := unmarshalEnum(v, "TenantStatus", func(x string) bool { return contains(s.Values(), x) })
	*s = TenantStatus(str)
	return err
}

// DeploymentModel says whether a tenant gets dedicated (SILO) or shared (POOLED) resources.
type DeploymentModel string

// The deployment models.
const (
	DeploymentSilo   DeploymentModel = "SILO"
	DeploymentPooled DeploymentModel = "POOLED"
)

// Values lists every deployment model.
func (DeploymentModel) Values() []string {
	return []string{string(DeploymentSilo), string(DeploymentPooled)}
}

// MarshalGQL writes the model as a GraphQL enum value.
func (d DeploymentModel) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(d))) }

// UnmarshalGQL reads a GraphQL enum value.
func (d *DeploymentModel) UnmarshalGQL(v any) error {
	str, err := unmarshalEnum(v, "DeploymentModel", func(x string) bool { return contains(d.Values(), x) })
	*d = DeploymentModel(str)
	return err
}

// IdentityProvider is the kind of identity provider a plan sets up for its tenants.
type IdentityProvider string

// The identity provider kinds.
const (
	IdentityKeycloak IdentityProvider = "KEYCLOAK"
	IdentityAuth0    IdentityProvider = "AUTH0"
	IdentityNone     IdentityProvider = "NONE"
)

// Values lists every identity provider kind.
func (IdentityProvider) Values() []string {
	return []string{string(IdentityKeycloak), string(IdentityAuth0), string(IdentityNone)}
}

// MarshalGQL writes the kind as a GraphQL enum value.
func (p IdentityProvider) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(p))) }

// UnmarshalGQL reads a GraphQL enum value.
func (p *IdentityProvider) UnmarshalGQL(v any) error {
	str, err := unmarshalEnum(v, "IdentityProvider", func(x string) bool { return contains(p.Values(), x) })
	*p = IdentityProvider(str)
	return err
}
