package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/time/rate"

	"github.com/tenantd/tenantd/internal/apperr"
)

// maxTokenLen bounds the size of a token we try to parse, in bytes.
const maxTokenLen = 16 << 10

// JWKS fetching: how often keys are refreshed in the background, how long one fetch may take,
// and how often a token with an unknown kid may trigger an extra fetch (key rotation).
const (
	jwksRefreshInterval = time.Hour
	jwksHTTPTimeout     = 10 * time.Second
	jwksUnknownKIDEvery = time.Minute
	// jwksUnknownKIDWait bounds how long a request waits for an unknown-kid fetch; when the
	// rate limiter has no token left within it, the request fails at once instead of waiting.
	jwksUnknownKIDWait = 5 * time.Second
)

// tokenUseLead is the token_use claim that marks a lead token.
const tokenUseLead = "lead"

// operatorClaims are the claims read from an operator token. A lead_id claim, if present, is
// ignored: only a lead token signed with the lead secret makes a Lead.
type operatorClaims struct {
	jwt.RegisteredClaims
	Permissions permissionList `json:"permissions,omitempty"`
}

// leadClaims are the claims of a lead token.
type leadClaims struct {
	jwt.RegisteredClaims
	TokenUse string `json:"token_use"`
	LeadID   string `json:"lead_id"`
}

// Verifier turns bearer tokens into Viewers. It is safe for concurrent use.
type Verifier struct {
	hsSecret   []byte
	leadSecret []byte
	// jwks is nil when no JWKS URL is configured.
	jwks           keyfunc.Keyfunc
	operatorParser *jwt.Parser
	leadParser     *jwt.Parser
}

// NewVerifier validates cfg and returns a Verifier. With a JWKS URL it fetches the key set
// once and then refreshes it in the background until ctx ends; an unreachable JWKS at start is
// logged, not fatal (tokens fail until a refresh succeeds). A nil logger discards.
func NewVerifier(ctx context.Context, cfg Config, logger *slog.Logger) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new verifier: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	v := &Verifier{
		hsSecret:   slices.Clone(cfg.HS256Secret),
		leadSecret: slices.Clone(cfg.LeadSecret),
	}
	if cfg.JWKSURL != "" {
		kf, err := newJWKS(ctx, cfg.JWKSURL, logger)
		if err != nil {
			return nil, fmt.Errorf("new verifier: %w", err)
		}
		v.jwks = kf
	}

	v.operatorParser = jwt.NewParser(operatorOptions(cfg)...)
	v.leadParser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(LeadIssuer),
		jwt.WithAudience(leadAudience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	)
	if cfg.Issuer == "" || cfg.Audience == "" {
		logger.WarnContext(ctx, "operator token issuer or audience not checked",
			slog.Bool("issuer_set", cfg.Issuer != ""), slog.Bool("audience_set", cfg.Audience != ""))
	}
	return v, nil
}

