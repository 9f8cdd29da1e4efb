package awsrdsreceiver

import (
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/slowstats"
)

// Slow query metrics come from the slow entries the logs pipeline parses: parsing is
// shared, not repeated by a logs-to-metrics connector. The metrics pipeline of the same
// receiver configuration opens an aggregator; the logs pipeline adds every slow statement
// to it (when there is one: without a metrics pipeline nothing is summed); each metrics
// scrape takes the sums since the previous one as delta sums, the top K fingerprints per
// instance and "other".
var sharedSlowStats = struct {
	sync.Mutex
	m map[*Config]*slowShare
}{m: map[*Config]*slowShare{}}

type slowShare struct {
	agg  *slowstats.Aggregator[pcommon.Resource]
	refs int
}

func openSlowStats(cfg *Config) *slowstats.Aggregator[pcommon.Resource] {
	sharedSlowStats.Lock()
	defer sharedSlowStats.Unlock()
	sh := sharedSlowStats.m[cfg]
	if sh == nil {
		sh = &slowShare{agg: slowstats.New[pcommon.Resource]()}
		sharedSlowStats.m[cfg] = sh
	}
	sh.refs++
	return sh.agg
}

func closeSlowStats(cfg *Config) {
	sharedSlowStats.Lock()
	defer sharedSlowStats.Unlock()
	if sh := sharedSlowStats.m[cfg]; sh != nil {
		if sh.refs--; sh.refs == 0 {
			delete(sharedSlowStats.m, cfg)
		}
	}
}

// slowStatsOf is the aggregator of cfg's metrics pipeline, nil if it has none.
func slowStatsOf(cfg *Config) *slowstats.Aggregator[pcommon.Resource] {
	sharedSlowStats.Lock()
	defer sharedSlowStats.Unlock()
	if sh := sharedSlowStats.m[cfg]; sh != nil {
		return sh.agg
	}
	return nil
}

// slowMetrics turns the aggregator's sums into metrics.
type slowMetrics struct {
	agg  *slowstats.Aggregator[pcommon.Resource]
	mb   *metadata.MetricsBuilder
	k    int
	from pcommon.Timestamp // start of the current interval
}

// appendTo adds the slow query metrics of the interval ending at now to md.
func (m *slowMetrics) appendTo(md pmetric.Metrics, now time.Time) {
	ts := pcommon.NewTimestampFromTime(now)
	sums := m.agg.Take(m.k)
	m.mb.Reset(metadata.WithStartTime(m.from))
	m.from = ts
	for _, s := range sums {
		for _, st := range s.Stats {
			m.mb.RecordAwsRdsSlowQueryCountDataPoint(ts, st.Count, st.Fingerprint)
			m.mb.RecordAwsRdsSlowQueryDurationDataPoint(ts, st.Duration, st.Fingerprint)
			m.mb.RecordAwsRdsSlowQueryDurationMaxDataPoint(ts, st.MaxDuration, st.Fingerprint)
			m.mb.RecordAwsRdsSlowQueryRowsExaminedDataPoint(ts, st.RowsExamined, st.Fingerprint)
		}
		m.mb.EmitForResource(metadata.WithResource(s.Resource))
	}
	m.mb.Emit().ResourceMetrics().MoveAndAppendTo(md.ResourceMetrics())
}
