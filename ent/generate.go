// Package ent is the generated data-access layer of tenantd (do not edit the generated files).
// Only ent/schema, ent/entc.go, ent/generate.go and ent/template are written by hand.
package ent

//go:generate go run entc.go
