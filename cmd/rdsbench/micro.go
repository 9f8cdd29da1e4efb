package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// Targets per CloudWatch datapoint, from decoded SDK output to pdata.
const (
	targetCPUNsPerDatapoint  = 1000
	targetAllocsPerDatapoint = 2
)

// Where the benchmarks live (package path suffixes) and their names.
const (
	pkgRoot         = "otelcol-rds/awsrdsreceiver"
	pkgMetricdata   = "internal/metricdata"
	pkgSQL          = "internal/sqlquery"
	pkgDiscovery    = "internal/discovery"
	cloudWatchBench = "BenchmarkCloudWatchToPdata"
	sdkBench        = "BenchmarkSDKGetMetricData500"
)

func runMicro(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rdsbench micro", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "", "`go test -bench` output to read")
	benchstat := fs.String("benchstat", "", "benchstat's summary of the same output, shown as is (optional)")
	command := fs.String("command", "", "the go test command that produced -in, for the report")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *in == "" {
		return errors.New("micro: -in is required")
	}
	raw, err := os.Open(*in)
	if err != nil {
		return err
	}
	defer raw.Close()
	f, err := parseBench(raw)
	if err != nil {
		return err
	}
	summary := ""
	if *benchstat != "" {
		// make bench leaves no file when benchstat could not be run.
		b, err := os.ReadFile(*benchstat)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return err
		default:
			summary = string(b)
		}
	}
	writeMicroReport(stdout, f, *command, summary)
	return nil
}

// stat is a figure that may not have been measured.
type stat struct {
	v  float64
	ok bool
}

// med is the median of one unit of a benchmark; not ok when the benchmark or the unit
// is missing from the output.
func med(r *benchResult, unit string) stat {
	if r == nil {
		return stat{}
	}
	v, ok := r.median(unit)
	return stat{v, ok}
}

// netOf is (with − without) / datapoints in one per-op unit: what the datapoints add on
// top of the same work without them.
func netOf(with, without *benchResult, unit string) stat {
	a, b, dp := med(with, unit), med(without, unit), med(with, "datapoints/op")
	if !a.ok || !b.ok || !dp.ok || dp.v == 0 {
		return stat{}
	}
	return stat{(a.v - b.v) / dp.v, true}
}

func (s stat) scaled(f float64) stat { return stat{s.v * f, s.ok} }

// count writes a whole number with thousands separators.
func (s stat) count() string {
	if !s.ok {
		return "n/a"
	}
	return num(int(math.Round(s.v)))
}

func (s stat) format(verb string) string {
	if !s.ok {
		return "n/a"
	}
	return fmt.Sprintf(verb, s.v)
}

// atMost is the verdict of a "≤ limit" target.
func (s stat) atMost(limit float64, unit string) string {
	switch {
	case !s.ok:
		return "not measured"
	case s.v <= limit:
		return "**met**"
	}
	return fmt.Sprintf("**missed** by %.2f %s (%.2f× the target)", s.v-limit, unit, s.v/limit)
}

func writeMicroReport(w io.Writer, f *benchFile, command, benchstat string) {
	p := printer(w)
	p("## Micro-benchmarks")
	p("")
	p("`%s`; every figure is the median of the runs (the processor as Go names it: %s). "+
		"CPU time is the benchmark process's user+system time (getrusage), so it includes the garbage collector's "+
		"work on the other core, which wall time does not.", orUnknown(command), orUnknown(f.cpu))
	p("")
	writeCloudWatchTables(p, f)
	writeSQLTables(p, f)
	writeDiscoveryTable(p, f)
	writeStateTable(p, f)
	writePITable(p, f)
	writeAllTable(p, f)
	if len(f.skipped) > 0 {
		p("Skipped or failed:")
		for _, s := range f.skipped {
			p("- `%s`", strings.ReplaceAll(s, "`", "'"))
		}
		p("")
	}
	if benchstat == "" {
		p("benchstat did not run (see the output of `make bench`): the figures above are medians computed by rdsbench.")
		p("")
	} else {
		p("<details><summary>benchstat summary of the same runs</summary>")
		p("")
		p("```")
		p("%s", strings.TrimRight(benchstat, "\n"))
		p("```")
		p("</details>")
		p("")
	}
}

