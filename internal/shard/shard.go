// Package shard splits a fleet among several collectors. Each resource belongs to the
// shard with the highest score for its key (rendezvous, or highest-random-weight, hashing):
// every collector computes the same owner with no coordination, and going from N to N+1
// shards moves only the resources whose new highest score is the new shard's, about
// 1/(N+1) of them, all to the new shard.
package shard

import "fmt"

// Shard is one collector's share of the fleet: Index of Count (0 <= Index < Count).
type Shard struct {
	Count int `mapstructure:"count"`
	Index int `mapstructure:"index"`
}

// Check names the offending field and value. It is deliberately not Validate: the
// collector would report its error again under the nested path; the receiver's
// Config.Validate reports it once, as sharding.<field>.
func (s Shard) Check() error {
	switch {
	case s.Count < 1:
		return fmt.Errorf("count: %d must be at least 1", s.Count)
	case s.Index < 0 || s.Index >= s.Count:
		return fmt.Errorf("index: %d must be between 0 and count-1 (%d)", s.Index, s.Count-1)
	}
	return nil
}

// Owns reports whether the resource with this key belongs to s. One shard owns everything.
func (s Shard) Owns(key string) bool {
	return s.Count <= 1 || Owner(key, s.Count) == s.Index
}

// Owner is the index of the shard, of count, that owns key.
func Owner(key string, count int) int {
	h := fnv64a(key)
	best, bestScore := 0, uint64(0)
	for k := range count {
		// The shard's index goes through the mixer before joining the key's hash, so that
		// scores of neighbouring indexes are unrelated.
		if score := mix(h ^ mix(uint64(k)+1)); k == 0 || score > bestScore {
			best, bestScore = k, score
		}
	}
	return best
}

// fnv64a is FNV-1a: stable across processes, releases and architectures, unlike
// hash/maphash, whose seed is per process.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// mix is splitmix64's finalizer: FNV alone leaves the high bits of similar keys close.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
