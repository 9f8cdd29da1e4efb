package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// benchResult is one benchmark's runs (one per -count) from `go test -bench` output.
type benchResult struct {
	pkg, name string
	runs      []map[string]float64 // unit -> value; "iterations" is the b.N of the run
}

// median of one unit over the runs; false when no run reported it.
func (r *benchResult) median(unit string) (float64, bool) {
	var vs []float64
	for _, run := range r.runs {
		if v, ok := run[unit]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return 0, false
	}
	sort.Float64s(vs)
	if len(vs)%2 == 1 {
		return vs[len(vs)/2], true
	}
	return (vs[len(vs)/2-1] + vs[len(vs)/2]) / 2, true
}

// units lists the units the runs reported, ns/op, B/op and allocs/op first.
func (r *benchResult) units() []string {
	seen := map[string]bool{}
	var out []string
	for _, u := range []string{"ns/op", "B/op", "allocs/op"} {
		for _, run := range r.runs {
			if _, ok := run[u]; ok && !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	var custom []string
	for _, run := range r.runs {
		for u := range run {
			if !seen[u] && u != "iterations" {
				seen[u] = true
				custom = append(custom, u)
			}
		}
	}
	slices.Sort(custom)
	return append(out, custom...)
}

// benchFile is a parsed `go test -bench` output.
type benchFile struct {
	cpu     string // the "cpu:" header, the processor as Go names it
	results []*benchResult
	skipped []string // "--- SKIP" and "--- FAIL" lines with their reason
}

func (f *benchFile) find(pkgSuffix, name string) *benchResult {
	for _, r := range f.results {
		if r.name == name && strings.HasSuffix(r.pkg, pkgSuffix) {
			return r
		}
	}
	return nil
}

// benchLine is "BenchmarkName-P  N  v unit  v unit ...".
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

func parseBench(r io.Reader) (*benchFile, error) {
	f := &benchFile{}
	byKey := map[string]*benchResult{}
	pkg := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var pendingStatus string
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "pkg: "):
			pkg = strings.TrimPrefix(line, "pkg: ")
			continue
		case strings.HasPrefix(line, "cpu: ") && f.cpu == "":
			f.cpu = strings.TrimSpace(strings.TrimPrefix(line, "cpu: "))
			continue
		case strings.HasPrefix(trimmed, "--- SKIP") || strings.HasPrefix(trimmed, "--- FAIL"):
			pendingStatus = trimmed
			continue
		case pendingStatus != "" && !strings.HasPrefix(line, "Benchmark"):
			if trimmed != "" {
				f.skipped = append(f.skipped, pendingStatus+": "+trimmed)
			}
			pendingStatus = ""
			continue
		}
		pendingStatus = ""
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		fields := strings.Fields(m[3])
		if len(fields)%2 != 0 {
			continue // a benchmark's log line, not a result
		}
		run := map[string]float64{}
		n, _ := strconv.ParseFloat(m[2], 64)
		run["iterations"] = n
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				run = nil
				break
			}
			run[fields[i+1]] = v
		}
		if run == nil {
			continue
		}
		key := pkg + " " + m[1]
		res := byKey[key]
		if res == nil {
			res = &benchResult{pkg: pkg, name: m[1]}
			byKey[key] = res
			f.results = append(f.results, res)
		}
		res.runs = append(res.runs, run)
	}
	return f, sc.Err()
}
