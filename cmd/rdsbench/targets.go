package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
)

type targetRow struct{ name, measured, verdict string }

// fleetTargets checks one fleet size's cycles against the targets; each target gets one
// row per fleet size, and the worst cycle decides.
func fleetTargets(o fleetOptions, r *fleetResult) []targetRow {
	return append([]targetRow{callsTarget(r), describeTarget(r), fetchTarget(o, r)}, rssTargetRow(r)...)
}

// callsTarget: GetMetricData calls == ceil(queries/500) and metrics requested == queries
// (no NextToken pages) in every cycle.
func callsTarget(r *fleetResult) targetRow {
	var misses []string
	for _, c := range r.cycles {
		q := r.queries(c)
		want := ceilDiv(q, metricdata.MaxQueriesPerCall)
		if int(c.calls) != want || int(c.requested) != q {
			misses = append(misses, fmt.Sprintf("cycle %d: %d calls for %d, %s metrics requested for %s queries",
				c.index, c.calls, want, num(int(c.requested)), num(q)))
		}
	}
	row := targetRow{name: "GetMetricData calls == ceil(queries/500), every cycle"}
	if len(misses) > 0 {
		row.measured, row.verdict = strings.Join(misses, "; "), verdictBool(false, "")
		return row
	}
	c := r.cycles[0]
	row.measured = fmt.Sprintf("%d calls for %s queries, in %d of %d cycles", c.calls, num(r.queries(c)), len(r.cycles), len(r.cycles))
	row.verdict = verdictBool(true, "")
	return row
}

// describeTarget: DescribeDBInstances calls == ceil(instances/100) on every discovery.
func describeTarget(r *fleetResult) targetRow {
	want := ceilDiv(r.instances, describePageSize)
	var cycles, calls []string
	ok, worst := true, 0
	for _, c := range r.cycles {
		if c.describeInstance == 0 {
			continue
		}
		cycles = append(cycles, fmt.Sprint(c.index))
		calls = append(calls, fmt.Sprint(c.describeInstance))
		if d := int(c.describeInstance) - want; d != 0 {
			ok = false
			worst = max(worst, d)
		}
	}
	row := targetRow{name: "DescribeDBInstances == ceil(instances/100), every discovery"}
	if len(cycles) == 0 {
		row.measured, row.verdict = "no discovery was seen", "not measured"
		return row
	}
	row.measured = fmt.Sprintf("%s calls for %d (cycles %s)", strings.Join(calls, ", "), want, strings.Join(cycles, ", "))
	row.verdict = verdictBool(ok, fmt.Sprintf("by %+d calls", worst))
	return row
}

// fetchTarget: the fetch ≤ 1.2 × the floor in every cycle; the worst cycle is shown.
func fetchTarget(o fleetOptions, r *fleetResult) targetRow {
	var worst cycle
	var worstRatio float64
	var floor time.Duration
	var procs []time.Duration
	for i, c := range r.cycles {
		f := fetchFloor(ceilDiv(r.queries(c), metricdata.MaxQueriesPerCall), o.rps, o.concurrency, o.latency)
		if rt := ratio(c.fetchSpan, f); i == 0 || rt > worstRatio {
			worst, worstRatio, floor = c, rt, f
		}
		procs = append(procs, c.processing())
	}
	limit := time.Duration(floorSlack * float64(floor))
	return targetRow{
		name: "fetch ≤ 1.2 × floor, every cycle (processing on top)",
		measured: fmt.Sprintf("worst cycle %d: %s = %.2f × the floor of %s (limit %s); processing %s to %s",
			worst.index, ms(worst.fetchSpan), worstRatio, ms(floor), ms(limit), ms(minDur(procs)), ms(maxDur(procs))),
		verdict: verdictBool(worst.fetchSpan <= limit, "by "+ms(worst.fetchSpan-limit)),
	}
}

func rssTargetRow(r *fleetResult) []targetRow {
	if r.instances != rssTargetInstances {
		return nil
	}
	return []targetRow{{
		name:     "peak RSS < 150 MB",
		measured: fmt.Sprintf("%.1f MB (%.1f MiB)", float64(r.mem.peak)/1e6, mib(r.mem.peak)),
		verdict:  verdictBool(r.mem.peak < rssTarget, fmt.Sprintf("by %.1f MB (%.1f×)", float64(r.mem.peak-rssTarget)/1e6, float64(r.mem.peak)/rssTarget)),
	}}
}

func minDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = min(m, d)
	}
	return m
}

func maxDur(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds[1:] {
		m = max(m, d)
	}
	return m
}

func verdictBool(ok bool, missedBy string) string {
	if ok {
		return "**met**"
	}
	if missedBy == "" {
		return "**missed**"
	}
	return "**missed** " + missedBy
}
