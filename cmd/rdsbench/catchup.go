package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// catchUpOptions are the flags of the catch-up measurement of `rdsbench fleet`.
type catchUpOptions struct {
	sizes   []int
	outage  time.Duration // clock time the collector is down
	speed   float64       // of the shared scaled clock
	before  int           // cycles before the outage
	timeout time.Duration // real time allowed to catch up
}

// caughtUpBehind: the receiver has caught up once its behind gauge is under this.
const caughtUpBehind = 3 * time.Minute

// catchUpRefresh is discovery's refresh_interval in the catch-up runs: longer than they
// last in clock time, so that only the first cycle of each process discovers.
const catchUpRefresh = 24 * time.Hour

// behindGauge is the receiver's telemetry of how far behind real time a region's
// CloudWatch data is, in seconds (with or without the unit suffix, by exporter version).
var behindGauge = []string{"otelcol_receiver_awsrds_cloudwatch_behind", "otelcol_receiver_awsrds_cloudwatch_behind_seconds"}

// catchUpCycle is one scrape of a catch-up run, from the previous scrape's export (the
// process start for the first) to its own.
type catchUpCycle struct {
	index     int
	wall      time.Duration
	cpu       float64 // seconds
	exported  int     // datapoints, as the debug exporter counted them
	calls     int64   // GetMetricData, at the simulator
	requested int64   // metrics requested
	returned  int64   // datapoints GetMetricData returned
	behind    float64 // the receiver's gauge after the cycle, seconds
	mem       memory  // after the cycle
}

// perQuery is how many datapoints each query returned on average: the periods a series
// read in the cycle.
func (c catchUpCycle) perQuery() float64 {
	if c.requested == 0 {
		return 0
	}
	return float64(c.returned) / float64(c.requested)
}

// catchUpRun is one collector process of a catch-up measurement.
type catchUpRun struct {
	name     string // as the report calls it
	cycles   []catchUpCycle
	mem      memory // at the end: VmHWM is the process's peak
	plan     *planLog
	problems []string
}

// catchUpResult is one fleet size's catch-up measurement: a run before the outage, whose
// cycles after the first are the steady state, and the run that catches up after it.
type catchUpResult struct {
	instances, clusters int
	speed               float64
	outage              time.Duration
	before, after       catchUpRun
	config              string
}

// runs are the run before the outage and the one after it, in that order.
func (r *catchUpResult) runs() []catchUpRun { return []catchUpRun{r.before, r.after} }

// steady are the cycles of the run before the outage after its first (which starts the
// process and discovers); catchUp the cycles of the run after it, to the one that caught up.
func (r *catchUpResult) steady() []catchUpCycle  { return laterCycles(r.before.cycles) }
func (r *catchUpResult) catchUp() []catchUpCycle { return laterCycles(r.after.cycles) }

// laterCycles are the cycles after a process's first, or the first if there is no other.
func laterCycles(cs []catchUpCycle) []catchUpCycle {
	if len(cs) > 1 {
		return cs[1:]
	}
	return cs
}

// cpuStats is the mean and the largest CPU time of cycles.
func cpuStats(cs []catchUpCycle) (mean, top float64) {
	for _, c := range cs {
		mean += c.cpu
		top = max(top, c.cpu)
	}
	if len(cs) > 0 {
		mean /= float64(len(cs))
	}
	return mean, top
}

// exported is the sum of the datapoints the cycles exported.
func exported(cs []catchUpCycle) int {
	n := 0
	for _, c := range cs {
		n += c.exported
	}
	return n
}

// queries is the size of the plan the receiver logged (0 if it did not).
func (r *catchUpResult) queries() int {
	for _, p := range []*planLog{r.after.plan, r.before.plan} {
		if p != nil {
			return p.queries
		}
	}
	return 0
}

