package validate

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
)

// Host name limits.
const (
	// MaxHostName bounds a host name in its punycode form, in bytes (RFC 1035).
	MaxHostName = 253
	// MaxLabel bounds one dot-separated label of a host name, in bytes (RFC 1035).
	MaxLabel = 63
	// MaxDomains bounds how many domains one tenant may list.
	MaxDomains = 100
)

// hostProfile maps a host name the way browsers and resolvers do (UTS 46, non-transitional:
// case folding, full-width to ASCII, "ß" kept) and refuses what may not appear in a host name:
// anything but letters, digits and hyphens (STD3 rules), hyphens at a label's start or end or
// in positions 3 and 4 of a non-punycode label, invalid punycode, and bidi or joiner misuse.
// Lengths are checked afterwards to give precise messages. Profiles are safe for concurrent use.
var hostProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.ValidateLabels(true),
	idna.CheckHyphens(true),
	idna.CheckJoiners(true),
	idna.BidiRule(),
	idna.StrictDomainName(true),
)

// NormalizeDomain returns the host name s in the form tenantd stores and compares: trimmed,
// one trailing dot removed, lower-cased, international labels in punycode ("Bücher.Example"
// becomes "xn--bcher-kva.example"). It fails for anything that is not a public host name with
// at least two labels: empty input, white space, wildcards, IP addresses, invalid characters,
// labels over 63 or names over 253 bytes, an all-digit top-level label. The error message is
// safe to show to the caller.
func NormalizeDomain(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	switch {
	case s == "":
		return "", errors.New("must not be empty")
	case strings.IndexFunc(s, unicode.IsSpace) >= 0:
		return "", errors.New("must not contain white space")
	case strings.Contains(s, "*"):
		return "", errors.New("must not be a wildcard")
	case isIP(s):
		return "", errors.New("must be a host name, not an IP address")
	}
	ascii, err := hostProfile.ToASCII(s)
	if err != nil {
		return "", errors.New("must be a valid host name: letters, digits and hyphens in " +
			"dot-separated labels, no hyphen at the start or end of a label")
	}
	ascii = strings.ToLower(ascii)
	if err := hostShape(ascii); err != nil {
		return "", err
	}
	return ascii, nil
}

func isIP(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if i := strings.IndexByte(s, '%'); i >= 0 { // IPv6 zone, e.g. "fe80::1%eth0"
		s = s[:i]
	}
	return net.ParseIP(s) != nil
}

// hostShape checks the lengths and characters of a lower-case ASCII host name.
func hostShape(h string) error {
	if len(h) > MaxHostName {
		return fmt.Errorf("must be at most %d characters in punycode form, got %d",
			MaxHostName, len(h))
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return errors.New("must have at least two labels, like example.com")
	}
	for _, l := range labels {
		switch {
		case l == "":
			return errors.New("must not contain an empty label")
		case len(l) > MaxLabel:
			return fmt.Errorf("label %q must be at most %d characters", l, MaxLabel)
		case !onlyChars(l, "-") || l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("label %q must be letters, digits and inner hyphens", l)
		}
	}
	if tld := labels[len(labels)-1]; strings.TrimLeft(tld, "0123456789") == "" {
		return fmt.Errorf("top-level label %q must not be all digits", tld)
	}
	return nil
}

// Domain checks one host name and returns its normalised form (see NormalizeDomain), or "" when
// it is invalid.
func (c *Checker) Domain(field, s string) string {
	d, err := NormalizeDomain(s)
	if err != nil {
		c.Add(field, "%s", err)
		return ""
	}
	return d
}

// Domains checks a tenant's list of host names and returns their normalised forms in input
// order, leaving out invalid entries and duplicates. Each problem names the element's path
// (e.g. "input.domains[2]"); a name that equals an earlier one after normalisation
// ("EXAMPLE.com" and "example.com.") is a duplicate. An empty list is fine; see
// RequiredDomains. More than MaxDomains entries is a problem of field itself.
func (c *Checker) Domains(field string, domains []string) []string {
	if len(domains) > MaxDomains {
		c.Add(field, "must list at most %d domains, got %d", MaxDomains, len(domains))
		return nil
	}
	out := make([]string, 0, len(domains))
	seen := make(map[string]int, len(domains))
	for i, raw := range domains {
		d := c.Domain(Index(field, i), raw)
		if d == "" {
			continue
		}
		if first, dup := seen[d]; dup {
			c.Add(Index(field, i), "duplicates %s (%q)", Index(field, first), d)
			continue
		}
		seen[d] = i
		out = append(out, d)
	}
	return out
}

// RequiredDomains is Domains for a list that must hold at least one host name; an empty list
// is a problem of field itself.
func (c *Checker) RequiredDomains(field string, domains []string) []string {
	if len(domains) == 0 {
		c.Add(field, "must list at least one domain")
		return nil
	}
	return c.Domains(field, domains)
}
