package awsrdsreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/otelcol-rds/awsrdsreceiver/internal/emreader"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadatatest"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// emFleet has one instance per Enhanced Monitoring format at the given intervals, and one
// without Enhanced Monitoring.
func emFleet(linux, aurora, windows int32) simulator.Fleet {
	return simulator.Fleet{
		Instances: []simulator.Instance{
			{Identifier: "em-linux", Engine: simulator.EngineMySQL, Class: "db.r6g.large", MonitoringInterval: linux},
			{Identifier: "em-aurora", Engine: simulator.EngineAuroraPostgreSQL, Class: "db.r6g.xlarge", MonitoringInterval: aurora, ClusterIdentifier: "em-cluster"},
			{Identifier: "em-windows", Engine: simulator.EngineSQLServerSE, Class: "db.m6i.xlarge", MonitoringInterval: windows},
			{Identifier: "no-em", Engine: simulator.EnginePostgres, Class: "db.t4g.micro"},
		},
		Clusters: []simulator.Cluster{{Identifier: "em-cluster", Engine: simulator.EngineAuroraPostgreSQL,
			Members: []simulator.ClusterMember{{InstanceIdentifier: "em-aurora", IsWriter: true}}}},
	}
}

func enableEM(lookback time.Duration) func(*Config) {
	return func(cfg *Config) {
		cfg.EnhancedMonitoring.Enabled = true
		cfg.EnhancedMonitoring.RequestsPerSecond = 5
		cfg.EnhancedMonitoring.InitialLookback = lookback
	}
}

// emPoint is one Enhanced Monitoring datapoint: instance, metric, attributes, time.
type emPoint struct {
	instance, metric, attrs string
	ts                      time.Time
}

// emPoints lists the aws.rds.os.* datapoints of md and counts repeats.
func emPoints(md pmetric.Metrics, into map[emPoint]float64, repeats map[emPoint]int) {
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		id, _ := rm.Resource().Attributes().Get("aws.rds.db_instance.identifier")
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m := ms.At(j)
			if !strings.HasPrefix(m.Name(), "aws.rds.os.") {
				continue
			}
			for k := 0; k < m.Gauge().DataPoints().Len(); k++ {
				dp := m.Gauge().DataPoints().At(k)
				p := emPoint{id.Str(), m.Name(), attrString(dp.Attributes()), dp.Timestamp().AsTime()}
				v := dp.DoubleValue()
				if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
					v = float64(dp.IntValue())
				}
				if _, dup := into[p]; dup {
					repeats[p]++
				}
				into[p] = v
			}
		}
	}
}

func attrString(m pcommon.Map) string {
	var kv []string
	m.Range(func(k string, v pcommon.Value) bool {
		kv = append(kv, k+"="+v.AsString())
		return true
	})
	sort.Strings(kv)
	return strings.Join(kv, ",")
}

// expectation is one value of a document, found by an independent reading of its JSON.
type expectation struct {
	metric, attrs string
	value         float64
}

