package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
)

// maxSafeInt is the largest integer a JSON number keeps exactly in every client (2^53-1).
const maxSafeInt = 1<<53 - 1

// MarshalInt writes an int.
func MarshalInt(v int) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Itoa(v))
	})
}

// UnmarshalInt reads an Int argument strictly: a JSON or literal integer; strings and
// fractions are refused (gqlgen's own Int would parse "100").
func UnmarshalInt(v any) (int, error) {
	n, err := UnmarshalInt64(v)
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		return 0, fmt.Errorf("%d is outside the 32-bit range of Int", n)
	}
	return int(n), nil
}

// MarshalInt64 writes an int64 (amounts of money in minor units).
func MarshalInt64(v int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.FormatInt(v, 10))
	})
}

// UnmarshalInt64 reads an Int argument bound to int64 (money): an integer within ±(2^53-1), the
// range every JSON client represents exactly. Strings and fractions are refused.
func UnmarshalInt64(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return 0, fmt.Errorf("%s is not an integer", x)
		}
		n = i
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		n = int64(x)
	default:
		return 0, fmt.Errorf("must be an integer, not %T", v)
	}
	if n > maxSafeInt || n < -maxSafeInt {
		return 0, fmt.Errorf("%d is outside ±(2^53-1)", n)
	}
	return n, nil
}
