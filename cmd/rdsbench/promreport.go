package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// yaceFigure is YACE v0.67.0 with its 20 default RDS metrics, measured elsewhere (issue
// #11: same machine as ours then, an independent AWS fake with 50 ms latency): not
// part of this repository, quoted, never measured here.
type yaceFigure struct {
	instances          int
	cycleLo, cycleHi   float64 // CPU seconds per cycle
	readLo, readHi     float64 // CPU seconds per /metrics read
	rssLoMiB, rssHiMiB float64
}

var yaceFigures = []yaceFigure{
	{instances: 1000, cycleLo: 0.70, cycleHi: 0.74, readLo: 0.06, readHi: 0.22, rssLoMiB: 107, rssHiMiB: 107},
	{instances: 5000, cycleLo: 3.2, cycleHi: 3.7, readLo: 0.47, readHi: 0.71, rssLoMiB: 494, rssHiMiB: 521},
}

// The goals of issue #11, against YACE's figures at their most favourable to YACE
// (lowest CPU, lowest RSS): the strict reading.
const (
	goalCPUOfYACE        = 0.5 // CPU per cycle including one read, 20 metrics
	goalRSSOfYACE        = 1.0 // peak RSS, 20 metrics
	goalDefaultRSSOfYACE = 1.2 // peak RSS, default set
)

func yaceAt(n int) (yaceFigure, bool) {
	for _, y := range yaceFigures {
		if y.instances == n {
			return y, true
		}
	}
	return yaceFigure{}, false
}

// cpuRange is the lowest and highest of the steady cycles (the second and later; the
// first discovers the fleet and reads its history), or of all when there is one.
func (r *promResult) cpuRange(f func(promCycle) (float64, bool)) (lo, hi float64, ok bool) {
	var vals []float64
	for _, c := range r.cycles {
		if c.index == 1 && len(r.cycles) > 1 {
			continue
		}
		if v, has := f(c); has {
			vals = append(vals, v)
		}
	}
	return lowHigh(vals)
}

// lowHigh is the lowest and the highest of vals; ok is false when there is none.
func lowHigh(vals []float64) (lo, hi float64, ok bool) {
	if len(vals) == 0 {
		return 0, 0, false
	}
	return slices.Min(vals), slices.Max(vals), true
}

func (r *promResult) interval() (float64, float64, bool) {
	return r.cpuRange(func(c promCycle) (float64, bool) { return c.intervalCPU, c.hasInterval })
}

func (r *promResult) cycleOnly() (float64, float64, bool) {
	return r.cpuRange(func(c promCycle) (float64, bool) { return c.cycleCPU(), c.hasInterval })
}

func (r *promResult) reads() (float64, float64, bool) {
	return r.cpuRange(func(c promCycle) (float64, bool) { return c.read.cpu, true })
}

func rangeStr(lo, hi float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case fmt.Sprintf("%.2f", lo) == fmt.Sprintf("%.2f", hi):
		return fmt.Sprintf("%.2f s", lo)
	}
	return fmt.Sprintf("%.2f-%.2f s", lo, hi)
}

