package obs

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestRequestIDMiddleware(t *testing.T) {
	t.Parallel()

	long := strings.Repeat("a", 128)
	tests := []struct {
		name    string
		headers []string
		want    string // "" means a new UUIDv7 is expected
	}{
		{name: "absent"},
		{name: "uuid kept", headers: []string{"0190b6b0-6f6c-7c4e-9a7e-0123456789ab"},
			want: "0190b6b0-6f6c-7c4e-9a7e-0123456789ab"},
		{name: "all allowed characters kept", headers: []string{"Az09._-"}, want: "Az09._-"},
		{name: "128 characters kept", headers: []string{long}, want: long},
		{name: "129 characters refused", headers: []string{long + "a"}},
		{name: "empty refused", headers: []string{""}},
		{name: "space refused", headers: []string{"abc def"}},
		{name: "log forging refused", headers: []string{"abc\ninjected"}},
		{name: "json refused", headers: []string{`abc","admin":"true`}},
		{name: "non-ascii refused", headers: []string{"abcé"}},
		{name: "two headers refused", headers: []string{"abc", "def"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var inCtx string
			h := RequestIDMiddleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inCtx = RequestID(r.Context())
			}))
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tt.headers {
				req.Header.Add(RequestIDHeader, v)
			}
			rec := httptest.NewRecorder()

			h.ServeHTTP(rec, req)

			got := rec.Header().Get(RequestIDHeader)
			require.Equal(t, got, inCtx, "context and response header disagree")
			if tt.want != "" {
				require.Equal(t, tt.want, got)
				return
			}
			id, err := uuid.Parse(got)
			require.NoError(t, err)
			require.Equal(t, uuid.Version(7), id.Version())
			require.NotContains(t, tt.headers, got)
		})
	}
}

func TestRequestIDUnique(t *testing.T) {
	t.Parallel()

	seen := map[string]bool{}
	h := RequestIDMiddleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	for range 100 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		id := rec.Header().Get(RequestIDHeader)
		require.False(t, seen[id], "duplicate request id %q", id)
		seen[id] = true
	}
}

func TestRequestIDContext(t *testing.T) {
	t.Parallel()

	ctx := t.Context()
	require.Empty(t, RequestID(ctx))
	require.Equal(t, "abc", RequestID(WithRequestID(ctx, "abc")))
}
