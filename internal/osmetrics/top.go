package osmetrics

import "sort"

// Top returns the processes worth a series: the k with the most CPU, the k with the most
// memory (the union, at most 2k), and the summary rows, in the list's order. Ties keep
// the list's order, so the choice is deterministic.
func Top(procs []Process, k int) []Process {
	keep := make([]bool, len(procs))
	var rows []int
	for i, p := range procs {
		if p.Summary {
			keep[i] = true
		} else {
			rows = append(rows, i)
		}
	}
	pick := func(val func(Process) float64) {
		sorted := append([]int(nil), rows...)
		sort.SliceStable(sorted, func(a, b int) bool { return val(procs[sorted[a]]) > val(procs[sorted[b]]) })
		for _, i := range sorted[:min(k, len(sorted))] {
			keep[i] = true
		}
	}
	pick(func(p Process) float64 { return deref(p.CPUPercent) })
	pick(func(p Process) float64 { return deref(p.MemoryPercent) })
	var out []Process
	for i, p := range procs {
		if keep[i] {
			out = append(out, p)
		}
	}
	return out
}

func deref(x *float64) float64 {
	if x == nil {
		return 0
	}
	return *x
}
