package discovery

import (
	"context"
	"sync"
	"time"
)

// Source keeps the last discovered fleet and refreshes it on its own interval, not on
// every scrape: discovery calls cost API quota that metric collection needs. It is safe
// for concurrent use: a receiver's metrics and logs pipelines share one.
type Source struct {
	api      API
	filter   *Filter
	interval time.Duration

	mu       sync.Mutex // held across a refresh, so concurrent callers make one
	fleet    Fleet
	known    bool
	optional optionalParts
}

// NewSource returns a Source that refreshes at most once per interval.
func NewSource(api API, f *Filter, interval time.Duration) *Source {
	return &Source{api: api, filter: f, interval: interval}
}

// Fleet returns the current fleet, refreshing it first when the interval has passed.
// refreshed tells whether a refresh succeeded in this call. When a refresh fails the
// last known fleet is returned with the error, so collection goes on; err is only
// fatal to the caller when known is false (no fleet was ever discovered).
func (s *Source) Fleet(ctx context.Context, now time.Time) (fleet Fleet, refreshed, known bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// A failed refresh is retried on the next scrape rather than after a whole interval.
	if s.known && now.Sub(s.fleet.Refreshed) < s.interval {
		return s.fleet, false, true, nil
	}
	f, err := describe(ctx, s.api, s.filter, now, &s.optional)
	if err != nil {
		return s.fleet, false, s.known, err
	}
	s.fleet, s.known = f, true
	return f, true, true, nil
}
