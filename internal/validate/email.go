package validate

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// Email limits, in bytes of the normalised address (RFC 5321).
const (
	// MaxEmail bounds a whole email address.
	MaxEmail = 254
	// MaxEmailLocal bounds the part before the "@".
	MaxEmailLocal = 64
)

// NormalizeEmail returns the form under which tenantd stores and compares an email address
// (SPEC 2): trimmed, lower-cased, its domain in punycode ("Bob@Bücher.Example" becomes
// "bob@xn--bcher-kva.example"). It accepts only a bare address as net/mail parses it: no
// display name ("Bob <b@x.com>"), angle brackets, comments, quoted local parts or white space;
// the domain must be a host name with at least two labels (see NormalizeDomain). The error
// message is safe to show to the caller.
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("is required")
	}
	if reason := textProblem(s); reason != "" {
		return "", errors.New(reason)
	}
	errBare := errors.New("must be a bare email address, like name@example.com, without " +
		"a display name, angle brackets, comments or quotes")
	if strings.ContainsAny(s, "<>") {
		return "", errBare
	}
	if strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return "", errors.New("must not contain white space")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return "", errors.New("must be a valid email address, like name@example.com")
	}
	if addr.Name != "" || addr.Address != s {
		return "", errBare
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if len(local) > MaxEmailLocal {
		return "", fmt.Errorf("must have at most %d characters before the @", MaxEmailLocal)
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", fmt.Errorf("domain %w", err)
	}
	n := strings.ToLower(local) + "@" + d
	if len(n) > MaxEmail {
		return "", fmt.Errorf("must be at most %d characters, got %d", MaxEmail, len(n))
	}
	return n, nil
}

// Email checks an email address and returns it as typed (only trimmed), to show back to
// people, and normalised (see NormalizeEmail), to store and compare. Both are "" when it is
// invalid.
func (c *Checker) Email(field, s string) (asTyped, normalized string) {
	n, err := NormalizeEmail(s)
	if err != nil {
		c.Add(field, "%s", err)
		return "", ""
	}
	return strings.TrimSpace(s), n
}

// EmailInDomains records a problem unless the domain of normalizedEmail equals one of domains
// or is a sub-domain of one, ignoring case and a trailing dot: with domain "acme.com",
// "a@acme.com" and "a@eu.ACME.com" pass, "a@evilacme.com" does not. Domains may be given in
// Unicode or punycode. An empty normalizedEmail is skipped: Email has reported it already.
func (c *Checker) EmailInDomains(field, normalizedEmail string, domains []string) {
	if normalizedEmail == "" {
		return
	}
	at := strings.LastIndexByte(normalizedEmail, '@')
	if at < 0 {
		c.Add(field, "must be a valid email address, like name@example.com")
		return
	}
	if !InDomains(normalizedEmail, domains) {
		c.Add(field, "must be an address at one of the tenant's domains or their sub-domains, "+
			"not at %q", normalizeLoose(normalizedEmail[at+1:]))
	}
}

// InDomains reports whether the domain of normalizedEmail is one of domains or a sub-domain of
// one, compared case-insensitively and in punycode.
func InDomains(normalizedEmail string, domains []string) bool {
	host := normalizeLoose(normalizedEmail[strings.LastIndexByte(normalizedEmail, '@')+1:])
	for _, d := range domains {
		d = normalizeLoose(d)
		if d != "" && (host == d || strings.HasSuffix(host, "."+d)) {
			return true
		}
	}
	return false
}

// normalizeLoose normalises a host name that earlier checks have let through; one that does not
// parse is only lower-cased, so that it can still match itself.
func normalizeLoose(h string) string {
	if d, err := NormalizeDomain(h); err == nil {
		return d
	}
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}
