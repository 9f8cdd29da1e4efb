package awsrdsreceiver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// logsHarness is the metrics harness plus a logs scraper on the same simulator and config.
type logsHarness struct {
	*harness
	logsScraper *logsScraper
}

func newLogsHarness(t *testing.T, modify func(*Config)) *logsHarness {
	t.Helper()
	return newLogsHarnessFor(t, loadSmallFleet(t), modify)
}

func newLogsHarnessFor(t *testing.T, fleet simulator.Fleet, modify func(*Config)) *logsHarness {
	t.Helper()
	h := newHarness(t, fleet, func(c *Config) {
		c.Logs.RequestsPerSecond = 100
		if modify != nil {
			modify(c)
		}
	})
	settings := receivertest.NewNopSettings(metadata.Type)
	settings.TelemetrySettings = h.tel.NewTelemetrySettings()
	settings.Logger = zap.NewNop()
	s := newLogsScraper(h.cfg, settings)
	s.now = h.clock.Now
	require.NoError(t, s.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return &logsHarness{harness: h, logsScraper: s}
}

// record is one log record reduced to what the tests compare.
type record struct {
	instance, group, stream, message string
	ts                               time.Time
}

func records(t *testing.T, ld plog.Logs) []record {
	t.Helper()
	var out []record
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		id, _ := rl.Resource().Attributes().Get("aws.rds.db_instance.identifier")
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			sl := rl.ScopeLogs().At(j)
			assert.Equal(t, metadata.ScopeName, sl.Scope().Name())
			for k := 0; k < sl.LogRecords().Len(); k++ {
				lr := sl.LogRecords().At(k)
				group, _ := lr.Attributes().Get(attrLogGroup)
				stream, _ := lr.Attributes().Get(attrLogStream)
				out = append(out, record{id.Str(), group.Str(), stream.Str(), lr.Body().Str(), lr.Timestamp().AsTime()})
			}
		}
	}
	return out
}

// truth is every event the simulator holds in [from, to) of the exported groups.
func truth(t *testing.T, sim *simulator.Server, from, to time.Time) []record {
	t.Helper()
	var out []record
	groups := sim.LogGroups()
	require.NotEmpty(t, groups)
	for _, g := range groups {
		if g == simulator.EMLogGroup {
			continue // Enhanced Monitoring is read as metrics, not logs
		}
		for _, e := range sim.LogEvents(g, from, to) {
			out = append(out, record{e.Stream, g, e.Stream, e.Message, e.Timestamp})
		}
	}
	return out
}

func sortRecords(rs []record) []record {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].group != rs[j].group {
			return rs[i].group < rs[j].group
		}
		if !rs[i].ts.Equal(rs[j].ts) {
			return rs[i].ts.Before(rs[j].ts)
		}
		return rs[i].stream < rs[j].stream
	})
	return rs
}

