package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

const (
	usdPerMetric = 0.01 / 1000 // GetMetricData: $0.01 per 1,000 metrics requested
	// floorSlack is how far above the floor a cycle's fetch may be and still meet the target.
	floorSlack = 1.2
	// rssTarget is the peak RSS allowed for 5,000 instances: 150 MB, read as decimal
	// megabytes (the stricter reading; 150 MiB would be 157.3 MB).
	rssTarget          = 150e6
	rssTargetInstances = 5000
	describePageSize   = 100
)

// fetchFloor is the least time n GetMetricData calls can take: the client-side rate
// limit or, when the concurrency is the bottleneck, one latency per wave of calls.
func fetchFloor(calls int, rps float64, concurrency int, latency time.Duration) time.Duration {
	byRate := time.Duration(float64(calls) / rps * float64(time.Second))
	byWaves := time.Duration(ceilDiv(calls, concurrency)) * latency
	return max(byRate, byWaves)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// queries is what one cycle asks for: the receiver's plan as it logged it, else what
// the simulator billed (the same without NextToken pages).
func (r *fleetResult) queries(c cycle) int {
	if r.plan != nil && r.plan.queries > 0 {
		return r.plan.queries
	}
	return int(c.requested)
}

// writeFleetReport writes the fleet sizes' cycles, then the catch-up measurements.
func writeFleetReport(w io.Writer, o fleetOptions, results []*fleetResult, catchUps []*catchUpResult) {
	fmt.Fprint(w, "## Fleet benchmark: the real collector against the simulator\n\n")
	if len(results) > 0 {
		writeFleetCycles(w, o, results)
	}
	if len(catchUps) > 0 {
		writeCatchUpReport(w, o, catchUps)
	}
}

// printer writes one line of markdown.
func printer(w io.Writer) func(format string, args ...any) {
	return func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
}

// writeConfig writes a collector configuration as a folded block.
func writeConfig(w io.Writer, what, config string) {
	p := printer(w)
	p("<details><summary>Collector configuration (%s; ports differ per run)</summary>", what)
	p("")
	p("```yaml")
	fmt.Fprint(w, config)
	p("```")
	p("</details>")
	p("")
}

func writeFleetCycles(w io.Writer, o fleetOptions, results []*fleetResult) {
	cyclesPerMonth := float64(30*24*time.Hour) / float64(o.interval)
	p := printer(w)

	p("`rdsbench fleet` ran `%s` as a child process against the AWS simulator (`internal/simulator`, "+
		"as `rdssim -instances N -seed %d -latency %v`, served by rdsbench on 127.0.0.1) for %d collection cycles per fleet size, "+
		"collection_interval %v, requests_per_second %g, max_concurrent_requests %d, one statistic (Average), the default metric set. "+
		"Discovery runs in the first cycle and, with refresh_interval %v, again in the third.",
		filepath.Base(o.bin), o.seed, dur(o.latency), o.cycles, dur(o.interval), o.rps, o.concurrency, dur(o.interval*3/2))
	p("")
	p("How each figure is measured:")
	p("- calls, metrics requested and datapoints returned: the simulator's counters (`/_sim/counters`), difference over the cycle;")
	p("- USD/month: metrics requested × $0.01/1,000 × %.0f cycles a month (one every %v);", cyclesPerMonth, dur(o.interval))
	p("- fetch: first GetMetricData arrival to last answer, at the simulator; floor: max(calls / %g per s, ceil(calls / %d) × %v);", o.rps, o.concurrency, dur(o.latency))
	p("- scrape: the cycle's first AWS request to the debug exporter's log line (the scrape is exported synchronously), so discovery, fetch and processing;")
	p("- processing: scrape minus discovery and fetch (turning results into pdata, exporting);")
	p("- CPU: utime+stime of the collector process (/proc/<pid>/stat, 10 ms ticks) from the cycle's first request to its export;")
	p("- allocations: the collector's `runtime.MemStats` (Mallocs, TotalAlloc via its pprof extension) between the ends of consecutive cycles, so they include the idle minute;")
	p("- peak RSS: VmHWM of /proc/<pid>/status after the last cycle.")
	p("")

	p("### Calls and cost per cycle")
	p("")
	p("| instances | clusters | cycle | GetMetricData calls | queries (plan) | ceil(queries/500) | metrics requested | USD/month | datapoints returned | datapoints exported | errors | phantom queries |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		for _, c := range r.cycles {
			q := r.queries(c)
			p("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %d | %d |", num(r.instances), num(r.clusters), c.index,
				num(int(c.calls)), num(q), num(ceilDiv(q, metricdata.MaxQueriesPerCall)), num(int(c.requested)),
				usd(float64(c.requested)*usdPerMetric*cyclesPerMonth), num(int(c.returned)), num(c.exported), c.errors, c.phantoms)
		}
	}
	p("")

	p("### Time, CPU and memory per cycle")
	p("")
	p("| instances | cycle | discovery | fetch | floor | fetch/floor | processing | scrape | CPU s | allocations | allocated | CPU µs per datapoint returned / exported |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		for _, c := range r.cycles {
			floor := fetchFloor(ceilDiv(r.queries(c), metricdata.MaxQueriesPerCall), o.rps, o.concurrency, o.latency)
			disc := "-"
			if c.describeInstance > 0 {
				disc = ms(c.discoveryWall)
			}
			allocs, allocated := "n/a", "n/a"
			if c.allocsOK {
				allocs, allocated = num(int(c.allocs.mallocs)), fmt.Sprintf("%.0f MiB", mib(c.allocs.bytes))
			}
			perPoint := "-"
			if c.exported > 0 && c.returned > 0 {
				perPoint = fmt.Sprintf("%.2f / %.2f", c.cpu*1e6/float64(c.returned), c.cpu*1e6/float64(c.exported))
			}
			p("| %s | %d | %s | %s | %s | %.2f | %s | %s | %.2f | %s | %s | %s |", num(r.instances), c.index, disc,
				ms(c.fetchSpan), ms(floor), ratio(c.fetchSpan, floor), ms(c.processing()), ms(c.scrapeWall()),
				c.cpu, allocs, allocated, perPoint)
		}
	}
	p("")
	p("The last column divides the whole cycle's CPU (discovery, HTTP, SDK decoding, pdata, export) by the datapoints GetMetricData " +
		"returned and by those exported: every cycle re-reads the 5-minute overlap, so it receives about 5 points per series " +
		"and exports the new one (plus the inventory metrics), 5 on the first cycle.")
	p("")

	p("### Discovery")
	p("")
	p("| instances | clusters | cycle | DescribeDBInstances calls | ceil(instances/100) | DescribeDBClusters calls | wall time |")
	p("|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		for _, c := range r.cycles {
			if c.describeInstance == 0 && c.describeCluster == 0 {
				continue
			}
			p("| %s | %s | %d | %d | %d | %d | %s |", num(r.instances), num(r.clusters), c.index, c.describeInstance,
				ceilDiv(r.instances, describePageSize), c.describeCluster, ms(c.discoveryWall))
		}
	}
	p("")
	p("Each Describe page is one call with the simulated latency (%v); pages are sequential (NextToken), so the wall time "+
		"is about (DescribeDBInstances + DescribeDBClusters calls) × the latency.", dur(o.latency))
	p("")

	p("### Memory")
	p("")
	p("| instances | peak RSS (VmHWM) | RSS after the last cycle |")
	p("|---:|---:|---:|")
	for _, r := range results {
		p("| %s | %.1f MiB | %.1f MiB |", num(r.instances), mib(r.mem.peak), mib(r.mem.rss))
	}
	p("")

	p("### Targets (fleet)")
	p("")
	p("The fetch is compared with the floor; discovery and processing come on top of it and are shown beside. "+
		"The fetch can beat the floor's calls / %g per s term: the receiver's rate limiter starts with a burst of one "+
		"second's worth of calls (%g) before it paces them.", o.rps, o.rps)
	p("")
	p("| target | instances | measured | verdict |")
	p("|---|---:|---|---|")
	for _, r := range results {
		for _, t := range fleetTargets(o, r) {
			p("| %s | %s | %s | %s |", t.name, num(r.instances), t.measured, t.verdict)
		}
	}
	p("")
	for _, r := range results {
		if r.telemetryOK {
			p("Cross-check, %s instances: the collector's own `otelcol_receiver_awsrds_metrics_requested` says %s, the simulator billed %s.",
				num(r.instances), num(int(r.telemetryRequested)), num(int(r.simRequested)))
		}
		if len(r.problems) > 0 {
			p("")
			p("Warnings and errors the collector logged with %s instances:", num(r.instances))
			for _, m := range r.problems {
				p("- `%s`", strings.ReplaceAll(m, "`", "'"))
			}
		}
	}
	p("")
	last := results[len(results)-1]
	writeConfig(w, num(last.instances)+" instances", last.config)
}

