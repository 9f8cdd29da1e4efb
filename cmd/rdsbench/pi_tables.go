package main

import "fmt"

// writePITable reports BenchmarkPICycle: Performance Insights calls and cost per cycle.
func writePITable(p func(string, ...any), f *benchFile) {
	p("### Performance Insights: calls per cycle, 100, 1,000 and 5,000 instances with PI")
	p("")
	p("BenchmarkPICycle runs the receiver's Performance Insights cycle for the generated fleet with Performance Insights on " +
		"every instance, against the simulator in the same process over HTTP (its work and its 2 ms floor per answer included; " +
		"max_concurrent_requests 4; default metrics: load by wait event, SQL, user and host, top 10, and the engine's counters). " +
		"Calls are the simulator's count: one GetResourceMetrics per instance per cycle, whatever the number of queries (at most 15 a call). " +
		"USD/month at one cycle a minute: (calls x 43,200 - 1,000,000 free) x $0.01/1,000. CPU includes the simulator's.")
	p("")
	p("| PI instances | calls per cycle | calls per month (60 s) | USD/month | points per cycle | wall ms/cycle | CPU µs/instance | allocations/instance |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range []int{100, 1000, 5000} {
		r := f.find(pkgRoot, fmt.Sprintf("BenchmarkPICycle/instances=%d", n))
		if r == nil {
			continue
		}
		calls := med(r, "calls/cycle")
		month, usd := stat{}, stat{}
		if calls.ok {
			month = stat{calls.v * 43200, true}
			usd = stat{max(0, month.v-1e6) * 0.01 / 1000, true}
		}
		p("| %s | %s | %s | $%s | %s | %s | %s | %s |", med(r, "pi-instances").count(), calls.count(), month.count(), usd.count(),
			med(r, "points/cycle").count(), med(r, "ms/cycle").count(), med(r, "cpu-µs/instance").count(), med(r, "allocs/instance").count())
	}
	p("")
}
