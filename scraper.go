package awsrdsreceiver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/sqlquery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// usdPerMetricRequested is GetMetricData's price: $0.01 per 1,000 metrics requested.
const usdPerMetricRequested = 0.01 / 1000

// rdsScraper collects one receiver's regions: discovery -> plan -> GetMetricData -> pdata.
type rdsScraper struct {
	cfg      *Config
	settings receiver.Settings
	logger   *zap.Logger
	mb       *metadata.MetricsBuilder
	tb       *metadata.TelemetryBuilder
	regions  []*region
	governor *governor
	sql      *sqlquery.Collector // nil without SQL queries
	// sqlTargetsSet is false until the SQL targets were given to sql once.
	sqlTargetsSet bool
	// sqlPrereqs are the missing prerequisites of packs already reported, by target.
	sqlPrereqs map[string]bool
	// slow turns the slow statements of the logs pipeline into metrics.
	slow *slowMetrics
	now  func() time.Time
	// state keeps the regions' windows in the storage extension; nil without one.
	state *stateStore
	// em reads Enhanced Monitoring; nil when enhanced_monitoring.enabled is false.
	em *emCollector
	// pending is true while a scrape's output is on its way through the pipeline: its
	// marks are committed when the pipeline accepts it, rolled back when it refuses it.
	pending bool
	piGov   *governor // Performance Insights calls; nil when disabled
	// piInstances is how many instances Performance Insights was last read for.
	piInstances int
}

// region is the collection state of one AWS region.
type region struct {
	name     string
	fleet    *fleetView
	fetcher  *metricdata.Fetcher
	rules    window.Rules
	win      window.Region
	planner  *queryPlanner
	plan     *queryPlan
	scratch  layoutScratch
	restored map[seriesKey]window.Mark // marks read from storage, until the first plan takes them
	// saved is the state before the scrape in flight, restored if the pipeline refuses it.
	saved struct {
		plan  *queryPlan
		marks []window.Mark
		end   time.Time
	}
	read bool      // CloudWatch was read in the scrape in flight
	pi   *piRegion // nil without performance_insights
	// events counts RDS events for aws.rds.events; nil when the metric is off.
	events *eventCounter
	// lifecycle holds maintenance, engine support and quotas; nil when their metrics are off.
	lifecycle *lifecycleRegion
}

func newScraper(cfg *Config, settings receiver.Settings, now func() time.Time) *rdsScraper {
	return &rdsScraper{
		cfg:      cfg,
		settings: settings,
		logger:   settings.Logger,
		// CloudWatch points are gauges measured over their own period, which may end before
		// the collector started: a start timestamp would be wrong, so none is set.
		mb:  metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, settings, metadata.WithStartTime(0)),
		now: now,
	}
}

