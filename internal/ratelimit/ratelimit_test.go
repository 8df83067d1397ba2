package ratelimit_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/tenantd/tenantd/internal/ratelimit"
)

func TestLimiterPerKey(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(3, time.Hour)
	for range 3 {
		require.True(t, l.Allow("a"))
	}
	require.False(t, l.Allow("a"), "burst used up")
	require.True(t, l.Allow("b"), "keys are independent")
}

func TestLimiterConcurrentAllowsExactlyBurst(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(10, time.Hour)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if l.Allow("same") {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, int32(10), allowed.Load())
}

func TestLimiterOff(t *testing.T) {
	t.Parallel()
	l := ratelimit.New(0, time.Second)
	for range 1000 {
		require.True(t, l.Allow("x"))
	}
}
