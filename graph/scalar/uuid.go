// Package scalar holds the GraphQL scalar marshallers that gqlgen.yml binds: the ID scalar is a
// UUID. It is imported by the generated executable schema only.
package scalar

import (
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
)

// MarshalUUID writes id in its canonical lower-case hyphenated form.
func MarshalUUID(id uuid.UUID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(id.String()))
	})
}

// UnmarshalUUID reads an ID argument; anything but a UUID string is an error that the error
// presenter reports as VALIDATION_FAILED on the argument's path.
func UnmarshalUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, fmt.Errorf("must be a UUID string")
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("%q is not a valid ID", s)
	}
	return id, nil
}
