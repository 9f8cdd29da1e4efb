package awsrdsreceiver

import (
	"context"
	"flag"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadatatest"
	cwdata "github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden from the current output")

// t0 is the fake clock's start: 30 s into a minute, like a real scrape.
var t0 = time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)

type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// harness is a scraper talking HTTP to an in-process simulator through the real AWS SDK.
type harness struct {
	sim     *simulator.Server
	clock   *fakeClock
	cfg     *Config
	scraper *rdsScraper
	tel     *componenttest.Telemetry
	logs    *observer.ObservedLogs
}

func loadSmallFleet(t *testing.T) simulator.Fleet {
	t.Helper()
	fleet, err := simulator.LoadFleet(filepath.Join("testdata", "simulator", "fleet-small.yaml"))
	require.NoError(t, err)
	return fleet
}

// isolateAWS gives the SDK a fake account: static credentials, no shared config, no IMDS.
func isolateAWS(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ENDPOINT_URL", "")
}

func newHarness(t *testing.T, fleet simulator.Fleet, modify func(*Config)) *harness {
	t.Helper()
	isolateAWS(t)
	clock := &fakeClock{now: t0}
	sim := simulator.New(simulator.Config{Fleet: fleet, Now: clock.Now})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)

	cfg := createDefaultConfig().(*Config)
	cfg.Region = "us-east-1"
	cfg.Endpoints.RDS, cfg.Endpoints.CloudWatch, cfg.Endpoints.Logs = srv.URL, srv.URL, srv.URL
	cfg.CloudWatch.MaxBackoff = time.Second // the minimum validate accepts
	cfg.ResourceTags = []string{"env", "team"}
	if modify != nil {
		modify(cfg)
	}
	require.NoError(t, confmap.Validate(cfg))

	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	settings := receivertest.NewNopSettings(metadata.Type)
	settings.TelemetrySettings = tel.NewTelemetrySettings()
	core, logs := observer.New(zap.InfoLevel)
	settings.Logger = zap.New(core)
	s := newScraper(cfg, settings, clock.Now)
	require.NoError(t, s.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, s.shutdown(context.Background())) })
	return &harness{sim: sim, clock: clock, cfg: cfg, scraper: s, tel: tel, logs: logs}
}

// scrape runs one scrape and tells the scraper that the pipeline took its output.
func (h *harness) scrape(t *testing.T) (pmetric.Metrics, error) {
	t.Helper()
	md, err := h.scraper.scrape(context.Background())
	h.scraper.delivered(context.Background(), nil)
	return md, err
}

// enableAll turns on every metric of the catalogue, the ones off by default too.
func enableAll(t *testing.T) func(*Config) {
	return func(cfg *Config) {
		m := map[string]any{}
		for _, e := range catalog.Entries {
			m[e.Name] = map[string]any{"enabled": true}
		}
		require.NoError(t, confmap.NewFromStringMap(map[string]any{"metrics": m}).Unmarshal(&cfg.MetricsBuilderConfig))
	}
}

// point is one emitted datapoint: which resource, which metric, when.
type point struct {
	resource, metric string
	ts               time.Time
}

// points lists the CloudWatch datapoints of md (inventory metrics excluded), with values.
func points(md pmetric.Metrics) map[point]float64 {
	out := map[point]float64{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		attrs := rm.Resource().Attributes()
		id, ok := attrs.Get("aws.rds.db_instance.identifier")
		if !ok {
			id, _ = attrs.Get("aws.rds.db_cluster.identifier")
		}
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m := ms.At(j)
			if _, ok := catalog.ByName(m.Name()); !ok {
				continue
			}
			for k := 0; k < m.Gauge().DataPoints().Len(); k++ {
				dp := m.Gauge().DataPoints().At(k)
				out[point{id.Str(), m.Name(), dp.Timestamp().AsTime()}] = dp.DoubleValue()
			}
		}
	}
	return out
}

// metricNames maps each resource identifier to the names of its CloudWatch metrics.
func metricNames(md pmetric.Metrics) map[string][]string {
	out := map[string][]string{}
	for p := range points(md) {
		if !slices.Contains(out[p.resource], p.metric) {
			out[p.resource] = append(out[p.resource], p.metric)
		}
	}
	return out
}

