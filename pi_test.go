package awsrdsreceiver

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdkpi "github.com/aws/aws-sdk-go-v2/service/pi"
	pitypes "github.com/aws/aws-sdk-go-v2/service/pi/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/otelcol-rds/awsrdsreceiver/internal/pi"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// piPoint is one Performance Insights point the receiver emitted.
type piPoint struct {
	rid, metric string
	attrs       map[string]string
	ts          time.Time
	value       float64
}

func (p piPoint) series() string {
	keys := make([]string, 0, len(p.attrs))
	for k, v := range p.attrs {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return p.rid + " " + p.metric + " " + strings.Join(keys, ",")
}

func piPoints(md pmetric.Metrics) []piPoint {
	var out []piPoint
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		rid, _ := rm.Resource().Attributes().Get("aws.rds.db_instance.resource_id")
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if !strings.HasPrefix(m.Name(), "aws.rds.pi.") {
					continue
				}
				dps := m.Gauge().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					dp := dps.At(d)
					attrs := map[string]string{}
					dp.Attributes().Range(func(k string, v pcommon.Value) bool { attrs[k] = v.AsString(); return true })
					out = append(out, piPoint{rid.Str(), m.Name(), attrs, dp.Timestamp().AsTime(), dp.DoubleValue()})
				}
			}
		}
	}
	return out
}

// truth is the simulator's value of an emitted point.
func piTruth(t *testing.T, sim *simulator.Server, p piPoint) float64 {
	t.Helper()
	var v float64
	var ok bool
	switch p.metric {
	case "aws.rds.pi.db_load.wait_event":
		v, ok = sim.PILoad(p.rid, pi.GroupWaitEvent, map[string]string{"db.wait_event.name": p.attrs["aws.rds.pi.wait_event.name"], "db.wait_event.type": p.attrs["aws.rds.pi.wait_event.type"]}, p.ts, time.Minute)
	case "aws.rds.pi.db_load.sql":
		v, ok = sim.PILoad(p.rid, pi.GroupSQL, map[string]string{"db.sql_tokenized.id": p.attrs["aws.rds.pi.sql.id"], "db.sql_tokenized.statement": piStatement(sim, p.attrs["aws.rds.pi.sql.id"])}, p.ts, time.Minute)
	case "aws.rds.pi.db_load.user":
		v, ok = sim.PILoad(p.rid, pi.GroupUser, map[string]string{"db.user.name": p.attrs["db.user"]}, p.ts, time.Minute)
	case "aws.rds.pi.db_load.host":
		v, ok = sim.PILoad(p.rid, pi.GroupHost, map[string]string{"db.host.name": p.attrs["client.address"]}, p.ts, time.Minute)
	case "aws.rds.pi.counter":
		v, ok = sim.PICounter(p.rid, p.attrs["aws.rds.pi.counter.name"], p.ts, time.Minute)
	}
	require.True(t, ok, "no ground truth for %s at %v", p.series(), p.ts)
	return v
}

// piStatement finds a statement's text (as the API returns it) by its id.
func piStatement(sim *simulator.Server, id string) string {
	return sim.PIStatement(id)
}

func piFleet() simulator.Fleet {
	return simulator.Fleet{Instances: []simulator.Instance{
		{Identifier: "pg-pi", Engine: "postgres", Class: "db.r6g.large", PerformanceInsights: true},
		{Identifier: "my-pi", Engine: "mysql", Class: "db.r6g.large", PerformanceInsights: true},
		{Identifier: "aurora-pi", Engine: "aurora-postgresql", Class: "db.r6g.large", PerformanceInsights: true},
		{Identifier: "no-pi", Engine: "postgres", Class: "db.t4g.micro"},
		{Identifier: "no-pi-2", Engine: "mysql", Class: "db.t4g.micro"},
		{Identifier: "stopped-pi", Engine: "postgres", Class: "db.r6g.large", PerformanceInsights: true, Status: "stopped"},
	}}
}

