package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// fleetOptions are the flags of `rdsbench fleet`.
type fleetOptions struct {
	bin          string
	sizes        []int
	cycles       int
	interval     time.Duration
	initialDelay time.Duration
	latency      time.Duration
	rps          float64
	concurrency  int
	seed         int64
	workdir      string
	out          string
	catchUp      catchUpOptions
	prom         promOptions // the Prometheus path (promfleet.go)
}

func parseFleetFlags(args []string, stderr io.Writer) (fleetOptions, error) {
	var o fleetOptions
	fs := flag.NewFlagSet("rdsbench fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", os.Getenv("OTELCOL_RDS_BIN"), "otelcol-rds binary (default $OTELCOL_RDS_BIN)")
	sizes := fs.String("instances", "100,1000,5000", "fleet sizes, comma-separated (\"\" for none)")
	catchUpSizes := fs.String("catchup-instances", "5000", "fleet sizes of the catch-up measurement, comma-separated (\"\" for none)")
	fs.DurationVar(&o.catchUp.outage, "catchup-outage", 3*time.Hour, "how long the collector is down, in the scaled clock's time, before the catch-up")
	fs.Float64Var(&o.catchUp.speed, "catchup-speed", 10, "how many times faster than real time the clock of the catch-up runs")
	fs.IntVar(&o.catchUp.before, "catchup-cycles-before", 3, "cycles before the outage (the first discovers; the others are the steady state)")
	fs.DurationVar(&o.catchUp.timeout, "catchup-timeout", 20*time.Minute, "real time the collector is given to catch up")
	fs.IntVar(&o.cycles, "cycles", 3, "collection cycles measured per fleet size (at least 2)")
	fs.DurationVar(&o.interval, "interval", time.Minute, "collection_interval (60s is the smallest the config allows)")
	fs.DurationVar(&o.initialDelay, "initial-delay", time.Second, "initial_delay before the first scrape")
	fs.DurationVar(&o.latency, "latency", 50*time.Millisecond, "simulated latency of every AWS call")
	fs.Float64Var(&o.rps, "requests-per-second", 50, "cloudwatch.requests_per_second (the receiver's default)")
	fs.IntVar(&o.concurrency, "max-concurrent-requests", 10, "cloudwatch.max_concurrent_requests (the receiver's default)")
	fs.Int64Var(&o.seed, "seed", 1, "seed of the generated fleets")
	fs.StringVar(&o.workdir, "workdir", "", "where configs and collector logs go (default: a temporary directory)")
	fs.StringVar(&o.out, "out", "", "markdown report file (default: standard output)")
	promFlags, promCycles := registerPromFlags(fs)
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err1, err2, err3 error
	o.sizes, err1 = parseSizes("instances", *sizes)
	o.catchUp.sizes, err2 = parseSizes("catchup-instances", *catchUpSizes)
	o.prom, err3 = promFlags.options(*promCycles)
	if err := errors.Join(err1, err2, err3); err != nil {
		return o, err
	}
	switch {
	case len(o.sizes) == 0 && len(o.catchUp.sizes) == 0 && len(o.prom.sizes) == 0:
		return o, errors.New("-instances, -catchup-instances and -prometheus-instances: nothing to measure")
	case o.bin == "":
		return o, errors.New("no collector binary: set -bin or OTELCOL_RDS_BIN (make bench builds it)")
	case o.cycles < 2:
		return o, errors.New("-cycles: at least 2")
	case o.interval < time.Minute:
		return o, errors.New("-interval: the receiver refuses less than 60s")
	case o.catchUp.speed < 1:
		return o, errors.New("-catchup-speed: at least 1")
	case o.catchUp.before < 2:
		return o, errors.New("-catchup-cycles-before: at least 2 (one steady cycle after the first)")
	case o.catchUp.outage <= 0 || o.catchUp.timeout <= 0:
		return o, errors.New("-catchup-outage and -catchup-timeout: positive durations")
	}
	return o, nil
}

