package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apperr"
)

func TestContextViewer(t *testing.T) {
	t.Parallel()

	ctx := context.Background()
	require.True(t, FromContext(ctx).IsAnonymous())
	require.Equal(t, "anonymous", Actor(ctx))
	require.NoError(t, TokenError(ctx))

	op := &Viewer{Kind: Operator, Subject: "op-1", Permissions: NewPermissionSet(ViewTenant)}
	ctx = WithViewer(ctx, op)
	require.Same(t, op, FromContext(ctx))
	require.Equal(t, "op-1", Actor(ctx))
	require.Equal(t, "op-1", Actor(ctx))

	bad := WithTokenError(ctx, errors.New("bad signature"))
	require.True(t, FromContext(bad).IsAnonymous(), "a refused token must drop the earlier viewer")
	require.Error(t, TokenError(bad))
	require.Equal(t, "anonymous", Actor(bad))

	again := WithViewer(bad, op)
	require.NoError(t, TokenError(again), "a new viewer clears the token error")
	require.Same(t, op, FromContext(again))

	require.Same(t, op, FromContext(WithTokenError(ctx, nil)))
}

func TestSystemContext(t *testing.T) {
	t.Parallel()

	ctx := SystemContext(context.Background(), "provision_job")
	v := FromContext(ctx)
	require.True(t, v.IsSystem())
	require.Equal(t, "system:provision_job", v.Subject)
	require.Equal(t, "system:provision_job", Actor(ctx))
	require.Equal(t, "system:provision_job", Actor(ctx))
	for _, p := range AllPermissions() {
		require.True(t, v.Has(p), "system lacks %s", p)
	}
	require.NoError(t, Require(ctx, DeleteTenant))
	require.NoError(t, RequireOperator(ctx))

	require.Equal(t, "system", Actor(SystemContext(context.Background(), "")))
}

func TestViewerKinds(t *testing.T) {
	t.Parallel()

	id := uuid.New()
	lead := &Viewer{Kind: Lead, Subject: leadSubject(id), LeadID: id}
	require.True(t, lead.IsLeadFor(id))
	require.False(t, lead.IsLeadFor(uuid.New()))
	require.False(t, lead.IsLeadFor(uuid.Nil))
	require.False(t, (&Viewer{Kind: Operator}).IsLeadFor(uuid.Nil))

	var nilViewer *Viewer
	require.True(t, nilViewer.IsAnonymous())
	require.False(t, nilViewer.Has(ViewLead))
	require.False(t, nilViewer.Expired(time.Now()))

	require.Equal(t, "operator", Operator.String())
	require.Equal(t, "unknown", Kind(42).String())

	now := time.Now()
	v := &Viewer{Kind: Operator, ExpiresAt: now}
	require.False(t, v.Expired(now.Add(leeway)))
	require.True(t, v.Expired(now.Add(leeway+time.Second)))
}

func TestRequire(t *testing.T) {
	t.Parallel()

	leadID := uuid.New()
	operator := &Viewer{
		Kind:        Operator,
		Subject:     "op",
		Permissions: NewPermissionSet(ViewTenant),
		ExpiresAt:   time.Now().Add(time.Hour),
	}
	tests := []struct {
		name     string
		ctx      context.Context
		wantCode apperr.Code // "" means allowed
		wantMsg  string
	}{
		{name: "anonymous", ctx: context.Background(), wantCode: apperr.CodeUnauthenticated},
		{
			name:     "invalid token",
			ctx:      WithTokenError(context.Background(), errors.New("bad signature")),
			wantCode: apperr.CodeUnauthenticated,
			wantMsg:  "invalid token",
		},
		{
			name: "expired token error kept",
			ctx: WithTokenError(context.Background(),
				apperr.Unauthenticated("token expired")),
			wantCode: apperr.CodeUnauthenticated,
			wantMsg:  "token expired",
		},
		{
			name: "viewer expired since verification",
			ctx: WithViewer(context.Background(), &Viewer{Kind: Operator, Subject: "op",
				Permissions: NewPermissionSet(ViewTenant), ExpiresAt: time.Now().Add(-time.Hour)}),
			wantCode: apperr.CodeUnauthenticated,
			wantMsg:  "token expired",
		},
		{
			name: "lead token",
			ctx: WithViewer(context.Background(), &Viewer{Kind: Lead, Subject: leadSubject(leadID),
				LeadID: leadID, ExpiresAt: time.Now().Add(time.Minute)}),
			wantCode: apperr.CodeForbidden,
			wantMsg:  "ViewTenant",
		},
		{
			name:     "operator lacking the permission",
			ctx:      WithViewer(context.Background(), &Viewer{Kind: Operator, Subject: "op"}),
			wantCode: apperr.CodeForbidden,
			wantMsg:  "missing permission ViewTenant",
		},
		{name: "operator", ctx: WithViewer(context.Background(), operator)},
		{name: "system", ctx: SystemContext(context.Background(), "test")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Require(tt.ctx, ViewTenant)
			if tt.wantCode == "" {
				require.NoError(t, err)
				return
			}
			requireCode(t, err, tt.wantCode, tt.wantMsg)
		})
	}
}

func TestRequireOperatorAndLead(t *testing.T) {
	t.Parallel()

	leadID := uuid.New()
	anon := context.Background()
	lead := WithViewer(anon, &Viewer{Kind: Lead, Subject: leadSubject(leadID), LeadID: leadID})
	op := WithViewer(anon, &Viewer{Kind: Operator, Subject: "op"})
	bad := WithTokenError(anon, errors.New("garbage"))

	requireCode(t, RequireOperator(anon), apperr.CodeUnauthenticated, "")
	requireCode(t, RequireOperator(bad), apperr.CodeUnauthenticated, "")
	requireCode(t, RequireOperator(lead), apperr.CodeForbidden, "operator")
	require.NoError(t, RequireOperator(op), "an operator without permissions is still one")

	_, err := RequireLead(anon)
	requireCode(t, err, apperr.CodeUnauthenticated, "")
	_, err = RequireLead(op)
	requireCode(t, err, apperr.CodeForbidden, "lead")
	got, err := RequireLead(lead)
	require.NoError(t, err)
	require.Equal(t, leadID, got)
}

// requireCode checks that err is an *apperr.Error with code whose message contains msg.
func requireCode(t *testing.T, err error, code apperr.Code, msg string) {
	t.Helper()
	require.Error(t, err)
	e, ok := apperr.As(err)
	require.True(t, ok, "not an apperr: %v", err)
	require.Equal(t, code, e.Code, "error: %v", err)
	require.Contains(t, e.Message, msg)
}