// TestLogsCarryTheInstanceResource: records of every exported log group, Aurora cluster
// groups split by member instance, each under the very resource of the instance's metrics.
func TestLogsCarryTheInstanceResource(t *testing.T) {
	h := newLogsHarness(t, nil)
	md, err := h.scrape(t)
	require.NoError(t, err)
	ld, err := h.logsScraper.scrape(context.Background())
	require.NoError(t, err)

	// Events of the initial lookback that were ingested by now.
	lag := 5 * time.Second
	want := truth(t, h.sim, t0.Add(-h.cfg.Logs.InitialLookback), t0.Add(-lag).Add(time.Millisecond))
	got := records(t, ld)
	require.NotEmpty(t, want)
	assert.Equal(t, sortRecords(want), sortRecords(got))

	groups := map[string]bool{}
	for _, r := range got {
		groups[r.group] = true
	}
	assert.Equal(t, map[string]bool{
		"/aws/rds/instance/mysql-a/error": true, "/aws/rds/instance/mysql-a/slowquery": true, "/aws/rds/instance/mysql-a/general": true,
		"/aws/rds/instance/pg-a/postgresql": true, "/aws/rds/instance/maria-t3/error": true,
		"/aws/rds/cluster/aurora-a/error": true, "/aws/rds/cluster/aurora-a/slowquery": true, "/aws/rds/cluster/aurora-pg/postgresql": true,
	}, groups)

	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		id, ok := rl.Resource().Attributes().Get("aws.rds.db_instance.identifier")
		require.True(t, ok, "every stream belongs to an instance")
		metricsResource := findResource(t, md, id.Str()).Resource()
		assert.Equal(t, metricsResource.Attributes().AsRaw(), rl.Resource().Attributes().AsRaw(), "same resource as the metrics of %s", id.Str())

		lrs := rl.ScopeLogs().At(0).LogRecords()
		for k := 0; k < lrs.Len(); k++ {
			lr := lrs.At(k)
			typ, _ := lr.Attributes().Get(attrLogType)
			group, _ := lr.Attributes().Get(attrLogGroup)
			assert.True(t, slices.Contains([]string{"error", "slowquery", "general", "postgresql"}, typ.Str()))
			assert.Contains(t, group.Str(), "/"+typ.Str())
			if typ.Str() == "error" || typ.Str() == "postgresql" {
				assert.NotEqual(t, plog.SeverityNumberUnspecified, lr.SeverityNumber(), "severity of %q", lr.Body().Str())
			}
			assert.False(t, lr.ObservedTimestamp().AsTime().Before(lr.Timestamp().AsTime()), "ingested after it happened")
		}
	}
}

// TestLogsEveryEventOnce: polls at irregular times deliver every event once, including
// the ones ingested between polls.
func TestLogsEveryEventOnce(t *testing.T) {
	h := newLogsHarness(t, func(c *Config) { c.Logs.InitialLookback = 0 })
	start := t0
	var got []record
	for _, step := range []time.Duration{0, 7 * time.Second, 61 * time.Second, 3 * time.Second, 150 * time.Second, 59 * time.Second} {
		h.clock.Advance(step)
		ld, err := h.logsScraper.scrape(context.Background())
		require.NoError(t, err)
		got = append(got, records(t, ld)...)
	}
	// Everything from the start that was ingested by the last poll.
	want := truth(t, h.sim, start, h.clock.now.Add(-5*time.Second).Add(time.Millisecond))
	require.NotEmpty(t, want)
	assert.Equal(t, sortRecords(want), sortRecords(got))
}

// TestLogsOneFailingGroupLosesNothingElse: a log group whose call fails is a partial
// error; the other groups are delivered, and the failed one catches up next time.
func TestLogsOneFailingGroupLosesNothingElse(t *testing.T) {
	h := newLogsHarness(t, func(c *Config) {
		c.CloudWatch.MaxAttempts = 1
		c.Logs.InitialLookback = 0
	})
	_, err := h.logsScraper.scrape(context.Background())
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	h.sim.FailNext("FilterLogEvents", 1)
	ld, err := h.logsScraper.scrape(context.Background())
	require.Error(t, err)
	assert.True(t, scrapererror.IsPartialScrapeError(err))
	assert.Contains(t, err.Error(), "/aws/rds/")
	first := records(t, ld)
	groups := map[string]bool{}
	for _, r := range first {
		groups[r.group] = true
	}
	assert.Len(t, groups, 7, "7 of the 8 groups delivered")

	h.clock.Advance(time.Minute)
	ld, err = h.logsScraper.scrape(context.Background())
	require.NoError(t, err)
	all := append(first, records(t, ld)...)
	want := truth(t, h.sim, t0, h.clock.now.Add(-5*time.Second).Add(time.Millisecond))
	assert.Equal(t, sortRecords(want), sortRecords(all))
}

