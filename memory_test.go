package awsrdsreceiver

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// TestStateFollowsTheFleetOver100Cycles: over 100 cycles with a fleet that shrinks and
// grows, the per-series state (high-water marks) is exactly that of the current fleet, so
// memory cannot grow with instances that came and went.
func TestStateFollowsTheFleetOver100Cycles(t *testing.T) {
	big, small := simulator.GenerateFleet(300, 11), simulator.GenerateFleet(60, 12)
	h := newHarness(t, big, func(c *Config) { c.Discovery.RefreshInterval = time.Minute })

	var heapAt20 uint64
	for cycle := range 100 {
		if cycle%10 == 5 { // the fleet changes every ten cycles
			if (cycle/10)%2 == 0 {
				h.sim.SetFleet(small)
			} else {
				h.sim.SetFleet(big)
			}
		}
		_, err := h.scrape(t)
		require.NoError(t, err)
		p := h.scraper.regions[0].plan
		require.Equal(t, p.data.Len(), len(p.marks), "cycle %d: one high-water mark per current series, none left over", cycle)
		assert.Equal(t, len(p.resources), len(h.sim.Fleet().Instances)+len(h.sim.Fleet().Clusters), "cycle %d", cycle)
		if cycle == 20 {
			heapAt20 = heapInUse()
		}
		h.clock.Advance(time.Minute)
	}
	// The fleet is the big one at both points (cycles 15-24 and 95-99).
	heapAt100 := heapInUse()
	t.Logf("heap in use after GC: %d KiB at cycle 20, %d KiB at cycle 100", heapAt20>>10, heapAt100>>10)
	assert.Less(t, float64(heapAt100), 1.5*float64(heapAt20), "heap grew across cycles")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