func withPI(cfg *Config) {
	cfg.PerformanceInsights.Enabled = true
	cfg.Endpoints.PI = cfg.Endpoints.RDS
	cfg.PerformanceInsights.StatementText.MaxLength = 60
}

// checkPIExactlyOnce asserts that every PI instance's series has one point per minute,
// contiguous from the first cycle's to the last, each equal to the ground truth.
func checkPIExactlyOnce(t *testing.T, sim *simulator.Server, points []piPoint, from, to time.Time) {
	t.Helper()
	seen := map[string]map[time.Time]bool{}
	perInstance := map[string]map[string]bool{}
	for _, p := range points {
		s := p.series()
		if seen[s] == nil {
			seen[s] = map[time.Time]bool{}
		}
		require.False(t, seen[s][p.ts], "%s at %v twice", s, p.ts)
		seen[s][p.ts] = true
		assert.Equal(t, piTruth(t, sim, p), p.value, "%s at %v", s, p.ts)
		if perInstance[p.rid] == nil {
			perInstance[p.rid] = map[string]bool{}
		}
		perInstance[p.rid][p.metric] = true
		if q, ok := p.attrs["db.query.text"]; ok {
			assert.LessOrEqual(t, len(q), 60, "statement_text.max_length")
		}
	}
	for _, in := range sim.Fleet().Instances {
		if !in.PerformanceInsights || in.Status == "stopped" {
			assert.Empty(t, perInstance[in.DbiResourceID], in.Identifier)
			continue
		}
		assert.Len(t, perInstance[in.DbiResourceID], 5, "%s: load by wait event, SQL, user, host and counters", in.Identifier)
	}
	for s, stamps := range seen {
		for ts := from; ts.Before(to); ts = ts.Add(time.Minute) {
			assert.True(t, stamps[ts], "%s: no point at %v", s, ts)
		}
		assert.Len(t, stamps, int(to.Sub(from)/time.Minute), s)
	}
}

// scrapeEveryMinute runs n scrapes a minute apart and returns their PI points.
func scrapeEveryMinute(t *testing.T, h *harness, n int) []piPoint {
	t.Helper()
	var points []piPoint
	for range n {
		md, err := h.scrape(t)
		require.NoError(t, err)
		points = append(points, piPoints(md)...)
		h.clock.Advance(time.Minute)
	}
	return points
}

func TestPIGroundTruthEveryPeriodOnce(t *testing.T) {
	h := newHarness(t, piFleet(), withPI)
	const cycles = 6
	points := scrapeEveryMinute(t, h, cycles)
	// The first cycle at 10:00:30 reads the minute before the horizon (now - 30 s, to the
	// minute): [09:59, 10:00); the last, at 10:05:30, reads up to 10:05.
	from := t0.Add(-30*time.Second - time.Minute)
	checkPIExactlyOnce(t, h.sim, points, from, from.Add(cycles*time.Minute))

	c := h.sim.Counters()
	for _, in := range h.sim.Fleet().Instances {
		want := int64(0)
		if in.PerformanceInsights && in.Status != "stopped" {
			want = cycles
		}
		assert.Equal(t, want, c.PICallsByIdentifier[in.DbiResourceID], "%s: one call per cycle, none without PI or stopped", in.Identifier)
	}
	assert.Equal(t, int64(3*cycles), c.Calls["GetResourceMetrics"])
	logged := h.logs.FilterMessage("Performance Insights: instances read").All()
	if assert.Len(t, logged, 1, "logged when the number changes") {
		f := logged[0].ContextMap()
		assert.Equal(t, int64(3), f["get_resource_metrics_calls_per_cycle"])
		assert.Equal(t, 0.0, f["estimated_usd_per_month"], "129,600 calls a month: within the free tier")
	}
}

