package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses.
	stat := "4242 (otel col (x)) S 1 4242 4242 0 -1 4194560 9000 0 0 0 250 75 0 0 20 0 12 0 100 0 0"
	cpu, err := parseStatCPU(stat)
	require.NoError(t, err)
	assert.InDelta(t, 3.25, cpu, 1e-9)
	_, err = parseStatCPU("garbage")
	assert.Error(t, err)
}

func TestParseStatusMemory(t *testing.T) {
	m, err := parseStatusMemory("Name:\totelcol-rds\nVmHWM:\t  393540 kB\nVmRSS:\t  208180 kB\n")
	require.NoError(t, err)
	assert.Equal(t, memory{rss: 208180 << 10, peak: 393540 << 10}, m)
	_, err = parseStatusMemory("Name:\tx\n")
	assert.Error(t, err)
}

func TestParseMemStats(t *testing.T) {
	a, err := parseMemStats("heap profile: 1: 2 [3: 4] @ heap/1048576\n\n# runtime.MemStats\n# Alloc = 10\n# TotalAlloc = 123456\n# Mallocs = 789\n# Frees = 1\n")
	require.NoError(t, err)
	assert.Equal(t, allocStats{mallocs: 789, bytes: 123456}, a)
	_, err = parseMemStats("nothing")
	assert.Error(t, err)
}

func TestPromSum(t *testing.T) {
	text := `# TYPE otelcol_receiver_awsrds_metrics_requested counter
otelcol_receiver_awsrds_metrics_requested{region="us-east-1",label="a b}"} 100
otelcol_receiver_awsrds_metrics_requested{region="eu-west-1"} 5
otelcol_receiver_awsrds_metrics_requested_hourly_projected 7
`
	v, ok := promSum(text, "otelcol_receiver_awsrds_metrics_requested")
	assert.True(t, ok)
	assert.Equal(t, 105.0, v)
	_, ok = promSum(text, "otelcol_receiver_awsrds_metrics_requested_total")
	assert.False(t, ok)
}

func TestLogTime(t *testing.T) {
	at, ok := logTime("2026-11-22T05:03:07.843Z")
	require.True(t, ok)
	assert.Equal(t, time.Date(2026, 11, 22, 5, 3, 7, 843e6, time.UTC), at.UTC())
	at, ok = logTime(1.5e9)
	require.True(t, ok)
	assert.Equal(t, int64(1.5e9), at.Unix())
	_, ok = logTime(nil)
	assert.False(t, ok)
}

func TestFetchFloor(t *testing.T) {
	// 212 calls at 50/s take 4.24 s; 22 waves of 10 take 1.1 s: the rate is the floor.
	assert.Equal(t, 4240*time.Millisecond, fetchFloor(212, 50, 10, 50*time.Millisecond))
	// 5 calls: one wave of 50 ms, but 5 / 50 per s is 100 ms.
	assert.Equal(t, 100*time.Millisecond, fetchFloor(5, 50, 10, 50*time.Millisecond))
	// Concurrency 1 makes waves the floor.
	assert.Equal(t, time.Second, fetchFloor(20, 50, 1, 50*time.Millisecond))
}

func TestNum(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 105949: "105,949", -1234567: "-1,234,567"} {
		assert.Equal(t, want, num(n))
	}
}

func TestRecorderBursts(t *testing.T) {
	bursts := 0
	rec := newRecorder(50*time.Millisecond, func() { bursts++ })
	h := rec.wrap(serviceCloudWatch, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	call := func(path string) {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, path, nil))
	}
	call("/a")
	call("/b")
	call("/_sim/counters") // control calls are neither timed nor bursts
	assert.Equal(t, 1, bursts)
	time.Sleep(60 * time.Millisecond)
	call("/c")
	assert.Equal(t, 2, bursts)
	reqs := rec.between(time.Time{}, time.Now())
	require.Len(t, reqs, 3)
	first, last, n := span(reqs, serviceCloudWatch)
	assert.Equal(t, 3, n)
	assert.True(t, last.After(first))
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
pkg: github.com/otelcol-rds/awsrdsreceiver
cpu: Some CPU
BenchmarkCloudWatchToPdata/points=0-2   5   28817238 ns/op   36831200 cpu-ns/op   367206 allocs/op
BenchmarkCloudWatchToPdata/points=0-2   5   30000000 ns/op   40000000 cpu-ns/op   367208 allocs/op
BenchmarkCloudWatchToPdata/points=5-2   5   146576942 ns/op   196360000 cpu-ns/op   529745 datapoints/op   2168340 allocs/op
pkg: github.com/otelcol-rds/awsrdsreceiver/internal/sqlquery
--- SKIP: BenchmarkCollectPostgres
    sql_bench_test.go:95: testdb: postgresql unavailable
