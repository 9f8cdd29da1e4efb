package e2e

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

var planLine = regexp.MustCompile(`"queries_per_cycle": (\d+), "get_metric_data_calls_per_cycle": (\d+)`)

// plannedCycle waits for a collector's plan log and returns its queries and calls per cycle.
func plannedCycle(t *testing.T, c *collector) (queries, calls int) {
	t.Helper()
	var m []string
	waitFor(t, "the collector's plan", 30*time.Second, func() bool {
		m = planLine.FindStringSubmatch(c.out.String())
		return m != nil
	})
	queries, _ = strconv.Atoi(m[1])
	calls, _ = strconv.Atoi(m[2])
	return queries, calls
}

// TestShardsSplitTheFleetExactlyOnce runs three built collectors with `sharding: {count:
// 3}` against one simulated fleet of 1,000 instances, on a clock 20 times faster than real
// time, each with its own file_storage and backend. Together they must deliver every
// series of the fleet from exactly one shard, every point once with the simulator's
// value, at the single collector's GetMetricData floor plus at most 2 calls a cycle; one
// shard is killed between two scrapes and restarted with its state: no gap, no duplicate.
func TestShardsSplitTheFleetExactlyOnce(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")
	const speed, shards = 20, 3
	const instances, seed = 1000, 11
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	clk := clock.Clock{Start: t0, At: time.Now(), Speed: speed}
	clockEnv := clock.EnvVar + "=" + clk.String()
	wall := clk.Real

	simPort := freePort(t)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	start(t, []string{clockEnv}, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort),
		"-instances", strconv.Itoa(instances), "-seed", strconv.Itoa(seed), "-latency", "20ms")
	waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })
	gmdCalls := func() int64 { return simCalls(t, simURL, "GetMetricData") }
	env := append(awsEnv(), clockEnv)

	config := func(dir, backend, extra string) string {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "state"), 0o700))
		path := filepath.Join(dir, "config.yaml")
		require.NoError(t, os.WriteFile(path, []byte(exactlyOnceConfig(filepath.Join(dir, "state"), simURL, backend, extra)), 0o600))
		return path
	}

	// The floor: one collector's plan for the whole fleet, which it logs before its first call.
	discard := httptest.NewServer(&otlpMetrics{count: map[seriesPoint]int{}, values: map[seriesPoint]float64{}})
	defer discard.Close()
	single := startCollector(t, otelcol, env, config(t.TempDir(), discard.URL, ""))
	singleQueries, singleCalls := plannedCycle(t, single)
	single.signal(t, syscall.SIGKILL)
	single.waitExit(t, 10*time.Second)

	sinks := make([]*otlpMetrics, shards)
	configs := make([]string, shards)
	cols := make([]*collector, shards)
	var outputs []*syncBuffer
	defer func() {
		if t.Failed() {
			for i, o := range outputs {
				t.Logf("collector run %d:\n%s", i, o.String())
			}
		}
	}()
	first := clk.Now()
	for i := range shards {
		sinks[i] = &otlpMetrics{count: map[seriesPoint]int{}, values: map[seriesPoint]float64{}}
		backend := httptest.NewServer(sinks[i])
		defer backend.Close()
		configs[i] = config(t.TempDir(), backend.URL, fmt.Sprintf("    sharding: {count: %d, index: %d}\n", shards, i))
		cols[i] = startCollector(t, otelcol, env, configs[i])
		outputs = append(outputs, cols[i].out)
	}
	sumQueries, sumCalls := 0, 0
	for i, c := range cols {
		q, n := plannedCycle(t, c)
		t.Logf("shard %d of %d: %d queries, %d GetMetricData calls a cycle", i, shards, q, n)
		assert.Contains(t, c.out.String(), fmt.Sprintf(`"shard_index": %d, "shard_count": %d`, i, shards), "the plan log names the shard")
		sumQueries += q
		sumCalls += n
	}
	t.Logf("all shards: %d queries, %d calls a cycle; one collector: %d queries, %d calls", sumQueries, sumCalls, singleQueries, singleCalls)
	assert.Equal(t, singleQueries, sumQueries, "the shards together ask for the single collector's series")
	assert.LessOrEqual(t, sumCalls, singleCalls+2, "the shards' calls a cycle against the single collector's floor")
	assert.Equal(t, metricdata.Calls(singleQueries), singleCalls, "the single collector is at the floor")

	// Past the first cycles' catch-up, the simulator sees what the plans say.
	time.Sleep(wall(3 * time.Minute))
	const cycles = 5
	before := gmdCalls()
	time.Sleep(wall(cycles * time.Minute))
	measured := gmdCalls() - before
	t.Logf("the simulator received %d GetMetricData calls in %d cycles' time (%.1f a cycle)", measured, cycles, float64(measured)/cycles)
	assert.LessOrEqual(t, measured, int64(sumCalls*(cycles+1)), "calls in steady state, one cycle's worth of slack per collector at the window's edges")

	// Kill shard 1 between two scrapes (its state is written right after the backend
	// took a scrape's points), keep it down two minutes, restart it on its state.
	delivered := func() int { sinks[1].mu.Lock(); defer sinks[1].mu.Unlock(); return len(sinks[1].count) }
	n := delivered()
	waitFor(t, "shard 1's next delivery", wall(3*time.Minute), func() bool { return delivered() > n })
	time.Sleep(wall(15 * time.Second))
	cols[1].signal(t, syscall.SIGKILL)
	cols[1].waitExit(t, 10*time.Second)
	time.Sleep(wall(2 * time.Minute))
	cols[1] = startCollector(t, otelcol, env, configs[1])
	outputs = append(outputs, cols[1].out)
	time.Sleep(wall(5 * time.Minute))
	for _, c := range cols {
		c.signal(t, syscall.SIGTERM)
	}
	for _, c := range cols {
		c.waitExit(t, 30*time.Second)
	}
	last := clk.Now()

	// No series from two shards; then every point of the union once, with its value.
	owner := map[[2]string]int{}
	all := &otlpMetrics{count: map[seriesPoint]int{}, values: map[seriesPoint]float64{}}
	for i, s := range sinks {
		s.mu.Lock()
		for sp, c := range s.count {
			k := [2]string{sp.id, sp.metric}
			if o, ok := owner[k]; ok && o != i {
				t.Errorf("%s %s arrived from shards %d and %d", sp.id, sp.metric, o, i)
			}
			owner[k] = i
			all.count[sp] += c
			all.values[sp] = s.values[sp]
		}
		s.mu.Unlock()
	}
	truth := simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(instances, seed), CreatedAt: t0.Add(-3 * time.Hour)})
	from := first.Add(30 * time.Second).Truncate(time.Minute).Add(-6 * time.Minute)
	to := last.Add(-truth.PublicationLag() - 2*time.Minute).Truncate(time.Minute)
	d := checkDelivery(t, all.count, all.values, truth, from, to)
	t.Logf("three shards, shard 1 killed once: %s", d)
	assert.Equal(t, singleQueries, d.series, "every series of the fleet arrived")
	assert.Zero(t, d.missing, "points never delivered")
	assert.Zero(t, d.dups, "points delivered twice")
	assert.Zero(t, d.wrong, "points with another value than the simulator's")
}
