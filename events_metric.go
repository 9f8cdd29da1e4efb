package awsrdsreceiver

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/otelcol-rds/awsrdsreceiver/internal/awsconfig"
	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/rdsevents"
)

// eventCounter counts a region's RDS events per instance or cluster and category for the
// aws.rds.events metric. The totals are cumulative from the receiver's start and live in
// memory: a restart resets them, which Prometheus' increase() reads as a counter reset.
type eventCounter struct {
	reader *rdsevents.Reader
	totals map[resourceRef]map[string]int64
}

// newEventCounter returns a counter when aws.rds.events is enabled, else nil.
func newEventCounter(cfg *Config, clients *awsconfig.Clients) *eventCounter {
	if !cfg.Metrics.AwsRdsEvents.Enabled {
		return nil
	}
	// From the start on, with the logs' overlap for events recorded late.
	opts := rdsevents.Options{Overlap: defaultEventsConfig().Overlap}
	return &eventCounter{reader: rdsevents.NewReader(clients.RDS, opts, rdsevents.Cursor{}), totals: map[resourceRef]map[string]int64{}}
}

// recordEvents reads the region's new events, adds them to the totals of the planned
// instances and clusters they name (other sources, and instances the filter leaves out,
// are not counted), and records every total under its resource.
func (s *rdsScraper) recordEvents(ctx context.Context, r *region, now time.Time, errs *scrapererror.ScrapeErrors) {
	ec := r.events
	if ec == nil || r.plan == nil {
		return
	}
	events, next, err := ec.reader.Read(ctx, now)
	if err != nil {
		errs.AddPartial(0, fmt.Errorf("region %s: %w", r.name, err))
	}
	// Committed at once: the totals stay in memory, so a refused scrape loses no count.
	ec.reader.Commit(next)
	byRef := r.plan.byRef()
	for i := range events {
		e := &events[i]
		var ref resourceRef
		switch e.SourceType {
		case "db-instance":
			ref = resourceRef{catalog.InstanceScope, e.SourceID}
		case "db-cluster":
			ref = resourceRef{catalog.ClusterScope, e.SourceID}
		case "db-proxy":
			ref = resourceRef{catalog.ProxyScope, e.SourceID}
		default:
			continue
		}
		if _, planned := byRef[ref]; !planned {
			continue
		}
		if ec.totals[ref] == nil {
			ec.totals[ref] = map[string]int64{}
		}
		for _, c := range e.Categories {
			ec.totals[ref][c]++
		}
	}
	refs := make([]resourceRef, 0, len(ec.totals))
	for ref := range ec.totals {
		refs = append(refs, ref)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].scope != refs[j].scope {
			return refs[i].scope < refs[j].scope
		}
		return refs[i].id < refs[j].id
	})
	ts := pcommon.NewTimestampFromTime(now)
	for _, ref := range refs {
		i, planned := byRef[ref]
		if !planned { // left the fleet
			continue
		}
		for cat, n := range ec.totals[ref] {
			s.mb.RecordAwsRdsEventsDataPoint(ts, n, cat)
		}
		s.mb.EmitForResource(metadata.WithResource(r.plan.resources[i].resource))
	}
}