PASS
`
	f, err := parseBench(strings.NewReader(out))
	require.NoError(t, err)
	assert.Equal(t, "Some CPU", f.cpu)
	require.Len(t, f.results, 2)
	inv := f.find(pkgRoot, "BenchmarkCloudWatchToPdata/points=0")
	require.NotNil(t, inv)
	assert.Len(t, inv.runs, 2)
	assert.Equal(t, stat{29408619, true}, med(inv, "ns/op"))
	five := f.find(pkgRoot, "BenchmarkCloudWatchToPdata/points=5")
	allocs := netOf(five, inv, "allocs/op")
	assert.InDelta(t, (2168340.0-367207)/529745, allocs.v, 1e-9)
	assert.Equal(t, []string{"BenchmarkCollectPostgres: sql_bench_test.go:95: testdb: postgresql unavailable"},
		trimStatus(f.skipped))

	var b bytes.Buffer
	writeMicroReport(&b, f, "go test", "")
	assert.Contains(t, b.String(), "**missed** by 1.40 allocations")
	assert.Contains(t, b.String(), "benchstat did not run")
}

func trimStatus(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.TrimPrefix(l, "--- SKIP: ")
	}
	return out
}

func TestFleetReportVerdicts(t *testing.T) {
	o := fleetOptions{bin: "/x/otelcol-rds", interval: time.Minute, latency: 50 * time.Millisecond, rps: 50, concurrency: 10, cycles: 2}
	t0 := time.Now()
	cyc := func(i int, describe int64, fetch time.Duration) cycle {
		return cycle{index: i, start: t0, end: t0.Add(fetch + time.Second), describeInstance: describe, calls: 212, requested: 105949,
			returned: 529745, exported: 141891, fetchSpan: fetch, discoveryWall: 500 * time.Millisecond, cpu: 1.1}
	}
	r := &fleetResult{
		instances: 5000, clusters: 592, plan: &planLog{queries: 105949},
		cycles: []cycle{cyc(1, 50, 3300*time.Millisecond), cyc(2, 0, 5200*time.Millisecond)},
		mem:    memory{peak: 375_000_000, rss: 250_000_000}, config: "receivers: {}\n",
	}
	var b bytes.Buffer
	writeFleetReport(&b, o, []*fleetResult{r}, nil)
	out := b.String()
	assert.Contains(t, out, "| GetMetricData calls == ceil(queries/500), every cycle | 5,000 | 212 calls for 105,949 queries, in 2 of 2 cycles | **met** |")
	assert.Contains(t, out, "| DescribeDBInstances == ceil(instances/100), every discovery | 5,000 | 50 calls for 50 (cycles 1) | **met** |")
	// 4,240 ms floor, 5,088 ms limit: the second cycle's 5,200 ms misses it by 112 ms.
	assert.Contains(t, out, "worst cycle 2: 5,200 ms = 1.23 × the floor of 4,240 ms (limit 5,088 ms)")
	assert.Contains(t, out, "**missed** by 112 ms")
	assert.Contains(t, out, "| peak RSS < 150 MB | 5,000 | 375.0 MB (357.6 MiB) | **missed** by 225.0 MB (2.5×) |")
	assert.Contains(t, out, "$45,770") // 105,949 × $0.01/1,000 × 43,200 cycles
}

func TestPromMax(t *testing.T) {
	text := `otelcol_receiver_awsrds_cloudwatch_behind_seconds{region="us-east-1"} 9000.5
