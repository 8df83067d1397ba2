package validate

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/schematype"
)

// fieldsOf returns the Field of every problem in err, in order, and checks that each one is
// a VALIDATION_FAILED error.
func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var many apperr.ValidationErrors
	if errors.As(err, &many) {
		require.Greater(t, len(many), 1, "Err returns a single error as *apperr.Error")
	} else {
		var one *apperr.Error
		require.ErrorAs(t, err, &one)
		many = apperr.ValidationErrors{one}
	}
	fields := make([]string, 0, len(many))
	for _, e := range many {
		require.Equal(t, apperr.CodeValidationFailed, e.Code, e.Error())
		require.NotEmpty(t, e.Message)
		fields = append(fields, e.Field)
	}
	return fields
}

type pair struct{ AsTyped, Normalized string }

func TestChecker(t *testing.T) {
	t.Parallel()

	const f = "input.x"
	long := func(n int) string { return strings.Repeat("ä", n) }
	label := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name   string
		run    func(c *Checker) any
		want   any
		fields []string
	}{
		// Required, RequiredText, Text, MaxLen.
		{"required trims", func(c *Checker) any { return c.Required(f, "  Ada\n") }, "Ada", nil},
		{"required blank", func(c *Checker) any { return c.Required(f, " \t ") }, "", []string{f}},
		{"required NUL", func(c *Checker) any { return c.Required(f, "a\x00b") }, "", []string{f}},
		{"required inner newline", func(c *Checker) any { return c.Required(f, "a\nb") }, "",
			[]string{f}},
		{"required bad UTF-8", func(c *Checker) any { return c.Required(f, "a\xffb") }, "",
			[]string{f}},
		{"required bidi override", func(c *Checker) any { return c.Required(f, "a\u202eb") }, "",
			[]string{f}},
		{"required keeps unicode", func(c *Checker) any { return c.Required(f, "Zoë 李") },
			"Zoë 李", nil},
		{"maxlen counts runes", func(c *Checker) any { c.MaxLen(f, long(MaxName), MaxName); return nil },
			nil, nil},
		{"maxlen over", func(c *Checker) any { c.MaxLen(f, long(MaxName+1), MaxName); return nil },
			nil, []string{f}},
		{"required text ok", func(c *Checker) any { return c.RequiredText(f, " Acme ", MaxCompany) },
			"Acme", nil},
		{"required text long", func(c *Checker) any {
			return c.RequiredText(f, long(MaxCompany+1), MaxCompany)
		}, long(MaxCompany + 1), []string{f}},
		{"required text empty", func(c *Checker) any { return c.RequiredText(f, "", MaxName) }, "",
			[]string{f}},
		{"text empty ok", func(c *Checker) any { return c.Text(f, "  ", MaxShort) }, "", nil},
		{"text long", func(c *Checker) any { return c.Text(f, long(MaxShort+1), MaxShort) },
			long(MaxShort + 1), []string{f}},
		{"text control", func(c *Checker) any { return c.Text(f, "a\x07", MaxShort) }, "",
			[]string{f}},

		// NonNegative, OneOf.
		{"non-negative zero", func(c *Checker) any { c.NonNegative(f, 0); return nil }, nil, nil},
		{"non-negative below", func(c *Checker) any { c.NonNegative(f, -1); return nil }, nil,
			[]string{f}},
		{"one of", func(c *Checker) any {
			c.OneOf(f, "MONTHLY", []string{"MONTHLY", "YEARLY"})
			return nil
		}, nil, nil},
		{"one of exact case", func(c *Checker) any {
			c.OneOf(f, "monthly", []string{"MONTHLY", "YEARLY"})
			return nil
		}, nil, []string{f}},

		// TenantKey.
		{"key ok", func(c *Checker) any { return c.TenantKey(f, "acme-2", nil) }, "acme-2", nil},
		{"key lower-cased", func(c *Checker) any { return c.TenantKey(f, " ACME-Corp ", nil) },
			"acme-corp", nil},
		{"key min length", func(c *Checker) any { return c.TenantKey(f, "abc", nil) }, "abc", nil},
		{"key too short", func(c *Checker) any { return c.TenantKey(f, "ab", nil) }, "ab",
			[]string{f}},
		{"key max length", func(c *Checker) any { return c.TenantKey(f, label(30), nil) },
			label(30), nil},
		{"key too long", func(c *Checker) any { return c.TenantKey(f, label(31), nil) }, label(31),
			[]string{f}},
		{"key empty", func(c *Checker) any { return c.TenantKey(f, "", nil) }, "", []string{f}},
		{"key starts with digit", func(c *Checker) any { return c.TenantKey(f, "1acme", nil) },
			"1acme", []string{f}},
		{"key starts with hyphen", func(c *Checker) any { return c.TenantKey(f, "-acme", nil) },
			"-acme", []string{f}},
		{"key trailing hyphen", func(c *Checker) any { return c.TenantKey(f, "acme-", nil) },
			"acme-", []string{f}},
		{"key double hyphen", func(c *Checker) any { return c.TenantKey(f, "ac--me", nil) },
			"ac--me", []string{f}},
		{"key underscore", func(c *Checker) any { return c.TenantKey(f, "ac_me", nil) }, "ac_me",
			[]string{f}},
		{"key non-ASCII", func(c *Checker) any { return c.TenantKey(f, "acmé", nil) }, "acmé",
			[]string{f}},
		{"key reserved upper", func(c *Checker) any { return c.TenantKey(f, "WWW", nil) }, "www",
			[]string{f}},
		{"key reserved mixed", func(c *Checker) any { return c.TenantKey(f, "Admin", nil) },
			"admin", []string{f}},
		{"key reserved custom", func(c *Checker) any {
			return c.TenantKey(f, "acme", []string{"ACME"})
		}, "acme", []string{f}},
		{"key nothing reserved", func(c *Checker) any { return c.TenantKey(f, "www", []string{}) },
			"www", nil},

		// ConfigKey, PlanKey.
		{"config key ok", func(c *Checker) any { return c.ConfigKey(f, "branding.v2_x-y") },
			"branding.v2_x-y", nil},
		{"config key max", func(c *Checker) any { return c.ConfigKey(f, label(MaxConfigKey)) },
			label(MaxConfigKey), nil},
		{"config key long", func(c *Checker) any { return c.ConfigKey(f, label(MaxConfigKey+1)) },
			label(MaxConfigKey + 1), []string{f}},
		{"config key upper", func(c *Checker) any { return c.ConfigKey(f, "Branding") },
			"Branding", []string{f}},
		{"config key digit first", func(c *Checker) any { return c.ConfigKey(f, "0auth") },
			"0auth", []string{f}},
		{"config key space", func(c *Checker) any { return c.ConfigKey(f, "a b") }, "a b",
			[]string{f}},
		{"config key empty", func(c *Checker) any { return c.ConfigKey(f, " ") }, "",
			[]string{f}},
		{"plan key ok", func(c *Checker) any { return c.PlanKey(f, "premium-monthly") },
			"premium-monthly", nil},
		{"plan key underscore first", func(c *Checker) any { return c.PlanKey(f, "_basic") },
			"_basic", []string{f}},
		{"plan key long", func(c *Checker) any { return c.PlanKey(f, label(MaxPlanKey+1)) },
			label(MaxPlanKey + 1), []string{f}},

		// Domain.
		{"domain lower-cased", func(c *Checker) any { return c.Domain(f, " Example.COM ") },
			"example.com", nil},
		{"domain trailing dot", func(c *Checker) any { return c.Domain(f, "example.com.") },
			"example.com", nil},
		{"domain two trailing dots", func(c *Checker) any { return c.Domain(f, "example.com..") },
			"", []string{f}},
		{"domain IDN", func(c *Checker) any { return c.Domain(f, "Bücher.Example") },
			"xn--bcher-kva.example", nil},
		{"domain punycode upper", func(c *Checker) any { return c.Domain(f, "XN--BCHER-KVA.example") },
			"xn--bcher-kva.example", nil},
		{"domain sharp s kept", func(c *Checker) any { return c.Domain(f, "faß.de") },
			"xn--fa-hia.de", nil},
		{"domain full width", func(c *Checker) any { return c.Domain(f, "ＡＢＣ.com") }, "abc.com",
			nil},
		{"domain bad punycode", func(c *Checker) any { return c.Domain(f, "xn--abc.com") }, "",
			[]string{f}},
		{"domain single label", func(c *Checker) any { return c.Domain(f, "localhost") }, "",
			[]string{f}},
		{"domain wildcard", func(c *Checker) any { return c.Domain(f, "*.example.com") }, "",
			[]string{f}},
		{"domain IPv4", func(c *Checker) any { return c.Domain(f, "192.168.0.1") }, "",
			[]string{f}},
		{"domain IPv6", func(c *Checker) any { return c.Domain(f, "[::1]") }, "", []string{f}},
		{"domain numeric TLD", func(c *Checker) any { return c.Domain(f, "example.123") }, "",
			[]string{f}},
		{"domain underscore", func(c *Checker) any { return c.Domain(f, "a_b.com") }, "",
			[]string{f}},
		{"domain leading hyphen", func(c *Checker) any { return c.Domain(f, "-a.com") }, "",
			[]string{f}},
		{"domain trailing hyphen", func(c *Checker) any { return c.Domain(f, "a-.com") }, "",
			[]string{f}},
		{"domain empty label", func(c *Checker) any { return c.Domain(f, "a..com") }, "",
			[]string{f}},
		{"domain space", func(c *Checker) any { return c.Domain(f, "exa mple.com") }, "",
			[]string{f}},
		{"domain empty", func(c *Checker) any { return c.Domain(f, "") }, "", []string{f}},
		{"domain label 63", func(c *Checker) any { return c.Domain(f, label(63)+".com") },
			label(63) + ".com", nil},
		{"domain label 64", func(c *Checker) any { return c.Domain(f, label(64)+".com") }, "",
			[]string{f}},
		{"domain 253", func(c *Checker) any { return c.Domain(f, longHost(253)) }, longHost(253),
			nil},
		{"domain 254", func(c *Checker) any { return c.Domain(f, longHost(254)) }, "",
			[]string{f}},

		// Domains, RequiredDomains.
		{"domains normalised", func(c *Checker) any {
			return c.Domains("input.domains", []string{"Acme.com", "Bücher.example"})
		}, []string{"acme.com", "xn--bcher-kva.example"}, nil},
		{"domains duplicate after normalisation", func(c *Checker) any {
			return c.Domains("input.domains", []string{"EXAMPLE.com", "example.com."})
		}, []string{"example.com"}, []string{"input.domains[1]"}},
		{"domains IDN duplicate", func(c *Checker) any {
			return c.Domains("input.domains", []string{"xn--bcher-kva.example", "BÜCHER.example"})
		}, []string{"xn--bcher-kva.example"}, []string{"input.domains[1]"}},
		{"domains invalid and duplicate", func(c *Checker) any {
			return c.Domains("input.domains", []string{"a.com", "bad", "b.com", "A.COM"})
		}, []string{"a.com", "b.com"}, []string{"input.domains[1]", "input.domains[3]"}},
		{"domains empty ok", func(c *Checker) any { return c.Domains("input.domains", nil) },
			[]string{}, nil},
		{"domains too many", func(c *Checker) any {
			return c.Domains("input.domains", make([]string, MaxDomains+1))
		}, []string(nil), []string{"input.domains"}},
		{"required domains ok", func(c *Checker) any {
			return c.RequiredDomains("input.domains", []string{"acme.com"})
		}, []string{"acme.com"}, nil},
		{"required domains empty", func(c *Checker) any {
			return c.RequiredDomains("input.domains", []string{})
		}, []string(nil), []string{"input.domains"}},

		// Email.
		{"email normalised", func(c *Checker) any {
			a, n := c.Email(f, "  Bob.Smith+x@Example.COM ")
			return pair{a, n}
		}, pair{"Bob.Smith+x@Example.COM", "bob.smith+x@example.com"}, nil},
		{"email IDN", func(c *Checker) any {
			a, n := c.Email(f, "Zoë@Bücher.Example")
			return pair{a, n}
		}, pair{"Zoë@Bücher.Example", "zoë@xn--bcher-kva.example"}, nil},
		{"email display name", func(c *Checker) any { return pair(emailOf(c, "Bob <b@x.com>")) },
			pair{}, []string{f}},
		{"email display name without space", func(c *Checker) any {
			return pair(emailOf(c, "Bob<b@x.com>"))
		}, pair{}, []string{f}},
		{"email angle brackets", func(c *Checker) any { return pair(emailOf(c, "<b@x.com>")) },
			pair{}, []string{f}},
		{"email comment", func(c *Checker) any { return pair(emailOf(c, "b@x.com (Bob)")) },
			pair{}, []string{f}},
		{"email quoted local", func(c *Checker) any { return pair(emailOf(c, `"b"@x.com`)) },
			pair{}, []string{f}},
		{"email inner space", func(c *Checker) any { return pair(emailOf(c, "b ob@x.com")) },
			pair{}, []string{f}},
		{"email no dot in domain", func(c *Checker) any { return pair(emailOf(c, "b@localhost")) },
			pair{}, []string{f}},
		{"email IP domain", func(c *Checker) any { return pair(emailOf(c, "b@[10.0.0.1]")) },
			pair{}, []string{f}},
		{"email no at", func(c *Checker) any { return pair(emailOf(c, "bob.example.com")) },
			pair{}, []string{f}},
		{"email two addresses", func(c *Checker) any { return pair(emailOf(c, "a@x.com,b@x.com")) },
			pair{}, []string{f}},
		{"email double dot", func(c *Checker) any { return pair(emailOf(c, "a..b@x.com")) },
			pair{}, []string{f}},
		{"email empty", func(c *Checker) any { return pair(emailOf(c, " ")) }, pair{}, []string{f}},
		{"email local 64", func(c *Checker) any { return emailOf(c, label(64)+"@x.com").Normalized },
			label(64) + "@x.com", nil},
		{"email local 65", func(c *Checker) any { return pair(emailOf(c, label(65)+"@x.com")) },
			pair{}, []string{f}},
		{"email 254", func(c *Checker) any { return emailOf(c, "a@"+longHost(252)).Normalized },
			"a@" + longHost(252), nil},
		{"email 255", func(c *Checker) any { return pair(emailOf(c, "a@"+longHost(253))) },
			pair{}, []string{f}},
		{"emails differing in case normalise equal", func(c *Checker) any {
			_, a := c.Email(f, "ADA@Example.com")
			_, b := c.Email("input.y", " ada@EXAMPLE.COM")
			return a == b && a == "ada@example.com"
		}, true, nil},

		// EmailInDomains.
		{"email in domain", func(c *Checker) any {
			c.EmailInDomains(f, "a@acme.com", []string{"other.org", "acme.com"})
			return nil
		}, nil, nil},
		{"email in sub-domain mixed case", func(c *Checker) any {
			c.EmailInDomains(f, "a@EU.Acme.com", []string{"ACME.COM."})
			return nil
		}, nil, nil},
		{"email in IDN domain", func(c *Checker) any {
			c.EmailInDomains(f, "a@mail.xn--bcher-kva.example", []string{"Bücher.example"})
			return nil
		}, nil, nil},
		{"email lookalike domain", func(c *Checker) any {
			c.EmailInDomains(f, "a@evilacme.com", []string{"acme.com"})
			return nil
		}, nil, []string{f}},
		{"email domain as prefix", func(c *Checker) any {
			c.EmailInDomains(f, "a@acme.com.evil.io", []string{"acme.com"})
			return nil
		}, nil, []string{f}},
		{"email parent of domain", func(c *Checker) any {
			c.EmailInDomains(f, "a@acme.com", []string{"eu.acme.com"})
			return nil
		}, nil, []string{f}},
		{"email no domains", func(c *Checker) any {
			c.EmailInDomains(f, "a@acme.com", nil)
			return nil
		}, nil, []string{f}},
		{"email already refused", func(c *Checker) any {
			c.EmailInDomains(f, "", []string{"acme.com"})
			return nil
		}, nil, nil},

		// Country, Currency.
		{"country lower", func(c *Checker) any { return c.Country(f, " de ") }, "DE", nil},
		{"country UK", func(c *Checker) any { return c.Country(f, "UK") }, "UK", []string{f}},
		{"country XX", func(c *Checker) any { return c.Country(f, "xx") }, "XX", []string{f}},
		{"country alpha-3", func(c *Checker) any { return c.Country(f, "DEU") }, "DEU",
			[]string{f}},
		{"country empty", func(c *Checker) any { return c.Country(f, "") }, "", []string{f}},
		{"currency lower", func(c *Checker) any { return c.Currency(f, "usd") }, "USD", nil},
		{"currency EUR", func(c *Checker) any { return c.Currency(f, "EUR") }, "EUR", nil},
		{"currency unknown", func(c *Checker) any { return c.Currency(f, "XYZ") }, "XYZ",
			[]string{f}},
		{"currency two letters", func(c *Checker) any { return c.Currency(f, "US") }, "US",
			[]string{f}},

		// Address.
		{"address nil", func(c *Checker) any { return c.Address("input.address", nil) },
			(*schematype.Address)(nil), nil},
		{"address normalised", func(c *Checker) any {
			return c.Address("input.address", &schematype.Address{
				Line: " 1 Main St ", City: "Berlin ", PostalCode: " 10115 ", Country: "de",
			})
		}, &schematype.Address{Line: "1 Main St", City: "Berlin", PostalCode: "10115", Country: "DE"},
			nil},
		{"address UK postcode", func(c *Checker) any {
			return c.Address("a", &schematype.Address{
				Line: "10 Downing St", City: "London", PostalCode: "SW1A 2AA", Country: "gb",
			}).PostalCode
		}, "SW1A 2AA", nil},
		{"address every field wrong", func(c *Checker) any {
			c.Address("input.address", &schematype.Address{
				Line: " ", City: long(MaxShort + 1), State: "a\nb", PostalCode: "12#4",
				Country: "uk",
			})
			return nil
		}, nil, []string{"input.address.line", "input.address.city", "input.address.state",
			"input.address.postalCode", "input.address.country"}},
		{"address line too long", func(c *Checker) any {
			c.Address("a", &schematype.Address{
				Line: long(MaxAddressLine + 1), City: "X", Country: "DE",
			})
			return nil
		}, nil, []string{"a.line"}},
		{"address line at limit", func(c *Checker) any {
			c.Address("a", &schematype.Address{Line: long(MaxAddressLine), City: "X", Country: "DE"})
			return nil
		}, nil, nil},
		{"address postal code too long", func(c *Checker) any {
			c.Address("a", &schematype.Address{
				Line: "x", City: "y", PostalCode: label(MaxPostalCode + 1), Country: "DE",
			})
			return nil
		}, nil, []string{"a.postalCode"}},
		{"address postal code leading hyphen", func(c *Checker) any {
			c.Address("a", &schematype.Address{Line: "x", City: "y", PostalCode: "-1", Country: "DE"})
			return nil
		}, nil, []string{"a.postalCode"}},

		// JSONObjectSize.
		{"json fits", func(c *Checker) any {
			c.JSONObjectSize(f, map[string]any{"a": "xxx"}, len(`{"a":"xxx"}`))
			return nil
		}, nil, nil},
		{"json one byte over", func(c *Checker) any {
			c.JSONObjectSize(f, map[string]any{"a": "xxx"}, len(`{"a":"xxx"}`)-1)
			return nil
		}, nil, []string{f}},
		{"json over config limit", func(c *Checker) any {
			c.JSONObjectSize(f, map[string]any{"a": label(MaxConfigBytes)}, MaxConfigBytes)
			return nil
		}, nil, []string{f}},
		{"json nil", func(c *Checker) any { c.JSONObjectSize(f, nil, MaxConfigBytes); return nil },
			nil, []string{f}},
		{"json not encodable", func(c *Checker) any {
			c.JSONObjectSize(f, map[string]any{"a": math.NaN()}, MaxConfigBytes)
			return nil
		}, nil, []string{f}},

		// Collecting.
		{"every problem collected in order", func(c *Checker) any {
			c.RequiredText("input.firstName", "", MaxName)
			c.TenantKey("input.key", "API", nil)
			c.RequiredDomains("input.domains", []string{"acme.com", "ACME.com."})
			_, n := c.Email("input.contacts[0].email", "bob@evilacme.com")
			c.EmailInDomains("input.contacts[0].email", n, []string{"acme.com"})
			c.Email("input.contacts[1].email", "Bob <bob@acme.com>")
			c.Currency("input.currency", "eur")
			return nil
		}, nil, []string{"input.firstName", "input.key", "input.domains[1]",
			"input.contacts[0].email", "input.contacts[1].email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := New()
			got := tt.run(c)
			require.Equal(t, tt.want, got)
			require.Equal(t, tt.fields, fieldsOf(t, c.Err()))
		})
	}
}