// processing is what the scrape spent after discovery and fetching.
func (c cycle) processing() time.Duration {
	d := c.scrapeWall() - c.fetchSpan - c.discoveryWall
	return max(d, 0)
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return math.NaN()
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) string {
	if d < 10*time.Millisecond && d > -10*time.Millisecond {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return num(int(d.Round(time.Millisecond).Milliseconds())) + " ms"
}

func usd(v float64) string {
	if v < 100 {
		return fmt.Sprintf("$%.2f", v)
	}
	return "$" + num(int(math.Round(v)))
}

// num writes an integer with thousands separators.
func num(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// writeCatchUpReport writes the catch-up measurements: peak RSS, cycles and CPU of reading
// an outage back, beside the steady state of the same collector before the outage.
func writeCatchUpReport(w io.Writer, o fleetOptions, results []*catchUpResult) {
	p := printer(w)
	c := o.catchUp
	tick := clock.Clock{Speed: c.speed}.Real(o.interval)
	steps := make([]string, 0, len(results))
	for _, r := range results {
		steps = append(steps, fmt.Sprintf("%v for the %s queries of %s instances", window.StepFor(time.Minute, o.interval, r.queries()), num(r.queries()), num(r.instances)))
	}
	p("### Catch-up after a %v outage", c.outage)
	p("")
	p("`rdsbench fleet` ran `%s` with `storage: file_storage` against the same simulator, both on one scaled clock "+
		"(`internal/clock`: `%s` for the collector, `simulator.Config.Now` for the simulator) running **%g× faster than real time**: "+
		"collection_interval %v ticks every %v of real time, and when a scrape takes longer the controller skips ticks, so that a cycle "+
		"reads the clock time since the previous one. refresh_interval %v of clock time: each process discovers in its first cycle only. "+
		"The collector ran %d cycles, was stopped with SIGTERM (its windows in file_storage), and was started again on a clock %v later, "+
		"where it ran until its `otelcol_receiver_awsrds_cloudwatch_behind` gauge (now minus the end of the newest window delivered) "+
		"was under %v. The receiver advances a region's window by at most `window.StepFor(period, interval, series)` per cycle "+
		"(30 periods, cut so that a cycle reads about a million points): at period 1m, %s.",
		filepath.Base(o.bin), clock.EnvVar, c.speed, dur(o.interval), tick, catchUpRefresh, c.before, c.outage, caughtUpBehind, strings.Join(steps, ", "))
	p("")
	p("How each figure is measured:")
	p("- a cycle runs from the previous debug exporter log line (for a process's first cycle: its start) to its own; wall time and " +
		"CPU (utime+stime of /proc/<pid>/stat) over that time, so a process's first cycle includes its start and discovery and is left out of the means;")
	p("- GetMetricData calls, metrics requested and datapoints returned: the simulator's counters over the same time; " +
		"returned per query is datapoints returned / metrics requested, the periods each series read;")
	p("- behind: the gauge after the cycle; RSS and peak: VmRSS and VmHWM of /proc/<pid>/status after the cycle; " +
		"a run's peak RSS is its VmHWM when it is stopped.")
	p("")
	p("| instances | peak RSS before the outage | peak RSS catching up | ratio | cycles to catch up | wall time to catch up | CPU per cycle before the outage, mean (max) | CPU per catch-up cycle, mean (max) | datapoints exported catching up | largest returned per query |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		steadyMean, steadyMax := cpuStats(r.steady())
		mean, top := cpuStats(r.catchUp())
		var wall time.Duration
		perQuery := 0.0
		for _, cy := range r.after.cycles {
			wall += cy.wall
			perQuery = max(perQuery, cy.perQuery())
		}
		p("| %s | %.1f MiB | %.1f MiB | %.2f× | %d | %s | %.2f s (%.2f s) | %.2f s (%.2f s) | %s | %.1f |", num(r.instances),
			mib(r.before.mem.peak), mib(r.after.mem.peak), float64(r.after.mem.peak)/float64(r.before.mem.peak),
			len(r.after.cycles), wall.Round(time.Second), steadyMean, steadyMax, mean, top, num(exported(r.after.cycles)), perQuery)
	}
	p("")
	p("| instances | run | cycle | wall | CPU s | GetMetricData calls | metrics requested | datapoints returned | returned per query | datapoints exported | behind after | RSS | peak RSS |")
	p("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		for _, run := range r.runs() {
			for _, cy := range run.cycles {
				p("| %s | %s | %d | %s | %.2f | %s | %s | %s | %.1f | %s | %s | %.1f MiB | %.1f MiB |", num(r.instances), run.name, cy.index,
					ms(cy.wall), cy.cpu, num(int(cy.calls)), num(int(cy.requested)), num(int(cy.returned)), cy.perQuery(), num(cy.exported),
					time.Duration(cy.behind*float64(time.Second)).Round(time.Second), mib(cy.mem.rss), mib(cy.mem.peak))
			}
		}
	}
	p("")
	for _, r := range results {
		if q := r.queries(); q > 0 {
			p("With %s instances the plan has %s queries: %s datapoints exported while catching up are %.1f per query "+
				"(the inventory metrics are exported every cycle too).", num(r.instances), num(q), num(exported(r.after.cycles)),
				float64(exported(r.after.cycles))/float64(q))
			p("")
		}
		for _, run := range r.runs() {
			if len(run.problems) > 0 {
				p("Warnings and errors the collector logged with %s instances, %s:", num(r.instances), run.name)
				for _, m := range run.problems {
					p("- `%s`", strings.ReplaceAll(m, "`", "'"))
				}
				p("")
			}
		}
	}
	last := results[len(results)-1]
	writeConfig(w, fmt.Sprintf("catch-up, %s instances", num(last.instances)), last.config)
}
