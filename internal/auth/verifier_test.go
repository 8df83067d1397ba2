package auth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apperr"
)

func TestVerifyHS256Operator(t *testing.T) {
	t.Parallel()

	v := newTestVerifier(t, hsConfig())
	keys := testKeys()
	with := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := operatorClaimsMap()
		edit(c)
		return c
	}
	tests := []struct {
		name    string
		token   func(t *testing.T) string
		wantMsg string // "" means valid
	}{
		{name: "valid", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", operatorClaimsMap())
		}},
		{name: "expired within leeway", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "wrong secret", wantMsg: "invalid token", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdefghij"), "",
				operatorClaimsMap())
		}},
		{name: "lead secret", wantMsg: "invalid token", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, testLeadSecret, "", operatorClaimsMap())
		}},
		{name: "expired", wantMsg: "token expired", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "no exp", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { delete(c, "exp") })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "issued in the future", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "wrong issuer", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { c["iss"] = "https://evil.example.test/" })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "no issuer", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { delete(c, "iss") })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "wrong audience", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { c["aud"] = []string{"other-api"} })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "no subject", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { delete(c, "sub") })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "permissions not a list", wantMsg: "invalid token", token: func(t *testing.T) string {
			c := with(func(c jwt.MapClaims) { c["permissions"] = "ViewTenant" })
			return sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c)
		}},
		{name: "alg none", wantMsg: "invalid token", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "",
				operatorClaimsMap())
		}},
		{name: "HS384", wantMsg: "invalid token", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS384, testOperatorSecret, "", operatorClaimsMap())
		}},
		{name: "RS256 without JWKS", wantMsg: "invalid token", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, keys.rsa, "rsa-1", operatorClaimsMap())
		}},
		{name: "garbage", wantMsg: "invalid token", token: func(*testing.T) string {
			return "not-a-jwt"
		}},
		{name: "empty", wantMsg: "invalid token", token: func(*testing.T) string { return "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			viewer, err := v.Verify(t.Context(), tt.token(t))
			if tt.wantMsg != "" {
				requireCode(t, err, apperr.CodeUnauthenticated, tt.wantMsg)
				var e *apperr.Error
				require.True(t, errors.As(err, &e))
				require.Error(t, e.Cause, "the cause must be kept for logs")
				t.Logf("cause: %v", e.Cause)
				require.Nil(t, viewer)
				return
			}
			require.NoError(t, err)
			require.True(t, viewer.IsOperator())
			require.Equal(t, "operator-1", viewer.Subject)
			require.Equal(t, []Permission{CreateTenant, ViewTenant}, viewer.Permissions.List())
			require.False(t, viewer.ExpiresAt.IsZero())
		})
	}
}

func TestVerifyJWKS(t *testing.T) {
	t.Parallel()

	keys := testKeys()
	srv := newJWKSServer(t, map[string]any{"rsa-1": keys.rsa, "ec-1": keys.ec})
	v := newTestVerifier(t, Config{
		JWKSURL:    srv.URL,
		Issuer:     testIssuer,
		Audience:   testAudience,
		LeadSecret: testLeadSecret,
	})

	pubDER, err := x509.MarshalPKIXPublicKey(keys.rsa.Public())
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})

	tests := []struct {
		name  string
		token func(t *testing.T) string
		valid bool
	}{
		{name: "RS256", valid: true, token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, keys.rsa, "rsa-1", operatorClaimsMap())
		}},
		{name: "ES256", valid: true, token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodES256, keys.ec, "ec-1", operatorClaimsMap())
		}},
		{name: "RS256 without kid", valid: true, token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, keys.rsa, "", operatorClaimsMap())
		}},
		{name: "unknown kid", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, keys.otherRSA, "rsa-unknown", operatorClaimsMap())
		}},
		{name: "known kid, other key", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, keys.otherRSA, "rsa-1", operatorClaimsMap())
		}},
		{name: "kid of a key for another alg", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS256, keys.rsa, "ec-1", operatorClaimsMap())
		}},
		{name: "HS256 with the public key as secret", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, pubPEM, "rsa-1", operatorClaimsMap())
		}},
		{name: "HS256 with the lead secret", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, testLeadSecret, "", operatorClaimsMap())
		}},
		{name: "RS384", token: func(t *testing.T) string {
			return sign(t, jwt.SigningMethodRS384, keys.rsa, "rsa-1", operatorClaimsMap())
		}},
		{name: "RS256 wrong audience", token: func(t *testing.T) string {
			c := operatorClaimsMap()
			c["aud"] = "someone-else"
			return sign(t, jwt.SigningMethodRS256, keys.rsa, "rsa-1", c)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			viewer, err := v.Verify(t.Context(), tt.token(t))
			if !tt.valid {
				requireCode(t, err, apperr.CodeUnauthenticated, "invalid token")
				t.Logf("refused: %v", errors.Unwrap(err))
				return
			}
			require.NoError(t, err)
			require.True(t, viewer.IsOperator())
			require.True(t, viewer.Has(ViewTenant))
			require.False(t, viewer.Has(DeleteTenant))
		})
	}
}

