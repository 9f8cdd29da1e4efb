package awsrdsreceiver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/pi"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// Performance Insights API pricing: the first million requests a month are free, then
// $0.01 per 1,000.
const (
	piFreeRequestsPerMonth = 1_000_000
	usdPerPIRequest        = 0.01 / 1000
)

// piRegion is one region's Performance Insights state. Each instance is one series of
// the window machinery: its mark is the newest period delivered, all of its queries are
// read in one call, and a failed call holds back that instance alone.
type piRegion struct {
	api   pi.API
	rules window.Rules
	win   window.Region
	marks map[string]window.Mark // by DbiResourceId
	// noCounters are instances whose engine refused a default counter: read without.
	noCounters map[string]bool
	saved      struct {
		end   time.Time
		marks map[string]window.Mark
	}
	read bool // read in the scrape in flight
}

func newPIRegion(cfg PerformanceInsightsConfig, interval time.Duration, api pi.API) *piRegion {
	period := pi.PeriodFor(interval)
	return &piRegion{
		api:        api,
		rules:      window.Rules{Period: period, Delay: cfg.Delay, MaxLookback: cfg.MaxLookback, Step: window.StepFor(period, interval, 0)},
		marks:      map[string]window.Mark{},
		noCounters: map[string]bool{},
	}
}

// piDue lets the PI governor choose how often Performance Insights is read for the
// current fleets, says so when that changes, and reports whether it is read at now.
func (s *rdsScraper) piDue(ctx context.Context, now time.Time) bool {
	if s.piGov == nil {
		return false
	}
	n := 0
	for _, r := range s.regions {
		if r.plan != nil {
			n += len(piInstances(r.plan))
		}
	}
	before := s.piGov.effective
	d := s.piGov.adapt(n)
	perMonth := d.projectedPerHour * 30 * 24
	s.tb.ReceiverAwsrdsPiRequestsMonthlyProjected.Record(ctx, perMonth)
	if n != s.piInstances {
		s.piInstances = n
		s.logger.Info("Performance Insights: instances read", zap.Int("instances", n), zap.Int("get_resource_metrics_calls_per_cycle", n),
			zap.Float64("calls_per_month", perMonth), zap.Float64("estimated_usd_per_month", max(0, perMonth-piFreeRequestsPerMonth)*usdPerPIRequest))
	}
	switch {
	case d.effective == before:
	case d.effective == s.piGov.base:
		s.logger.Info("Performance Insights is read every collection_interval again: within performance_insights.budget", zap.Int("instances", n))
	default:
		s.logger.Warn("Performance Insights: calls at collection_interval would exceed performance_insights.budget: reading less often, every period is still read",
			zap.Int("instances", n), zap.Float64("projected_requests_per_month", perMonth),
			zap.Float64("budget_requests_per_month", s.cfg.PerformanceInsights.Budget.RequestsPerMonth),
			zap.Duration("interval", d.effective), zap.Bool("within_budget", d.withinBudget))
	}
	return s.piGov.due(now)
}

// piTarget is one instance read in a cycle.
type piTarget struct {
	rp      *resourcePlan
	queries []pi.Query
	start   time.Time
	mark    window.Mark
	series  []pi.Series
	err     error
}

// piQueries are the queries read for an instance: the enabled load metrics' groups, then
// the engine's counters when their metric is enabled.
func (s *rdsScraper) piQueries(in *discovery.Instance, counters bool) []pi.Query {
	m, top := s.cfg.Metrics, s.cfg.PerformanceInsights.Top
	var qs []pi.Query
	for _, g := range []struct {
		on    bool
		group string
	}{
		{m.AwsRdsPiDbLoadWaitEvent.Enabled, pi.GroupWaitEvent}, {m.AwsRdsPiDbLoadSQL.Enabled, pi.GroupSQL},
		{m.AwsRdsPiDbLoadUser.Enabled, pi.GroupUser}, {m.AwsRdsPiDbLoadHost.Enabled, pi.GroupHost},
	} {
		if g.on {
			qs = append(qs, pi.Query{Metric: pi.Load, Group: g.group, Limit: top})
		}
	}
	if counters && m.AwsRdsPiCounter.Enabled {
		for _, c := range pi.Counters(in.Engine) {
			if len(qs) < pi.MaxQueriesPerCall {
				qs = append(qs, pi.Query{Metric: c + ".avg"})
			}
		}
	}
	return qs
}

// piInstances are the plan's instances that have Performance Insights and are running.
func piInstances(p *queryPlan) []*resourcePlan {
	var out []*resourcePlan
	for i := range p.resources {
		rp := &p.resources[i]
		if in := rp.instance; in != nil && in.PerformanceInsights && in.ResourceID != "" && in.Running() {
			out = append(out, rp)
		}
	}
	return out
}

