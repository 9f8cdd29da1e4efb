package awsrdsreceiver

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
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
		require.Equal(t, p.Len(), len(p.marks), "cycle %d: one high-water mark per current series, none left over", cycle)
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

// TestMarksFollowTheirSeriesAcrossRebuilds: a rebuilt plan keeps the high-water mark of
// every series that still exists, whatever moved around it, and starts new series afresh.
func TestMarksFollowTheirSeriesAcrossRebuilds(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	sel, err := newSelection(cfg.Metrics, cfg.CloudWatch)
	require.NoError(t, err)
	newRB := func() *metadata.ResourceBuilder { return metadata.NewResourceBuilder(cfg.ResourceAttributes) }
	pl := &queryPlanner{resourceBuilder: resourceBuilder{region: "us-east-1", newRB: newRB}, sel: sel}
	db := func(id, class string, pi bool) discovery.Instance {
		return discovery.Instance{Identifier: id, Engine: "postgres", Class: class, StorageType: "gp3", PerformanceInsights: pi}
	}
	aurora := discovery.Cluster{Identifier: "cl-1", Engine: "aurora-postgresql"}
	before := discovery.Fleet{Instances: []discovery.Instance{db("db-b", "db.t3.micro", false), db("db-c", "db.r6g.large", true), db("db-d", "db.r6g.large", false)}, Clusters: []discovery.Cluster{aurora}}

	tests := []struct {
		name  string
		after discovery.Fleet
	}{
		{"same fleet", before},
		{"an instance vanishes", discovery.Fleet{Instances: []discovery.Instance{before.Instances[0], before.Instances[2]}, Clusters: before.Clusters}},
		{"an instance appears before the others", discovery.Fleet{Instances: append([]discovery.Instance{db("db-a", "db.r6g.large", true)}, before.Instances...), Clusters: before.Clusters}},
		{"metrics stop and start applying", discovery.Fleet{Instances: []discovery.Instance{db("db-b", "db.r6g.large", true), db("db-c", "db.t3.micro", false), before.Instances[2]}, Clusters: before.Clusters}},
		{"the cluster vanishes", discovery.Fleet{Instances: before.Instances}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old := pl.plan(before, nil, nil)
			marked := map[metricdata.Query]int64{}
			for i := range old.marks { // a distinct high-water mark per series
				ts := time.Unix(int64(1000+i), 0)
				require.True(t, old.marks[i].Admit(ts))
				marked[old.Query(i)] = ts.Unix()
			}
			p := pl.plan(tt.after, old, nil)
			require.Len(t, p.marks, p.Len())
			for i := range p.marks {
				q := p.Query(i)
				newest, existed := marked[q]
				// A mark admits exactly what is newer than it: probe it at and after newest.
				m := p.marks[i]
				if existed {
					assert.False(t, m.Admit(time.Unix(newest, 0)), "%+v: mark not carried over", q)
					assert.True(t, m.Admit(time.Unix(newest+1, 0)), "%+v: mark of another series", q)
				} else {
					assert.False(t, m.Set(), "%+v: a new series starts with no mark", q)
				}
			}
		})
	}
}