func TestVerifyJWKSKeyRotation(t *testing.T) {
	t.Parallel()

	keys := testKeys()
	srv := newJWKSServer(t, map[string]any{"rsa-1": keys.rsa})
	v := newTestVerifier(t, Config{JWKSURL: srv.URL, LeadSecret: testLeadSecret})
	fetches := srv.hits.Load()
	require.Positive(t, fetches, "the key set is fetched at start")

	rotated := sign(t, jwt.SigningMethodRS256, keys.otherRSA, "rsa-2", operatorClaimsMap())
	srv.set(t, map[string]any{"rsa-1": keys.rsa, "rsa-2": keys.otherRSA})

	viewer, err := v.Verify(t.Context(), rotated)
	require.NoError(t, err, "an unknown kid triggers a refresh")
	require.True(t, viewer.IsOperator())
	require.Greater(t, srv.hits.Load(), fetches)
}

func TestVerifyConcurrent(t *testing.T) {
	t.Parallel()

	keys := testKeys()
	srv := newJWKSServer(t, map[string]any{"rsa-1": keys.rsa})
	cfg := hsConfig()
	cfg.JWKSURL = srv.URL
	v := newTestVerifier(t, cfg)
	tokens := []string{
		sign(t, jwt.SigningMethodRS256, keys.rsa, "rsa-1", operatorClaimsMap()),
		sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", operatorClaimsMap()),
	}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Go(func() {
			viewer, err := v.Verify(t.Context(), tokens[i%len(tokens)])
			if err == nil && !viewer.Has(ViewTenant) {
				err = errors.New("permission lost")
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestVerifyLeadTokens(t *testing.T) {
	t.Parallel()

	v := newTestVerifier(t, hsConfig())
	m, err := NewMinter(hsConfig())
	require.NoError(t, err)
	leadID := uuid.New()

	t.Run("minted lead token is a lead without permissions", func(t *testing.T) {
		t.Parallel()
		raw, exp, err := m.MintLead(leadID, 0)
		require.NoError(t, err)
		viewer, err := v.Verify(t.Context(), raw)
		require.NoError(t, err)
		require.True(t, viewer.IsLead())
		require.Equal(t, leadID, viewer.LeadID)
		require.Equal(t, "lead:"+leadID.String(), viewer.Subject)
		require.True(t, viewer.ExpiresAt.Equal(exp))
		for _, p := range AllPermissions() {
			require.False(t, viewer.Has(p), "lead has %s", p)
		}
	})

	tests := []struct {
		name   string
		secret []byte
		edit   func(jwt.MapClaims)
		kind   Kind // Anonymous means refused
	}{
		{name: "lead claims, lead secret", secret: testLeadSecret, kind: Lead},
		{name: "lead claims, operator secret", secret: testOperatorSecret},
		{
			name: "operator claims, lead secret", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) { delete(c, "token_use") },
		},
		{
			name: "lead with permissions claim gains none", secret: testLeadSecret, kind: Lead,
			edit: func(c jwt.MapClaims) { c["permissions"] = AllPermissions() },
		},
		{
			name: "wrong issuer", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) { c["iss"] = testIssuer },
		},
		{
			name: "operator audience", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) { c["aud"] = testAudience },
		},
		{
			name: "no lead_id", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) { delete(c, "lead_id") },
		},
		{
			name: "nil lead_id", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) {
				c["lead_id"] = uuid.Nil.String()
				c["sub"] = "lead:" + uuid.Nil.String()
			},
		},
		{
			name: "sub of another lead", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) { c["sub"] = "lead:" + uuid.NewString() },
		},
		{
			name: "expired", secret: testLeadSecret,
			edit: func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := leadClaimsMap(leadID.String())
			if tt.edit != nil {
				tt.edit(c)
			}
			viewer, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodHS256, tt.secret, "", c))
			if tt.kind == Anonymous {
				requireCode(t, err, apperr.CodeUnauthenticated, "")
				t.Logf("refused: %v", errors.Unwrap(err))
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.kind, viewer.Kind)
			require.Empty(t, viewer.Permissions.List())
		})
	}
}

