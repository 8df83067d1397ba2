//go:build unix

package graph_test

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// ensureFileLimit raises the process's soft limit of open files to at least n when the hard
// limit allows it, and skips nothing: a test that needs more than the hard limit fails.
func ensureFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	if lim.Cur >= n {
		return
	}
	require.GreaterOrEqual(t, lim.Max, n, "the hard limit of open files is too low")
	lim.Cur = n
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim))
}