// operatorOptions returns the parser options for operator tokens: only the algorithms whose
// keys are configured, exp required, iss and aud checked when configured.
func operatorOptions(cfg Config) []jwt.ParserOption {
	var methods []string
	if len(cfg.HS256Secret) > 0 {
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSURL != "" {
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return opts
}

// newJWKS starts the JWK set client for rawURL; its refresh goroutine ends with ctx.
func newJWKS(ctx context.Context, rawURL string, logger *slog.Logger) (keyfunc.Keyfunc, error) {
	// The URL may carry credentials in its query; log only where it points.
	host := ""
	if u, err := url.Parse(rawURL); err == nil {
		host = u.Host + u.Path
	}
	onError := func(string) func(context.Context, error) {
		return func(ctx context.Context, err error) {
			logger.ErrorContext(ctx, "refresh jwks", slog.String("jwks", host), slog.Any("err", err))
		}
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{rawURL}, keyfunc.Override{
		HTTPTimeout:             jwksHTTPTimeout,
		RateLimitWaitMax:        jwksUnknownKIDWait,
		RefreshErrorHandlerFunc: onError,
		RefreshInterval:         jwksRefreshInterval,
		RefreshUnknownKID:       rate.NewLimiter(rate.Every(jwksUnknownKIDEvery), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("start jwks client for %q: %w", host, err)
	}
	return kf, nil
}

// Verify checks raw (the token without "Bearer ") and returns its Viewer: a Lead for a lead
// token, an Operator otherwise. Any problem gives an UNAUTHENTICATED *apperr.Error whose public
// message is "token expired" or "invalid token" and whose Cause says why, for logs.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Viewer, error) {
	if raw == "" {
		return nil, unauthenticated(errors.New("verify token: empty token"))
	}
	if len(raw) > maxTokenLen {
		return nil, unauthenticated(fmt.Errorf("verify token: %d bytes exceeds %d", len(raw),
			maxTokenLen))
	}

	lead, err := markedAsLead(raw)
	if err != nil {
		return nil, unauthenticated(fmt.Errorf("verify token: %w", err))
	}
	if lead {
		viewer, err := v.verifyLead(raw)
		if err != nil {
			return nil, unauthenticated(fmt.Errorf("verify lead token: %w", err))
		}
		return viewer, nil
	}
	viewer, err := v.verifyOperator(ctx, raw)
	if err != nil {
		return nil, unauthenticated(fmt.Errorf("verify operator token: %w", err))
	}
	return viewer, nil
}

// markedAsLead reports, without checking the signature, whether raw claims to be a lead token.
// The claim only picks which key verifies the token: a lead-marked token must be signed with
// the lead secret and any other token with an operator key, so forging the claim gains nothing.
func markedAsLead(raw string) (bool, error) {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(raw, claims); err != nil {
		return false, fmt.Errorf("decode token: %w", err)
	}
	use, _ := claims["token_use"].(string)
	return use == tokenUseLead, nil
}

// verifyOperator verifies an operator token with the HS256 secret or the JWKS.
func (v *Verifier) verifyOperator(ctx context.Context, raw string) (*Viewer, error) {
	var claims operatorClaims
	if _, err := v.operatorParser.ParseWithClaims(raw, &claims, v.operatorKey(ctx)); err != nil {
		return nil, err
	}
	if claims.Subject == "" {
		return nil, errors.New("token has no sub claim")
	}
	return &Viewer{
		Kind:        Operator,
		Subject:     claims.Subject,
		Permissions: NewPermissionSet(claims.Permissions...),
		ExpiresAt:   claims.ExpiresAt.Time,
	}, nil
}

// operatorKey returns the key for an operator token by its algorithm, which the parser has
// already checked against the allow-list. HS256 only ever gets the shared secret and RS256 or
// ES256 only JWKS keys, so a public key can never be used as an HMAC secret.
func (v *Verifier) operatorKey(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		switch alg := t.Method.Alg(); alg {
		case jwt.SigningMethodHS256.Alg():
			if len(v.hsSecret) == 0 {
				return nil, errors.New("hs256 operator tokens are not configured")
			}
			return v.hsSecret, nil
		case jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg():
			if v.jwks == nil {
				return nil, fmt.Errorf("%s operator tokens are not configured", alg)
			}
			return v.jwks.KeyfuncCtx(ctx)(t)
		default:
			return nil, fmt.Errorf("algorithm %q not allowed", alg)
		}
	}
}

// verifyLead verifies a lead token with the lead secret.
func (v *Verifier) verifyLead(raw string) (*Viewer, error) {
	var claims leadClaims
	key := func(*jwt.Token) (any, error) { return v.leadSecret, nil }
	if _, err := v.leadParser.ParseWithClaims(raw, &claims, key); err != nil {
		return nil, err
	}
	if claims.TokenUse != tokenUseLead {
		return nil, fmt.Errorf("token_use %q is not %q", claims.TokenUse, tokenUseLead)
	}
	id, err := uuid.Parse(claims.LeadID)
	if err != nil || id == uuid.Nil {
		return nil, fmt.Errorf("lead_id claim %q is not a lead id", claims.LeadID)
	}
	if claims.Subject != leadSubject(id) {
		return nil, fmt.Errorf("sub claim %q does not match lead_id", claims.Subject)
	}
	return &Viewer{
		Kind:      Lead,
		Subject:   leadSubject(id),
		LeadID:    id,
		ExpiresAt: claims.ExpiresAt.Time,
	}, nil
}

// leadSubject is the sub claim and actor of a lead token.
func leadSubject(id uuid.UUID) string {
	return "lead:" + id.String()
}

// unauthenticated wraps cause in the public UNAUTHENTICATED error.
func unauthenticated(cause error) *apperr.Error {
	msg := "invalid token"
	if errors.Is(cause, jwt.ErrTokenExpired) {
		msg = "token expired"
	}
	e := apperr.Unauthenticated(msg)
	e.Cause = cause
	return e
}
