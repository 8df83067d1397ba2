package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"entgo.io/ent/privacy"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/obs"
)

func TestPresenterInternalErrorIsGenericAndLoggedOnce(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	p := presenter{logger: obs.NewLogger(&logs, obs.FormatJSON, slog.LevelInfo)}
	ctx := obs.WithRequestID(context.Background(), "req-123")

	cause := errors.New("pq: relation \"secret_table\" does not exist")
	got := p.present(ctx, fmt.Errorf("load tenant: %w", cause))

	require.Equal(t, "INTERNAL", got.Extensions["code"])
	require.Equal(t, "req-123", got.Extensions["requestId"])
	require.Contains(t, got.Message, "req-123")
	require.NotContains(t, got.Message, "secret_table", "the cause never reaches the caller")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1, "the cause is logged exactly once")
	require.Contains(t, lines[0], "secret_table")
	require.Contains(t, lines[0], `"request_id":"req-123"`)
}

func TestPresenterPublicCodes(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	p := presenter{logger: obs.NewLogger(&logs, obs.FormatJSON, slog.LevelInfo)}
	cases := []struct {
		err   error
		code  string
		field string
	}{
		{apperr.Validation("input.key", "bad"), "VALIDATION_FAILED", "input.key"},
		{fmt.Errorf("wrapped: %w", apperr.Conflict("input.key", "taken")), "CONFLICT", "input.key"},
		{apperr.ValidationErrors{apperr.Validation("input.a", "x"), apperr.Validation("input.b", "y")},
			"VALIDATION_FAILED", "input.a"},
		{privacy.Denyf("no"), "FORBIDDEN", ""},
		{apperr.Unauthenticated("who are you"), "UNAUTHENTICATED", ""},
		{&apperr.Error{Code: apperr.CodeInvalidTransition, Message: "x",
			Extra: map[string]any{"from": "ACTIVE", "to": "PROVISIONING"}}, "INVALID_TRANSITION", ""},
	}
	for _, c := range cases {
		got := p.present(context.Background(), c.err)
		require.Equal(t, c.code, got.Extensions["code"], c.err.Error())
		if c.field != "" {
			require.Equal(t, c.field, got.Extensions["field"])
		}
	}
	require.Empty(t, logs.String(), "public errors are not logged as failures")

	many := p.present(context.Background(), apperr.ValidationErrors{
		apperr.Validation("input.a", "x"), apperr.Validation("input.b", "y")})
	require.Len(t, many.Extensions["errors"], 2)
}