func TestGoldenSmallMixedFleet(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), nil)
	md, err := h.scrape(t)
	require.NoError(t, err)

	compareGolden(t, "small-fleet.yaml", md)

	// What the golden file must show, spelled out so a regenerated file cannot hide a regression.
	names := metricNames(md)
	has := func(id, metric string) bool { return slices.Contains(names[id], metric) }
	for _, tt := range []struct {
		id, metric string
		want       bool
	}{
		{"mysql-a", "aws.rds.storage.burst_balance", true},          // gp2
		{"mysql-a-replica", "aws.rds.storage.burst_balance", false}, // gp3
		{"pg-a", "aws.rds.storage.burst_balance", false},            // gp3
		{"maria-t3", "aws.rds.cpu.credit.balance", true},            // burstable
		{"mysql-a", "aws.rds.cpu.credit.balance", false},
		{"mysql-a-replica", "aws.rds.replica.lag", true},
		{"mysql-a", "aws.rds.replica.lag", false},
		{"pg-a", "aws.rds.db_load", true}, // Performance Insights on
		{"mysql-a", "aws.rds.db_load", false},
		{"pg-a", "aws.rds.postgresql.transaction_ids.max_used", true},
		{"mysql-a", "aws.rds.mysql.binlog.disk_usage", true},
		{"aurora-a-2", "aws.rds.aurora.replica.lag", true}, // reader
		{"aurora-a-1", "aws.rds.aurora.replica.lag", false},
		{"aurora-a-1", "aws.rds.aurora.replica.max_lag", true}, // writer
		{"aurora-a-1", "aws.rds.storage.free", false},          // Aurora: no FreeStorageSpace
		{"aurora-a-1", "aws.rds.local_storage.free", true},
		{"aurora-a", "aws.rds.cluster.volume.used", true},
		{"aurora-pg", "aws.rds.cluster.serverless.capacity", true},
		{"aurora-a", "aws.rds.cluster.serverless.capacity", false},
		{"aurora-pg-1", "aws.rds.serverless.capacity", true}, // Serverless v2 instance
		{"aurora-a-1", "aws.rds.serverless.capacity", false},
	} {
		assert.Equal(t, tt.want, has(tt.id, tt.metric), "%s has %s", tt.id, tt.metric)
	}
	assert.Zero(t, h.sim.Counters().PhantomQueries, "queried a series that cannot exist: %v", h.sim.Counters().Phantoms)

	// Resources carry the identity attributes and the selected tags.
	rm := findResource(t, md, "mysql-a-replica")
	attrs := rm.Resource().Attributes().AsRaw()
	assert.Equal(t, "aws", attrs["cloud.provider"])
	assert.Equal(t, "us-east-1", attrs["cloud.region"])
	assert.Equal(t, "123456789012", attrs["cloud.account.id"])
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:db:mysql-a-replica", attrs["cloud.resource_id"])
	assert.Equal(t, "mysql", attrs["db.system.name"])
	assert.Equal(t, "replica", attrs["aws.rds.role"])
	assert.Equal(t, "aurora-mysql", findResource(t, md, "aurora-a-2").Resource().Attributes().AsRaw()["aws.rds.engine"])
	assert.Equal(t, "reader", findResource(t, md, "aurora-a-2").Resource().Attributes().AsRaw()["aws.rds.role"])
}

// compareGolden compares md with testdata/golden/name (rewritten with -update-golden), in
// any resource order.
func compareGolden(t *testing.T, name string, md pmetric.Metrics, opts ...pmetrictest.CompareMetricsOption) {
	t.Helper()
	expectedFile := filepath.Join("testdata", "golden", name)
	if *updateGolden {
		require.NoError(t, golden.WriteMetrics(t, expectedFile, md, golden.SkipMetricTimestampNormalization()))
	}
	expected, err := golden.ReadMetrics(expectedFile)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(expected, md, append(opts, pmetrictest.IgnoreResourceMetricsOrder())...))
}

func findResource(t *testing.T, md pmetric.Metrics, id string) pmetric.ResourceMetrics {
	t.Helper()
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		if v, ok := rm.Resource().Attributes().Get("aws.rds.db_instance.identifier"); ok && v.Str() == id {
			return rm
		}
	}
	t.Fatalf("no resource for %s", id)
	return pmetric.ResourceMetrics{}
}

