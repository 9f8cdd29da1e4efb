// Package slowstats sums slow statements per instance and fingerprint between two reads,
// for the slow query metrics: the logs pipeline adds what it parses, the metrics pipeline
// takes the sums of each interval, bounded to the top K fingerprints by total duration
// per instance, the others summed as "other".
package slowstats

import (
	"cmp"
	"slices"
	"sync"
)

// Other is the fingerprint of the statements outside the top K.
const Other = "other"

// maxHeld bounds the fingerprints held per instance between two reads: beyond it, new
// fingerprints go to Other at once, so that memory stays bounded whatever the logs hold.
const maxHeld = 10_000

// Stat sums the slow statements of one fingerprint.
type Stat struct {
	Fingerprint  string
	Count        int64
	Duration     float64 // seconds
	MaxDuration  float64
	RowsExamined int64
}

func (s *Stat) add(o Stat) {
	s.Count += o.Count
	s.Duration += o.Duration
	s.MaxDuration = max(s.MaxDuration, o.MaxDuration)
	s.RowsExamined += o.RowsExamined
}

// Sums is what the Sums of one instance were over an interval.
type Sums[R any] struct {
	Key      string
	Resource R
	Stats    []Stat // by total duration, descending; Other last
}

// Aggregator sums slow statements per instance (a key with its resource, R) until Take.
type Aggregator[R any] struct {
	mu        sync.Mutex
	instances map[string]*instance[R]
}

type instance[R any] struct {
	resource R
	stats    map[string]*Stat
	other    Stat
}

// New returns an empty Aggregator.
func New[R any]() *Aggregator[R] { return &Aggregator[R]{instances: map[string]*instance[R]{}} }

// Add counts one slow statement of the instance key.
func (a *Aggregator[R]) Add(key string, resource R, fingerprint string, duration float64, rowsExamined int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	in := a.instances[key]
	if in == nil {
		in = &instance[R]{resource: resource, stats: map[string]*Stat{}}
		a.instances[key] = in
	}
	s := Stat{Fingerprint: fingerprint, Count: 1, Duration: duration, MaxDuration: duration, RowsExamined: rowsExamined}
	st := in.stats[fingerprint]
	switch {
	case st != nil:
		st.add(s)
	case len(in.stats) >= maxHeld:
		in.other.add(s)
	default:
		in.stats[fingerprint] = &s
	}
}

// Take returns the sums since the previous Take, per instance sorted by key: the k
// fingerprints with the most total duration (ties by fingerprint), then Other if any
// statement is left; and starts a new interval.
func (a *Aggregator[R]) Take(k int) []Sums[R] {
	a.mu.Lock()
	instances := a.instances
	a.instances = map[string]*instance[R]{}
	a.mu.Unlock()
	out := make([]Sums[R], 0, len(instances))
	for key, in := range instances {
		stats := make([]Stat, 0, len(in.stats))
		for _, s := range in.stats {
			stats = append(stats, *s)
		}
		slices.SortFunc(stats, func(x, y Stat) int {
			if c := cmp.Compare(y.Duration, x.Duration); c != 0 {
				return c
			}
			return cmp.Compare(x.Fingerprint, y.Fingerprint)
		})
		other := in.other
		if len(stats) > k {
			for _, s := range stats[k:] {
				other.add(s)
			}
			stats = stats[:k]
		}
		if other.Count > 0 {
			other.Fingerprint = Other
			stats = append(stats, other)
		}
		out = append(out, Sums[R]{Key: key, Resource: in.resource, Stats: stats})
	}
	slices.SortFunc(out, func(x, y Sums[R]) int { return cmp.Compare(x.Key, y.Key) })
	return out
}
