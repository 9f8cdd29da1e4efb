package awsrdsreceiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// eventFleet is the small fleet with its scripted history (failover, reboot, maintenance,
// low storage, blue/green switchover, and events of other source types).
func eventFleet(t *testing.T) simulator.Fleet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "simulator", "events-small.yaml"))
	require.NoError(t, err)
	fleet := loadSmallFleet(t)
	fleet.Events, err = simulator.ParseEvents(data)
	require.NoError(t, err)
	// The proxy the history's db-proxy event names, in front of aurora-a.
	fleet.Proxies = []simulator.Proxy{{Name: "app-proxy", EngineFamily: "MYSQL", Targets: []simulator.ProxyTarget{{Instance: "aurora-a-1"}}}}
	require.NoError(t, fleet.Validate())
	return fleet
}

// eventRecord is one event log record with its resource's attributes.
type eventRecord struct {
	resource   map[string]any
	sourceType string
	source     string
	categories []any
	message    string
	severity   string
	ts         time.Time
}

func eventRecords(ld plog.Logs) []eventRecord {
	var out []eventRecord
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		rl := ld.ResourceLogs().At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				typ, ok := lr.Attributes().Get(attrEventSourceType)
				if !ok {
					continue // an RDS log line
				}
				src, _ := lr.Attributes().Get(attrEventSourceID)
				cats, _ := lr.Attributes().Get(attrEventCategories)
				out = append(out, eventRecord{rl.Resource().Attributes().AsRaw(), typ.Str(), src.Str(), cats.Slice().AsRaw(),
					lr.Body().Str(), lr.SeverityText(), lr.Timestamp().AsTime()})
			}
		}
	}
	return out
}

func eventKey(sourceType, source, message string, ts time.Time) string {
	return sourceType + "|" + source + "|" + message + "|" + ts.UTC().Format(time.RFC3339Nano)
}

// expectEvents checks that got holds every event of the history from since on exactly
// once (the excluded instance's excepted), under the resource of its source.
func expectEvents(t *testing.T, h *harness, got []eventRecord, since time.Time, excluded string) {
	t.Helper()
	md, err := h.scrape(t)
	require.NoError(t, err)
	count := map[string]int{}
	byKey := map[string]eventRecord{}
	for _, r := range got {
		k := eventKey(r.sourceType, r.source, r.message, r.ts)
		count[k]++
		byKey[k] = r
	}
	want := 0
	for _, e := range h.sim.Fleet().Events {
		if e.Time.Before(since) || e.SourceIdentifier == excluded {
			continue
		}
		want++
		k := eventKey(e.SourceType, e.SourceIdentifier, e.Message, e.Time)
		require.Equal(t, 1, count[k], "%s arrived %d times", k, count[k])
		r := byKey[k]
		assert.Equal(t, anySlice(e.Categories), r.categories, k)
		switch e.SourceType {
		case "db-instance": // the very resource of the instance's metrics
			assert.Equal(t, findResource(t, md, e.SourceIdentifier).Resource().Attributes().AsRaw(), r.resource, k)
		case "db-cluster":
			assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:cluster:"+e.SourceIdentifier, r.resource["cloud.resource_id"], k)
			assert.Equal(t, e.SourceIdentifier, r.resource["aws.rds.db_cluster.identifier"], k)
			assert.NotContains(t, r.resource, "aws.rds.db_instance.identifier", k)
		case "db-proxy": // the very resource of the proxy's metrics
			assert.Equal(t, e.SourceIdentifier, r.resource["aws.rds.proxy.name"], k)
			assert.Equal(t, proxyResource(t, md, e.SourceIdentifier), r.resource, k)
		default:
			assert.Equal(t, map[string]any{"cloud.provider": "aws", "cloud.region": "us-east-1", "cloud.account.id": "123456789012",
				"cloud.resource_id": r.resource["cloud.resource_id"]}, r.resource, k)
			assert.Contains(t, r.resource["cloud.resource_id"], ":"+e.SourceIdentifier, k)
		}
	}
	assert.Len(t, got, want)
	assert.Greater(t, want, 15)
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// TestEventsArriveOnceWithTheirResource polls the logs pipeline every minute through the
// scripted history, the pipeline refusing one batch: every event from the initial
// lookback on arrives once, under its source's resource, with its severity; the events of
// an instance the filter excludes do not.
func TestEventsArriveOnceWithTheirResource(t *testing.T) {
	h := newLogsHarnessFor(t, eventFleet(t), func(c *Config) {
		c.Logs.Events.InitialLookback = 30 * time.Minute
		c.Discovery.ExcludeIdentifiers = []string{"maria-t3"}
	})
	var got []eventRecord
	for poll := 0; h.clock.now.Before(t0.Add(15 * time.Minute)); poll++ {
		ld, err := h.logsScraper.scrape(context.Background())
		require.NoError(t, err)
		if poll == 4 {
			h.logsScraper.delivered(context.Background(), assert.AnError) // refused: read again
		} else {
			got = append(got, eventRecords(ld)...)
			h.logsScraper.delivered(context.Background(), nil)
		}
		h.clock.Advance(time.Minute)
	}
	expectEvents(t, h.harness, got, t0.Add(-30*time.Minute), "maria-t3")

	severity := map[string]string{}
	for _, r := range got {
		severity[r.categories[0].(string)] = r.severity
	}
	assert.Equal(t, map[string]string{"failover": "WARN", "availability": "WARN", "low storage": "ERROR", "backup": "INFO",
		"notification": "INFO", "configuration change": "INFO", "creation": "INFO"}, severity)
	assert.Less(t, h.sim.Counters().Calls["DescribeEvents"], int64(20), "one call per poll")
}

// TestEventsOnceAcrossRestarts: with a storage extension, collectors killed between reading
// events and handing them over, and restarted, deliver every event once.
func TestEventsOnceAcrossRestarts(t *testing.T) {
	h := newLogsHarnessFor(t, eventFleet(t), nil) // the metrics side, for the expected resources
	dir := t.TempDir()
	var got []eventRecord
	run := func(until time.Time, killBeforeDelivery bool) {
		f := filestorage.NewFactory()
		fcfg := f.CreateDefaultConfig().(*filestorage.Config)
		fcfg.Directory = dir
		ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), fcfg)
		require.NoError(t, err)
		require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
		cfg := *h.cfg
		id := storageID
		cfg.Storage = &id
		cfg.Logs.Events.InitialLookback = 30 * time.Minute
		settings := receivertest.NewNopSettings(metadata.Type)
		settings.ID = component.NewID(metadata.Type)
		settings.Logger = zap.NewNop()
		s := newLogsScraper(&cfg, settings)
		s.now = h.clock.Now
		require.NoError(t, s.start(context.Background(), storageHost{componenttest.NewNopHost(), map[component.ID]component.Component{storageID: ext}}))
		for h.clock.now.Before(until) {
			ld, err := s.scrape(context.Background())
			require.NoError(t, err)
			h.clock.Advance(time.Minute)
			if killBeforeDelivery && !h.clock.now.Before(until) {
				break // killed: these records never reached the pipeline
			}
			got = append(got, eventRecords(ld)...)
			s.delivered(context.Background(), nil)
		}
		require.NoError(t, s.shutdown(context.Background()))
		require.NoError(t, ext.Shutdown(context.Background()))
	}
	run(t0.Add(3*time.Minute), false)
	run(t0.Add(7*time.Minute), true)
	run(t0.Add(15*time.Minute), false)
	expectEvents(t, h.harness, got, t0.Add(-30*time.Minute), "")
}

