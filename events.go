package awsrdsreceiver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/awsconfig"
	"github.com/otelcol-rds/awsrdsreceiver/internal/rdsevents"
)

// Log record attributes of RDS events.
const (
	attrEventSourceType = "aws.rds.event.source.type"
	attrEventSourceID   = "aws.rds.event.source.identifier"
	attrEventCategories = "aws.rds.event.categories"
)

// eventSourceTypes are the DescribeEvents source types a fleet owner is paged for; the
// others (custom-engine-version, db-shard-group, zero-etl) can be asked for in source_types.
var eventSourceTypes = []string{
	"db-instance", "db-cluster", "db-parameter-group", "db-security-group", "db-snapshot",
	"db-cluster-snapshot", "db-proxy", "blue-green-deployment",
}

var knownEventSourceTypes = append(slices.Clone(eventSourceTypes), "custom-engine-version", "db-shard-group", "zero-etl")

// EventsConfig reads RDS events (DescribeEvents) in the logs pipeline, one log record per event.
type EventsConfig struct {
	// Enabled reads events on every logs poll (one DescribeEvents call per region and poll).
	Enabled bool `mapstructure:"enabled"`
	// SourceTypes keeps the events of these source types. Instance and cluster events are
	// kept only for the discovered (filtered) fleet; other sources are account-wide.
	SourceTypes []string `mapstructure:"source_types"`
	// InitialLookback is how far back the first read reaches when no cursor is stored.
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	// Overlap re-reads the end of the previous read, for an event recorded late.
	Overlap time.Duration `mapstructure:"overlap"`
}

func defaultEventsConfig() EventsConfig {
	return EventsConfig{Enabled: true, SourceTypes: slices.Clone(eventSourceTypes), InitialLookback: time.Minute, Overlap: 2 * time.Minute}
}

func (e EventsConfig) validate() error {
	var errs []error
	for i, t := range e.SourceTypes {
		switch {
		case !slices.Contains(knownEventSourceTypes, t):
			errs = append(errs, fmt.Errorf("logs.events.source_types[%d]: %q is not an RDS event source type (%v)", i, t, knownEventSourceTypes))
		case slices.Contains(e.SourceTypes[:i], t):
			errs = append(errs, fmt.Errorf("logs.events.source_types[%d]: %q is listed twice", i, t))
		}
	}
	if e.InitialLookback < 0 || e.InitialLookback > rdsevents.Retention {
		errs = append(errs, fmt.Errorf("logs.events.initial_lookback: %v must be between 0 and 336h (RDS keeps events 14 days)", e.InitialLookback))
	}
	if e.Overlap < 0 || e.Overlap > time.Hour {
		errs = append(errs, fmt.Errorf("logs.events.overlap: %v must be between 0 and 1h", e.Overlap))
	}
	return errors.Join(errs...)
}

// eventsRegion reads one region's RDS events for the logs scraper.
type eventsRegion struct {
	reader  *rdsevents.Reader
	pending *rdsevents.Cursor // read and handed to the pipeline, committed when it takes them
}

// eventsStore keeps the regions' event cursors in the storage extension, under the key
// "events/<region>" of its own client ("events"), apart from the CloudWatch state.
type eventsStore struct{ client storage.Client }

func openEventsStore(ctx context.Context, host component.Host, id, receiverID component.ID) (*eventsStore, error) {
	client, err := storageClient(ctx, host, id, receiverID, "events")
	if err != nil {
		return nil, err
	}
	return &eventsStore{client: client}, nil
}

func eventsKey(region string) string { return "events/" + region }

// load reads a region's cursor; a missing or unreadable one starts afresh, and says so.
func (st *eventsStore) load(ctx context.Context, region string, logger *zap.Logger) rdsevents.Cursor {
	data, err := st.client.Get(ctx, eventsKey(region))
	if err != nil || data == nil {
		if err != nil {
			logger.Warn("Reading the RDS events cursor failed: starting afresh", zap.String("region", region), zap.Error(err))
		}
		return rdsevents.Cursor{}
	}
	c, err := rdsevents.DecodeCursor(data)
	if err != nil {
		logger.Warn("The stored RDS events cursor cannot be used: starting afresh", zap.String("region", region), zap.Error(err))
		return rdsevents.Cursor{}
	}
	logger.Info("Continuing RDS events from the stored cursor", zap.String("region", region), zap.Time("since", c.Since))
	return c
}