func writePromReport(w io.Writer, o fleetOptions, results []*promResult, debug []*fleetResult) {
	if len(results) == 0 {
		return
	}
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("## Prometheus path: the collector as users run it")
	p("")
	p("`rdsbench fleet` ran the same collector against the same simulator (50 ms per call, seed %d) with the "+
		"configuration of `examples/prometheus.yaml` without SQL (memory_limiter and batch processors, file storage, "+
		"the exporter's settings and resource labels), %d cycles per configuration, collection_interval %v. Exporters: "+
		"`rdsprometheus`, the distribution's own (`exporter/rdsprometheusexporter`, the default of the examples and the package), "+
		"and contrib's `prometheus` v0.161.0 with the same settings. Metric sets: the receiver's default set, and `yace20`, "+
		"these 20 instance metrics (as YACE's RDS example): %s.", o.seed, o.prom.cycles, dur(o.interval), strings.Join(yace20, ", "))
	if o.prom.memLimit != "" {
		p("")
		p("The collector ran with GOMEMLIMIT=%s.", o.prom.memLimit)
	}
	p("")
	p("How each figure is measured (2 shared cores: compare ratios within this run, not with other runs):")
	p("- CPU per cycle including one read: utime+stime of the collector from a cycle's first AWS request to the next " +
		"cycle's, with exactly one `GET /metrics` in between (half an interval after the cycle started, the collector idle); " +
		"so the cycle, the read and the idle rest of the minute;")
	p("- CPU per read: the collector's CPU across that one read (gzip accepted, as Prometheus does); per cycle: the difference;")
	p("- ranges are over the steady cycles (the 2nd and later; the first discovers and reads history: its figures are in the detail table);")
	p("- peak RSS: VmHWM after the last cycle.")
	p("")
	p("| instances | metric set | exporter | series on /metrics | body | CPU per cycle | CPU per /metrics read | CPU per cycle incl. one read | peak RSS |")
	p("|---:|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		last := r.cycles[len(r.cycles)-1].read
		p("| %s | %s | %s | %s | %.1f MB | %s | %s | %s | %.0f MiB |", num(r.instances), r.set, r.exporter, num(last.series),
			float64(last.bytes)/1e6, rangeStr(r.cycleOnly()), rangeStr(r.reads()), rangeStr(r.interval()), mib(r.mem.peak))
	}
	for _, d := range debug {
		if c := d.cycles; len(c) > 1 {
			lo, hi := c[1].cpu, c[1].cpu
			for _, x := range c[2:] {
				lo, hi = min(lo, x.cpu), max(hi, x.cpu)
			}
			p("| %s | default | debug (the fleet benchmark above; CPU from first request to export) | - | - | %s | - | - | %.0f MiB |",
				num(d.instances), rangeStr(lo, hi, true), mib(d.mem.peak))
		}
	}
	for _, y := range yaceFigures {
		p("| %s | YACE's 20 | YACE v0.67.0, measured elsewhere (quoted from issue #11) | - | - | %s | %s | %s | %s MiB |", num(y.instances),
			rangeStr(y.cycleLo, y.cycleHi, true), rangeStr(y.readLo, y.readHi, true),
			rangeStr(y.cycleLo+y.readLo, y.cycleHi+y.readHi, true), rangeMiB(y.rssLoMiB, y.rssHiMiB))
	}
	p("")
	p("Per cycle, detail:")
	p("")
	p("| instances | metric set | exporter | cycle | CPU cycle incl. read | CPU read | read wall | series |")
	p("|---:|---|---|---:|---:|---:|---:|---:|")
	for _, r := range results {
		for _, c := range r.cycles {
			inc := "-"
			if c.hasInterval {
				inc = fmt.Sprintf("%.2f s", c.intervalCPU)
			}
			p("| %s | %s | %s | %d | %s | %.2f s | %s | %s |", num(r.instances), r.set, r.exporter, c.index, inc, c.read.cpu, ms(c.read.wall), num(c.read.series))
		}
	}
	p("")
	p("### Targets (Prometheus path, against YACE as quoted)")
	p("")
	p("YACE's figures are taken at their lowest (its cheapest cycle plus its cheapest read, its lowest peak RSS); ours at "+
		"their highest steady cycle: the strict reading. Goals: with the 20 metrics, CPU per cycle including one read at most "+
		"%.1f× YACE's and peak RSS at most %.1f× YACE's; with the default set, peak RSS at most %.1f× YACE's.", goalCPUOfYACE, goalRSSOfYACE, goalDefaultRSSOfYACE)
	p("")
	p("| target | instances | exporter | measured | limit | verdict |")
	p("|---|---:|---|---:|---:|---|")
	for _, r := range results {
		for _, t := range promTargets(r) {
			p("| %s | %s | %s | %s | %s | %s |", t.name, num(r.instances), r.exporter, t.measured, t.limit, t.verdict)
		}
	}
	p("")
	for _, r := range results {
		if len(r.problems) > 0 {
			p("Warnings and errors the collector logged (%s instances, %s, %s):", num(r.instances), r.set, r.exporter)
			for _, m := range r.problems {
				p("- `%s`", strings.ReplaceAll(m, "`", "'"))
			}
			p("")
		}
	}
	last := results[len(results)-1]
	p("<details><summary>Collector configuration (%s instances, %s, %s; ports differ per run)</summary>", num(last.instances), last.set, last.exporter)
	p("")
	p("```yaml")
	fmt.Fprint(w, last.config)
	p("```")
	p("</details>")
	p("")
}

func rangeMiB(lo, hi float64) string {
	if lo == hi {
		return fmt.Sprintf("%.0f", lo)
	}
	return fmt.Sprintf("%.0f-%.0f", lo, hi)
}

type promTarget struct{ name, measured, limit, verdict string }

// promTargets are issue #11's goals for one configuration.
func promTargets(r *promResult) []promTarget {
	y, ok := yaceAt(r.instances)
	if !ok {
		return nil
	}
	peak := mib(r.mem.peak)
	rss := func(factor float64) promTarget {
		limit := factor * y.rssLoMiB
		return promTarget{
			name:     fmt.Sprintf("peak RSS ≤ %.1f× YACE's (%s metrics)", factor, r.set),
			measured: fmt.Sprintf("%.0f MiB (%.2f× YACE)", peak, peak/y.rssLoMiB),
			limit:    fmt.Sprintf("%.0f MiB", limit),
			verdict:  verdictBool(peak <= limit, fmt.Sprintf("by %.0f MiB", peak-limit)),
		}
	}
	if r.set != "yace20" {
		return []promTarget{rss(goalDefaultRSSOfYACE)}
	}
	out := []promTarget{}
	if _, hi, ok := r.interval(); ok {
		yace := y.cycleLo + y.readLo
		limit := goalCPUOfYACE * yace
		out = append(out, promTarget{
			name:     fmt.Sprintf("CPU per cycle incl. one read ≤ %.1f× YACE's", goalCPUOfYACE),
			measured: fmt.Sprintf("%.2f s (%.2f× YACE)", hi, hi/yace),
			limit:    fmt.Sprintf("%.2f s", limit),
			verdict:  verdictBool(hi <= limit, fmt.Sprintf("by %.2f s", hi-limit)),
		})
	}
	return append(out, rss(goalRSSOfYACE))
}
