package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"

	"entgo.io/ent/privacy"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/tenantd/tenantd/ent"
	"github.com/tenantd/tenantd/internal/apperr"
	"github.com/tenantd/tenantd/internal/db"
	"github.com/tenantd/tenantd/internal/obs"
)

// presenter is the one place that turns errors into public GraphQL errors with
// extensions.code, and the one place that logs the cause of an internal error.
type presenter struct {
	logger *slog.Logger
}

// present maps err to its public form.
func (p presenter) present(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if gqlErr.Extensions == nil {
		gqlErr.Extensions = map[string]any{}
	}
	if code, _ := gqlErr.Extensions["code"].(string); callerMistake(code) {
		// gqlgen refused the document or its variables: the caller's mistake.
		gqlErr.Extensions["code"] = string(apperr.CodeValidationFailed)
		if _, named := gqlErr.Extensions["field"]; !named {
			if field := joinPath(gqlErr.Path); field != "" {
				gqlErr.Extensions["field"] = field
			}
		}
		return gqlErr
	}
	argField := argumentField(ctx, gqlErr)
	if e, ok := apperr.As(publicError(err)); ok {
		gqlErr.Message = e.Message
		gqlErr.Extensions["code"] = string(e.Code)
		field := e.Field
		if field == "" {
			field = argField
		}
		if field != "" {
			gqlErr.Message = field + ": " + e.Message
			gqlErr.Extensions["field"] = field
		}
		for k, v := range e.Extra {
			gqlErr.Extensions[k] = v
		}
		var many apperr.ValidationErrors
		if errors.As(err, &many) {
			// Every problem of the input, so that a form can mark all its fields at once.
			all := make([]map[string]any, 0, len(many))
			for _, v := range many {
				all = append(all, map[string]any{"field": v.Field, "message": v.Message})
			}
			gqlErr.Extensions["errors"] = all
		}
		return gqlErr
	}
	var decode *gqlerror.Error
	if !graphql.HasOperationContext(ctx) && errors.As(err, &decode) {
		// The request itself could not be read (malformed JSON, wrong shapes): no operation
		// ran. gqlgen quotes the whole body in the message; keep only the reason.
		msg, _, _ := strings.Cut(gqlErr.Message, " body:")
		gqlErr.Message = msg
		gqlErr.Extensions["code"] = string(apperr.CodeValidationFailed)
		return gqlErr
	}
	if argField != "" {
		// An argument that could not be converted (a malformed ID, time or cursor).
		gqlErr.Extensions["code"] = string(apperr.CodeValidationFailed)
		gqlErr.Extensions["field"] = argField
		return gqlErr
	}
	requestID := obs.RequestID(ctx)
	p.logger.ErrorContext(ctx, "graphql operation failed",
		slog.String("path", gqlErr.Path.String()), slog.Any("err", err))
	return &gqlerror.Error{
		Message:   "internal error; quote request id " + requestID + " when reporting it",
		Path:      gqlErr.Path,
		Locations: gqlErr.Locations,
		Extensions: map[string]any{
			"code":      string(apperr.CodeInternal),
			"requestId": requestID,
		},
	}
}

// callerMistake reports whether a code set by gqlgen itself means the document was refused:
// unparsable, invalid against the schema, or over the complexity limit. Other gqlgen codes
// (PERSISTED_QUERY_NOT_FOUND) are part of their protocols and pass through unchanged.
func callerMistake(code string) bool {
	return strings.HasPrefix(code, "GRAPHQL_") || code == "COMPLEXITY_LIMIT_EXCEEDED"
}

// argumentField returns the argument path ("input.key") of an error raised while gqlgen
// converted a field's arguments: such errors carry a path longer than the field's own.
func argumentField(ctx context.Context, e *gqlerror.Error) string {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return ""
	}
	base := fc.Path()
	if len(e.Path) <= len(base) {
		return ""
	}
	return joinPath(e.Path[len(base):])
}

// joinPath writes a path as dotted names with list indexes ("input.domains[2]").
func joinPath(path ast.Path) string {
	parts := make([]string, 0, len(path))
	for _, el := range path {
		switch v := el.(type) {
		case ast.PathName:
			parts = append(parts, string(v))
		case ast.PathIndex:
			if len(parts) > 0 {
				parts[len(parts)-1] += fmt.Sprintf("[%d]", int(v))
			}
		}
	}
	return strings.Join(parts, ".")
}

// publicError finds the public meaning of errors from ent and the database.
func publicError(err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	var ve *ent.ValidationError
	switch {
	case errors.Is(err, privacy.Deny):
		return apperr.Forbidden("not allowed")
	case ent.IsNotFound(err):
		return apperr.NotFound("object")
	case errors.As(err, &ve):
		// A bound of the schema that no domain check caught first; name the input field.
		return apperr.Validation("input."+camel(ve.Name), "value is out of range")
	case ent.IsConstraintError(err):
		return db.PublicError(err, "input")
	}
	// A value the database cannot store (a NUL character in a filter, say).
	return db.PublicError(err, "input")
}

// camel turns an ent field name (first_name) into its GraphQL name (firstName).
func camel(snake string) string {
	parts := strings.Split(snake, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// recoverFunc turns a panic in a resolver into an internal error; the presenter logs it once.
func recoverFunc(ctx context.Context, v any) error {
	return fmt.Errorf("panic in resolver: %v\n%s", v, debug.Stack())
}
