package auth

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Minter issues HS256 tokens: operator tokens (the development "tenantd token" command) and
// lead tokens (verifyLead). It is safe for concurrent use.
type Minter struct {
	hsSecret   []byte
	leadSecret []byte
	issuer     string
	audience   string
	leadTTL    time.Duration
	now        func() time.Time
}

// mintedOperatorClaims are the claims of a minted operator token.
type mintedOperatorClaims struct {
	jwt.RegisteredClaims
	Permissions []Permission `json:"permissions"`
}

// NewMinter returns a Minter for cfg. Either secret may be empty (a JWKS-only setup has no
// operator secret); the matching Mint method then fails. Short or equal secrets and a negative
// LeadTokenTTL are refused.
func NewMinter(cfg Config) (*Minter, error) {
	if err := errors.Join(cfg.secretProblems()...); err != nil {
		return nil, fmt.Errorf("new minter: %w", err)
	}
	return &Minter{
		hsSecret:   slices.Clone(cfg.HS256Secret),
		leadSecret: slices.Clone(cfg.LeadSecret),
		issuer:     cfg.Issuer,
		audience:   cfg.Audience,
		leadTTL:    cfg.leadTTL(),
		now:        time.Now,
	}, nil
}

// MintOperator returns an HS256 operator token for subject holding perms, valid for ttl, with
// iss and aud set when configured. It fails without an operator secret (JWKS-only setup), for
// an empty subject, a ttl that is not positive, or a permission that is not in AllPermissions.
func (m *Minter) MintOperator(
	subject string, perms []Permission, ttl time.Duration,
) (string, error) {
	if len(m.hsSecret) == 0 {
		return "", errors.New("mint operator token: no AUTH_HS256_SECRET configured")
	}
	if subject == "" {
		return "", errors.New("mint operator token: subject is empty")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("mint operator token for %q: ttl must be positive, got %s",
			subject, ttl)
	}
	for _, p := range perms {
		if canonical, ok := ParsePermission(string(p)); !ok || canonical != p {
			return "", fmt.Errorf("mint operator token for %q: unknown permission %q", subject, p)
		}
	}

	now := m.now()
	claims := mintedOperatorClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   subject,
			Issuer:    m.issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
		Permissions: NewPermissionSet(perms...).List(),
	}
	if m.audience != "" {
		claims.Audience = jwt.ClaimStrings{m.audience}
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(m.hsSecret)
	if err != nil {
		return "", fmt.Errorf("mint operator token for %q: %w", subject, err)
	}
	return signed, nil
}

// MintLead returns a lead token for leadID and when it expires. A zero ttl means the configured
// LeadTokenTTL (default 15m). It fails without a lead secret, for uuid.Nil or a negative ttl.
func (m *Minter) MintLead(leadID uuid.UUID, ttl time.Duration) (string, time.Time, error) {
	if len(m.leadSecret) == 0 {
		return "", time.Time{}, errors.New("mint lead token: no LEAD_TOKEN_SECRET configured")
	}
	if leadID == uuid.Nil {
		return "", time.Time{}, errors.New("mint lead token: lead id is empty")
	}
	if ttl < 0 {
		return "", time.Time{}, fmt.Errorf("mint lead token for %s: ttl must not be negative, got %s",
			leadID, ttl)
	}
	if ttl == 0 {
		ttl = m.leadTTL
	}

	now := m.now()
	exp := jwt.NewNumericDate(now.Add(ttl))
	claims := leadClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   leadSubject(leadID),
			Issuer:    LeadIssuer,
			Audience:  jwt.ClaimStrings{leadAudience},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: exp,
		},
		TokenUse: tokenUseLead,
		LeadID:   leadID.String(),
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(m.leadSecret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("mint lead token for %s: %w", leadID, err)
	}
	return signed, exp.Time, nil
}
