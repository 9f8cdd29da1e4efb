package awsrdsreceiver

import (
	"math"
	"time"
)

// governor keeps the CloudWatch bill within cloudwatch.budget. GetMetricData is billed per
// metric requested, not per datapoint, so reading every k-th cycle costs 1/k as much and,
// because windows are contiguous, still returns every period's point: the governor
// lengthens the interval instead of dropping metrics.
type governor struct {
	budgetPerHour float64       // metrics per hour; 0 = no budget
	interval      time.Duration // collection_interval
	// base is how often CloudWatch is read without a budget: every cycle, or with a
	// collection_interval shorter than the period (SQL every 10 s), every cycle that
	// completes a period, since reading more often returns nothing new and is billed.
	base        time.Duration
	maxInterval time.Duration // beyond max_lookback a window would leave a gap
	effective   time.Duration
	last        time.Time // when CloudWatch was last read
}

func newGovernor(cw CloudWatchConfig, interval time.Duration) *governor {
	budget := cw.Budget.MetricsPerHour
	if cw.Budget.USDPerMonth > 0 {
		budget = cw.Budget.USDPerMonth / usdPerMetricRequested / (30 * 24)
	}
	base := interval
	if interval > 0 && interval < cw.Period {
		base = time.Duration(math.Ceil(float64(cw.Period)/float64(interval))) * interval
	}
	return &governor{budgetPerHour: budget, interval: interval, base: base, maxInterval: cw.MaxLookback - cw.Overlap, effective: base}
}

// decision is what adapt concluded, for logs and telemetry.
type decision struct {
	projectedPerHour float64 // at the base interval
	effective        time.Duration
	withinBudget     bool // false when even the longest interval exceeds the budget
}

// adapt sets the effective interval for a plan of queriesPerCycle metrics per read.
func (g *governor) adapt(queriesPerCycle int) decision {
	projected := float64(queriesPerCycle) * float64(time.Hour) / float64(g.base)
	d := decision{projectedPerHour: projected, effective: g.base, withinBudget: true}
	if g.budgetPerHour > 0 && projected > g.budgetPerHour {
		// The tolerance keeps a budget given in dollars from rounding 5.0000001 up to 6.
		k := math.Ceil(projected/g.budgetPerHour - 1e-9)
		d.effective = time.Duration(k) * g.base
		if limit := max(g.base, g.maxInterval.Truncate(g.base)); d.effective > limit {
			d.effective, d.withinBudget = limit, false
		}
	}
	g.effective = d.effective
	return d
}

// due reports whether CloudWatch is read at now. Half an interval of slack absorbs the
// jitter of the collector's ticker.
func (g *governor) due(now time.Time) bool {
	if !g.last.IsZero() && now.Sub(g.last) < g.effective-g.interval/2 {
		return false
	}
	g.last = now
	return true
}