// TestFleetOf1000AtTheAPIFloor proves the call economy by the simulator's own counters.
func TestFleetOf1000AtTheAPIFloor(t *testing.T) {
	fleet := simulator.GenerateFleet(1000, 1)
	h := newHarness(t, fleet, enableAll(t))

	// Cycles every minute; the refresh interval (5 min) has passed at the last one.
	at := []time.Duration{0, time.Minute, 2 * time.Minute, 5 * time.Minute}
	wantDescribes := []int64{10, 0, 0, 10} // ceil(1000/100) pages per discovery, none in between
	for cycle := range at {
		h.clock.now = t0.Add(at[cycle])
		before := h.sim.Counters()
		md, err := h.scrape(t)
		require.NoError(t, err)
		after := h.sim.Counters()

		queries := after.MetricDataQueries - before.MetricDataQueries
		calls := after.Calls["GetMetricData"] - before.Calls["GetMetricData"]
		assert.Equal(t, (queries+499)/500, calls, "cycle %d: GetMetricData calls == ceil(queries/500)", cycle)
		// With every metric enabled, the receiver asks for exactly the series that exist.
		assert.Equal(t, int64(len(h.sim.Series())), queries, "cycle %d: one query per existing series", cycle)
		assert.Equal(t, wantDescribes[cycle], after.Calls["DescribeDBInstances"]-before.Calls["DescribeDBInstances"],
			"cycle %d: DescribeDBInstances only on discovery refresh", cycle)
		assert.Equal(t, 1000, countInstances(md), "cycle %d: every instance emitted", cycle)
	}
	c := h.sim.Counters()
	assert.Zero(t, c.Calls["ListMetrics"])
	assert.Zero(t, c.Calls["ListTagsForResource"])
	assert.Zero(t, c.Calls["GetMetricStatistics"])
	assert.Zero(t, c.PhantomQueries, "no query for a metric that cannot exist: %v", c.Phantoms)
}

// With the default (cost-aware) metric set there are fewer queries, still at the floor.
func TestDefaultMetricSetAtTheAPIFloor(t *testing.T) {
	h := newHarness(t, simulator.GenerateFleet(1000, 2), nil)
	_, err := h.scrape(t)
	require.NoError(t, err)
	c := h.sim.Counters()
	assert.Equal(t, (c.MetricDataQueries+499)/500, c.Calls["GetMetricData"])
	assert.Equal(t, int64(h.scraper.regions[0].plan.Len()), c.MetricDataQueries)
	assert.Zero(t, c.PhantomQueries)
}

func countInstances(md pmetric.Metrics) int {
	n := 0
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		if _, ok := md.ResourceMetrics().At(i).Resource().Attributes().Get("aws.rds.db_instance.identifier"); ok {
			n++
		}
	}
	return n
}

// TestNoGapsNoDuplicates scrapes on an irregular schedule with one series published late,
// and checks that every (series, timestamp) is emitted exactly once with the simulator's value.
func TestNoGapsNoDuplicates(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), nil)
	h.sim.SetLate("mysql-a", "CPUUtilization", 3*time.Minute)

	seen := map[point]int{}
	steps := []time.Duration{time.Minute, 90 * time.Second, time.Minute, 30 * time.Second, 3 * time.Minute, time.Minute, time.Minute, 2 * time.Minute, time.Minute, time.Minute}
	var lateCPU []time.Time
	for i := 0; i <= len(steps); i++ {
		md, err := h.scrape(t)
		require.NoError(t, err)
		for p, v := range points(md) {
			seen[p]++
			dim, metric := "DBInstanceIdentifier", cwName(t, p.metric)
			if e, _ := catalog.ByName(p.metric); e.Scope == catalog.ClusterScope {
				dim = "DBClusterIdentifier"
			}
			want, ok := h.sim.Value(dim, p.resource, metric, "Average", p.ts, time.Minute)
			require.True(t, ok, "%v has no data in the simulator", p)
			e, _ := catalog.ByName(p.metric)
			assert.InDelta(t, want*e.Scale, v, 1e-9, "%v", p)
			if p.resource == "mysql-a" && p.metric == "aws.rds.cpu.utilization" {
				lateCPU = append(lateCPU, p.ts)
			}
		}
		if i < len(steps) {
			h.clock.Advance(steps[i])
		}
	}
	for p, n := range seen {
		assert.Equal(t, 1, n, "%v emitted %d times", p, n)
	}

	// Every series is contiguous: one point per minute from its first to its last.
	bySeries := map[[2]string][]time.Time{}
	for p := range seen {
		k := [2]string{p.resource, p.metric}
		bySeries[k] = append(bySeries[k], p.ts)
	}
	require.NotEmpty(t, bySeries)
	end := h.clock.Now().Add(-h.sim.PublicationLag() - time.Minute).Truncate(time.Minute)
	for k, tss := range bySeries {
		slices.SortFunc(tss, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(tss); i++ {
			assert.Equal(t, time.Minute, tss[i].Sub(tss[i-1]), "%v: gap before %v", k, tss[i])
		}
		if k != [2]string{"mysql-a", "aws.rds.cpu.utilization"} {
			assert.False(t, tss[len(tss)-1].Before(end.Add(-time.Minute)), "%v: newest point %v is stale (expected about %v)", k, tss[len(tss)-1], end)
		}
	}
	// The late series caught up once its points were published.
	require.NotEmpty(t, lateCPU)
	newest := slices.MaxFunc(lateCPU, func(a, b time.Time) int { return a.Compare(b) })
	assert.True(t, newest.After(t0.Add(5*time.Minute)), "late points were picked up (newest %v)", newest)
}

