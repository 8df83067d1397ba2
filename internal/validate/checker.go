package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tenantd/tenantd/internal/apperr"
)

// Length limits of free-text fields, counted in characters (runes), not bytes (SPEC 3.3).
const (
	// MaxName bounds a person's first or last name.
	MaxName = 100
	// MaxCompany bounds a company or tenant name.
	MaxCompany = 200
	// MaxAddressLine bounds the street line of an address.
	MaxAddressLine = 500
	// MaxShort bounds other short text: city, state, source, plan name, tier.
	MaxShort = 100
)

// Checker collects the validation problems of one input. Create one per input with New, call
// its methods field by field, then return Err. A Checker is not safe for concurrent use; the
// package-level functions are.
type Checker struct {
	errs apperr.ValidationErrors
}

// New returns an empty Checker.
func New() *Checker {
	return &Checker{}
}

// Add records a VALIDATION_FAILED problem for the field path with a message safe to show to
// the caller.
func (c *Checker) Add(field, format string, args ...any) {
	c.errs = append(c.errs, apperr.Validation(field, format, args...))
}

// Err returns nil when nothing was wrong, the single *apperr.Error when one problem was found,
// and an apperr.ValidationErrors listing every problem in the order found otherwise.
func (c *Checker) Err() error {
	return slices.Clone(c.errs).Err()
}

// Index returns the path of the i-th element of the list at field, e.g. "input.domains[2]".
func Index(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// Required trims value (Unicode white space at both ends) and returns it; an empty or blank
// value, invalid UTF-8 or a control character inside the value is a problem. It does not
// bound the length: see RequiredText and MaxLen.
func (c *Checker) Required(field, value string) string {
	v, _ := c.text(field, value, 0, true)
	return v
}

// MaxLen records a problem when value is longer than maxLen characters (runes).
func (c *Checker) MaxLen(field, value string, maxLen int) {
	if n := utf8.RuneCountInString(value); n > maxLen {
		c.Add(field, "must be at most %d characters, got %d", maxLen, n)
	}
}

// RequiredText is Required followed by MaxLen: the trimmed value, which must not be blank and
// must be at most maxLen characters.
func (c *Checker) RequiredText(field, value string, maxLen int) string {
	v, _ := c.text(field, value, maxLen, true)
	return v
}

// Text checks an optional free-text value: trimmed, at most maxLen characters, valid UTF-8 and
// without control characters. An empty value is fine and returned as "".
func (c *Checker) Text(field, value string, maxLen int) string {
	v, _ := c.text(field, value, maxLen, false)
	return v
}

// text is the shared free-text rule; maxLen 0 means no length bound. It records at most one
// problem per field and reports whether the value passed.
func (c *Checker) text(field, value string, maxLen int, required bool) (string, bool) {
	v := strings.TrimSpace(value)
	if reason := textProblem(v); reason != "" {
		c.Add(field, "%s", reason)
		return "", false
	}
	if v == "" {
		if required {
			c.Add(field, "is required")
		}
		return "", !required
	}
	if n := utf8.RuneCountInString(v); maxLen > 0 && n > maxLen {
		c.Add(field, "must be at most %d characters, got %d", maxLen, n)
		return v, false
	}
	return v, true
}

// textProblem says what is wrong with free text, or "" when nothing is. Refused are invalid
// UTF-8, control characters (tabs and line breaks included: every text field is one line),
// line and paragraph separators, and the bidirectional embedding, override and isolate marks
// that can make displayed text differ from stored text.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return "must not contain control characters or line breaks"
		case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
			return "must not contain bidirectional control characters"
		}
	}
	return ""
}

// NonNegative records a problem when v is below zero (amounts in minor units, counts).
func (c *Checker) NonNegative(field string, v int64) {
	if v < 0 {
		c.Add(field, "must not be negative, got %d", v)
	}
}

// OneOf records a problem unless v is exactly one of allowed (case-sensitive).
func (c *Checker) OneOf(field, v string, allowed []string) {
	if !slices.Contains(allowed, v) {
		c.Add(field, "must be one of %s", quoteList(allowed))
	}
}

func quoteList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}