// expectations reads a simulator document with encoding/json alone and lists values the
// receiver must have emitted, converted to OTel units.
func expectations(t *testing.T, msg string) []expectation {
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(msg), &d))
	var out []expectation
	obj := func(k string) map[string]any { m, _ := d[k].(map[string]any); return m }
	arr := func(k string) []any { a, _ := d[k].([]any); return a }
	for k, v := range obj("cpuUtilization") {
		out = append(out, expectation{"aws.rds.os.cpu.utilization", "cpu.mode=" + k, v.(float64)})
	}
	out = append(out, expectation{"aws.rds.os.cpu.count", "", d["numVCPUs"].(float64)})
	if m := obj("loadAverageMinute"); m != nil {
		out = append(out, expectation{"aws.rds.os.load_average.1m", "", m["one"].(float64)},
			expectation{"aws.rds.os.load_average.15m", "", m["fifteen"].(float64)})
	}
	if m := obj("tasks"); m != nil {
		out = append(out, expectation{"aws.rds.os.tasks", "state=total", m["total"].(float64)})
	}
	if m := obj("swap"); m != nil {
		out = append(out, expectation{"aws.rds.os.swap.io", "system.paging.direction=out", m["out"].(float64) * 1024})
	}
	mem := obj("memory")
	if v, ok := mem["free"]; ok {
		out = append(out, expectation{"aws.rds.os.memory.usage", "state=free", v.(float64) * 1024})
	}
	if v, ok := mem["physAvailKb"]; ok {
		out = append(out, expectation{"aws.rds.os.memory.usage", "state=physical_available", v.(float64) * 1024})
	}
	if m := obj("system"); m != nil {
		out = append(out, expectation{"aws.rds.os.system.objects", "object.type=handles", m["handles"].(float64)})
	}
	for _, x := range arr("network") {
		n := x.(map[string]any)
		rx := n["rx"]
		if rx == nil {
			rx = n["rdBytesPS"]
		}
		out = append(out, expectation{"aws.rds.os.network.io", "network.interface.name=" + n["interface"].(string) + ",network.io.direction=receive", rx.(float64)})
	}
	for _, key := range []string{"diskIO", "physicalDeviceIO"} {
		layer := map[string]string{"diskIO": "logical", "physicalDeviceIO": "physical"}[key]
		for _, x := range arr(key) {
			e := x.(map[string]any)
			dev, _ := e["device"].(string)
			if dev == "" {
				dev = "aurora-storage"
				out = append(out, expectation{"aws.rds.os.disk.latency", "device=" + dev + ",disk.io.direction=write,disk.layer=" + layer, e["writeLatency"].(float64) / 1000})
				continue
			}
			out = append(out, expectation{"aws.rds.os.disk.utilization", "device=" + dev + ",disk.layer=" + layer, e["util"].(float64)},
				expectation{"aws.rds.os.disk.io", "device=" + dev + ",disk.io.direction=write,disk.layer=" + layer, e["writeKbPS"].(float64) * 1024})
		}
	}
	for _, x := range arr("fileSys") {
		e := x.(map[string]any)
		out = append(out, expectation{"aws.rds.os.filesystem.utilization", "device=" + e["name"].(string) + ",system.filesystem.mountpoint=" + e["mountPoint"].(string), e["usedPercent"].(float64)})
	}
	for _, x := range arr("disks") {
		e := x.(map[string]any)
		n := e["name"].(string)
		out = append(out, expectation{"aws.rds.os.filesystem.usage", "device=" + n + ",state=free,system.filesystem.mountpoint=" + n, e["availKb"].(float64) * 1024})
	}
	for _, x := range arr("processList") {
		e := x.(map[string]any)
		if e["name"] == "RDS processes" {
			out = append(out, expectation{"aws.rds.os.process.cpu.utilization", "process.command=RDS processes,process.parent_pid=0,process.pid=0,thread.id=0", e["cpuUsedPc"].(float64)})
		}
	}
	return out
}

