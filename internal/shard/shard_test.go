package shard

import (
	"fmt"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		s    Shard
		want string
	}{
		{Shard{Count: 1, Index: 0}, ""},
		{Shard{Count: 3, Index: 2}, ""},
		{Shard{Count: 0, Index: 0}, "count: 0 must be at least 1"},
		{Shard{Count: 3, Index: 3}, "index: 3 must be between 0 and count-1 (2)"},
		{Shard{Count: 3, Index: -1}, "index: -1 must be between 0 and count-1 (2)"},
	} {
		err := tc.s.Check()
		if got := fmt.Sprint(err); (tc.want == "" && err != nil) || (tc.want != "" && got != tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.s, err, tc.want)
		}
	}
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("db-%026X", i*7919)
	}
	return out
}

// Every key has exactly one owner, and the shares are even (within 15% of the mean at 1,000 keys).
func TestEveryKeyHasOneOwnerAndSharesAreEven(t *testing.T) {
	const n = 1000
	for _, count := range []int{1, 2, 3, 4, 7} {
		sizes := make([]int, count)
		for _, k := range keys(n) {
			owners := 0
			for i := range count {
				if (Shard{Count: count, Index: i}).Owns(k) {
					owners++
					sizes[i]++
				}
			}
			if owners != 1 {
				t.Fatalf("count %d: key %s has %d owners", count, k, owners)
			}
		}
		mean := float64(n) / float64(count)
		for i, s := range sizes {
			if d := float64(s)/mean - 1; d > 0.15 || d < -0.15 {
				t.Errorf("count %d: shard %d owns %d keys, mean %.0f", count, i, s, mean)
			}
		}
		t.Logf("count %d: shares %v", count, sizes)
	}
}

// Going from N to N+1 shards moves about 1/(N+1) of the keys, and only to the new shard.
func TestGrowingMovesFewestKeys(t *testing.T) {
	const n = 1000
	for _, from := range []int{1, 2, 3, 4} {
		moved := 0
		for _, k := range keys(n) {
			before, after := Owner(k, from), Owner(k, from+1)
			if before != after {
				moved++
				if after != from {
					t.Fatalf("%d->%d shards: key %s moved from %d to %d, not to the new shard", from, from+1, k, before, after)
				}
			}
		}
		ideal := float64(n) / float64(from+1)
		if d := float64(moved)/ideal - 1; d > 0.15 || d < -0.15 {
			t.Errorf("%d->%d shards: %d of %d keys moved, ideal %.0f", from, from+1, moved, n, ideal)
		}
		t.Logf("%d->%d shards: %d of %d keys moved (ideal %.0f)", from, from+1, moved, n, ideal)
	}
}

// The owner is a pure function of the key: a fixed table guards against a change of hash,
// which would move every resource of every deployed fleet at upgrade time.
func TestOwnersAreStable(t *testing.T) {
	got := make([]int, 0, 8)
	for _, k := range keys(8) {
		got = append(got, Owner(k, 3))
	}
	want := []int{1, 0, 0, 2, 2, 0, 2, 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("owners of the first 8 keys at 3 shards: got %v, want %v", got, want)
	}
}