// parseSizes reads a comma-separated list of fleet sizes; "" is none.
func parseSizes(flagName, list string) ([]int, error) {
	var sizes []int
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-%s: %q is not a positive number", flagName, s)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

func runFleet(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFleetFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.workdir == "" {
		if o.workdir, err = os.MkdirTemp("", "rdsbench-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.workdir)
	}
	results, err := measureSizes(ctx, o.sizes, o.workdir, "fleet", stderr,
		fmt.Sprintf("%d cycles of %v", o.cycles, o.interval),
		func(n int, dir string) (*fleetResult, error) { return measureFleet(ctx, o, n, dir) })
	if err != nil {
		return err
	}
	catchUps, err := measureSizes(ctx, o.catchUp.sizes, o.workdir, "catchup", stderr,
		fmt.Sprintf("catch-up after %v at %gx", o.catchUp.outage, o.catchUp.speed),
		func(n int, dir string) (*catchUpResult, error) { return measureCatchUp(ctx, o, n, dir, stderr) })
	if err != nil {
		return err
	}
	promResults, err := runPromFleet(ctx, o, stderr)
	if err != nil {
		return err
	}
	w := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if len(results) > 0 || len(catchUps) > 0 {
		writeFleetReport(w, o, results, catchUps)
	}
	writePromReport(w, o, promResults, results)
	return nil
}

// summarized is a measurement's result, as one progress line.
type summarized interface{ summary() string }

// measureSizes runs measure for each fleet size in a directory of its own.
func measureSizes[R summarized](ctx context.Context, sizes []int, workdir, kind string, stderr io.Writer, what string,
	measure func(n int, dir string) (R, error)) ([]R, error) {
	var results []R
	for _, n := range sizes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "rdsbench: %d instances, %s...\n", n, what)
		dir := filepath.Join(workdir, fmt.Sprintf("%s-%d", kind, n))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		r, err := measure(n, dir)
		if err != nil {
			return nil, fmt.Errorf("%d instances: %w (collector logs in %s)", n, err, dir)
		}
		results = append(results, r)
		fmt.Fprintln(stderr, "rdsbench:", r.summary())
	}
	return results, nil
}

// cycle is what one collection cycle cost, seen from the simulator and from /proc.
type cycle struct {
	index            int
	start            time.Time // the cycle's first AWS request
	end              time.Time // the debug exporter's log line: the scrape is done
	describeInstance int64
	describeCluster  int64
	discoveryWall    time.Duration
	calls            int64 // GetMetricData
	requested        int64 // metrics requested (billed)
	returned         int64 // datapoints returned by GetMetricData
	errors           int64 // throttled, failed and client errors
	phantoms         int64
	fetchSpan        time.Duration // first GetMetricData arrival to last answer
	exported         int           // datapoints the collector exported
	cpu              float64       // seconds, from the first request to the export
	allocs           allocStats    // since the previous cycle's end
	allocsOK         bool
}

func (c cycle) scrapeWall() time.Duration { return c.end.Sub(c.start) }

// fleetResult is one fleet size's run.
type fleetResult struct {
	instances, clusters int
	plan                *planLog
	cycles              []cycle
	mem                 memory
	telemetryRequested  float64 // the collector's own count, to cross-check the simulator's
	telemetryOK         bool
	simRequested        int64
	problems            []string
	config              string
}

func (r *fleetResult) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d instances, %d clusters, peak RSS %.0f MiB;", r.instances, r.clusters, mib(r.mem.peak))
	for _, c := range r.cycles {
		fmt.Fprintf(&b, " cycle %d: %d calls, %d metrics, fetch %v, scrape %v, CPU %.2fs;", c.index, c.calls, c.requested,
			c.fetchSpan.Round(time.Millisecond), c.scrapeWall().Round(time.Millisecond), c.cpu)
	}
	return b.String()
}

// bursts keeps the collector's CPU time at the start of each burst of requests.
type bursts struct {
	mu  sync.Mutex
	pid int
	at  []time.Time
	cpu []float64
}

func (b *bursts) record() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pid == 0 {
		return
	}
	now := time.Now()
	cpu, err := cpuSeconds(b.pid)
	if err != nil {
		return
	}
	b.at = append(b.at, now)
	b.cpu = append(b.cpu, cpu)
}

func (b *bursts) setPID(pid int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pid = pid
}

// firstAfter is the first burst that started after t.
func (b *bursts) firstAfter(t time.Time) (time.Time, float64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, at := range b.at {
		if at.After(t) {
			return at, b.cpu[i], true
		}
	}
	return time.Time{}, 0, false
}

