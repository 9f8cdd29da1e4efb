package main

import (
	"fmt"
	"math"
	"strings"
)

const collectBench = "BenchmarkCollectPostgres"

func writeSQLTables(p func(string, ...any), f *benchFile) {
	p("### SQL rows to pdata")
	p("")
	p("One query of 1,000 rows (`select g as id, (g %% 10)::text as bucket, g * 1.5 as value from generate_series(1, 1000) g`), " +
		"one gauge on `value` with attributes `id` and `bucket`, max_series 1,000. EmitRows1000 feeds the rows as the pgx driver " +
		"returns them straight to the emitter, without a database; CollectPostgres runs the query through the `sqlquery.Collector` " +
		"against a PostgreSQL server of `internal/testdb`. Client CPU is the benchmark process's; server CPU is that of the " +
		"PostgreSQL backends serving the collector's connections (/proc, 10 ms ticks).")
	p("")
	p("| benchmark | wall ns/row | client CPU ns/row | allocations/row | server CPU ns/row |")
	p("|---|---:|---:|---:|---:|")
	for _, r := range []*benchResult{f.find(pkgSQL, "BenchmarkEmitRows1000"), f.find(pkgSQL, collectBench+"/queries=1")} {
		if r == nil {
			continue
		}
		p("| %s | %s | %s | %s | %s |", strings.TrimPrefix(r.name, "Benchmark"), med(r, "ns/row").count(),
			med(r, "cpu-ns/row").count(), med(r, "allocs/row").format("%.2f"), med(r, "server-cpu-ns/row").count())
	}
	p("")

	p("### SQL: 50 queries of 1,000 rows per cycle, by max_concurrency")
	p("")
	p("One cycle is one `Collect` running the same query under 50 names on one target; max_concurrency_per_target " +
		"(the pool size) is set to the same value, which it may not exceed; unset, the pool would hold one connection per query (50). " +
		"The database server runs on the same 2 CPUs as the collector.")
	p("")
	p("| max_concurrency | cycle wall time | speed-up vs 1 | client CPU ns/row | client CPU ms/cycle | allocations/row | server CPU ns/row |")
	p("|---:|---:|---:|---:|---:|---:|---:|")
	base := med(f.find(pkgSQL, collectBench+"/queries=50/max_concurrency=1"), "ms/cycle")
	found := false
	for _, c := range []int{1, 2, 4, 8} {
		r := f.find(pkgSQL, fmt.Sprintf("%s/queries=50/max_concurrency=%d", collectBench, c))
		if r == nil {
			continue
		}
		found = true
		cycle, cpuRow, rows := med(r, "ms/cycle"), med(r, "cpu-ns/row"), med(r, "rows/op")
		speedup := stat{}
		if base.ok && cycle.ok && cycle.v > 0 {
			speedup = stat{base.v / cycle.v, true}
		}
		cpuCycle := stat{}
		if cpuRow.ok && rows.ok {
			cpuCycle = stat{cpuRow.v * rows.v / 1e6, true}
		}
		p("| %d | %s ms | %s× | %s | %s | %s | %s |", c, cycle.format("%.1f"), speedup.format("%.2f"), cpuRow.count(),
			cpuCycle.format("%.1f"), med(r, "allocs/row").format("%.2f"), med(r, "server-cpu-ns/row").count())
	}
	if !found {
		p("| not measured (PostgreSQL unavailable: see the skipped benchmarks below) | | | | | | |")
	}
	p("")
}

