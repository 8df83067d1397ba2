package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	ms := time.Millisecond
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"no samples", nil, 50, 0},
		{"one sample", []time.Duration{7 * ms}, 99, 7 * ms},
		{"median of odd count", []time.Duration{1 * ms, 2 * ms, 3 * ms}, 50, 2 * ms},
		{"median of even count is the lower middle", []time.Duration{1 * ms, 2 * ms, 3 * ms,
			4 * ms}, 50, 2 * ms},
		{"p50 of 1..100", hundred, 50, 50 * ms},
		{"p99 of 1..100", hundred, 99, 99 * ms},
		{"p99.9 of 1..100 is the maximum", hundred, 99.9, 100 * ms},
		{"p100 is the maximum", hundred, 100, 100 * ms},
		{"tiny p is the minimum", hundred, 0.001, 1 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, percentile(tc.sorted, tc.p))
		})
	}
}
