// Package validate owns every input rule of SPEC 3.3: names and free text, tenant, plan and
// config keys, host names, email addresses, countries, currencies, addresses and JSON sizes.
// Every entry point (the GraphQL resolvers, the provisioning webhook) checks its input with a
// Checker before calling domain code, so a rule is written once and applies everywhere.
//
// A Checker collects problems instead of stopping at the first: each is an *apperr.Error with
// code VALIDATION_FAILED whose Field is the path the caller passed in (for example
// "input.contacts[0].email"), and Err returns them all at once. The methods also return the
// normalised value (trimmed, lower-cased key, punycode domain, upper-case country, ...) that
// the caller should store.
//
// Uniqueness against stored data (tenant key ever used, normalised lead email) is not checked
// here: the database enforces it and the domain code maps the violation to CONFLICT.
package validate
