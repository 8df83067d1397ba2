// Package apperr defines the typed errors that domain code returns and the public codes they map
// to. The GraphQL error presenter and the webhook handler are the only places that turn these
// into answers; every other package returns them wrapped with %w.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a public error code carried in a GraphQL error's extensions.code.
type Code string

// The public error codes of the API (SPEC section 10).
const (
	CodeUnauthenticated   Code = "UNAUTHENTICATED"
	CodeForbidden         Code = "FORBIDDEN"
	CodeNotFound          Code = "NOT_FOUND"
	CodeValidationFailed  Code = "VALIDATION_FAILED"
	CodeConflict          Code = "CONFLICT"
	CodeInvalidTransition Code = "INVALID_TRANSITION"
	CodeRateLimited       Code = "RATE_LIMITED"
	CodeInternal          Code = "INTERNAL"
)

// Error is an error with a public code and a message safe to show to the caller. Field names the
// input field path for VALIDATION_FAILED and CONFLICT (for example "input.key"); Extra holds
// further public extensions (for example from and to of an invalid transition).
type Error struct {
	Code    Code
	Message string
	Field   string
	Extra   map[string]any
	// Cause is kept for logs and errors.Is; it is never shown to the caller.
	Cause error
}

// Error returns the public message, with the field when there is one.
func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Validation returns a VALIDATION_FAILED error for the field path.
func Validation(field, format string, args ...any) *Error {
	return &Error{Code: CodeValidationFailed, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflict returns a CONFLICT error for the field path.
func Conflict(field, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a NOT_FOUND error naming what was looked for.
func NotFound(what string) *Error {
	return &Error{Code: CodeNotFound, Message: what + " not found"}
}

// Unauthenticated returns an UNAUTHENTICATED error with the message.
func Unauthenticated(msg string) *Error {
	return &Error{Code: CodeUnauthenticated, Message: msg}
}

// Forbidden returns a FORBIDDEN error with the message.
func Forbidden(msg string) *Error {
	return &Error{Code: CodeForbidden, Message: msg}
}

// RateLimited returns a RATE_LIMITED error with the message.
func RateLimited(msg string) *Error {
	return &Error{Code: CodeRateLimited, Message: msg}
}

// ValidationErrors collects several validation problems of one input; it is returned when more
// than one field is wrong so that a caller can fix them all at once.
type ValidationErrors []*Error

// Error lists every problem.
func (v ValidationErrors) Error() string {
	msg := ""
	for i, e := range v {
		if i > 0 {
			msg += "; "
		}
		msg += e.Error()
	}
	return msg
}

// Err returns nil when v is empty, the single error when there is one, and v otherwise.
func (v ValidationErrors) Err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return v[0]
	default:
		return v
	}
}

// As reports the first *Error in err's chain, also looking into ValidationErrors.
func As(err error) (*Error, bool) {
	var many ValidationErrors
	if errors.As(err, &many) && len(many) > 0 {
		return many[0], true
	}
	var one *Error
	if errors.As(err, &one) {
		return one, true
	}
	return nil, false
}

// CodeOf returns the public code of err, or CodeInternal when it carries none.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return CodeInternal
}
