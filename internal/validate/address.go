package validate

import (
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"

	"github.com/tenantd/tenantd/internal/schematype"
)

// MaxPostalCode bounds a postal code, in characters.
const MaxPostalCode = 20

// iso is built once; validator.Validate is safe for concurrent use.
var iso = sync.OnceValue(func() *validator.Validate { return validator.New() })

// Country checks an ISO 3166-1 alpha-2 country code and returns it upper-cased: "de" becomes
// "DE". Codes outside the standard, such as "UK" (the code is "GB") or "XX", are refused.
func (c *Checker) Country(field, s string) string {
	return c.isoCode(field, s, 2, "iso3166_1_alpha2",
		"an ISO 3166-1 alpha-2 country code, like DE")
}

// Currency checks an ISO 4217 currency code and returns it upper-cased: "eur" becomes "EUR".
// The list is go-playground/validator's, which includes special codes such as XAU and XXX.
func (c *Checker) Currency(field, s string) string {
	return c.isoCode(field, s, 3, "iso4217", "an ISO 4217 currency code, like EUR")
}

func (c *Checker) isoCode(field, s string, n int, tag, what string) string {
	code := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case code == "":
		c.Add(field, "is required")
	case len(code) != n || iso().Var(code, tag) != nil:
		c.Add(field, "must be %s", what)
	}
	return code
}

// Address checks a postal address and returns a normalised copy: every field trimmed, the
// country upper-cased. Line (at most MaxAddressLine characters), city (MaxShort) and country
// (ISO 3166-1 alpha-2) are required; state (MaxShort) and postal code (MaxPostalCode ASCII
// letters, digits, spaces and hyphens) are optional. Problems name the sub-field, e.g.
// "input.address.postalCode". A nil address stays nil.
func (c *Checker) Address(field string, a *schematype.Address) *schematype.Address {
	if a == nil {
		return nil
	}
	return &schematype.Address{
		Line:       c.RequiredText(field+".line", a.Line, MaxAddressLine),
		City:       c.RequiredText(field+".city", a.City, MaxShort),
		State:      c.Text(field+".state", a.State, MaxShort),
		PostalCode: c.postalCode(field+".postalCode", a.PostalCode),
		Country:    c.Country(field+".country", a.Country),
	}
}

func (c *Checker) postalCode(field, s string) string {
	p := strings.TrimSpace(s)
	switch {
	case p == "":
	case len(p) > MaxPostalCode:
		c.Add(field, "must be at most %d characters", MaxPostalCode)
	case !isPostalCode(p):
		c.Add(field, "must contain only letters, digits, spaces and hyphens")
	}
	return p
}

func isPostalCode(p string) bool {
	if p[0] == '-' {
		return false
	}
	for i := 0; i < len(p); i++ {
		b := p[i]
		ok := isLower(b) || isDigit(b) || (b >= 'A' && b <= 'Z') || b == ' ' || b == '-'
		if !ok {
			return false
		}
	}
	return true
}