// TestEnhancedMonitoringEveryValueOnce runs the receiver against the simulator for five
// cycles, with Linux at 1 s, Aurora at 60 s and SQL Server at 5 s, then at 60 s / 1 s /
// 1 s: every document of every instance arrives once, at its own timestamp, with the
// simulator's values.
func TestEnhancedMonitoringEveryValueOnce(t *testing.T) {
	for _, iv := range [][3]int32{{1, 60, 5}, {60, 1, 1}} {
		t.Run(fmt.Sprint(iv), func(t *testing.T) {
			h := newHarness(t, emFleet(iv[0], iv[1], iv[2]), enableEM(2*time.Minute))
			got, repeats := map[emPoint]float64{}, map[emPoint]int{}
			var last time.Time
			for range 5 {
				md, err := h.scrape(t)
				require.NoError(t, err)
				emPoints(md, got, repeats)
				last = h.clock.now
				h.clock.Advance(time.Minute)
			}
			assert.Empty(t, repeats, "no datapoint twice")
			docs := 0
			for _, id := range []string{"em-linux", "em-aurora", "em-windows"} {
				evs := h.sim.EMEvents(id, t0.Add(-2*time.Minute), last.Add(-h.sim.LogIngestionLag()+time.Millisecond))
				require.NotEmpty(t, evs, id)
				docs += len(evs)
				for _, e := range evs {
					for _, x := range expectations(t, e.Message) {
						p := emPoint{id, x.metric, x.attrs, e.Timestamp}
						v, ok := got[p]
						if assert.True(t, ok, "missing %+v", p) {
							assert.InDelta(t, x.value, v, 1e-9*max(1, x.value), "%+v", p)
						}
					}
				}
				// Nothing at a time the simulator has no document for.
				stamps := map[time.Time]bool{}
				for _, e := range evs {
					stamps[e.Timestamp] = true
				}
				for p := range got {
					if p.instance == id {
						assert.True(t, stamps[p.ts], "%+v has no document", p)
					}
				}
			}
			for p := range got {
				assert.NotEqual(t, "no-em", p.instance)
			}
			metadatatest.AssertEqualReceiverAwsrdsEmEvents(t, h.tel, []metricdata.DataPoint[int64]{{Value: int64(docs)}}, metricdatatest.IgnoreTimestamp())
		})
	}
}

// TestEnhancedMonitoringGolden pins the full output of one document per format.
func TestEnhancedMonitoringGolden(t *testing.T) {
	h := newHarness(t, emFleet(60, 60, 60), enableEM(time.Minute))
	md, err := h.scrape(t)
	require.NoError(t, err)
	em := pmetric.NewMetrics()
	md.ResourceMetrics().RemoveIf(func(rm pmetric.ResourceMetrics) bool {
		rm.ScopeMetrics().At(0).Metrics().RemoveIf(func(m pmetric.Metric) bool { return !strings.HasPrefix(m.Name(), "aws.rds.os.") })
		return rm.ScopeMetrics().At(0).Metrics().Len() == 0
	})
	md.ResourceMetrics().MoveAndAppendTo(em.ResourceMetrics())
	require.Equal(t, 3, em.ResourceMetrics().Len(), "one resource per EM instance")

	compareGolden(t, "enhanced-monitoring.yaml", em, pmetrictest.IgnoreMetricDataPointsOrder())

	// The resource is the instance's, as for its CloudWatch metrics.
	rm := findResource(t, em, "em-aurora")
	attrs := rm.Resource().Attributes().AsRaw()
	assert.Equal(t, h.sim.EMStream("em-aurora"), attrs["aws.rds.db_instance.resource_id"])
	assert.Equal(t, "em-cluster", attrs["aws.rds.db_cluster.identifier"])
	assert.Equal(t, "aurora-postgresql", attrs["aws.rds.engine"])
}

// TestEnhancedMonitoringTopProcesses: top 2 by CPU and by memory, plus the summary rows.
func TestEnhancedMonitoringTopProcesses(t *testing.T) {
	h := newHarness(t, emFleet(60, 60, 60), func(cfg *Config) {
		enableEM(time.Minute)(cfg)
		cfg.EnhancedMonitoring.Processes.Top = 2
	})
	md, err := h.scrape(t)
	require.NoError(t, err)
	got, rep := map[emPoint]float64{}, map[emPoint]int{}
	emPoints(md, got, rep)
	for _, id := range []string{"em-linux", "em-windows"} {
		rows := map[string]bool{}
		for p := range got {
			if p.instance == id && p.metric == "aws.rds.os.process.cpu.utilization" {
				rows[p.attrs] = true
			}
		}
		assert.GreaterOrEqual(t, len(rows), 4, id)
		assert.LessOrEqual(t, len(rows), 6, id)
		summary := 0
		for r := range rows {
			if strings.Contains(r, "process.command=OS processes") || strings.Contains(r, "process.command=RDS processes") {
				summary++
			}
		}
		assert.Equal(t, 2, summary, id)
	}
}