// start builds the clients of every region and reads the stored state. It makes no
// network call.
func (s *rdsScraper) start(ctx context.Context, host component.Host) error {
	tb, err := metadata.NewTelemetryBuilder(s.settings.TelemetrySettings)
	if err != nil {
		return err
	}
	s.tb = tb
	s.slow = &slowMetrics{agg: openSlowStats(s.cfg), mb: metadata.NewMetricsBuilder(s.cfg.MetricsBuilderConfig, s.settings),
		k: s.cfg.Logs.SlowQueries.MetricsTopK, from: pcommon.NewTimestampFromTime(s.now())}
	filter, err := s.cfg.fleetFilter()
	if err != nil {
		return err
	}
	sel, err := newSelection(s.cfg.Metrics, s.cfg.CloudWatch)
	if err != nil {
		return err
	}
	cw := s.cfg.CloudWatch
	s.governor = newGovernor(cw, s.cfg.CollectionInterval)
	all, err := regionClients(ctx, s.cfg, s.tb)
	if err != nil {
		return err
	}
	if s.cfg.Storage != nil {
		if s.state, err = openStateStore(ctx, host, *s.cfg.Storage, s.settings.ID, cw.Period); err != nil {
			return err
		}
	}
	onMessage := func(code, value, label string) {
		s.tb.ReceiverAwsrdsCloudwatchMessages.Add(context.Background(), 1, metric.WithAttributes(attribute.String("code", code)))
		s.logger.Debug("GetMetricData message", zap.String("code", code), zap.String("value", value), zap.String("label", label))
	}
	for _, clients := range all {
		r := &region{
			name:  clients.Region,
			fleet: openFleetView(s.cfg, clients, filter),
			fetcher: metricdata.NewFetcher(clients.CloudWatch, metricdata.Options{
				RequestsPerSecond: cw.RequestsPerSecond, Concurrency: cw.MaxConcurrentRequests, OnMessage: onMessage,
			}),
			rules:   window.Rules{Period: cw.Period, Delay: cw.Delay, Overlap: cw.Overlap, MaxLookback: cw.MaxLookback},
			planner: &queryPlanner{resourceBuilder: resourceBuilder{region: clients.Region, resourceTags: s.cfg.ResourceTags, newRB: s.mb.NewResourceBuilder}, sel: sel},
			events:  newEventCounter(s.cfg, clients),

			lifecycle: newLifecycleRegion(s.cfg, clients),
		}
		if s.cfg.PerformanceInsights.Enabled {
			s.piGov = newPIGovernor(s.cfg.PerformanceInsights, s.cfg.CollectionInterval)
			r.pi = newPIRegion(s.cfg.PerformanceInsights, s.cfg.CollectionInterval, clients.PI)
		}
		if s.state != nil {
			r.win, r.restored = s.state.load(ctx, r.name, s.logger)
			s.state.loadPI(ctx, r, s.logger)
		}
		s.regions = append(s.regions, r)
		if s.cfg.EnhancedMonitoring.Enabled {
			if s.em == nil {
				s.em = newEMCollector(s.cfg.EnhancedMonitoring, s.mb, s.tb, s.logger)
			}
			s.em.addRegion(ctx, r.name, clients.Logs, r.planner.resourceBuilder, s.state)
		}
		if s.sql == nil && len(s.cfg.SQL.Queries)+len(s.cfg.SQL.Packs) > 0 {
			// The SDK's credential chain is the same in every region; tokens name their region.
			s.sql = sqlquery.NewCollector(s.cfg.SQL, s.cfg.CollectionInterval, s.tb, s.logger, clients.Credentials)
		}
	}
	return nil
}

func (s *rdsScraper) shutdown(ctx context.Context) error {
	if s.slow != nil {
		closeSlowStats(s.cfg)
		s.slow = nil
	}
	for _, r := range s.regions {
		r.fleet.close()
	}
	var errs []error
	if s.sql != nil {
		errs = append(errs, s.sql.Shutdown(ctx))
	}
	if s.state != nil {
		errs = append(errs, s.state.close(ctx))
		s.state = nil
	}
	if s.tb != nil {
		s.tb.Shutdown()
	}
	return errors.Join(errs...)
}

// scrape discovers (when due), then runs the due SQL queries while CloudWatch is read.
func (s *rdsScraper) scrape(ctx context.Context) (pmetric.Metrics, error) {
	now := s.now()
	var errs scrapererror.ScrapeErrors
	refreshed := false
	for _, r := range s.regions {
		refreshed = s.discover(ctx, r, now, &errs) || refreshed
	}
	if refreshed {
		s.adaptToBudget(ctx)
	}
	sqlDone := s.startSQL(ctx, now, refreshed)
	readCloudWatch := s.governor.due(now)
	readPI := s.piDue(ctx, now)
	for _, r := range s.regions {
		r.read = false
		if r.pi != nil {
			r.pi.read = false
		}
		switch {
		case r.plan == nil:
		case readCloudWatch:
			r.save()
			s.collect(ctx, r, now, &errs)
		default: // the governor stretched the interval: inventory only, CloudWatch next time
			s.newRecorder(r, window.Cycle{}, 0, pcommon.NewTimestampFromTime(now)).finish()
		}
		if r.pi != nil && r.plan != nil && readPI {
			s.collectPI(ctx, r, now, &errs)
		}
	}
	s.em.collect(ctx, now, &errs)
	for _, r := range s.regions {
		s.recordEvents(ctx, r, now, &errs)
		s.recordQuotas(r, pcommon.NewTimestampFromTime(now))
	}
	md := s.mb.Emit()
	s.appendSQL(md, <-sqlDone, &errs)
	s.slow.appendTo(md, now)
	err := errs.Combine()
	// The controller drops the output of a scrape that failed as a whole.
	s.pending = err == nil || scrapererror.IsPartialScrapeError(err)
	if !s.pending {
		s.rollBack()
	}
	return md, err
}