func (r *catchUpResult) summary() string {
	mean, _ := cpuStats(r.catchUp())
	steady, _ := cpuStats(r.steady())
	return fmt.Sprintf("%d instances: peak RSS %.0f MiB before the outage, %.0f MiB catching up %v in %d cycles; CPU per cycle %.2fs steady, %.2fs catching up",
		r.instances, mib(r.before.mem.peak), mib(r.after.mem.peak), r.outage, len(r.after.cycles), steady, mean)
}

// catchUpBench is one fleet size's simulator and the settings of its collectors.
type catchUpBench struct {
	o        fleetOptions
	dir      string
	aws      *fakeAWS
	clock    atomic.Pointer[clock.Clock] // the simulator's; each collector gets its spec
	settings collectorSettings
}

// measureCatchUp runs the collector with file_storage on a scaled clock shared with the
// simulator for a few cycles, stops it, and starts it again on a clock moved o.catchUp.outage
// later: it then reads the outage back in bounded steps until its behind gauge says it
// has caught up.
func measureCatchUp(ctx context.Context, o fleetOptions, n int, dir string, stderr io.Writer) (*catchUpResult, error) {
	b := &catchUpBench{o: o, dir: dir}
	b.clock.Store(&clock.Clock{Start: time.Now().UTC().Truncate(time.Minute), At: time.Now(), Speed: o.catchUp.speed})
	var err error
	if b.aws, err = startFakeAWS(n, o.seed, o.latency, nil, func() time.Time { return b.clock.Load().Now() }); err != nil {
		return nil, err
	}
	defer b.aws.close()
	stateDir := filepath.Join(dir, "state")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, err
	}
	b.settings = collectorSettings{
		rdsURL: b.aws.rdsURL, cloudWatchURL: b.aws.cwURL,
		interval: o.interval, initialDelay: o.initialDelay, refreshInterval: catchUpRefresh,
		requestsPerSecond: o.rps, maxConcurrent: o.concurrency, storageDir: stateDir,
	}
	res := &catchUpResult{instances: b.aws.instances, clusters: b.aws.clusters, speed: o.catchUp.speed, outage: o.catchUp.outage}

	// Bounded: the cycles are one scaled interval apart, each a few seconds at most.
	steadyLimit := time.Duration(o.catchUp.before)*b.clock.Load().Real(o.interval) + 5*time.Minute
	if res.before, err = b.run(ctx, "before the outage", "before", steadyLimit, func(c catchUpCycle) bool { return c.index >= o.catchUp.before }); err != nil {
		return nil, fmt.Errorf("before the outage: %w", err)
	}
	down := b.clock.Load().Now()
	b.clock.Store(&clock.Clock{Start: down.Add(o.catchUp.outage), At: time.Now(), Speed: o.catchUp.speed})
	fmt.Fprintf(stderr, "rdsbench: %d instances, %d cycles before the outage; catching up %v...\n", n, len(res.before.cycles), o.catchUp.outage)
	caughtUp := func(c catchUpCycle) bool { return c.behind < caughtUpBehind.Seconds() }
	if res.after, err = b.run(ctx, "catching up", "after", o.catchUp.timeout, caughtUp); err != nil {
		return nil, fmt.Errorf("catching up: %w", err)
	}
	res.config = collectorConfig(b.settings)
	return res, nil
}