// emailOf runs Checker.Email on field "input.x".
func emailOf(c *Checker, s string) pair {
	a, n := c.Email("input.x", s)
	return pair{a, n}
}

// longHost returns a valid host name of exactly n bytes ending in ".com", made of 63-byte labels
// and a shorter last one; n-4 must not be 64 more than a multiple of 64.
func longHost(n int) string {
	var b strings.Builder
	for b.Len() < n-4 {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.Repeat("a", min(MaxLabel, n-4-b.Len())))
	}
	b.WriteString(".com")
	return b.String()
}

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()

	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "Ada@Example.com", want: "ada@example.com"},
		{in: " ada@EXAMPLE.COM ", want: "ada@example.com"},
		{in: "ÄDA@bücher.DE", want: "äda@xn--bcher-kva.de"},
		{in: "ada@example", wantErr: true},
		{in: "Ada Lovelace <ada@example.com>", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeEmail(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestErrShape(t *testing.T) {
	t.Parallel()

	c := New()
	require.NoError(t, c.Err())

	c.Add("input.a", "is %s", "wrong")
	var one *apperr.Error
	require.ErrorAs(t, c.Err(), &one)
	require.Equal(t, "input.a: is wrong", one.Error())

	c.Add("input.b", "is also wrong")
	var many apperr.ValidationErrors
	require.ErrorAs(t, c.Err(), &many)
	require.Len(t, many, 2)
	require.Equal(t, apperr.CodeValidationFailed, apperr.CodeOf(c.Err()))
}

func TestDefaultReservedKeys(t *testing.T) {
	t.Parallel()

	keys := DefaultReservedKeys()
	for _, k := range []string{"www", "api", "admin", "app", "mail", "status"} {
		require.Contains(t, keys, k)
	}
	for _, k := range keys {
		c := New()
		require.Equal(t, k, c.TenantKey("k", k, []string{}), "reserving %q is pointless", k)
		require.NoError(t, c.Err(), "reserved word %q would be refused anyway", k)

		c = New()
		c.TenantKey("k", strings.ToUpper(k), nil)
		require.Equal(t, []string{"k"}, fieldsOf(t, c.Err()), "%q must be reserved", k)
	}

	keys[0] = "changed"
	require.NotEqual(t, "changed", DefaultReservedKeys()[0], "each call returns a fresh copy")
}

func TestIndex(t *testing.T) {
	t.Parallel()

	require.Equal(t, "input.contacts[12]", Index("input.contacts", 12))
}

func TestLongHostHelper(t *testing.T) {
	t.Parallel()

	for _, n := range []int{252, 253, 254} {
		require.Len(t, longHost(n), n)
	}
}
