package auth

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// DefaultLeadTokenTTL is how long a lead token lives when Config.LeadTokenTTL is zero (SPEC 3.1).
const DefaultLeadTokenTTL = 15 * time.Minute

// MinSecretLen is the shortest HMAC secret accepted, in bytes: the 256 bits of HS256's hash.
const MinSecretLen = 32

// LeadIssuer is the iss claim of every lead token.
const LeadIssuer = "tenantd"

// leadAudience is the aud claim of every lead token; operator tokens never carry it.
const leadAudience = "tenantd:lead"

// Config configures token verification and minting. It is loaded from the environment by
// cmd/tenantd and never logged with its secrets (see LogValue).
type Config struct {
	// HS256Secret is the shared secret of HS256 operator tokens (AUTH_HS256_SECRET). Empty:
	// HS256 operator tokens are refused and MintOperator fails. At least MinSecretLen bytes.
	HS256Secret []byte
	// JWKSURL is the http(s) URL of the identity provider's JWK set (AUTH_JWKS_URL); when set,
	// RS256 and ES256 operator tokens are verified with its keys. Empty: no JWKS.
	// At least one of HS256Secret and JWKSURL is required.
	JWKSURL string
	// Issuer is the required iss claim of operator tokens (AUTH_ISSUER). Empty: not checked.
	Issuer string
	// Audience is a required entry of the aud claim of operator tokens (AUTH_AUDIENCE).
	// Empty: not checked.
	Audience string
	// LeadSecret is the HS256 secret of lead tokens (LEAD_TOKEN_SECRET). Required by the
	// Verifier, at least MinSecretLen bytes, and different from HS256Secret so that a lead
	// token can never pass as an operator token.
	LeadSecret []byte
	// LeadTokenTTL is how long a minted lead token lives (LEAD_TOKEN_TTL). Default 15m.
	LeadTokenTTL time.Duration
}

// Validate reports every problem of c for a Verifier, each naming its environment variable.
func (c Config) Validate() error {
	var errs []error
	if len(c.HS256Secret) == 0 && c.JWKSURL == "" {
		errs = append(errs, errors.New("AUTH_HS256_SECRET or AUTH_JWKS_URL is required"))
	}
	if len(c.LeadSecret) == 0 {
		errs = append(errs, errors.New("LEAD_TOKEN_SECRET is required"))
	}
	errs = append(errs, c.secretProblems()...)
	if c.JWKSURL != "" {
		if err := checkJWKSURL(c.JWKSURL); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("validate auth config: %w", err)
	}
	return nil
}

// secretProblems reports the problems of the secrets and the TTL that matter for minting too.
func (c Config) secretProblems() []error {
	var errs []error
	if n := len(c.HS256Secret); n > 0 && n < MinSecretLen {
		errs = append(errs, fmt.Errorf("AUTH_HS256_SECRET must be at least %d bytes, got %d",
			MinSecretLen, n))
	}
	if n := len(c.LeadSecret); n > 0 && n < MinSecretLen {
		errs = append(errs, fmt.Errorf("LEAD_TOKEN_SECRET must be at least %d bytes, got %d",
			MinSecretLen, n))
	}
	if len(c.HS256Secret) > 0 && subtle.ConstantTimeCompare(c.HS256Secret, c.LeadSecret) == 1 {
		errs = append(errs, errors.New("LEAD_TOKEN_SECRET must differ from AUTH_HS256_SECRET"))
	}
	if c.LeadTokenTTL < 0 {
		errs = append(errs, fmt.Errorf("LEAD_TOKEN_TTL must not be negative, got %s",
			c.LeadTokenTTL))
	}
	return errs
}

// checkJWKSURL reports whether u is an absolute http(s) URL with a host.
func checkJWKSURL(u string) error {
	parsed, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("AUTH_JWKS_URL: %w", err)
	}
	if (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
		return fmt.Errorf("AUTH_JWKS_URL must be an absolute http or https URL, got %q", u)
	}
	return nil
}

// leadTTL returns the configured lead token lifetime or the default.
func (c Config) leadTTL() time.Duration {
	if c.LeadTokenTTL == 0 {
		return DefaultLeadTokenTTL
	}
	return c.LeadTokenTTL
}

// LogValue describes c for logs without its secrets.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("hs256_secret_set", len(c.HS256Secret) > 0),
		slog.Bool("jwks_set", c.JWKSURL != ""),
		slog.String("issuer", c.Issuer),
		slog.String("audience", c.Audience),
		slog.Bool("lead_secret_set", len(c.LeadSecret) > 0),
		slog.Duration("lead_token_ttl", c.leadTTL()),
	)
}
