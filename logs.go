package awsrdsreceiver

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/rdslogs"
	"github.com/otelcol-rds/awsrdsreceiver/internal/slowlog"
)

// Log record attributes.
const (
	attrLogType   = "aws.rds.log.type"
	attrLogGroup  = "aws.rds.log.group"
	attrLogStream = "aws.rds.log.stream"
)

// logsScraper reads the RDS log groups of every region's discovered fleet. Its records
// carry the same resources as the instance's metrics.
type logsScraper struct {
	cfg      *Config
	settings receiver.Settings
	logger   *zap.Logger
	tb       *metadata.TelemetryBuilder
	regions  []*logsRegion
	now      func() time.Time
	// slowStreams holds, per group and stream, the slow entry reassembly (only while an
	// unfinished entry waits).
	slowStreams map[string]*slowlog.Stream
	events      *eventsStore // the RDS events cursors' storage; nil without one
}

type logsRegion struct {
	name            string
	fleet           *fleetView
	reader          *rdslogs.Reader
	resourceBuilder resourceBuilder
	events          *eventsRegion // nil unless logs.events.enabled

	// Rebuilt on every discovery refresh.
	groups    []rdslogs.Group
	instances map[string]pcommon.Resource
	clusters  map[string]clusterLogs
	proxies   map[string]pcommon.Resource // by proxy name, for db-proxy events
}

type clusterLogs struct {
	resource pcommon.Resource
	members  []string
}

func newLogsScraper(cfg *Config, settings receiver.Settings) *logsScraper {
	return &logsScraper{cfg: cfg, settings: settings, logger: settings.Logger, now: time.Now}
}

// start builds the clients of every region. It makes no network call.
func (s *logsScraper) start(ctx context.Context, host component.Host) error {
	tb, err := metadata.NewTelemetryBuilder(s.settings.TelemetrySettings)
	if err != nil {
		return err
	}
	s.tb = tb
	filter, err := s.cfg.fleetFilter()
	if err != nil {
		return err
	}
	all, err := regionClients(ctx, s.cfg, s.tb)
	if err != nil {
		return err
	}
	l := s.cfg.Logs
	newRB := func() *metadata.ResourceBuilder { return metadata.NewResourceBuilder(s.cfg.ResourceAttributes) }
	for _, clients := range all {
		s.regions = append(s.regions, &logsRegion{
			name:  clients.Region,
			fleet: openFleetView(s.cfg, clients, filter),
			reader: rdslogs.NewReader(clients.Logs, rdslogs.Options{
				RequestsPerSecond: l.RequestsPerSecond, Concurrency: l.MaxConcurrentRequests,
				InitialLookback: l.InitialLookback, Overlap: l.Overlap,
			}),
			resourceBuilder: resourceBuilder{region: clients.Region, resourceTags: s.cfg.ResourceTags, newRB: newRB},
		})
	}
	return s.startEvents(ctx, host, all)
}

func (s *logsScraper) shutdown(ctx context.Context) error {
	for _, r := range s.regions {
		r.fleet.close()
	}
	if s.tb != nil {
		s.tb.Shutdown()
	}
	if s.events != nil {
		err := s.events.client.Close(ctx)
		s.events = nil
		return err
	}
	return nil
}

// scrape reads what every log group got since the last read. A failing group is a partial
// error; the other groups' records are delivered.
func (s *logsScraper) scrape(ctx context.Context) (plog.Logs, error) {
	now := s.now()
	var errs scrapererror.ScrapeErrors
	ld := plog.NewLogs()
	for _, r := range s.regions {
		fleet, changed, err := r.fleet.fleet(ctx, s.tb, s.logger, now)
		if err != nil {
			errs.AddPartial(0, err)
		}
		if changed {
			first, before := r.instances == nil, len(r.groups)
			r.index(fleet, s.cfg.Logs.Types)
			if first || before != len(r.groups) { // at start and when the set grows or shrinks
				s.logger.Info("Reading RDS log groups", zap.String("region", r.name), zap.Int("log_groups", len(r.groups)))
			}
		}
		byResource := map[string]plog.ScopeLogs{}
		for _, res := range r.reader.Read(ctx, r.groups, now) {
			if res.Err != nil {
				errs.AddPartial(0, fmt.Errorf("region %s: %w", r.name, res.Err))
			}
			s.append(ld, byResource, r, res)
		}
		s.readEvents(ctx, ld, r, now, &errs)
	}
	return ld, errs.Combine()
}

