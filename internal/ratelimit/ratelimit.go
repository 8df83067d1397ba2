// Package ratelimit keeps per-key token buckets for the public operations (createLead,
// verifyLead) and the webhook. Buckets live in this process: with several instances each
// enforces its own limit, so the effective limit is the configured one times the instance count.
package ratelimit

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"
)

// Limiter allows Burst events at once per key and refills at Every. Idle keys are forgotten
// after an hour; at most 100,000 keys are tracked (the least recently used go first).
type Limiter struct {
	every time.Duration
	burst int
	mu    sync.Mutex // makes get-or-add of a key's bucket atomic
	keys  *expirable.LRU[string, *rate.Limiter]
}

// New returns a Limiter allowing burst events per key, one more every interval. A zero burst
// turns limiting off.
func New(burst int, every time.Duration) *Limiter {
	return &Limiter{
		every: every,
		burst: burst,
		keys:  expirable.NewLRU[string, *rate.Limiter](100_000, nil, time.Hour),
	}
}

// Allow reports whether one more event for key is allowed now, and counts it when it is.
func (l *Limiter) Allow(key string) bool {
	if l == nil || l.burst <= 0 {
		return true
	}
	l.mu.Lock()
	lim, ok := l.keys.Get(key)
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.keys.Add(key, lim)
	}
	l.mu.Unlock()
	return lim.Allow()
}