// collectPI reads the region's Performance Insights windows: one call per instance with
// PI (none for the others), up to max_concurrent_requests at once, then records and emits
// each instance's new points. A failed call loses nothing: the instance's window stays
// where it was and is read again next cycle.
func (s *rdsScraper) collectPI(ctx context.Context, r *region, now time.Time, errs *scrapererror.ScrapeErrors) {
	p := r.pi
	targets := piInstances(r.plan)
	p.saved.end, p.saved.marks = p.win.End, maps.Clone(p.marks)
	p.read = true
	// A governed interval reads several intervals at once.
	p.rules.Step = max(window.StepFor(p.rules.Period, s.cfg.CollectionInterval, 0), s.piGov.effective+p.rules.Period)
	c := p.rules.Begin(&p.win, now, s.cfg.CollectionInterval)
	live := make(map[string]window.Mark, len(targets))
	var jobs []*piTarget
	for _, rp := range targets {
		rid := rp.instance.ResourceID
		m := p.marks[rid]
		start, class := p.rules.Window(&m, c)
		live[rid] = m
		if class == window.Skip {
			continue
		}
		qs := s.piQueries(rp.instance, !p.noCounters[rid])
		if len(qs) == 0 {
			continue
		}
		jobs = append(jobs, &piTarget{rp: rp, queries: qs, start: start, mark: m})
	}
	p.marks = live // instances gone from the fleet are forgotten
	s.readPI(ctx, p, jobs, c.End)

	failed := 0
	var firstErr error
	for _, j := range jobs {
		rid := j.rp.instance.ResourceID
		if j.err != nil {
			failed++
			if firstErr == nil {
				firstErr = j.err
			}
			if j.mark.Fail() {
				s.logger.Warn("Performance Insights read failed: the instance's points are read again next cycle",
					zap.String("region", r.name), zap.String("instance", j.rp.instance.Identifier), zap.Error(j.err))
			}
			p.marks[rid] = j.mark
			continue
		}
		j.mark.Succeed()
		if s.recordPI(j, c.End) > 0 {
			s.mb.EmitForResource(metadata.WithResource(j.rp.resource))
		}
		p.marks[rid] = j.mark
	}
	p.win.Finish(c)
	if failed > 0 {
		errs.AddPartial(failed, fmt.Errorf("region %s: Performance Insights failed for %d of %d instances, read again next cycle: %w",
			r.name, failed, len(jobs), firstErr))
	}
}

// readPI runs the jobs' calls, at most max_concurrent_requests at once. An engine that
// refuses one of the default counters is read again at once without them, and from then on.
func (s *rdsScraper) readPI(ctx context.Context, p *piRegion, jobs []*piTarget, end time.Time) {
	sem := make(chan struct{}, s.cfg.PerformanceInsights.MaxConcurrentRequests)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, j := range jobs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			rid := j.rp.instance.ResourceID
			j.series, _, j.err = pi.Read(ctx, p.api, rid, j.queries, j.start, end, p.rules.Period)
			if j.err != nil && pi.InvalidArgument(j.err) && hasCounters(j.queries) {
				mu.Lock()
				p.noCounters[rid] = true
				mu.Unlock()
				s.logger.Warn("Performance Insights refused a counter for this engine: reading its load without counters",
					zap.String("instance", j.rp.instance.Identifier), zap.Error(j.err))
				j.queries = s.piQueries(j.rp.instance, false)
				j.series, _, j.err = pi.Read(ctx, p.api, rid, j.queries, j.start, end, p.rules.Period)
			}
		}()
	}
	wg.Wait()
}

func hasCounters(qs []pi.Query) bool {
	return slices.ContainsFunc(qs, func(q pi.Query) bool { return q.Group == "" })
}

// recordPI records the job's points of every new, complete period, oldest first, and
// returns how many it recorded.
func (s *rdsScraper) recordPI(j *piTarget, end time.Time) int {
	period := pi.PeriodFor(s.cfg.CollectionInterval)
	var stamps []time.Time
	for _, se := range j.series {
		stamps = append(stamps, se.Timestamps...)
	}
	slices.SortFunc(stamps, func(a, b time.Time) int { return a.Compare(b) })
	stamps = slices.Compact(stamps)
	n := 0
	for _, ts := range stamps {
		if ts.Add(period).After(end) || !j.mark.Admit(ts) {
			continue
		}
		pts := pcommon.NewTimestampFromTime(ts)
		for _, se := range j.series {
			k, ok := slices.BinarySearchFunc(se.Timestamps, ts, func(a, b time.Time) int { return a.Compare(b) })
			if !ok {
				continue
			}
			s.recordPIPoint(j.queries[se.Query], se.Dimensions, pts, se.Values[k])
			n++
		}
	}
	return n
}

func (s *rdsScraper) recordPIPoint(q pi.Query, dims map[string]string, ts pcommon.Timestamp, v float64) {
	switch q.Group {
	case pi.GroupWaitEvent:
		s.mb.RecordAwsRdsPiDbLoadWaitEventDataPoint(ts, v, dims["db.wait_event.name"], dims["db.wait_event.type"])
	case pi.GroupSQL:
		text := ""
		if st := s.cfg.PerformanceInsights.StatementText; st.Enabled {
			text = pi.Truncate(dims["db.sql_tokenized.statement"], st.MaxLength)
		}
		s.mb.RecordAwsRdsPiDbLoadSQLDataPoint(ts, v, dims["db.sql_tokenized.id"], text)
	case pi.GroupUser:
		s.mb.RecordAwsRdsPiDbLoadUserDataPoint(ts, v, dims["db.user.name"])
	case pi.GroupHost:
		s.mb.RecordAwsRdsPiDbLoadHostDataPoint(ts, v, dims["db.host.name"])
	case "":
		s.mb.RecordAwsRdsPiCounterDataPoint(ts, v, q.Metric[:len(q.Metric)-len(".avg")])
	}
}

// rollBack returns the PI state to before the last scrape, like region state in rollBack.
func (p *piRegion) rollBack() {
	if p != nil && p.read {
		p.win.End, p.marks = p.saved.end, p.saved.marks
		p.read = false
	}
}