func TestVerifyOperatorWithLeadIDStaysOperator(t *testing.T) {
	t.Parallel()

	v := newTestVerifier(t, hsConfig())
	c := operatorClaimsMap()
	c["lead_id"] = uuid.NewString()
	c["token_use"] = "access"

	viewer, err := v.Verify(t.Context(), sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", c))
	require.NoError(t, err)
	require.True(t, viewer.IsOperator())
	require.False(t, viewer.IsLead())
	require.Equal(t, uuid.Nil, viewer.LeadID)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()

	short := []byte("too-short")
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string
	}{
		{name: "hs256", cfg: hsConfig()},
		{name: "jwks", cfg: Config{JWKSURL: "https://idp.test/jwks", LeadSecret: testLeadSecret}},
		{
			name:    "nothing",
			cfg:     Config{},
			wantErr: []string{"AUTH_HS256_SECRET or AUTH_JWKS_URL", "LEAD_TOKEN_SECRET is required"},
		},
		{
			name:    "equal secrets",
			cfg:     Config{HS256Secret: testLeadSecret, LeadSecret: testLeadSecret},
			wantErr: []string{"LEAD_TOKEN_SECRET must differ from AUTH_HS256_SECRET"},
		},
		{
			name:    "short secrets",
			cfg:     Config{HS256Secret: short, LeadSecret: short[:5]},
			wantErr: []string{"AUTH_HS256_SECRET must be at least 32", "LEAD_TOKEN_SECRET must be"},
		},
		{
			name:    "relative jwks url",
			cfg:     Config{JWKSURL: "/jwks.json", LeadSecret: testLeadSecret},
			wantErr: []string{"AUTH_JWKS_URL must be an absolute"},
		},
		{
			name:    "ftp jwks url",
			cfg:     Config{JWKSURL: "ftp://idp.test/jwks", LeadSecret: testLeadSecret},
			wantErr: []string{"AUTH_JWKS_URL"},
		},
		{
			name: "negative ttl",
			cfg: Config{HS256Secret: testOperatorSecret, LeadSecret: testLeadSecret,
				LeadTokenTTL: -time.Minute},
			wantErr: []string{"LEAD_TOKEN_TTL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				require.ErrorContains(t, err, want)
			}
			_, err = NewVerifier(t.Context(), tt.cfg, nil)
			require.Error(t, err)
		})
	}
}

func TestConfigLogValueHidesSecrets(t *testing.T) {
	t.Parallel()

	got := hsConfig().LogValue().String()
	require.NotContains(t, got, string(testOperatorSecret))
	require.NotContains(t, got, string(testLeadSecret))
	require.Contains(t, got, "15m")
}