func TestPIBudgetReadsLessOftenEveryPeriodOnce(t *testing.T) {
	h := newHarness(t, piFleet(), func(cfg *Config) {
		withPI(cfg)
		// 3 instances every minute are 129,600 calls a month: half of it fits.
		cfg.PerformanceInsights.Budget.RequestsPerMonth = 64_800
	})
	const cycles = 6
	points := scrapeEveryMinute(t, h, cycles)
	// Read at 10:00:30, 10:02:30 and 10:04:30: up to 10:04.
	from := t0.Add(-30*time.Second - time.Minute)
	checkPIExactlyOnce(t, h.sim, points, from, from.Add(5*time.Minute))
	assert.Equal(t, int64(3*cycles/2), h.sim.Counters().Calls["GetResourceMetrics"], "every other cycle")
}

func TestPIFailedCallLosesOnlyThatInstanceThisCycle(t *testing.T) {
	h := newHarness(t, piFleet(), func(cfg *Config) {
		withPI(cfg)
		cfg.CloudWatch.MaxAttempts = 2
	})
	var pgRID string
	for _, in := range h.sim.Fleet().Instances {
		if in.Identifier == "pg-pi" {
			pgRID = in.DbiResourceID
		}
	}
	var points []piPoint
	var lastErr error
	scrape := func() []piPoint {
		md, err := h.scrape(t)
		got := piPoints(md)
		points = append(points, got...)
		h.clock.Advance(time.Minute)
		if err != nil {
			require.True(t, scrapererror.IsPartialScrapeError(err), err)
		}
		lastErr = err
		return got
	}
	rids := func(ps []piPoint) map[string]bool {
		m := map[string]bool{}
		for _, p := range ps {
			m[p.rid] = true
		}
		return m
	}
	scrape()
	h.sim.FailQueriesFor(pgRID) // every attempt fails, retries included
	got := scrape()
	require.ErrorContains(t, lastErr, "Performance Insights failed for 1 of 3 instances")
	assert.False(t, rids(got)[pgRID], "the failing instance has no points this cycle")
	assert.Len(t, rids(got), 2, "the others have theirs")
	h.sim.ClearFaults()
	got = scrape()
	stamps := map[time.Time]bool{}
	for _, p := range got {
		if p.rid == pgRID {
			stamps[p.ts] = true
		}
	}
	assert.Len(t, stamps, 2, "next cycle reads the missed period and the new one")

	// Throttling beyond the retries: whichever calls get it are read next cycle.
	h.sim.ThrottleNext("GetResourceMetrics", 6)
	scrape()
	require.ErrorContains(t, lastErr, "Performance Insights failed for 3 of 3 instances", "every attempt throttled (max_attempts 2)")
	scrape()
	require.NoError(t, lastErr)
	from := t0.Add(-30*time.Second - time.Minute)
	checkPIExactlyOnce(t, h.sim, points, from, from.Add(5*time.Minute))
}

func TestPIStateRoundTrip(t *testing.T) {
	p := newPIRegion(defaultPerformanceInsights(), time.Minute, nil)
	p.win.End = t0.Truncate(time.Minute)
	p.marks["db-A"] = window.MarkAt(p.win.End.Add(-time.Minute))
	p.marks["db-B"] = window.MarkAt(p.win.End.Add(-5 * time.Minute))
	win, marks, err := decodePIState(encodePIState(p), time.Minute)
	require.NoError(t, err)
	assert.True(t, win.End.Equal(p.win.End))
	assert.Equal(t, len(p.marks), len(marks))
	for id, m := range p.marks {
		assert.True(t, m.Newest().Equal(marks[id].Newest()), id)
	}
	_, _, err = decodePIState(encodePIState(p), 5*time.Minute)
	assert.ErrorContains(t, err, "period")
	_, _, err = decodePIState(encodePIState(p)[:7], time.Minute)
	assert.Error(t, err)
}

func TestPIConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		modify func(*PerformanceInsightsConfig)
		want   string
	}{
		{func(c *PerformanceInsightsConfig) { c.Top = 26 }, "performance_insights.top: 26 must be between 1 and 25"},
		{func(c *PerformanceInsightsConfig) { c.Top = 0 }, "performance_insights.top: 0"},
		{func(c *PerformanceInsightsConfig) { c.StatementText.MaxLength = 501 }, "performance_insights.statement_text.max_length: 501"},
		{func(c *PerformanceInsightsConfig) { c.Delay = -time.Second }, "performance_insights.delay: -1s"},
		{func(c *PerformanceInsightsConfig) { c.MaxLookback = time.Minute }, "performance_insights.max_lookback: 1m0s"},
		{func(c *PerformanceInsightsConfig) { c.MaxConcurrentRequests = 0 }, "performance_insights.max_concurrent_requests: 0"},
		{func(c *PerformanceInsightsConfig) { c.Budget.RequestsPerMonth = -1 }, "performance_insights.budget.requests_per_month: -1"},
	} {
		cfg := createDefaultConfig().(*Config)
		cfg.Region = "us-east-1"
		tc.modify(&cfg.PerformanceInsights)
		assert.ErrorContains(t, cfg.Validate(), tc.want)
	}
	cfg := createDefaultConfig().(*Config)
	cfg.Region = "us-east-1"
	cfg.PerformanceInsights.Enabled = true
	assert.NoError(t, cfg.Validate())
}

func TestPIStatementTextOff(t *testing.T) {
	h := newHarness(t, piFleet(), func(cfg *Config) {
		withPI(cfg)
		cfg.PerformanceInsights.StatementText.Enabled = false
	})
	md, err := h.scrape(t)
	require.NoError(t, err)
	n := 0
	for _, p := range piPoints(md) {
		if p.metric == "aws.rds.pi.db_load.sql" {
			n++
			assert.Empty(t, p.attrs["db.query.text"])
			assert.NotEmpty(t, p.attrs["aws.rds.pi.sql.id"])
		}
	}
	assert.Positive(t, n)
}

// noOSCounters is an engine (as a wrapper of the real client) that has no os.* counters.
type noOSCounters struct{ pi.API }

func (n noOSCounters) GetResourceMetrics(ctx context.Context, in *sdkpi.GetResourceMetricsInput, o ...func(*sdkpi.Options)) (*sdkpi.GetResourceMetricsOutput, error) {
	for _, q := range in.MetricQueries {
		if strings.HasPrefix(*q.Metric, "os.") {
			return nil, &pitypes.InvalidArgumentException{Message: q.Metric}
		}
	}
	return n.API.GetResourceMetrics(ctx, in, o...)
}

func TestPIEngineWithoutACounterStillHasItsLoad(t *testing.T) {
	h := newHarness(t, piFleet(), withPI)
	h.scraper.regions[0].pi.api = noOSCounters{h.scraper.regions[0].pi.api}
	for range 2 {
		md, err := h.scrape(t)
		require.NoError(t, err)
		metrics := map[string]bool{}
		for _, p := range piPoints(md) {
			metrics[p.metric] = true
		}
		assert.True(t, metrics["aws.rds.pi.db_load.wait_event"])
		assert.False(t, metrics["aws.rds.pi.counter"])
		h.clock.Advance(time.Minute)
	}
	// The refused calls never reach the simulator: one call per instance per cycle.
	assert.Equal(t, int64(3+3), h.sim.Counters().Calls["GetResourceMetrics"])
	assert.Equal(t, 3, h.logs.FilterMessageSnippet("refused a counter").Len())
}