func writeCloudWatchTables(p func(string, ...any), f *benchFile) {
	p("### CloudWatch datapoints to pdata (5,000 instances, default metric set)")
	p("")
	inventory := f.find(pkgRoot, cloudWatchBench+"/points=0")
	if inventory == nil {
		p("Not measured: %s is missing from the output.", cloudWatchBench)
		p("")
		return
	}
	p("`%s` runs the receiver's `recorder` (decoded GetMetricData batches to pdata) on the plan of the generated "+
		"5,000-instance fleet, %s queries. The `recorder` also emits each resource's inventory metrics (status, storage, ...): "+
		"points=0 measures them alone, and **net** is what a CloudWatch datapoint adds on top, (points=N − points=0) / datapoints: "+
		"the figure the target is about. *Gross* divides everything, inventory included, by the CloudWatch datapoints. "+
		"points=1 is a steady cycle at a 60 s interval (one new point per series), points=5 a first cycle or a 300 s interval.",
		cloudWatchBench, med(f.find(pkgRoot, cloudWatchBench+"/points=1"), "datapoints/op").count())
	p("")
	p("Inventory only (points=0), per cycle: %s ms wall, %s ms CPU, %s allocations for %s resources.",
		med(inventory, "ns/op").scaled(1e-6).format("%.1f"), med(inventory, "cpu-ns/op").scaled(1e-6).format("%.1f"),
		med(inventory, "allocs/op").count(), med(inventory, "resources/op").count())
	p("")
	p("| variant | datapoints/cycle | wall ns/datapoint, gross | CPU ns/datapoint, gross / **net** | allocs/datapoint, gross / **net** | ≤ 1 µs CPU (net) | ≤ 2 allocations (net) |")
	p("|---|---:|---:|---:|---:|---|---|")
	for _, v := range []string{"points=1", "points=5"} {
		r := f.find(pkgRoot, cloudWatchBench+"/"+v)
		if r == nil {
			continue
		}
		cpu, allocs := netOf(r, inventory, "cpu-ns/op"), netOf(r, inventory, "allocs/op")
		p("| %s | %s | %s | %s / **%s** | %s / **%s** | %s | %s |", v, med(r, "datapoints/op").count(),
			med(r, "ns/datapoint").count(), med(r, "cpu-ns/datapoint").count(), cpu.count(),
			med(r, "allocs/datapoint").format("%.2f"), allocs.format("%.2f"),
			cpu.atMost(targetCPUNsPerDatapoint, "ns"), allocs.atMost(targetAllocsPerDatapoint, "allocations"))
	}
	p("")

	p("Beside it, the AWS SDK's own cost of one 500-query GetMetricData call in its default protocol (CBOR) against a " +
		"canned answer on loopback HTTP, which precedes the `recorder` and is outside the target. **Net** subtracts the same " +
		"call answered with 500 empty results: the cost of decoding a datapoint.")
	p("")
	p("| benchmark | datapoints/call | response bytes | wall µs/call | CPU ns/datapoint, gross / **net** | allocs/datapoint, gross / **net** |")
	p("|---|---:|---:|---:|---:|---:|")
	empty := f.find(pkgMetricdata, sdkBench+"/points=0")
	for _, name := range []string{sdkBench + "/points=0", sdkBench + "/points=5", "BenchmarkFetch500"} {
		r := f.find(pkgMetricdata, name)
		if r == nil {
			continue
		}
		cpu, allocs, dp := stat{}, stat{}, med(r, "datapoints/op")
		if r != empty {
			cpu, allocs = netOf(r, empty, "cpu-ns/op"), netOf(r, empty, "allocs/op")
		} else {
			dp = stat{0, true} // per-datapoint units are not reported without datapoints
		}
		p("| %s | %s | %s | %s | %s / **%s** | %s / **%s** |", strings.TrimPrefix(name, "Benchmark"), dp.count(),
			med(r, "response-bytes").count(), med(r, "ns/op").scaled(1e-3).count(),
			med(r, "cpu-ns/datapoint").count(), cpu.count(),
			med(r, "allocs/datapoint").format("%.2f"), allocs.format("%.2f"))
	}
	p("")
	p("Fetch500 is `metricdata.Fetcher.Fetch` of the same call: the SDK plus the mapping of its results to the plan's series, " +
		"the input of the `recorder`.")
	p("")
}