otelcol_receiver_awsrds_cloudwatch_behind_seconds{region="eu-west-1"} 42
`
	v, ok := promMax(text, behindGauge...)
	assert.True(t, ok)
	assert.Equal(t, 9000.5, v)
	_, ok = promMax("otelcol_receiver_awsrds_cloudwatch_behind_total 3\n", behindGauge...)
	assert.False(t, ok, "another family")
}

func TestParseFleetFlagsCatchUp(t *testing.T) {
	var stderr bytes.Buffer
	o, err := parseFleetFlags([]string{"-bin", "x"}, &stderr)
	require.NoError(t, err)
	assert.Equal(t, []int{100, 1000, 5000}, o.sizes)
	assert.Equal(t, catchUpOptions{sizes: []int{5000}, outage: 3 * time.Hour, speed: 10, before: 3, timeout: 20 * time.Minute}, o.catchUp)

	o, err = parseFleetFlags([]string{"-bin", "x", "-instances", "", "-catchup-instances", "1000, 5000", "-catchup-speed", "20"}, &stderr)
	require.NoError(t, err)
	assert.Empty(t, o.sizes)
	assert.Equal(t, []int{1000, 5000}, o.catchUp.sizes)
	assert.Equal(t, 20.0, o.catchUp.speed)

	for _, bad := range []struct{ args []string }{
		{[]string{"-instances", "", "-catchup-instances", "", "-prometheus-instances", ""}},
		{[]string{"-catchup-instances", "0"}},
		{[]string{"-catchup-speed", "0.5"}},
		{[]string{"-catchup-cycles-before", "1"}},
	} {
		_, err := parseFleetFlags(append([]string{"-bin", "x"}, bad.args...), &stderr)
		assert.Error(t, err, "%v", bad.args)
	}
}

func TestCollectorConfigStorage(t *testing.T) {
	s := collectorSettings{interval: time.Minute, refreshInterval: time.Hour, pprofPort: 1, telemetryPort: 2}
	plain := collectorConfig(s)
	assert.NotContains(t, plain, "storage")
	assert.Contains(t, plain, "extensions: [pprof]")
	s.storageDir = "/tmp/state"
	with := collectorConfig(s)
	assert.Contains(t, with, "    region: us-east-1\n    storage: file_storage\n")
	assert.Contains(t, with, "  pprof:\n    endpoint: 127.0.0.1:1\n  file_storage:\n    directory: /tmp/state\n")
	assert.Contains(t, with, "extensions: [pprof, file_storage]")
}

func TestCatchUpReport(t *testing.T) {
	o := fleetOptions{bin: "/x/otelcol-rds", interval: time.Minute,
		catchUp: catchUpOptions{sizes: []int{5000}, outage: 3 * time.Hour, speed: 10, before: 3}}
	cy := func(i int, cpu float64, returned int64, exported int, behind float64, peak int64) catchUpCycle {
		return catchUpCycle{index: i, wall: 6 * time.Second, cpu: cpu, exported: exported, calls: 212, requested: 105949,
			returned: returned, behind: behind, mem: memory{rss: peak - 50<<20, peak: peak}}
	}
	r := &catchUpResult{
		instances: 5000, clusters: 592, speed: 10, outage: 3 * time.Hour, config: "receivers: {}\n",
		before: catchUpRun{
			name:   "before the outage",
			cycles: []catchUpCycle{cy(1, 1.7, 617694, 653636, 16, 226<<20), cy(2, 0.6, 105949, 141891, 30, 274<<20), cy(3, 0.8, 105949, 141891, 30, 274<<20)},
			mem:    memory{peak: 274 << 20}, plan: &planLog{queries: 105949},
		},
		after: catchUpRun{
			name: "catching up",
			cycles: []catchUpCycle{cy(1, 2.9, 3178470, 3214412, 9000, 600<<20), cy(2, 1.8, 3178470, 3214412, 7200, 700<<20),
				cy(3, 2.2, 3178470, 3214412, 90, 822<<20)},
			mem:      memory{peak: 822 << 20},
			problems: []string{"warn: `x` y"},
		},
	}
	steadyMean, steadyMax := cpuStats(r.steady())
	assert.InDelta(t, 0.7, steadyMean, 1e-9)
	assert.InDelta(t, 0.8, steadyMax, 1e-9)
	mean, top := cpuStats(r.catchUp())
	assert.InDelta(t, 2.0, mean, 1e-9, "the first cycle (start, discovery) is left out")
	assert.InDelta(t, 2.2, top, 1e-9)
	assert.Equal(t, 3*3214412, exported(r.after.cycles))
	assert.InDelta(t, 30.0, r.after.cycles[0].perQuery(), 1e-9)
	assert.Zero(t, catchUpCycle{}.perQuery())
	assert.Equal(t, 105949, r.queries())
	assert.Len(t, laterCycles(r.before.cycles[:1]), 1, "a lone first cycle stands for itself")

	var b bytes.Buffer
	writeFleetReport(&b, o, nil, []*catchUpResult{r})
	out := b.String()
	assert.Contains(t, out, "### Catch-up after a 3h0m0s outage")
	assert.Contains(t, out, "running **10× faster than real time**")
	assert.Contains(t, out, "ticks every 6s of real time")
	assert.Contains(t, out, "at period 1m, 9m0s for the 105,949 queries of 5,000 instances")
	assert.Contains(t, out, "| 5,000 | 274.0 MiB | 822.0 MiB | 3.00× | 3 | 18s | 0.70 s (0.80 s) | 2.00 s (2.20 s) | 9,643,236 | 30.0 |")
	assert.Contains(t, out, "| 5,000 | catching up | 1 | 6,000 ms | 2.90 | 212 | 105,949 | 3,178,470 | 30.0 | 3,214,412 | 2h30m0s | 550.0 MiB | 600.0 MiB |")
	assert.Contains(t, out, "| 5,000 | before the outage | 2 | 6,000 ms | 0.60 | 212 | 105,949 | 105,949 | 1.0 | 141,891 | 30s |")
	assert.Contains(t, out, "9,643,236 datapoints exported while catching up are 91.0 per query")
	assert.Contains(t, out, "- `warn: 'x' y`")
	assert.Contains(t, out, "Collector configuration (catch-up, 5,000 instances")
	assert.NotContains(t, out, "### Calls and cost per cycle", "no fleet sizes measured")
}