// measureFleet runs the simulator and the collector for one fleet size.
func measureFleet(ctx context.Context, o fleetOptions, n int, dir string) (*fleetResult, error) {
	var bs bursts
	aws, err := startFakeAWS(n, o.seed, o.latency, bs.record, nil)
	if err != nil {
		return nil, err
	}
	defer aws.close()
	telemetryPort, err1 := freePort()
	pprofPort, err2 := freePort()
	if err := errors.Join(err1, err2); err != nil {
		return nil, err
	}
	settings := collectorSettings{
		rdsURL: aws.rdsURL, cloudWatchURL: aws.cwURL,
		interval: o.interval, initialDelay: o.initialDelay,
		// Between the second and the third cycle: the first cycle discovers, the second
		// is steady, the third refreshes the fleet (and rebuilds the plan).
		refreshInterval:   o.interval * 3 / 2,
		requestsPerSecond: o.rps, maxConcurrent: o.concurrency,
		telemetryPort: telemetryPort, pprofPort: pprofPort,
	}
	started := time.Now()
	col, err := launch(ctx, o.bin, dir, collectorConfig(settings), settings.telemetryPort, settings.pprofPort, nil, &bs)
	if err != nil {
		return nil, err
	}
	defer col.stop()
	res := &fleetResult{instances: aws.instances, clusters: aws.clusters, config: collectorConfig(settings)}
	prevAllocs, err := collectorAllocs(ctx, col.pprofAddr)
	prevOK := err == nil
	prevCounters := aws.sim.Counters()
	prevEnd := started
	for k := 1; k <= o.cycles; k++ {
		// Bounded: the first scrape comes after initial_delay, the others one interval
		// apart; a 5,000-instance cycle takes seconds.
		ev, err := col.nextExport(ctx, o.initialDelay+o.interval+2*time.Minute)
		if err != nil {
			return nil, fmt.Errorf("cycle %d: %w", k, err)
		}
		cpuEnd, err := cpuSeconds(col.pid)
		if err != nil {
			return nil, err
		}
		allocs, err := collectorAllocs(ctx, col.pprofAddr)
		allocsOK := err == nil && prevOK
		counters := aws.sim.Counters()
		start, cpuStart, ok := bs.firstAfter(prevEnd)
		if !ok || start.After(ev.at) {
			return nil, fmt.Errorf("cycle %d: the collector exported without calling AWS", k)
		}
		c := newCycle(k, start, ev, aws.rec.between(start, ev.at), prevCounters, counters)
		c.cpu = cpuEnd - cpuStart
		c.allocs = allocStats{mallocs: allocs.mallocs - prevAllocs.mallocs, bytes: allocs.bytes - prevAllocs.bytes}
		c.allocsOK = allocsOK
		res.cycles = append(res.cycles, c)
		prevAllocs, prevOK, prevCounters, prevEnd = allocs, err == nil, counters, ev.at
	}
	if res.mem, err = memoryOf(col.pid); err != nil {
		return nil, err
	}
	// What the collector keeps between cycles, for `go tool pprof` (not in the report).
	_ = saveHeap(ctx, col, filepath.Join(dir, "heap.pb.gz"))
	if text, err := httpGet(ctx, "http://"+col.telemetryAddr+"/metrics"); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "telemetry.txt"), []byte(text), 0o644) // for whoever reads the logs
		// Counters lose their _total suffix in some collector versions; either name will do.
		res.telemetryRequested, res.telemetryOK = promSum(text, "otelcol_receiver_awsrds_metrics_requested_total", "otelcol_receiver_awsrds_metrics_requested")
	}
	res.simRequested = prevCounters.MetricDataQueries
	res.plan = col.lastPlan()
	res.problems = col.loggedProblems()
	return res, nil
}

func newCycle(k int, start time.Time, ev export, reqs []request, before, after simulator.Counters) cycle {
	c := cycle{
		index: k, start: start, end: ev.at, exported: ev.datapoints,
		describeInstance: after.Calls["DescribeDBInstances"] - before.Calls["DescribeDBInstances"],
		describeCluster:  after.Calls["DescribeDBClusters"] - before.Calls["DescribeDBClusters"],
		calls:            after.Calls["GetMetricData"] - before.Calls["GetMetricData"],
		requested:        after.MetricDataQueries - before.MetricDataQueries,
		returned:         after.Datapoints - before.Datapoints,
		errors:           (after.Throttled + after.Failed + after.ClientErrors) - (before.Throttled + before.Failed + before.ClientErrors),
		phantoms:         after.PhantomQueries - before.PhantomQueries,
	}
	if first, last, n := span(reqs, serviceRDS); n > 0 {
		c.discoveryWall = last.Sub(first)
	}
	if first, last, n := span(reqs, serviceCloudWatch); n > 0 {
		c.fetchSpan = last.Sub(first)
	}
	return c
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
