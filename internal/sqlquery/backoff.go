package sqlquery

import (
	"fmt"
	"time"
)

// maxBackoff caps the wait before trying an unreachable target again.
const maxBackoff = 5 * time.Minute

// backoff spaces out the attempts on a target whose connections fail: the first retry
// is one collection later, then 2, 4, ... collections, at most maxBackoff. Without it a
// down fleet would be hammered with logins (and IAM tokens) every cycle.
type backoff struct {
	failures int
	retryAt  time.Time
	lastErr  error
}

// blocked returns why the target must not be tried at now, or nil. step is the
// collection interval; half of it absorbs ticker jitter.
func (b *backoff) blocked(now time.Time, step time.Duration) error {
	if b.failures == 0 || !now.Before(b.retryAt.Add(-step/2)) {
		return nil
	}
	return fmt.Errorf("unreachable (%d failed attempts), next attempt at %s: %w", b.failures, b.retryAt.UTC().Format(time.RFC3339), b.lastErr)
}

// failed records a failed attempt at now and returns the wait before the next one.
func (b *backoff) failed(now time.Time, step time.Duration, err error) time.Duration {
	b.failures++
	wait := max(step, time.Second)
	for i := 1; i < b.failures && wait < maxBackoff; i++ {
		wait *= 2
	}
	wait = min(wait, maxBackoff)
	b.retryAt, b.lastErr = now.Add(wait), err
	return wait
}

func (b *backoff) succeeded() { *b = backoff{} }