// index builds the region's log groups and the resources of their streams.
func (r *logsRegion) index(fleet discovery.Fleet, types []string) {
	r.groups = rdslogs.Groups(fleet, types)
	r.instances = make(map[string]pcommon.Resource, len(fleet.Instances))
	for i := range fleet.Instances {
		in := &fleet.Instances[i]
		r.instances[in.Identifier] = r.resourceBuilder.instanceResource(in)
	}
	r.clusters = make(map[string]clusterLogs, len(fleet.Clusters))
	for i := range fleet.Clusters {
		c := &fleet.Clusters[i]
		cl := clusterLogs{resource: r.resourceBuilder.clusterResource(c)}
		for _, m := range c.Members {
			if _, watched := r.instances[m.Identifier]; watched {
				cl.members = append(cl.members, m.Identifier)
			}
		}
		r.clusters[c.Identifier] = cl
	}
	r.proxies = make(map[string]pcommon.Resource, len(fleet.Proxies))
	for i := range fleet.Proxies {
		r.proxies[fleet.Proxies[i].Name] = r.resourceBuilder.proxyResource(&fleet.Proxies[i])
	}
}

// resourceOf is the resource of a stream: its instance's, or for a cluster stream that
// names no watched member, the cluster's. The key groups records by resource.
func (r *logsRegion) resourceOf(g rdslogs.Group, stream string) (string, pcommon.Resource) {
	if g.Instance != "" {
		return g.Instance, r.instances[g.Instance]
	}
	cl := r.clusters[g.Cluster]
	if id, ok := rdslogs.StreamInstance(stream, cl.members); ok {
		return id, r.instances[id]
	}
	return "cluster/" + g.Cluster, cl.resource
}

func (s *logsScraper) append(ld plog.Logs, byResource map[string]plog.ScopeLogs, r *logsRegion, res rdslogs.Result) {
	scopeLogs := func(key string, resource pcommon.Resource) plog.ScopeLogs {
		return s.scopeLogs(ld, byResource, key, resource)
	}
	if d, ok := slowDialect(res.Group.Type); ok && s.cfg.Logs.SlowQueries.Parse {
		if n := s.appendSlow(scopeLogs, r, res, d); n > 0 {
			s.tb.ReceiverAwsrdsLogRecords.Add(context.Background(), int64(n),
				metric.WithAttributes(attribute.String("log_type", res.Group.Type)))
		}
		return
	}
	if len(res.Events) == 0 {
		return
	}
	for i := range res.Events {
		e := &res.Events[i]
		key, resource := r.resourceOf(res.Group, e.Stream)
		lr := scopeLogs(key, resource).LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(e.Timestamp))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(e.Ingested))
		lr.Body().SetStr(e.Message)
		sev, text := rdslogs.Severity(res.Group.Type, e.Message)
		lr.SetSeverityNumber(sev)
		lr.SetSeverityText(text)
		attrs := lr.Attributes()
		attrs.PutStr(attrLogType, res.Group.Type)
		attrs.PutStr(attrLogGroup, res.Group.Name)
		attrs.PutStr(attrLogStream, e.Stream)
	}
	s.tb.ReceiverAwsrdsLogRecords.Add(context.Background(), int64(len(res.Events)),
		metric.WithAttributes(attribute.String("log_type", res.Group.Type)))
}

// scopeLogs is the receiver's scope of the resource named key in ld, added on first use.
func (s *logsScraper) scopeLogs(ld plog.Logs, byResource map[string]plog.ScopeLogs, key string, resource pcommon.Resource) plog.ScopeLogs {
	if sl, ok := byResource[key]; ok {
		return sl
	}
	rl := ld.ResourceLogs().AppendEmpty()
	resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(s.settings.BuildInfo.Version)
	byResource[key] = sl
	return sl
}