func TestLogsTypesFilter(t *testing.T) {
	h := newLogsHarness(t, func(c *Config) { c.Logs.Types = []string{"postgresql"} })
	ld, err := h.logsScraper.scrape(context.Background())
	require.NoError(t, err)
	ids := map[string]bool{}
	for _, r := range records(t, ld) {
		ids[r.instance] = true
	}
	assert.Equal(t, map[string]bool{"pg-a": true, "aurora-pg-1": true}, ids)
}

// TestLogsPipeline: the factory's logs receiver, on the real clock, delivers records to
// the next consumer.
func TestLogsPipeline(t *testing.T) {
	isolateAWS(t)
	srv := httptest.NewServer(simulator.New(simulator.Config{Fleet: loadSmallFleet(t)}))
	defer srv.Close()
	cfg := createDefaultConfig().(*Config)
	cfg.Region = "us-east-1"
	cfg.Endpoints.RDS, cfg.Endpoints.Logs = srv.URL, srv.URL
	cfg.InitialDelay = 0
	require.NoError(t, confmap.Validate(cfg))

	sink := new(consumertest.LogsSink)
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, rcv.Shutdown(context.Background())) }()
	require.Eventually(t, func() bool { return sink.LogRecordCount() > 0 }, 10*time.Second, 20*time.Millisecond)
	res := sink.AllLogs()[0].ResourceLogs().At(0).Resource()
	_, ok := res.Attributes().Get("aws.rds.db_instance.identifier")
	assert.True(t, ok, fmt.Sprint(res.Attributes().AsRaw()))
}

// TestPipelinesShareDiscovery: a receiver in a metrics and a logs pipeline discovers once
// per refresh, whichever pipeline comes first, and both follow the new fleet.
func TestPipelinesShareDiscovery(t *testing.T) {
	h := newLogsHarness(t, func(c *Config) {
		c.Discovery.RefreshInterval = 2 * time.Minute
		// Slow query metrics of the statements logged before the change would name the
		// instances that left; they are tested in slowlog_test.go.
		c.Metrics.AwsRdsSlowQueryCount.Enabled, c.Metrics.AwsRdsSlowQueryDuration.Enabled = false, false
		c.Metrics.AwsRdsSlowQueryDurationMax.Enabled, c.Metrics.AwsRdsSlowQueryRowsExamined.Enabled = false, false
	})
	describes := func() int64 { return h.sim.Counters().Calls["DescribeDBInstances"] }

	_, err := h.scrape(t)
	require.NoError(t, err)
	_, err = h.logsScraper.scrape(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), describes(), "one discovery for both pipelines")

	// The logs pipeline refreshes first; the metrics pipeline takes in the new fleet.
	fleet := loadSmallFleet(t)
	fleet.Instances = fleet.Instances[:3] // mysql-a, its replica and pg-a; no cluster left
	h.sim.SetFleet(fleet)
	h.clock.Advance(3 * time.Minute)
	ld, err := h.logsScraper.scrape(context.Background())
	require.NoError(t, err)
	md, err := h.scrape(t)
	require.NoError(t, err)
	assert.Equal(t, int64(2), describes())
	assert.Equal(t, 3, countInstances(md), "metrics follow the fleet the logs pipeline discovered")
	for _, r := range records(t, ld) {
		assert.Contains(t, []string{"mysql-a", "pg-a"}, r.instance)
	}
}

func TestSharedDiscoveryIsReleased(t *testing.T) {
	h := newLogsHarness(t, nil)
	key := sourceKey{h.cfg, "us-east-1"}
	sharedSources.Lock()
	refs := sharedSources.m[key].refs
	sharedSources.Unlock()
	assert.Equal(t, 2, refs)
	require.NoError(t, h.logsScraper.shutdown(context.Background()))
	require.NoError(t, h.scraper.shutdown(context.Background()))
	sharedSources.Lock()
	_, ok := sharedSources.m[key]
	sharedSources.Unlock()
	assert.False(t, ok, "the last pipeline to stop drops the discovery")
}
