package simulator

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profile describes how one series behaves: a level drawn once per series from
// [lo, hi), a daily sinusoid of relative amplitude amp and per-sample noise of relative
// spread noise, clamped to [min, max] (max 0: unbounded). A derived series (sources set)
// is factor times the sum of its sources' samples, so DBLoad = DBLoadCPU + DBLoadNonCPU.
type profile struct {
	lo, hi   float64
	amp      float64
	noise    float64
	min, max float64
	integer  bool
	sources  []string
	factor   float64
}

type series struct {
	id      SeriesID
	prof    profile
	deps    []*series
	seed    uint64
	level   float64
	phase   float64
	created time.Time // zero: the fleet's creation time
}

func newSeries(id SeriesID, p profile, created time.Time) *series {
	seed := hash64(id.DimensionName + "\x00" + id.Identifier + "\x00" + id.Metric)
	return &series{
		id:      id,
		prof:    p,
		seed:    seed,
		level:   p.lo + (p.hi-p.lo)*unit(splitmix64(seed)),
		phase:   2 * math.Pi * unit(splitmix64(seed^0xabcdef)),
		created: created,
	}
}

// sample is raw sample j (0..samplesPerMin-1) of the minute starting at minute*60 s.
func (s *series) sample(minute int64, j int) float64 {
	p := &s.prof
	var x float64
	if len(s.deps) > 0 {
		for _, d := range s.deps {
			x += d.sample(minute, j)
		}
		x *= p.factor
	} else {
		day := 2 * math.Pi * float64(minute%1440) / 1440
		u := unit(splitmix64(s.seed ^ uint64(minute)*0x9e3779b97f4a7c15 ^ uint64(j+1)*0xc2b2ae3d27d4eb4f))
		x = s.level * (1 + p.amp*math.Sin(day+s.phase) + p.noise*(2*u-1))
		if p.integer {
			x = math.Round(x)
		}
	}
	x = math.Max(x, p.min)
	if p.max > 0 {
		x = math.Min(x, p.max)
	}
	return x
}

// firstMinute is the first minute with data: the series' or else the fleet's creation.
func (s *series) firstMinute(fleetCreated time.Time) int64 {
	t := s.created
	if t.IsZero() || t.Before(fleetCreated) {
		t = fleetCreated
	}
	return ceilDiv(t.Unix(), 60)
}

// statistic is a parsed CloudWatch statistic: Average, Sum, Minimum, Maximum,
// SampleCount or a percentile pNN(.NN).
type statistic struct {
	name string
	pct  float64 // > 0 for percentiles
}

func parseStatistic(s string) (statistic, bool) {
	switch s {
	case "Average", "Sum", "Minimum", "Maximum", "SampleCount":
		return statistic{name: s}, true
	}
	if rest, ok := strings.CutPrefix(s, "p"); ok && rest != "" {
		p, err := strconv.ParseFloat(rest, 64)
		if err == nil && p > 0 && p <= 100 && !strings.ContainsAny(rest, "eE+-") {
			return statistic{name: s, pct: p}, true
		}
	}
	return statistic{}, false
}

// aggregate computes the statistic over the raw samples of minutes [from, to) that have
// data: not before first, and, with a status timeline tl, only minutes in which the
// instance published (nil: every minute). False when no minute of the range has data.
func (s *series) aggregate(st statistic, from, to, first int64, tl timeline) (float64, bool) {
	from = max(from, first)
	if from >= to {
		return 0, false
	}
	var (
		n        int
		sum      float64
		lo, hi   = math.Inf(1), math.Inf(-1)
		keepAll  = st.pct > 0
		all      []float64
		minuteAt = from
	)
	if keepAll {
		all = make([]float64, 0, (to-from)*samplesPerMin)
	}
	for ; minuteAt < to; minuteAt++ {
		if !tl.hasMinute(minuteAt) {
			continue
		}
		for j := range samplesPerMin {
			x := s.sample(minuteAt, j)
			n++
			sum += x
			lo, hi = math.Min(lo, x), math.Max(hi, x)
			if keepAll {
				all = append(all, x)
			}
		}
	}
	if n == 0 {
		return 0, false
	}
	switch st.name {
	case "Average":
		return sum / float64(n), true
	case "Sum":
		return sum, true
	case "Minimum":
		return lo, true
	case "Maximum":
		return hi, true
	case "SampleCount":
		return float64(n), true
	}
	// Nearest-rank percentile, which always lies between Minimum and Maximum.
	slices.Sort(all)
	rank := int(math.Ceil(st.pct/100*float64(n))) - 1
	return all[min(max(rank, 0), n-1)], true
}

func ceilDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a > 0) == (b > 0) {
		q++
	}
	return q
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit maps a hash to [0, 1).
func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }
