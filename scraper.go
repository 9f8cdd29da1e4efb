package awsrdsreceiver

import (
	"context"
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
	now           func() time.Time
}

// region is the collection state of one AWS region.
type region struct {
	name    string
	fleet   *fleetView
	fetcher *metricdata.Fetcher
	windows *window.Windows
	planner *planner
	plan    *plan
}

func newScraper(cfg *Config, settings receiver.Settings) *rdsScraper {
	return &rdsScraper{
		cfg:      cfg,
		settings: settings,
		logger:   settings.Logger,
		// CloudWatch points are gauges measured over their own period, which may end before
		// the collector started: a start timestamp would be wrong, so none is set.
		mb:  metadata.NewMetricsBuilder(cfg.MetricsBuilderConfig, settings, metadata.WithStartTime(0)),
		now: time.Now,
	}
}

// start builds the clients of every region. It makes no network call.
func (s *rdsScraper) start(ctx context.Context, _ component.Host) error {
	tb, err := metadata.NewTelemetryBuilder(s.settings.TelemetrySettings)
	if err != nil {
		return err
	}
	s.tb = tb
	filter, err := s.cfg.Discovery.Compile()
	if err != nil {
		return fmt.Errorf("discovery: %w", err)
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
	for _, clients := range all {
		s.regions = append(s.regions, &region{
			name:    clients.Region,
			fleet:   openFleetView(s.cfg, clients, filter),
			fetcher: metricdata.NewFetcher(clients.CloudWatch, metricdata.Options{RequestsPerSecond: cw.RequestsPerSecond, Concurrency: cw.MaxConcurrentRequests}),
			windows: window.New(cw.Period, cw.Delay, cw.Overlap, cw.MaxLookback),
			planner: &planner{resources: resources{region: clients.Region, resourceTags: s.cfg.ResourceTags, newRB: s.mb.NewResourceBuilder}, sel: sel, period: cw.Period},
		})
		if s.sql == nil && len(s.cfg.SQL.Queries) > 0 {
			// The SDK's credential chain is the same in every region; tokens name their region.
			s.sql = sqlquery.NewCollector(s.cfg.SQL, s.cfg.CollectionInterval, s.tb, s.logger, clients.Credentials)
		}
	}
	return nil
}

func (s *rdsScraper) shutdown(ctx context.Context) error {
	for _, r := range s.regions {
		r.fleet.close()
	}
	var err error
	if s.sql != nil {
		err = s.sql.Shutdown(ctx)
	}
	if s.tb != nil {
		s.tb.Shutdown()
	}
	return err
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
	for _, r := range s.regions {
		switch {
		case r.plan == nil:
		case readCloudWatch:
			s.collect(ctx, r, now, &errs)
		default: // the governor stretched the interval: inventory only, CloudWatch next time
			s.newRecorder(r.plan, pcommon.NewTimestampFromTime(now)).finish()
		}
	}
	md := s.mb.Emit()
	s.appendSQL(md, <-sqlDone, &errs)
	return md, errs.Combine()
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
		r.plan = r.planner.plan(fleet, old)
		if old == nil || len(old.resources) != len(r.plan.resources) || old.data.Len() != r.plan.data.Len() {
			s.logPlan(r, len(fleet.Instances), len(fleet.Clusters))
		}
	}
	return refreshed
}

// collect reads the region's CloudWatch window and records what is new, batch by batch
// as the answers arrive.
func (s *rdsScraper) collect(ctx context.Context, r *region, now time.Time, errs *scrapererror.ScrapeErrors) {
	rec := s.newRecorder(r.plan, pcommon.NewTimestampFromTime(now))
	if start, end, ok := r.windows.Next(now, s.cfg.CollectionInterval); ok {
		var res metricdata.Result
		if r.plan.data.Len() > 0 {
			res = r.fetcher.Fetch(ctx, r.plan.data, start, end, rec.batch)
			s.tb.ReceiverAwsrdsMetricsRequested.Add(ctx, int64(res.MetricsRequested))
			s.tb.ReceiverAwsrdsCollectionCostEstimated.Record(ctx, float64(res.MetricsRequested)*usdPerMetricRequested,
				metric.WithAttributes(attribute.String("region", r.name)))
		}
		if res.Err != nil {
			// The window is not advanced: the next cycle re-reads it and the
			// high-water marks drop what this one already emitted.
			errs.AddPartial(res.FailedQueries, fmt.Errorf("region %s: %d of %d CloudWatch queries failed: %w",
				r.name, res.FailedQueries, r.plan.data.Len(), res.Err))
		} else {
			r.windows.Advance(end)
		}
	}
	rec.finish()
	s.tb.ReceiverAwsrdsDatapointsReceived.Add(ctx, int64(rec.points))
}

// recorder turns one cycle's CloudWatch batches into pdata. Batches come in query order
// and a resource's queries are contiguous, so resources are emitted one after the other
// as soon as the batches pass their last query: the decoded answers are dropped batch by
// batch, and the output's order does not depend on which call finished first.
type recorder struct {
	s      *rdsScraper
	p      *plan
	now    pcommon.Timestamp
	next   int // the first resource not yet emitted
	points int // new CloudWatch points recorded
}

func (s *rdsScraper) newRecorder(p *plan, now pcommon.Timestamp) *recorder {
	return &recorder{s: s, p: p, now: now}
}

// batch records the new points of one batch; its metricdata.Fetch callback.
func (rc *recorder) batch(b metricdata.Batch) {
	p, mb := rc.p, rc.s.mb
	for k := range b.Series {
		got := &b.Series[k]
		if len(got.Timestamps) == 0 {
			continue
		}
		i := b.First + k
		for rc.next < int(p.series[i].resource) {
			rc.emit()
		}
		mark, e := &p.marks[i], p.selected(i).entry
		for j, ts := range got.Timestamps {
			if mark.Admit(ts) {
				e.RecordCloudWatch(mb, pcommon.NewTimestampFromTime(ts), got.Values[j])
				rc.points++
			}
		}
	}
}

// finish emits the resources that are left: all of them when CloudWatch was not read.
func (rc *recorder) finish() {
	for rc.next < len(rc.p.resources) {
		rc.emit()
	}
}

// emit adds the next resource's inventory metrics to its CloudWatch points and emits them.
func (rc *recorder) emit() {
	rp := &rc.p.resources[rc.next]
	rc.next++
	if rp.instance != nil {
		rc.s.recordInventory(rp.instance, rc.now)
	} else {
		rc.s.mb.RecordAwsRdsClusterMembersDataPoint(rc.now, int64(len(rp.cluster.Members)))
	}
	rc.s.mb.EmitForResource(metadata.WithResource(rp.resource))
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
			queries += r.plan.data.Len()
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
	perCycle := r.plan.data.Len()
	cyclesPerMonth := float64(30*24*time.Hour) / float64(s.cfg.CollectionInterval)
	s.logger.Info("Discovered RDS fleet",
		zap.String("region", r.name), zap.Int("instances", instances), zap.Int("clusters", clusters),
		zap.Int("queries_per_cycle", perCycle), zap.Int("get_metric_data_calls_per_cycle", r.plan.data.Batches()),
		zap.Float64("estimated_usd_per_month", float64(perCycle)*usdPerMetricRequested*cyclesPerMonth))
}
