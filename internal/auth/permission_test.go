package auth

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePermission(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in     string
		want   Permission
		wantOK bool
	}{
		{"10203", ViewLead, true},
		{"10204", CreateTenant, true},
		{"10205", UpdateTenant, true},
		{"10206", DeleteTenant, true},
		{"10207", ViewTenant, true},
		{"10208", CreateContact, true},
		{"10209", UpdateContact, true},
		{"10210", DeleteContact, true},
		{"10211", ViewContact, true},
		{"10212", CreateInvoice, true},
		{"10213", UpdateInvoice, true},
		{"10214", DeleteInvoice, true},
		{"10215", ViewInvoice, true},
		{"10216", ProvisionTenant, true},
		{"10220", CreateTenantConfig, true},
		{"10221", ViewTenantConfig, true},
		{"10222", UpdateTenantConfig, true},
		{"10223", DeleteTenantConfig, true},
		{"7008", ViewPlan, true},
		{"ManagePlan", ManagePlan, true},
		{"ViewTenant", ViewTenant, true},
		{"", "", false},
		{"viewtenant", "", false},
		{" ViewTenant", "", false},
		{"10217", "", false},
		{"10219", "", false},
		{"10224", "", false},
		{"7009", "", false},
		{"010203", "", false},
		{"10203.0", "", false},
		{"ManagePlans", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := ParsePermission(tt.in)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestAllPermissions(t *testing.T) {
	t.Parallel()

	all := AllPermissions()
	require.Len(t, all, 20)
	seen := map[Permission]bool{}
	for _, p := range all {
		require.False(t, seen[p], "duplicate %s", p)
		seen[p] = true
		got, ok := ParsePermission(string(p))
		require.True(t, ok, "%s does not parse", p)
		require.Equal(t, p, got)
	}

	all[0] = "changed"
	require.Equal(t, ViewLead, AllPermissions()[0], "AllPermissions must return a copy")
}

func TestPermissionListUnmarshal(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name    string
		in      string
		want    []Permission
		wantErr bool
	}{
		{name: "names", in: `["ViewTenant","ManagePlan"]`, want: []Permission{ViewTenant, ManagePlan}},
		{name: "string codes", in: `["10207","7008"]`, want: []Permission{ViewTenant, ViewPlan}},
		{name: "numbers", in: `[10204, 7008]`, want: []Permission{CreateTenant, ViewPlan}},
		{
			name: "unknown entries ignored",
			in:   `["Bogus", 99999, "ViewLead", true, null, {"a":1}, [1], 10203.5, "10216"]`,
			want: []Permission{ViewLead, ProvisionTenant},
		},
		{name: "empty", in: `[]`, want: []Permission{}},
		{name: "null", in: `null`, want: nil},
		{name: "string instead of list", in: `"ViewTenant"`, wantErr: true},
		{name: "object", in: `{"ViewTenant":true}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got permissionList
			err := json.Unmarshal([]byte(tt.in), &got)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, []Permission(got))
		})
	}
}

func TestPermissionSetList(t *testing.T) {
	t.Parallel()

	s := NewPermissionSet(ManagePlan, ViewLead, ManagePlan)
	require.Equal(t, []Permission{ViewLead, ManagePlan}, s.List())
	require.True(t, s.Has(ManagePlan))
	require.False(t, s.Has(ViewTenant))

	var empty PermissionSet
	require.False(t, empty.Has(ViewLead))
	require.Empty(t, empty.List())
}