func writeDiscoveryTable(p func(string, ...any), f *benchFile) {
	p("### Discovery and plan, 5,000 instances")
	p("")
	p("Describe5000 discovers the generated fleet over HTTP with the real SDK client: from the live simulator in the same " +
		"process (its work and its 2 ms floor per answer included), and from a replay of its answers (the client's cost alone). " +
		"Plan5000 builds the receiver's plan for that fleet on a refresh, carrying the high-water marks over.")
	p("")
	p("| benchmark | wall ms/op | calls/op | wall µs/instance | CPU µs/instance | allocations/instance | allocated MB/op |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	rows := []*benchResult{
		f.find(pkgDiscovery, "BenchmarkDescribe5000/server=simulator"),
		f.find(pkgDiscovery, "BenchmarkDescribe5000/server=replay"),
	}
	for _, r := range rows {
		if r == nil {
			continue
		}
		p("| %s | %s | %s | %s | %s | %s | %s |", strings.TrimPrefix(r.name, "Benchmark"), med(r, "ns/op").scaled(1e-6).format("%.1f"),
			med(r, "calls/op").count(), med(r, "ns/instance").scaled(1e-3).format("%.1f"),
			med(r, "cpu-ns/instance").scaled(1e-3).format("%.1f"), med(r, "allocs/instance").count(),
			med(r, "B/op").scaled(1e-6).format("%.1f"))
	}
	if r := f.find(pkgRoot, "BenchmarkPlan5000"); r != nil {
		perInstance := med(r, "allocs/op").scaled(1.0 / 5000)
		p("| Plan5000 (%s queries) | %s | %s | %s | n/a | %s | %s |", med(r, "queries/op").count(),
			med(r, "ns/op").scaled(1e-6).format("%.1f"), med(r, "calls/op").count(),
			med(r, "ns/instance").scaled(1e-3).format("%.1f"), perInstance.count(), med(r, "B/op").scaled(1e-6).format("%.1f"))
	}
	p("")
	p("calls/op of Plan5000 is the number of GetMetricData calls the plan makes per cycle.")
	p("")
}

// writeStateTable shows what the durable state costs at 5,000 instances.
func writeStateTable(p func(string, ...any), f *benchFile) {
	w, r := f.find(pkgRoot, "BenchmarkStateWrite5000"), f.find(pkgRoot, "BenchmarkStateRead5000")
	if w == nil || r == nil {
		return
	}
	p("### Durable state, 5,000 instances")
	p("")
	p("With `storage: file_storage`, the receiver writes its region's window state after every scrape the pipeline took: " +
		"StateWrite5000 encodes it for the generated 5,000-instance fleet (default metric set) and writes it to a real " +
		"file_storage extension; StateRead5000 decodes it, as a start does once.")
	p("")
	p("| benchmark | series | state size KiB | bytes/series | ms/op | allocated MB/op |")
	p("|---|---:|---:|---:|---:|---:|")
	series := med(w, "series")
	for _, b := range []*benchResult{w, r} {
		p("| %s | %s | %s | %s | %s | %s |", strings.TrimPrefix(b.name, "Benchmark"), series.count(),
			med(b, "state-bytes").scaled(1.0/1024).format("%.0f"), med(b, "state-bytes").scaled(1/series.v).format("%.1f"),
			med(b, "ns/op").scaled(1e-6).format("%.1f"), med(b, "B/op").scaled(1e-6).format("%.1f"))
	}
	p("")
}

// writeAllTable lists every benchmark of the run with every unit it reported.
func writeAllTable(p func(string, ...any), f *benchFile) {
	p("### Every benchmark of the run")
	p("")
	p("| package | benchmark | runs | figures (medians) |")
	p("|---|---|---:|---|")
	for _, r := range f.results {
		var figures []string
		for _, u := range r.units() {
			figures = append(figures, med(r, u).figure()+" "+u)
		}
		p("| %s | %s | %d | %s |", shortPkg(r.pkg), strings.TrimPrefix(r.name, "Benchmark"), len(r.runs), strings.Join(figures, ", "))
	}
	p("")
}

// figure writes large values whole with separators and small ones with 4 digits.
func (s stat) figure() string {
	if s.ok && math.Abs(s.v) >= 1000 {
		return s.count()
	}
	return s.format("%.4g")
}

func shortPkg(pkg string) string {
	if i := strings.Index(pkg, "awsrdsreceiver"); i >= 0 {
		if s := strings.TrimPrefix(pkg[i+len("awsrdsreceiver"):], "/"); s != "" {
			return s
		}
		return "(root)"
	}
	return pkg
}
