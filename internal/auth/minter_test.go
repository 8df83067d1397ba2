package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestMintOperatorRoundTrip(t *testing.T) {
	t.Parallel()

	m, err := NewMinter(hsConfig())
	require.NoError(t, err)
	v := newTestVerifier(t, hsConfig())

	raw, err := m.MintOperator("dev", []Permission{ViewTenant, ManagePlan, ViewTenant}, time.Hour)
	require.NoError(t, err)
	viewer, err := v.Verify(t.Context(), raw)
	require.NoError(t, err)
	require.True(t, viewer.IsOperator())
	require.Equal(t, "dev", viewer.Subject)
	require.Equal(t, []Permission{ViewTenant, ManagePlan}, viewer.Permissions.List())
	require.WithinDuration(t, time.Now().Add(time.Hour), viewer.ExpiresAt, 2*time.Second)

	claims := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(raw, claims)
	require.NoError(t, err)
	require.Equal(t, testIssuer, claims["iss"])
	require.Equal(t, []any{testAudience}, claims["aud"])
	require.Contains(t, claims, "iat")
	require.NotContains(t, claims, "token_use")
}

func TestMintOperatorErrors(t *testing.T) {
	t.Parallel()

	m, err := NewMinter(hsConfig())
	require.NoError(t, err)
	jwksOnly, err := NewMinter(Config{JWKSURL: "https://idp.test/jwks", LeadSecret: testLeadSecret})
	require.NoError(t, err)

	tests := []struct {
		name    string
		minter  *Minter
		subject string
		perms   []Permission
		ttl     time.Duration
		wantErr string
	}{
		{name: "jwks only", minter: jwksOnly, subject: "dev", ttl: time.Hour,
			wantErr: "AUTH_HS256_SECRET"},
		{name: "empty subject", minter: m, ttl: time.Hour, wantErr: "subject is empty"},
		{name: "zero ttl", minter: m, subject: "dev", wantErr: "ttl must be positive"},
		{name: "unknown permission", minter: m, subject: "dev", ttl: time.Hour,
			perms: []Permission{"Bogus"}, wantErr: `unknown permission "Bogus"`},
		{name: "alias is not a name", minter: m, subject: "dev", ttl: time.Hour,
			perms: []Permission{"10207"}, wantErr: `unknown permission "10207"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := tt.minter.MintOperator(tt.subject, tt.perms, tt.ttl)
			require.ErrorContains(t, err, tt.wantErr)
			require.Empty(t, raw)
		})
	}
}

func TestMintLead(t *testing.T) {
	t.Parallel()

	cfg := hsConfig()
	cfg.LeadTokenTTL = 0
	m, err := NewMinter(cfg)
	require.NoError(t, err)
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 600, time.UTC)
	m.now = func() time.Time { return fixed }
	id := uuid.New()

	raw, exp, err := m.MintLead(id, 0)
	require.NoError(t, err)
	require.Equal(t, fixed.Add(DefaultLeadTokenTTL).Truncate(time.Second), exp)
	claims := jwt.MapClaims{}
	_, _, err = jwt.NewParser().ParseUnverified(raw, claims)
	require.NoError(t, err)
	require.Equal(t, "lead", claims["token_use"])
	require.Equal(t, id.String(), claims["lead_id"])
	require.Equal(t, LeadIssuer, claims["iss"])
	require.NotContains(t, claims, "permissions")

	_, exp, err = m.MintLead(id, time.Minute)
	require.NoError(t, err)
	require.Equal(t, fixed.Add(time.Minute).Truncate(time.Second), exp)

	_, _, err = m.MintLead(uuid.Nil, 0)
	require.ErrorContains(t, err, "lead id is empty")
	_, _, err = m.MintLead(id, -time.Second)
	require.ErrorContains(t, err, "ttl must not be negative")

	noLead, err := NewMinter(Config{HS256Secret: testOperatorSecret})
	require.NoError(t, err)
	_, _, err = noLead.MintLead(id, 0)
	require.ErrorContains(t, err, "LEAD_TOKEN_SECRET")

	_, err = NewMinter(Config{HS256Secret: testLeadSecret, LeadSecret: testLeadSecret})
	require.ErrorContains(t, err, "must differ")
}

func TestMintedLeadTokenIsNotAnOperator(t *testing.T) {
	t.Parallel()

	m, err := NewMinter(hsConfig())
	require.NoError(t, err)
	v := newTestVerifier(t, hsConfig())
	raw, _, err := m.MintLead(uuid.New(), time.Minute)
	require.NoError(t, err)

	ctx := v.Authenticate(t.Context(), "Bearer "+raw)
	require.True(t, FromContext(ctx).IsLead())
	requireCode(t, Require(ctx, ViewLead), "FORBIDDEN", "ViewLead")
	requireCode(t, RequireOperator(ctx), "FORBIDDEN", "operator")
}
