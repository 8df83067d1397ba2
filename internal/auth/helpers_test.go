package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

const (
	testIssuer   = "https://idp.example.test/"
	testAudience = "tenantd-api"
)

var (
	testOperatorSecret = []byte("operator-secret-for-tests-0123456789")
	testLeadSecret     = []byte("lead-secret-for-tests-abcdefghijklmn")
)

// testKeys are generated once: RSA generation is slow under the race detector.
var testKeys = sync.OnceValue(func() keySet {
	rsa1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	rsa2, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ec1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return keySet{rsa: rsa1, otherRSA: rsa2, ec: ec1}
})

type keySet struct {
	rsa      *rsa.PrivateKey
	otherRSA *rsa.PrivateKey
	ec       *ecdsa.PrivateKey
}

// hsConfig is an HS256 operator setup with issuer and audience.
func hsConfig() Config {
	return Config{
		HS256Secret: testOperatorSecret,
		Issuer:      testIssuer,
		Audience:    testAudience,
		LeadSecret:  testLeadSecret,
	}
}

func newTestVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(t.Context(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	return v
}

// operatorClaimsMap returns valid operator claims for hsConfig; edit the map to break them.
func operatorClaimsMap() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":         "operator-1",
		"iss":         testIssuer,
		"aud":         []string{testAudience},
		"iat":         now.Unix(),
		"exp":         now.Add(time.Hour).Unix(),
		"permissions": []any{"ViewTenant", 10204},
	}
}

// leadClaimsMap returns valid lead claims for leadID.
func leadClaimsMap(leadID string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":       "lead:" + leadID,
		"iss":       LeadIssuer,
		"aud":       leadAudience,
		"iat":       now.Unix(),
		"exp":       now.Add(time.Minute).Unix(),
		"token_use": "lead",
		"lead_id":   leadID,
	}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// jwksServer serves a JWK set that a test may replace, counting requests.
type jwksServer struct {
	URL  string
	body atomic.Pointer[[]byte]
	hits atomic.Int32
}

func newJWKSServer(t *testing.T, keys map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.set(t, keys)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(*s.body.Load())
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/.well-known/jwks.json"
	return s
}

// set replaces the served JWK set with the public halves of keys, by kid.
func (s *jwksServer) set(t *testing.T, keys map[string]any) {
	t.Helper()
	store := jwkset.NewMemoryStorage()
	for kid, key := range keys {
		var alg jwkset.ALG
		var pub any
		switch k := key.(type) {
		case *rsa.PrivateKey:
			alg, pub = jwkset.AlgRS256, k.Public()
		case *ecdsa.PrivateKey:
			alg, pub = jwkset.AlgES256, k.Public()
		default:
			t.Fatalf("unsupported key %T", key)
		}
		jwk, err := jwkset.NewJWKFromKey(pub, jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: alg, USE: jwkset.UseSig},
		})
		require.NoError(t, err)
		require.NoError(t, store.KeyWrite(t.Context(), jwk))
	}
	raw, err := store.JSONPublic(t.Context())
	require.NoError(t, err)
	b := []byte(raw)
	s.body.Store(&b)
}