// discover refreshes the region's fleet when due and rebuilds its plan; it reports
// whether the fleet was refreshed.
func (s *rdsScraper) discover(ctx context.Context, r *region, now time.Time, errs *scrapererror.ScrapeErrors) bool {
	fleet, refreshed, err := r.fleet.fleet(ctx, s.tb, s.logger, now)
	if err != nil {
		errs.AddPartial(0, err)
	}
	if refreshed {
		old := r.plan
		r.plan = r.planner.plan(fleet, old, r.restored)
		s.em.setFleet(r.name, fleet)
		r.restored = nil
		s.refreshLifecycle(ctx, r, errs)
		if old == nil || len(old.resources) != len(r.plan.resources) || old.Len() != r.plan.Len() {
			s.logPlan(r, len(fleet.Instances), len(fleet.Clusters))
		}
	}
	return refreshed
}

// collect reads the region's CloudWatch windows and records what is new and final,
// call by call as the answers arrive.
func (s *rdsScraper) collect(ctx context.Context, r *region, now time.Time, errs *scrapererror.ScrapeErrors) {
	interval := s.governor.effective
	r.rules.Step = window.StepFor(r.rules.Period, interval, r.plan.Len())
	c := r.rules.Begin(&r.win, now, interval)
	rd := r.layout(c)
	rec := s.newRecorder(r, c, rd.inStep, pcommon.NewTimestampFromTime(now))
	res := r.fetcher.Fetch(ctx, r.plan, r.rules.Period, rd.spans, rec.batch)
	rec.finish()
	r.win.Finish(c)
	r.read = true

	regionAttr := metric.WithAttributes(attribute.String("region", r.name))
	s.tb.ReceiverAwsrdsMetricsRequested.Add(ctx, int64(res.MetricsRequested))
	s.tb.ReceiverAwsrdsCollectionCostEstimated.Record(ctx, float64(res.MetricsRequested)*usdPerMetricRequested, regionAttr)
	s.tb.ReceiverAwsrdsDatapointsReceived.Add(ctx, int64(rec.points))
	s.tb.ReceiverAwsrdsCloudwatchBehind.Record(ctx, now.Sub(c.End).Seconds(), regionAttr)
	s.tb.ReceiverAwsrdsCloudwatchSeriesHeld.Record(ctx, int64(rd.held), regionAttr)
	if len(rec.callErrs) > 0 {
		// Queries CloudWatch rejects one by one are logged once by the recorder and back
		// off; failed calls are reported every time, their series are read again.
		errs.AddPartial(rec.failedQueries, fmt.Errorf("region %s: %d GetMetricData calls failed, their %d series are read again next cycle: %w",
			r.name, len(rec.callErrs), rec.failedQueries, errors.Join(rec.callErrs...)))
	}
}

// save keeps the region's state before a read, for rollBack.
func (r *region) save() {
	r.saved.plan, r.saved.end = r.plan, r.win.End
	r.saved.marks = append(r.saved.marks[:0], r.plan.marks...)
}

// rollBack returns every region read in the last scrape to its state before it: the
// pipeline did not take the points, so they are read again.
func (s *rdsScraper) rollBack() {
	s.em.rollBack()
	for _, r := range s.regions {
		if r.read && r.plan == r.saved.plan {
			copy(r.plan.marks, r.saved.marks)
			r.win.End = r.saved.end
		}
		r.read = false
		r.pi.rollBack()
	}
}

// delivered is told whether the pipeline took the last scrape's output: the state moves
// on (and is written to storage) only then, so that what the pipeline refused is read
// again and what it took is never read again, across restarts too.
func (s *rdsScraper) delivered(ctx context.Context, err error) {
	if !s.pending {
		return
	}
	s.pending = false
	if err != nil {
		s.rollBack()
		return
	}
	s.em.delivered(ctx, nil)
	if s.state == nil {
		return
	}
	for _, r := range s.regions {
		s.state.savePI(ctx, r, s.logger)
		if !r.read || r.plan == nil {
			continue
		}
		if werr := s.state.save(ctx, r.name, r.win, r.plan); werr != nil {
			s.logger.Warn("Writing the CloudWatch state failed: after a restart, points since the last write may be read again",
				zap.String("region", r.name), zap.Error(werr))
		}
	}
}

const gib = 1 << 30

// recordInventory records what DescribeDBInstances already told us, at no API cost.
func (s *rdsScraper) recordInventory(in *discovery.Instance, now pcommon.Timestamp) {
	s.mb.RecordAwsRdsInstanceStatusDataPoint(now, 1, in.Status)
	s.mb.RecordAwsRdsInstanceMultiAzDataPoint(now, boolInt(in.MultiAZ))
	s.mb.RecordAwsRdsInstancePerformanceInsightsEnabledDataPoint(now, boolInt(in.PerformanceInsights))
	s.mb.RecordAwsRdsInstanceEnhancedMonitoringIntervalDataPoint(now, int64(in.MonitoringIntervalSeconds))
	s.mb.RecordAwsRdsInstanceBackupRetentionPeriodDataPoint(now, int64(in.BackupRetentionPeriodDays))
	if in.AllocatedStorageGiB > 0 {
		s.mb.RecordAwsRdsInstanceStorageAllocatedDataPoint(now, int64(in.AllocatedStorageGiB)*gib)
	}
	if in.MaxAllocatedStorageGiB > 0 {
		s.mb.RecordAwsRdsInstanceStorageMaxAllocatedDataPoint(now, int64(in.MaxAllocatedStorageGiB)*gib)
	}
	if in.ProvisionedIOPS > 0 {
		s.mb.RecordAwsRdsInstanceStorageProvisionedIopsDataPoint(now, int64(in.ProvisionedIOPS))
	}
	if in.StorageThroughputMiBps > 0 {
		s.mb.RecordAwsRdsInstanceStorageProvisionedThroughputDataPoint(now, int64(in.StorageThroughputMiBps)<<20)
	}
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// adaptToBudget lets the governor choose the CloudWatch interval for the current plans
// and says so when it differs from collection_interval.
func (s *rdsScraper) adaptToBudget(ctx context.Context) {
	queries := 0
	for _, r := range s.regions {
		if r.plan != nil {
			queries += r.plan.Len()
		}
	}
	before := s.governor.effective
	d := s.governor.adapt(queries)
	s.tb.ReceiverAwsrdsMetricsRequestedHourlyProjected.Record(ctx, d.projectedPerHour)
	s.tb.ReceiverAwsrdsCloudwatchInterval.Record(ctx, d.effective.Seconds())
	if d.effective == before && d.withinBudget {
		return
	}
	fields := []zap.Field{
		zap.Float64("projected_metrics_per_hour", d.projectedPerHour), zap.Float64("budget_metrics_per_hour", s.governor.budgetPerHour),
		zap.Duration("collection_interval", s.cfg.CollectionInterval), zap.Duration("cloudwatch_interval", d.effective),
		zap.Duration("period", s.cfg.CloudWatch.Period),
	}
	switch {
	case !d.withinBudget:
		s.logger.Error("CloudWatch budget cannot be met: reading as rarely as cloudwatch.max_lookback allows without gaps; raise the budget or disable metrics", fields...)
	case d.effective > s.cfg.CollectionInterval:
		s.logger.Warn("The metric set at collection_interval would exceed cloudwatch.budget: reading CloudWatch less often, every period's point is still collected", fields...)
	default:
		s.logger.Info("CloudWatch is read every collection_interval again: within cloudwatch.budget", fields...)
	}
}

// logPlan says what a cycle will cost, so the AWS bill is predictable.
func (s *rdsScraper) logPlan(r *region, instances, clusters int) {
	perCycle := r.plan.Len()
	cyclesPerMonth := float64(30*24*time.Hour) / float64(s.governor.base)
	fields := []zap.Field{zap.String("region", r.name), zap.Int("instances", instances), zap.Int("clusters", clusters),
		zap.Int("queries_per_cycle", perCycle), zap.Int("get_metric_data_calls_per_cycle", metricdata.Calls(perCycle)),
		zap.Float64("estimated_usd_per_month", float64(perCycle)*usdPerMetricRequested*cyclesPerMonth)}
	if sh := s.cfg.Sharding; sh.Count > 1 {
		// Counts, cost and budget are this shard's: the fleet's are the sums over the shards.
		fields = append(fields, zap.Int("shard_index", sh.Index), zap.Int("shard_count", sh.Count))
	}
	s.logger.Info("Discovered RDS fleet", fields...)
}
