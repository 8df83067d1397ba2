package auth

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apperr"
)

func TestMiddleware(t *testing.T) {
	t.Parallel()

	v := newTestVerifier(t, hsConfig())
	valid := sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", operatorClaimsMap())
	expiredClaims := operatorClaimsMap()
	expiredClaims["exp"] = time.Now().Add(-time.Hour).Unix()
	expired := sign(t, jwt.SigningMethodHS256, testOperatorSecret, "", expiredClaims)

	tests := []struct {
		name     string
		headers  []string
		wantKind Kind
		wantCode apperr.Code // answer of Require(ViewTenant); "" means allowed
		wantMsg  string
	}{
		{name: "no header", wantCode: apperr.CodeUnauthenticated, wantMsg: "authentication required"},
		{name: "empty header", headers: []string{""}, wantCode: apperr.CodeUnauthenticated,
			wantMsg: "authentication required"},
		{name: "bearer", headers: []string{"Bearer " + valid}, wantKind: Operator},
		{name: "lower-case scheme", headers: []string{"bearer " + valid}, wantKind: Operator},
		{name: "upper-case scheme", headers: []string{"BEARER  " + valid}, wantKind: Operator},
		{name: "garbage", headers: []string{"garbage"}, wantCode: apperr.CodeUnauthenticated,
			wantMsg: "invalid token"},
		{name: "scheme only", headers: []string{"Bearer"}, wantCode: apperr.CodeUnauthenticated,
			wantMsg: "invalid token"},
		{name: "basic", headers: []string{"Basic dXNlcjpwYXNz"}, wantCode: apperr.CodeUnauthenticated,
			wantMsg: "invalid token"},
		{name: "bearer garbage", headers: []string{"Bearer a.b.c"},
			wantCode: apperr.CodeUnauthenticated, wantMsg: "invalid token"},
		{name: "two tokens", headers: []string{"Bearer " + valid + " " + valid},
			wantCode: apperr.CodeUnauthenticated, wantMsg: "invalid token"},
		{name: "two headers", headers: []string{"Bearer " + valid, "Bearer " + valid},
			wantCode: apperr.CodeUnauthenticated, wantMsg: "invalid token"},
		{name: "expired", headers: []string{"Bearer " + expired},
			wantCode: apperr.CodeUnauthenticated, wantMsg: "token expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got *Viewer
			var requireErr error
			h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = FromContext(r.Context())
				requireErr = Require(r.Context(), ViewTenant)
				w.WriteHeader(http.StatusTeapot)
			}))
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/graphql", nil)
			for _, h := range tt.headers {
				req.Header.Add("Authorization", h)
			}
			rec := httptest.NewRecorder()

			h.ServeHTTP(rec, req)

			require.Equal(t, http.StatusTeapot, rec.Code, "the middleware must not answer itself")
			require.Equal(t, tt.wantKind, got.Kind)
			if tt.wantCode == "" {
				require.NoError(t, requireErr)
				return
			}
			requireCode(t, requireErr, tt.wantCode, tt.wantMsg)
		})
	}
}
