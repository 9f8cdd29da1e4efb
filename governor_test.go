package awsrdsreceiver

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zapcore"
)

func TestGovernorAdapt(t *testing.T) {
	tests := []struct {
		name          string
		budget        BudgetConfig
		queries       int
		wantEffective time.Duration
		wantWithin    bool
	}{
		{"no budget", BudgetConfig{}, 1_000_000, time.Minute, true},
		{"within budget", BudgetConfig{MetricsPerHour: 60_000}, 1000, time.Minute, true},
		{"three times over", BudgetConfig{MetricsPerHour: 20_000}, 1000, 3 * time.Minute, true},
		{"just over rounds up", BudgetConfig{MetricsPerHour: 59_999}, 1000, 2 * time.Minute, true},
		// $259.2/month = 25.92 M metrics = 36,000/h: 3,000 queries a minute (180,000/h) -> every 5 min.
		{"dollars per month", BudgetConfig{USDPerMonth: 259.2}, 3000, 5 * time.Minute, true},
		{"beyond max lookback", BudgetConfig{MetricsPerHour: 1}, 1000, 2*time.Hour + 55*time.Minute, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cw := createDefaultConfig().(*Config).CloudWatch
			cw.Budget = tt.budget
			g := newGovernor(cw, time.Minute)
			d := g.adapt(tt.queries)
			assert.Equal(t, tt.wantEffective, d.effective)
			assert.Equal(t, tt.wantWithin, d.withinBudget)
			assert.InDelta(t, float64(tt.queries*60), d.projectedPerHour, 1e-6)
		})
	}
}

// TestBudgetStretchesTheIntervalNotTheResolution: with a budget of a third of the load,
// CloudWatch is read every third cycle, the bill drops to a third, and every minute's point
// still arrives, once.
func TestBudgetStretchesTheIntervalNotTheResolution(t *testing.T) {
	probe := newHarness(t, loadSmallFleet(t), nil)
	_, err := probe.scrape(t)
	require.NoError(t, err)
	perCycle := probe.sim.Counters().MetricDataQueries

	h := newHarness(t, loadSmallFleet(t), func(c *Config) {
		c.CloudWatch.Budget.MetricsPerHour = float64(perCycle*60) / 3
	})
	seen := map[point]int{}
	for cycle := range 10 {
		md, err := h.scrape(t)
		require.NoError(t, err)
		for p := range points(md) {
			seen[p]++
		}
		assert.Equal(t, 7, countInstances(md), "cycle %d: inventory every cycle", cycle)
		h.clock.Advance(time.Minute)
	}
	c := h.sim.Counters()
	assert.Equal(t, int64(4), c.Calls["GetMetricData"], "cycles 0, 3, 6 and 9 read CloudWatch")
	assert.Equal(t, 4*perCycle, c.MetricDataQueries, "a third of the metrics requested... plus the first read")

	bySeries := map[[2]string][]time.Time{}
	for p, n := range seen {
		assert.Equal(t, 1, n, "%v emitted %d times", p, n)
		bySeries[[2]string{p.resource, p.metric}] = append(bySeries[[2]string{p.resource, p.metric}], p.ts)
	}
	for k, tss := range bySeries {
		slices.SortFunc(tss, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(tss); i++ {
			assert.Equal(t, time.Minute, tss[i].Sub(tss[i-1]), "%v: full resolution, no gap before %v", k, tss[i])
		}
	}
	warned := h.logs.FilterMessageSnippet("would exceed cloudwatch.budget").FilterLevelExact(zapcore.WarnLevel)
	require.Equal(t, 1, warned.Len(), "the receiver says so at start")
	assert.Equal(t, 3*time.Minute, warned.All()[0].ContextMap()["cloudwatch_interval"])
}

// A collection_interval shorter than the period (SQL every 10 s) reads CloudWatch every
// cycle that completes a period: every minute's point arrives once, and CloudWatch is
// billed once a minute, not six times.
func TestShortIntervalReadsCloudWatchEveryPeriod(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), func(c *Config) { c.CollectionInterval = 10 * time.Second })
	seen := map[point]int{}
	var reads []int
	for cycle := range 37 {
		before := h.sim.Counters().Calls["GetMetricData"]
		md, err := h.scrape(t)
		require.NoError(t, err)
		if h.sim.Counters().Calls["GetMetricData"] > before {
			reads = append(reads, cycle)
		}
		for p := range points(md) {
			seen[p]++
		}
		assert.Positive(t, countInstances(md), "cycle %d: inventory every cycle", cycle)
		h.clock.Advance(10 * time.Second)
	}
	assert.Equal(t, []int{0, 6, 12, 18, 24, 30, 36}, reads, "CloudWatch read every sixth cycle")
	for p, n := range seen {
		assert.Equal(t, 1, n, "%v", p)
	}
	assert.Equal(t, time.Minute, h.scraper.governor.base)
}