// run starts a collector on the simulator's current clock, in the subdirectory sub, and
// measures its cycles until done says so, within limit, then stops it with SIGTERM.
func (b *catchUpBench) run(ctx context.Context, name, sub string, limit time.Duration, done func(catchUpCycle) bool) (catchUpRun, error) {
	run := catchUpRun{name: name}
	dir := filepath.Join(b.dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return run, err
	}
	telemetryPort, err1 := freePort()
	pprofPort, err2 := freePort()
	if err := errors.Join(err1, err2); err != nil {
		return run, err
	}
	s := b.settings
	s.telemetryPort, s.pprofPort, s.clock = telemetryPort, pprofPort, b.clock.Load().String()
	deadline := time.Now().Add(limit)
	prevAt := time.Now()
	col, err := startCollector(b.o.bin, dir, s)
	if err != nil {
		return run, err
	}
	defer col.stop()
	if err := col.waitReady(ctx, 30*time.Second); err != nil {
		return run, err
	}
	stopWatch := watchPeakHeap(ctx, col, filepath.Join(dir, "heap-peak.pb.gz"))
	defer stopWatch()
	prevCPU, prevCounters := 0.0, b.aws.sim.Counters()
	for k := 1; ; k++ {
		wait := time.Until(deadline)
		if wait <= 0 {
			return run, fmt.Errorf("not done after %v of real time (%d cycles)", limit, len(run.cycles))
		}
		ev, err := col.nextExport(ctx, wait)
		if err != nil {
			return run, fmt.Errorf("cycle %d: %w", k, err)
		}
		counters := b.aws.sim.Counters()
		c, err := sampleCycle(ctx, col, k, ev, prevAt, prevCPU, prevCounters, counters)
		if err != nil {
			return run, fmt.Errorf("cycle %d: %w", k, err)
		}
		run.cycles = append(run.cycles, c)
		prevAt, prevCPU, prevCounters = ev.at, prevCPU+c.cpu, counters
		if done(c) {
			break
		}
	}
	stopWatch()
	if run.mem, err = memoryOf(col.pid); err != nil {
		return run, err
	}
	col.stop()
	if col.exitErr != nil {
		run.problems = append(run.problems, fmt.Sprintf("exit after SIGTERM: %v", col.exitErr))
	}
	run.plan = col.lastPlan()
	run.problems = append(col.loggedProblems(), run.problems...)
	return run, nil
}

// sampleCycle measures the cycle that ended with ev, since the previous one ended at
// prevAt; before and after are the simulator's counters at both ends.
func sampleCycle(ctx context.Context, col *collector, k int, ev export, prevAt time.Time, prevCPU float64, before, after simulator.Counters) (catchUpCycle, error) {
	cpu, err := cpuSeconds(col.pid)
	if err != nil {
		return catchUpCycle{}, err
	}
	mem, err := memoryOf(col.pid)
	if err != nil {
		return catchUpCycle{}, err
	}
	text, err := httpGet(ctx, "http://"+col.telemetryAddr+"/metrics")
	if err != nil {
		return catchUpCycle{}, err
	}
	behind, ok := promMax(text, behindGauge...)
	if !ok {
		return catchUpCycle{}, fmt.Errorf("the collector's telemetry has no %s", strings.Join(behindGauge, " or "))
	}
	return catchUpCycle{
		index: k, wall: ev.at.Sub(prevAt), cpu: cpu - prevCPU, exported: ev.datapoints,
		calls:     after.Calls["GetMetricData"] - before.Calls["GetMetricData"],
		requested: after.MetricDataQueries - before.MetricDataQueries,
		returned:  after.Datapoints - before.Datapoints,
		behind:    behind, mem: mem,
	}, nil
}

// watchPeakHeap polls the collector's RSS and keeps its heap profile from the moment
// its RSS was highest (at 10% steps), for `go tool pprof` (not in the report); stop
// ends the polling and waits for it.
func watchPeakHeap(ctx context.Context, col *collector, path string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		var top int64
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if m, err := memoryOf(col.pid); err == nil && m.rss > top*11/10 && saveHeap(ctx, col, path) == nil {
				top = m.rss
			}
		}
	}()
	var once atomic.Bool
	return func() {
		if once.CompareAndSwap(false, true) {
			cancel()
			<-done
		}
	}
}

// saveHeap writes the collector's heap profile (pprof extension) to path.
func saveHeap(ctx context.Context, col *collector, path string) error {
	heap, err := httpGet(ctx, "http://"+col.pprofAddr+"/debug/pprof/heap")
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(heap), 0o644)
}