// startEvents opens the events readers of every region, each from its stored cursor.
func (s *logsScraper) startEvents(ctx context.Context, host component.Host, all []*awsconfig.Clients) error {
	e := s.cfg.Logs.Events
	if !e.Enabled {
		return nil
	}
	if s.cfg.Storage != nil {
		st, err := openEventsStore(ctx, host, *s.cfg.Storage, s.settings.ID)
		if err != nil {
			return err
		}
		s.events = st
	}
	opts := rdsevents.Options{InitialLookback: e.InitialLookback, Overlap: e.Overlap}
	for i, clients := range all {
		var cur rdsevents.Cursor
		if s.events != nil {
			cur = s.events.load(ctx, clients.Region, s.logger)
		}
		s.regions[i].events = &eventsRegion{reader: rdsevents.NewReader(clients.RDS, opts, cur)}
	}
	return nil
}

// readEvents appends the region's new events, each under its source's resource: the very
// resource of the instance's, cluster's or proxy's metrics, or for other sources the account's.
// Instances and clusters outside the discovered fleet (filtered out, Neptune, DocumentDB)
// are left out.
func (s *logsScraper) readEvents(ctx context.Context, ld plog.Logs, r *logsRegion, now time.Time, errs *scrapererror.ScrapeErrors) {
	if r.events == nil || r.instances == nil { // no fleet yet: nothing to relate events to
		return
	}
	events, next, err := r.events.reader.Read(ctx, now)
	if err != nil {
		errs.AddPartial(0, fmt.Errorf("region %s: %w", r.name, err))
	}
	r.events.pending = &next
	byResource := map[string]plog.ScopeLogs{}
	for i := range events {
		e := &events[i]
		if !slices.Contains(s.cfg.Logs.Events.SourceTypes, e.SourceType) {
			continue
		}
		key, res, ok := r.eventResource(e)
		if !ok {
			continue
		}
		lr := s.scopeLogs(ld, byResource, key, res).LogRecords().AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(e.Time))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(now))
		lr.Body().SetStr(e.Message)
		sev, text := rdsevents.Severity(e.Categories)
		lr.SetSeverityNumber(sev)
		lr.SetSeverityText(text)
		attrs := lr.Attributes()
		attrs.PutStr(attrEventSourceType, e.SourceType)
		attrs.PutStr(attrEventSourceID, e.SourceID)
		cats := attrs.PutEmptySlice(attrEventCategories)
		for _, c := range e.Categories {
			cats.AppendEmpty().SetStr(c)
		}
	}
}

// eventResource is the resource of an event's source and a key grouping records by it.
func (r *logsRegion) eventResource(e *rdsevents.Event) (string, pcommon.Resource, bool) {
	switch e.SourceType {
	case "db-instance":
		res, ok := r.instances[e.SourceID]
		return e.SourceID, res, ok
	case "db-cluster":
		cl, ok := r.clusters[e.SourceID]
		return "cluster/" + e.SourceID, cl.resource, ok
	case "db-proxy":
		if res, ok := r.proxies[e.SourceID]; ok { // a watched proxy: the resource of its metrics
			return "proxy/" + e.SourceID, res, true
		}
	}
	rb := r.resourceBuilder.newRB()
	rb.SetCloudProvider("aws")
	setIf(rb.SetCloudRegion, r.name)
	setIf(rb.SetCloudAccountID, accountFromARN(e.SourceARN))
	setIf(rb.SetCloudResourceID, e.SourceARN)
	return e.SourceType + "/" + e.SourceID, rb.Emit(), true
}

// delivered commits the events handed to the pipeline once it took them, and stores the
// cursor; a refused batch is read again on the next poll.
func (s *logsScraper) delivered(ctx context.Context, err error) {
	for _, r := range s.regions {
		if r.events == nil || r.events.pending == nil {
			continue
		}
		next := *r.events.pending
		r.events.pending = nil
		if err != nil {
			continue
		}
		r.events.reader.Commit(next)
		if s.events != nil {
			if serr := s.events.client.Set(ctx, eventsKey(r.name), next.Encode()); serr != nil {
				s.logger.Warn("Storing the RDS events cursor failed: a restart may repeat events", zap.String("region", r.name), zap.Error(serr))
			}
		}
	}
}
