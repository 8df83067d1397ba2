// Package actor carries the subject of whoever is acting (an operator, a lead, a system job) in a
// context. It depends on nothing in this module; internal/auth fills it when it sets a viewer.
package actor

import "context"

type key struct{}

// With returns ctx carrying subject as the acting subject.
func With(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, key{}, subject)
}

// From returns the acting subject of ctx, or "" when none was set.
func From(ctx context.Context) string {
	s, _ := ctx.Value(key{}).(string)
	return s
}
