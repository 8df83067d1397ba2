package validate

import (
	"slices"
	"strings"
)

// Key length limits.
const (
	// MinTenantKey and MaxTenantKey bound a tenant key, in characters.
	MinTenantKey = 3
	MaxTenantKey = 30
	// MaxConfigKey bounds a tenant config key, in characters.
	MaxConfigKey = 64
	// MaxPlanKey bounds a plan key, in characters.
	MaxPlanKey = 64
)

// defaultReserved are the tenant keys nobody may take because the platform itself uses, or
// may one day use, the sub-domain. Words shorter than MinTenantKey ("id", "mx", "ns") are not
// listed: the length rule already refuses them.
var defaultReserved = []string{
	// The platform's own host names.
	"www", "api", "app", "admin", "status", "tenantd", "graphql", "webhook", "webhooks",
	"console", "dashboard", "portal", "control", "operator", "internal", "system", "root",
	// Identity.
	"auth", "login", "logout", "signin", "signup", "register", "sso", "oauth", "oidc", "saml",
	"account", "accounts", "identity", "keycloak", "auth0", "security", "secure",
	// Billing and support.
	"billing", "payment", "payments", "invoice", "invoices", "support", "help", "helpdesk",
	"docs", "documentation", "legal", "privacy", "terms", "abuse", "contact", "sales",
	// Mail and DNS.
	"mail", "email", "smtp", "imap", "pop", "pop3", "mx1", "mx2", "ns1", "ns2", "ns3", "ns4",
	"dns", "postmaster", "hostmaster", "webmaster", "noreply", "no-reply", "autoconfig",
	"autodiscover", "wpad", "localhost",
	// Content delivery and files.
	"static", "assets", "cdn", "media", "img", "images", "files", "download", "downloads",
	"upload", "uploads", "ftp", "sftp",
	// Environments.
	"dev", "test", "testing", "staging", "stage", "sandbox", "demo", "preview", "beta", "alpha",
	"prod", "production", "local",
	// Operations.
	"metrics", "health", "monitoring", "grafana", "prometheus", "logs", "jobs", "river", "vpn",
	"git", "gateway", "proxy", "edge", "origin",
	// Marketing and community.
	"blog", "shop", "store", "news", "forum", "community", "about", "careers", "marketing",
	// Words that confuse people or software.
	"null", "undefined", "none", "default", "example", "tenant", "tenants",
}

// DefaultReservedKeys returns the tenant keys reserved by default: www, api, admin, app, mail,
// status and the other sub-domains a SaaS platform keeps for itself. The slice is a fresh copy
// the caller may change.
func DefaultReservedKeys() []string {
	return slices.Clone(defaultReserved)
}

// TenantKey checks a tenant key and returns it trimmed and lower-cased: keys compare
// case-insensitively (SPEC 3.3), so "Acme" is accepted and stored as "acme". A key is
// MinTenantKey to MaxTenantKey characters of lower-case ASCII letters, digits and hyphens,
// starts with a letter, does not end with a hyphen, and has no double hyphen ("--" marks
// punycode labels in DNS, and a key becomes a sub-domain). It must not be one of reserved,
// compared case-insensitively; a nil reserved means DefaultReservedKeys (pass an empty,
// non-nil slice to reserve nothing).
func (c *Checker) TenantKey(field, key string, reserved []string) string {
	k := strings.ToLower(strings.TrimSpace(key))
	if reason := tenantKeyProblem(k); reason != "" {
		c.Add(field, "%s", reason)
		return k
	}
	if reserved == nil {
		reserved = defaultReserved
	}
	for _, r := range reserved {
		if strings.EqualFold(k, strings.TrimSpace(r)) {
			c.Add(field, "%q is reserved", k)
			break
		}
	}
	return k
}

func tenantKeyProblem(k string) string {
	switch {
	case k == "":
		return "is required"
	case len(k) < MinTenantKey || len(k) > MaxTenantKey || !isASCII(k):
		return "must be 3 to 30 characters: lower-case letters, digits and hyphens"
	case !isLower(k[0]):
		return "must start with a letter"
	case !onlyChars(k, "-"):
		return "must contain only lower-case letters, digits and hyphens"
	case strings.HasSuffix(k, "-"):
		return "must not end with a hyphen"
	case strings.Contains(k, "--"):
		return "must not contain two hyphens in a row"
	}
	return ""
}

// ConfigKey checks a tenant config key (e.g. "auth0", "branding") and returns it trimmed: 1 to
// MaxConfigKey characters of lower-case ASCII letters, digits, '_', '-' and '.', starting with
// a letter. Upper case is refused, not folded: config keys compare exactly.
func (c *Checker) ConfigKey(field, key string) string {
	return c.dottedKey(field, key, MaxConfigKey)
}

// PlanKey checks a plan key and returns it trimmed; the rule is ConfigKey's, with at most
// MaxPlanKey characters.
func (c *Checker) PlanKey(field, key string) string {
	return c.dottedKey(field, key, MaxPlanKey)
}

func (c *Checker) dottedKey(field, key string, maxLen int) string {
	k := strings.TrimSpace(key)
	switch {
	case k == "":
		c.Add(field, "is required")
	case len(k) > maxLen || !isASCII(k):
		c.Add(field, "must be at most %d characters: lower-case letters, digits, '_', '-', '.'",
			maxLen)
	case !isLower(k[0]):
		c.Add(field, "must start with a lower-case letter")
	case !onlyChars(k, "_-."):
		c.Add(field, "must contain only lower-case letters, digits, '_', '-' and '.'")
	}
	return k
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isLower(b byte) bool { return b >= 'a' && b <= 'z' }

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// onlyChars reports whether s holds only lower-case ASCII letters, digits and bytes of extra.
func onlyChars(s, extra string) bool {
	for i := 0; i < len(s); i++ {
		if !isLower(s[i]) && !isDigit(s[i]) && !strings.ContainsRune(extra, rune(s[i])) {
			return false
		}
	}
	return true
}