// TestEnhancedMonitoringDownsampleNewest keeps one document per instance and cycle.
func TestEnhancedMonitoringDownsampleNewest(t *testing.T) {
	h := newHarness(t, emFleet(1, 60, 5), func(cfg *Config) {
		enableEM(time.Minute)(cfg)
		cfg.EnhancedMonitoring.Downsample = downsampleNewest
	})
	got, rep := map[emPoint]float64{}, map[emPoint]int{}
	for range 2 {
		md, err := h.scrape(t)
		require.NoError(t, err)
		emPoints(md, got, rep)
		h.clock.Advance(time.Minute)
	}
	stamps := map[time.Time]bool{}
	for p := range got {
		if p.instance == "em-linux" {
			stamps[p.ts] = true
		}
	}
	assert.Len(t, stamps, 2, "one document per cycle")
}

// TestEnhancedMonitoringMissingStreams: 100 instances, 10 without their stream, 1 whose
// stream disappears mid-run, 1 whose Enhanced Monitoring is turned off mid-run. The other
// 89 lose nothing; the errors name each instance that cannot be read, once.
func TestEnhancedMonitoringMissingStreams(t *testing.T) {
	var f simulator.Fleet
	for i := range 100 {
		iv := int32(60)
		if i%25 == 1 {
			iv = 1
		}
		engine := []string{simulator.EngineMySQL, simulator.EnginePostgres, simulator.EngineSQLServerSE}[i%3]
		f.Instances = append(f.Instances, simulator.Instance{Identifier: fmt.Sprintf("em-%03d", i), Engine: engine, Class: "db.r6g.large", MonitoringInterval: iv})
	}
	h := newHarness(t, f, func(cfg *Config) {
		enableEM(2 * time.Minute)(cfg)
		cfg.Discovery.RefreshInterval = time.Minute
	})
	h.scraper.em.regions["us-east-1"].reader.Limiter().SetLimit(rate.Inf) // the isolation of missing streams takes ~60 calls
	missing := map[string]bool{}
	for i := 5; i < 100; i += 10 {
		id := fmt.Sprintf("em-%03d", i)
		missing[id] = true
		require.NoError(t, h.sim.DeleteEnhancedMonitoringStream(id))
	}
	const disappearing, turnedOff = "em-042", "em-061"
	named := map[string]int{}
	got, repeats := map[emPoint]float64{}, map[emPoint]int{}
	var last time.Time
	for cycle := range 6 {
		if cycle == 3 {
			require.NoError(t, h.sim.DeleteEnhancedMonitoringStream(disappearing))
			require.NoError(t, h.sim.StopEnhancedMonitoring(turnedOff))
		}
		md, err := h.scrape(t)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				for i := range 100 {
					if id := fmt.Sprintf("em-%03d", i); strings.Contains(line, "instance "+id+":") {
						named[id]++
						assert.Contains(t, line, "log stream is missing", line)
					}
				}
			}
		}
		emPoints(md, got, repeats)
		last = h.clock.now
		h.clock.Advance(time.Minute)
	}
	assert.Empty(t, repeats)
	want := map[string]int{disappearing: 1}
	for id := range missing {
		want[id] = 1
	}
	assert.Equal(t, want, named, "each unreadable instance named once, the others never")
	warned := map[string]int{}
	for _, e := range h.logs.FilterMessage("Enhanced Monitoring cannot be read for an instance").All() {
		warned[e.ContextMap()["instance"].(string)]++
	}
	assert.Equal(t, want, warned)

	checked := 0
	for i := range 100 {
		id := fmt.Sprintf("em-%03d", i)
		if missing[id] || id == disappearing || id == turnedOff {
			continue
		}
		evs := h.sim.EMEvents(id, t0.Add(-2*time.Minute), last.Add(-h.sim.LogIngestionLag()+time.Millisecond))
		require.NotEmpty(t, evs, id)
		for _, e := range evs {
			var d struct {
				CPU map[string]float64 `json:"cpuUtilization"`
			}
			require.NoError(t, json.Unmarshal([]byte(e.Message), &d))
			v, ok := got[emPoint{id, "aws.rds.os.cpu.utilization", "cpu.mode=user", e.Timestamp}]
			require.True(t, ok, "%s at %v", id, e.Timestamp)
			assert.Equal(t, d.CPU["user"], v)
		}
		checked++
	}
	assert.Equal(t, 88, checked, "89 readable instances less the one turned off")
	region := attribute.NewSet(attribute.String("region", "us-east-1"))
	metadatatest.AssertEqualReceiverAwsrdsEmStreamsMissing(t, h.tel, []metricdata.DataPoint[int64]{{Value: 11, Attributes: region}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualReceiverAwsrdsEmCalls(t, h.tel, []metricdata.DataPoint[int64]{{Value: h.sim.Counters().Calls["FilterLogEvents"], Attributes: region}},
		metricdatatest.IgnoreTimestamp())
	// The instance turned off got what it wrote while on.
	off := h.sim.EMEvents(turnedOff, t0.Add(-2*time.Minute), last)
	for _, e := range off {
		_, ok := got[emPoint{turnedOff, "aws.rds.os.cpu.utilization", "cpu.mode=user", e.Timestamp}]
		assert.True(t, ok, "%s at %v", turnedOff, e.Timestamp)
	}
}

func TestEnhancedMonitoringConfig(t *testing.T) {
	def := createDefaultConfig().(*Config).EnhancedMonitoring
	assert.False(t, def.Enabled, "off by default: it needs logs:FilterLogEvents, which existing policies lack")
	require.NoError(t, def.validate())
	for _, tt := range []struct {
		modify func(*EnhancedMonitoringConfig)
		want   string
	}{
		{func(e *EnhancedMonitoringConfig) { e.Downsample = "mean" }, `enhanced_monitoring.downsample: "mean" is not one of none, newest`},
		{func(e *EnhancedMonitoringConfig) { e.Processes.Top = -1 }, "enhanced_monitoring.processes.top: -1"},
		{func(e *EnhancedMonitoringConfig) { e.Processes.Top = 51 }, "enhanced_monitoring.processes.top: 51"},
		{func(e *EnhancedMonitoringConfig) { e.RequestsPerSecond = 6 }, "enhanced_monitoring.requests_per_second: 6"},
		{func(e *EnhancedMonitoringConfig) { e.MaxConcurrentRequests = 0 }, "enhanced_monitoring.max_concurrent_requests: 0"},
		{func(e *EnhancedMonitoringConfig) { e.InitialLookback = 2 * time.Hour }, "enhanced_monitoring.initial_lookback: 2h0m0s"},
	} {
		cfg := createDefaultConfig().(*Config)
		tt.modify(&cfg.EnhancedMonitoring)
		err := cfg.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
	cm := confmap.NewFromStringMap(map[string]any{"enhanced_monitoring": map[string]any{
		"enabled": true, "downsample": "newest", "processes": map[string]any{"top": 10}}})
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, cm.Unmarshal(cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, EnhancedMonitoringConfig{Enabled: true, Downsample: "newest", Processes: EnhancedMonitoringProcessesConfig{Top: 10},
		RequestsPerSecond: 1, MaxConcurrentRequests: 2, InitialLookback: 5 * time.Minute}, cfg.EnhancedMonitoring)
}

// TestEnhancedMonitoringSurvivesRestart: the marks live in the storage extension, so a
// killed and restarted collector delivers every document once; a scrape the pipeline
// refuses is read again.
func TestEnhancedMonitoringSurvivesRestart(t *testing.T) {
	d := newDurable(t, emFleet(5, 60, 10), simulator.Config{}, enableEM(time.Minute))
	got, repeats := map[emPoint]float64{}, map[emPoint]int{}
	run := func(refuse error) {
		md := d.scrape(refuse)
		if refuse == nil {
			emPoints(md, got, repeats)
		}
		d.clock.Advance(time.Minute)
	}
	d.start()
	run(nil)
	run(errors.New("pipeline full"))
	run(nil)
	d.kill()
	d.clock.Advance(3 * time.Minute) // down for a while
	d.start()
	run(nil)
	run(nil)
	last := d.clock.now.Add(-time.Minute)
	assert.Empty(t, repeats)
	for _, id := range []string{"em-linux", "em-aurora", "em-windows"} {
		evs := d.sim.EMEvents(id, t0.Add(-time.Minute), last.Add(-d.sim.LogIngestionLag()+time.Millisecond))
		require.NotEmpty(t, evs)
		for _, e := range evs {
			_, ok := got[emPoint{id, "aws.rds.os.cpu.utilization", "cpu.mode=user", e.Timestamp}]
			assert.True(t, ok, "%s at %v", id, e.Timestamp)
		}
	}
}

// fakeLogs answers FilterLogEvents with fixed events (a unit test of what the collector does
// with odd documents; the simulator only writes well-formed ones).
type fakeLogs struct{ events []logtypes.FilteredLogEvent }

func (f fakeLogs) FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	return &cloudwatchlogs.FilterLogEventsOutput{Events: f.events}, nil
}

// TestEnhancedMonitoringOddDocuments: unknown fields are counted and the rest recorded; an
// unreadable document is a partial error naming the instance, the others are delivered.
func TestEnhancedMonitoringOddDocuments(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	settings := receivertest.NewNopSettings(metadata.Type)
	settings.TelemetrySettings = tel.NewTelemetrySettings()
	tb, err := metadata.NewTelemetryBuilder(settings.TelemetrySettings)
	require.NoError(t, err)
	mb := metadata.NewMetricsBuilder(metadata.NewDefaultMetricsBuilderConfig(), settings)
	ts := t0.Add(-time.Minute)
	ev := func(ms int64, msg string) logtypes.FilteredLogEvent {
		return logtypes.FilteredLogEvent{LogStreamName: aws.String("db-ODD"), Timestamp: aws.Int64(ms), Message: aws.String(msg)}
	}
	api := fakeLogs{events: []logtypes.FilteredLogEvent{
		ev(ts.UnixMilli(), `{"timestamp":"`+ts.Format(time.RFC3339)+`","cpuUtilization":{"user":12.5,"quantum":1},"futureGroup":{}}`),
		ev(ts.UnixMilli()+1000, `{"timestamp": oops`),
	}}
	c := newEMCollector(defaultEnhancedMonitoringConfig(), mb, tb, zap.NewNop())
	c.addRegion(context.Background(), "us-east-1", api, resourceBuilder{region: "us-east-1", newRB: mb.NewResourceBuilder}, nil)
	c.regions["us-east-1"].streams = []emreader.Stream{{Name: "db-ODD", Instance: "odd-1"}}
	c.regions["us-east-1"].resources = map[string]pcommon.Resource{"db-ODD": pcommon.NewResource()}
	var errs scrapererror.ScrapeErrors
	c.collect(context.Background(), t0, &errs)
	err = errs.Combine()
	require.Error(t, err)
	assert.True(t, scrapererror.IsPartialScrapeError(err))
	assert.Contains(t, err.Error(), "instance odd-1: 1 documents unreadable")
	got, rep := map[emPoint]float64{}, map[emPoint]int{}
	emPoints(mb.Emit(), got, rep)
	assert.Equal(t, map[emPoint]float64{{"", "aws.rds.os.cpu.utilization", "cpu.mode=user", ts}: 12.5}, got)
	metadatatest.AssertEqualReceiverAwsrdsEmUnknownFields(t, tel, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
}