func cwName(t *testing.T, name string) string {
	t.Helper()
	e, ok := catalog.ByName(name)
	require.True(t, ok, name)
	return e.CloudWatchName
}

func TestThrottlingIsRetriedAndTheCycleCompletes(t *testing.T) {
	h := newHarness(t, simulator.GenerateFleet(100, 3), nil)
	h.sim.ThrottleNext("GetMetricData", 3)
	md, err := h.scrape(t)
	require.NoError(t, err)
	assert.Equal(t, int64(3), h.sim.Counters().ThrottledByOperation["GetMetricData"])
	assert.Len(t, instancesWithData(md), 100, "every instance's metrics delivered")
	metadatatest.AssertEqualReceiverAwsrdsAPIRetries(t, h.tel, []metricdata.DataPoint[int64]{{Value: 3,
		Attributes: attribute.NewSet(attribute.String("operation", "GetMetricData"), attribute.String("reason", "throttling"))}},
		metricdatatest.IgnoreTimestamp())
}

// instancesWithData lists the instances (not clusters) that have CloudWatch points in md.
func instancesWithData(md pmetric.Metrics) map[string]bool {
	out := map[string]bool{}
	for p := range points(md) {
		if e, _ := catalog.ByName(p.metric); e.Scope == catalog.InstanceScope {
			out[p.resource] = true
		}
	}
	return out
}

func TestFailedBatchIsAPartialErrorAndTheRestIsDelivered(t *testing.T) {
	fleet := simulator.GenerateFleet(100, 4)
	h := newHarness(t, fleet, func(c *Config) { c.CloudWatch.MaxAttempts = 2 })
	_, err := h.scrape(t)
	require.NoError(t, err)
	plan := h.scraper.regions[0].plan
	batches := cwdata.Calls(plan.Len())
	require.GreaterOrEqual(t, batches, 3, "the fleet needs several batches for this test")

	victim := fleet.Instances[0].Identifier
	h.sim.FailQueriesFor(victim)
	h.clock.Advance(time.Minute)
	md, err := h.scrape(t)
	require.Error(t, err)
	assert.True(t, scrapererror.IsPartialScrapeError(err), "a failed batch is a partial error: %v", err)
	assert.Contains(t, err.Error(), "GetMetricData calls failed")
	got := instancesWithData(md)
	assert.False(t, got[victim])
	assert.Greater(t, len(got), len(fleet.Instances)*(batches-2)/batches, "the other batches were delivered")
	firstFailed := points(md)

	// The failure clears: the next cycle re-reads the window, delivers the missing
	// points and repeats none of those already delivered.
	h.sim.ClearFaults()
	h.clock.Advance(time.Minute)
	md, err = h.scrape(t)
	require.NoError(t, err)
	assert.True(t, instancesWithData(md)[victim])
	for p := range points(md) {
		_, dup := firstFailed[p]
		assert.False(t, dup, "%v delivered twice", p)
	}
	assert.Equal(t, batches, cwdata.Calls(plan.Len()))
}

func TestDiscoveryFailureKeepsTheLastFleet(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), func(c *Config) {
		c.Discovery.RefreshInterval = 2 * time.Minute
		c.CloudWatch.MaxAttempts = 1
	})
	md, err := h.scrape(t)
	require.NoError(t, err)
	want := countInstances(md)
	require.Equal(t, 7, want)

	h.sim.FailNext("DescribeDBInstances", 1000)
	h.clock.Advance(3 * time.Minute)
	md, err = h.scrape(t)
	require.Error(t, err)
	assert.True(t, scrapererror.IsPartialScrapeError(err))
	assert.Contains(t, err.Error(), "keeping the 7 instances")
	assert.Equal(t, want, countInstances(md), "collection went on with the last fleet")
	assert.Equal(t, want, len(instancesWithData(md)))
}