// TestEventCounterMetric: aws.rds.events counts, per instance, cluster or proxy and
// category, the events from the receiver's start on, equal to the simulator's history.
func TestEventCounterMetric(t *testing.T) {
	h := newHarness(t, eventFleet(t), func(c *Config) { c.Metrics.AwsRdsEvents.Enabled = true })
	var last map[string]int64
	for h.clock.now.Before(t0.Add(15 * time.Minute)) {
		md, err := h.scrape(t)
		require.NoError(t, err)
		last = map[string]int64{}
		rms := md.ResourceMetrics()
		for i := 0; i < rms.Len(); i++ {
			attrs := rms.At(i).Resource().Attributes()
			id, ok := attrs.Get("aws.rds.db_instance.identifier")
			if !ok {
				id, ok = attrs.Get("aws.rds.db_cluster.identifier")
			}
			if !ok {
				id, _ = attrs.Get("aws.rds.proxy.name")
			}
			ms := rms.At(i).ScopeMetrics().At(0).Metrics()
			for j := 0; j < ms.Len(); j++ {
				if ms.At(j).Name() != "aws.rds.events" {
					continue
				}
				dps := ms.At(j).Sum().DataPoints()
				for k := 0; k < dps.Len(); k++ {
					cat, _ := dps.At(k).Attributes().Get("category")
					last[id.Str()+"/"+cat.Str()] = dps.At(k).IntValue()
				}
			}
		}
		h.clock.Advance(time.Minute)
	}
	want := map[string]int64{}
	for _, e := range h.sim.Fleet().Events {
		if (e.SourceType == "db-instance" || e.SourceType == "db-cluster" || e.SourceType == "db-proxy") &&
			!e.Time.Before(t0) && !e.Time.After(t0.Add(14*time.Minute)) {
			for _, c := range e.Categories {
				want[e.SourceIdentifier+"/"+c]++
			}
		}
	}
	assert.Equal(t, map[string]int64{"maria-t3/maintenance": 2, "mysql-a-replica/low storage": 2, "aurora-a/failover": 2,
		"app-proxy/configuration change": 1}, want)
	assert.Equal(t, want, last)
}

// proxyResource is the attributes of a proxy's metrics resource (not its targets').
func proxyResource(t *testing.T, md pmetric.Metrics, name string) map[string]any {
	t.Helper()
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		attrs := md.ResourceMetrics().At(i).Resource().Attributes()
		p, ok := attrs.Get("aws.rds.proxy.name")
		if _, target := attrs.Get("aws.rds.proxy.target_group"); ok && !target && p.Str() == name {
			return attrs.AsRaw()
		}
	}
	t.Fatalf("no resource for proxy %s", name)
	return nil
}
