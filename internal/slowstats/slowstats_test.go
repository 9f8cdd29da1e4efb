package slowstats

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTopKAndOther(t *testing.T) {
	a := New[string]()
	// 10,000 distinct fingerprints of one instance, fingerprint i taking i ms, and three
	// runs of one fingerprint on another instance.
	for i := 1; i <= 10_000; i++ {
		a.Add("db-1", "r1", fmt.Sprintf("F%05d", i), float64(i)/1000, int64(i))
	}
	for range 3 {
		a.Add("db-2", "r2", "X", 2, 10)
	}
	got := a.Take(3)
	require.Len(t, got, 2)
	assert.Equal(t, "db-1", got[0].Key)
	assert.Equal(t, "r1", got[0].Resource)
	require.Len(t, got[0].Stats, 4, "top 3 and other")
	assert.Equal(t, Stat{Fingerprint: "F10000", Count: 1, Duration: 10, MaxDuration: 10, RowsExamined: 10000}, got[0].Stats[0])
	assert.Equal(t, "F09999", got[0].Stats[1].Fingerprint)
	assert.Equal(t, "F09998", got[0].Stats[2].Fingerprint)
	other := got[0].Stats[3]
	assert.Equal(t, Other, other.Fingerprint)
	assert.EqualValues(t, 9997, other.Count)
	assert.InDelta(t, float64(9997*9998/2)/1000, other.Duration, 1e-6)
	assert.InDelta(t, 9.997, other.MaxDuration, 1e-9)
	assert.EqualValues(t, 9997*9998/2, other.RowsExamined)
	assert.Equal(t, []Stat{{Fingerprint: "X", Count: 3, Duration: 6, MaxDuration: 2, RowsExamined: 30}}, got[1].Stats)

	assert.Empty(t, a.Take(3), "each interval starts empty")
}

func TestHeldFingerprintsBounded(t *testing.T) {
	a := New[int]()
	for i := range maxHeld + 5 {
		a.Add("db", 0, fmt.Sprint(i), 1, 0)
	}
	a.mu.Lock()
	held := len(a.instances["db"].stats)
	a.mu.Unlock()
	assert.Equal(t, maxHeld, held)
	got := a.Take(maxHeld + 10)
	require.Len(t, got[0].Stats, maxHeld+1)
	assert.EqualValues(t, 5, got[0].Stats[maxHeld].Count, "the fingerprints past the bound are counted as other")
}