func TestStartMakesNoNetworkCalls(t *testing.T) {
	isolateAWS(t)
	sim := simulator.New(simulator.Config{Fleet: loadSmallFleet(t)})
	srv := httptest.NewServer(sim)
	defer srv.Close()

	cfg := createDefaultConfig().(*Config)
	cfg.Region = "us-east-1"
	cfg.Endpoints.RDS, cfg.Endpoints.CloudWatch = srv.URL, srv.URL
	cfg.InitialDelay = time.Hour
	rcv, err := NewFactory().CreateMetrics(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	assert.Empty(t, sim.Counters().Calls, "Start called AWS")
}

// The receiver factory is usable as any collector receiver factory.
var _ receiver.Factory = NewFactory()

func TestCostIsReported(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), nil)
	_, err := h.scrape(t)
	require.NoError(t, err)
	requested := h.sim.Counters().MetricDataQueries
	require.Positive(t, requested)
	metadatatest.AssertEqualReceiverAwsrdsMetricsRequested(t, h.tel, []metricdata.DataPoint[int64]{{Value: requested}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverAwsrdsCollectionCostEstimated(t, h.tel, []metricdata.DataPoint[float64]{{
		Value: float64(requested) * 0.01 / 1000, Attributes: attribute.NewSet(attribute.String("region", "us-east-1")),
	}}, metricdatatest.IgnoreTimestamp())
}

func TestSeveralRegionsInOneReceiver(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), func(c *Config) { c.Regions = []string{"eu-west-1"} })
	md, err := h.scrape(t)
	require.NoError(t, err)
	perRegion := map[string]int{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		attrs := md.ResourceMetrics().At(i).Resource().Attributes()
		if _, ok := attrs.Get("aws.rds.db_instance.identifier"); ok {
			region, _ := attrs.Get("cloud.region")
			perRegion[region.Str()]++
		}
	}
	assert.Equal(t, map[string]int{"us-east-1": 7, "eu-west-1": 7}, perRegion)
}

func TestStatisticPerMetric(t *testing.T) {
	h := newHarness(t, loadSmallFleet(t), func(c *Config) {
		c.CloudWatch.Statistics = map[string]string{"aws.rds.cpu.utilization": "Maximum"}
	})
	md, err := h.scrape(t)
	require.NoError(t, err)
	var checked int
	for p, v := range points(md) {
		stat := "Average"
		if p.metric == "aws.rds.cpu.utilization" {
			stat = "Maximum"
			checked++
		}
		if e, _ := catalog.ByName(p.metric); e.Scope == catalog.InstanceScope {
			want, ok := h.sim.Value("DBInstanceIdentifier", p.resource, e.CloudWatchName, stat, p.ts, time.Minute)
			require.True(t, ok)
			assert.InDelta(t, want*e.Scale, v, 1e-9, "%v (%s)", p, stat)
		}
	}
	assert.Positive(t, checked)
}

// GetMetricData's Messages are counted by code; the telemetry says how far behind real
// time the region's window ends and how many series lag it.
func TestMessagesBehindAndHeldInTelemetry(t *testing.T) {
	fleet := simulator.GenerateFleet(20, 3)
	h := newHarness(t, fleet, nil)
	h.sim.AddCallMessage(simulator.Message{Code: "MaxQueryTimeRangeExceed", Value: "The query time range exceeds the limit"}, 1)
	require.NoError(t, h.sim.FailQuery(simulator.QueryFault{Identifier: fleet.Instances[0].Identifier, Metric: "CPUUtilization", Status: "Forbidden"}))
	_, err := h.scrape(t)
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	_, err = h.scrape(t)
	require.NoError(t, err)
	metadatatest.AssertEqualReceiverAwsrdsCloudwatchMessages(t, h.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("code", "MaxQueryTimeRangeExceed"))},
		{Value: 2, Attributes: attribute.NewSet(attribute.String("code", "Forbidden"))},
	}, metricdatatest.IgnoreTimestamp())
	region := attribute.NewSet(attribute.String("region", "us-east-1"))
	// t0 is 30 s into a minute: the window ends at the minute, 30 s before the second scrape;
	// the rejected series is read behind its region.
	metadatatest.AssertEqualReceiverAwsrdsCloudwatchBehind(t, h.tel, []metricdata.DataPoint[float64]{{Value: 30, Attributes: region}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverAwsrdsCloudwatchSeriesHeld(t, h.tel, []metricdata.DataPoint[int64]{{Value: 1, Attributes: region}}, metricdatatest.IgnoreTimestamp())
}
