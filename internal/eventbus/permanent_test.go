package eventbus

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsPermanent(t *testing.T) {
	t.Parallel()
	perm := permanent(errors.New("gone"))
	temp := errors.New("timeout")
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", temp, false},
		{"permanent", perm, true},
		{"wrapped permanent", fmt.Errorf("post: %w", perm), true},
		{"joined permanents", errors.Join(perm, fmt.Errorf("x: %w", perm)), true},
		{"permanent next to transient", errors.Join(perm, temp), false},
		{"nested join", fmt.Errorf("bus: %w", errors.Join(fmt.Errorf("a: %w",
			errors.Join(perm, perm)), perm)), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, IsPermanent(tc.err))
		})
	}

	var p *Permanent
	require.ErrorAs(t, errors.Join(perm, temp), &p, "errors.As still finds it")
}
