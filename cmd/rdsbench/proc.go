package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// userHZ is the unit of utime and stime in /proc/<pid>/stat: fixed at 100 by the
// kernel ABI whatever the kernel's internal tick rate.
const userHZ = 100

// cpuSeconds is the user plus system CPU time of a process and all its threads.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads fields 14 (utime) and 15 (stime) of /proc/<pid>/stat. The command
// name (field 2) may contain spaces and parentheses, so fields are counted after its
// closing parenthesis, where field 3 starts.
func parseStatCPU(stat string) (float64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat %q", stat)
	}
	fields := strings.Fields(stat[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("malformed /proc stat %q", stat)
	}
	utime, err1 := strconv.ParseUint(fields[11], 10, 64)
	stime, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc stat times %q %q", fields[11], fields[12])
	}
	return float64(utime+stime) / userHZ, nil
}

// memory is a process's resident set now and at its peak (VmRSS and VmHWM), in bytes.
type memory struct{ rss, peak int64 }

func memoryOf(pid int) (memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	return parseStatusMemory(string(b))
}

func parseStatusMemory(status string) (memory, error) {
	var m memory
	found := 0
	for _, line := range strings.Split(status, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("/proc status %s: %w", k, err)
		}
		if k == "VmRSS" {
			m.rss = kb << 10
		} else {
			m.peak = kb << 10
		}
		found++
	}
	if found != 2 {
		return memory{}, fmt.Errorf("/proc status: VmRSS or VmHWM missing")
	}
	return m, nil
}

// allocStats are the Go runtime's cumulative allocation counters of the collector.
type allocStats struct{ mallocs, bytes int64 }

// collectorAllocs reads runtime.MemStats from the collector's pprof extension: the text
// heap profile ends with them ("# Mallocs = N", "# TotalAlloc = N").
func collectorAllocs(ctx context.Context, pprofAddr string) (allocStats, error) {
	body, err := httpGet(ctx, "http://"+pprofAddr+"/debug/pprof/heap?debug=1")
	if err != nil {
		return allocStats{}, err
	}
	return parseMemStats(body)
}

func parseMemStats(profile string) (allocStats, error) {
	var a allocStats
	found := 0
	for _, line := range strings.Split(profile, "\n") {
		for key, dst := range map[string]*int64{"# Mallocs = ": &a.mallocs, "# TotalAlloc = ": &a.bytes} {
			if v, ok := strings.CutPrefix(line, key); ok {
				n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return allocStats{}, fmt.Errorf("heap profile %q: %w", line, err)
				}
				*dst = n
				found++
			}
		}
	}
	if found != 2 {
		return allocStats{}, fmt.Errorf("heap profile without MemStats")
	}
	return a, nil
}

// promSum adds up the samples of one metric family in Prometheus text format: the first
// of names that has samples (exporters add or drop suffixes such as _total by version).
func promSum(text string, names ...string) (float64, bool) {
	var sum float64
	samples := promSamples(text, names...)
	for _, v := range samples {
		sum += v
	}
	return sum, len(samples) > 0
}

// promMax is the largest sample of one metric family (the first of names that has any).
func promMax(text string, names ...string) (float64, bool) {
	samples := promSamples(text, names...)
	if len(samples) == 0 {
		return 0, false
	}
	return slices.Max(samples), true
}

// promSamples are the sample values of the first of names that has any.
func promSamples(text string, names ...string) []float64 {
	for _, name := range names {
		if s := familySamples(text, name); len(s) > 0 {
			return s
		}
	}
	return nil
}

// familySamples are the sample values of one metric family, whatever their labels.
func familySamples(text, name string) []float64 {
	var out []float64
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), name)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "{"): // labels; quoted values may hold spaces
			i := strings.LastIndexByte(rest, '}')
			if i < 0 {
				continue
			}
			rest = rest[i+1:]
		case !strings.HasPrefix(rest, " "): // another family with a longer name
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out
}

// httpGet fetches a local URL within a bounded time.
func httpGet(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return string(b), nil
}