func TestPIEveryPeriodOnceAcrossRestartsAndRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(d *durable, scrape func(refuse error))
	}{
		{"kill, restart 20 s later", func(d *durable, scrape func(error)) {
			d.kill()
			d.clock.Advance(20 * time.Second)
			d.start()
		}},
		{"killed in the middle of a scrape", func(d *durable, scrape func(error)) {
			_, err := d.scraper.scrape(context.Background()) // never delivered: the process dies
			require.NoError(t, err)
			d.kill()
			d.clock.Advance(30 * time.Second)
			d.start()
		}},
		{"the pipeline refuses two scrapes", func(d *durable, scrape func(error)) {
			scrape(errors.New("exporter queue full"))
			d.clock.Advance(time.Minute)
			scrape(errors.New("exporter queue full"))
			d.clock.Advance(time.Minute)
		}},
		{"stopped 30 minutes", func(d *durable, scrape func(error)) {
			d.stop()
			d.clock.Advance(30 * time.Minute)
			d.start()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDurable(t, piFleet(), simulator.Config{}, func(cfg *Config) {
				withPI(cfg)
				cfg.Endpoints.PI = cfg.Endpoints.RDS
			})
			var points []piPoint
			scrape := func(refuse error) {
				md, err := d.scraper.scrape(context.Background())
				if err != nil {
					require.True(t, scrapererror.IsPartialScrapeError(err), err)
				}
				d.scraper.delivered(context.Background(), refuse)
				if refuse == nil {
					points = append(points, piPoints(md)...)
				}
			}
			d.start()
			for range 5 {
				scrape(nil)
				d.clock.Advance(time.Minute)
			}
			tc.run(d, scrape)
			for range 5 {
				scrape(nil)
				d.clock.Advance(time.Minute)
			}
			from := t0.Add(-30*time.Second - time.Minute)
			to := d.clock.now.Add(-time.Minute - 30*time.Second).Truncate(time.Minute)
			checkPIExactlyOnce(t, d.sim, points, from, to)
		})
	}
}

// queriesSeen records the MetricQueries of every call.
type queriesSeen struct {
	pi.API
	mu     sync.Mutex
	counts []int
}

func (q *queriesSeen) GetResourceMetrics(ctx context.Context, in *sdkpi.GetResourceMetricsInput, o ...func(*sdkpi.Options)) (*sdkpi.GetResourceMetricsOutput, error) {
	q.mu.Lock()
	q.counts = append(q.counts, len(in.MetricQueries))
	q.mu.Unlock()
	return q.API.GetResourceMetrics(ctx, in, o...)
}

func TestPIMetricsOffAndTopBoundWhatIsRead(t *testing.T) {
	h := newHarness(t, piFleet(), func(cfg *Config) {
		withPI(cfg)
		cfg.PerformanceInsights.Top = 2
		cfg.Metrics.AwsRdsPiCounter.Enabled = false
		cfg.Metrics.AwsRdsPiDbLoadHost.Enabled = false
	})
	seen := &queriesSeen{API: h.scraper.regions[0].pi.api}
	h.scraper.regions[0].pi.api = seen
	md, err := h.scrape(t)
	require.NoError(t, err)
	assert.Equal(t, []int{3, 3, 3}, seen.counts, "wait event, SQL and user: no counters, no host")
	series := map[string]map[string]bool{}
	for _, p := range piPoints(md) {
		k := p.rid + " " + p.metric
		if series[k] == nil {
			series[k] = map[string]bool{}
		}
		series[k][p.series()] = true
	}
	assert.Len(t, series, 3*3)
	for k, s := range series {
		assert.Len(t, s, 2, "%s: top 2", k)
	}
}

func TestPIShortIntervalReadsOncePerPeriod(t *testing.T) {
	h := newHarness(t, piFleet(), func(cfg *Config) {
		withPI(cfg)
		cfg.CollectionInterval = 10 * time.Second
	})
	var points []piPoint
	for range 18 { // three minutes
		md, err := h.scrape(t)
		require.NoError(t, err)
		points = append(points, piPoints(md)...)
		h.clock.Advance(10 * time.Second)
	}
	assert.Equal(t, int64(3*3), h.sim.Counters().Calls["GetResourceMetrics"], "one call per instance a minute, not every 10 s")
	logged := h.logs.FilterMessage("Performance Insights: instances read").All()
	require.Len(t, logged, 1)
	assert.InDelta(t, 3*43200.0, logged[0].ContextMap()["calls_per_month"], 1e-6, "projected at one read a minute")
	from := t0.Add(-30*time.Second - time.Minute)
	checkPIExactlyOnce(t, h.sim, points, from, from.Add(3*time.Minute))
}
