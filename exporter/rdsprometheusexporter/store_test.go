package rdsprometheusexporter

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/resourcetotelemetry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func testStore(exp time.Duration) *store {
	cfg := createDefaultConfig().(*Config)
	cfg.SendTimestamps = true
	cfg.MetricExpiration = exp
	cfg.ResourceConstantLabels = resourcetotelemetry.Settings{Included: []string{"aws.rds.db_instance.identifier", "aws.rds.tag.*"}}
	return newStore(cfg)
}

// metrics builds one resource with one scope; add appends metrics to it.
func metrics(id string, add func(ms pmetric.MetricSlice)) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("aws.rds.db_instance.identifier", id)
	rm.Resource().Attributes().PutStr("aws.rds.tag.env", `pr"od\x`)
	rm.Resource().Attributes().PutStr("aws.rds.engine", "postgres") // not included: no label
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("awsrds")
	sm.Scope().SetVersion("1.0")
	add(sm.Metrics())
	return md
}

func gauge(ms pmetric.MetricSlice, name, unit, desc string, at time.Time, v float64) pmetric.NumberDataPoint {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(desc)
	dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.SetDoubleValue(v)
	return dp
}

func sum(ms pmetric.MetricSlice, name, unit string, temporality pmetric.AggregationTemporality, start, at time.Time, v int64) {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	s := m.SetEmptySum()
	s.SetIsMonotonic(true)
	s.SetAggregationTemporality(temporality)
	dp := s.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.SetIntValue(v)
}

func render(t *testing.T, s *store) string {
	t.Helper()
	var b strings.Builder
	require.NoError(t, s.write(&b))
	return b.String()
}

const labelsA = `{aws_rds_db_instance_identifier="a",aws_rds_tag_env="pr\"od\\x",otel_scope_name="awsrds",otel_scope_schema_url="",otel_scope_version="1.0"}`

func TestStoreWritesTheTextFormat(t *testing.T) {
	s := testStore(time.Hour)
	changed := s.consume(metrics("a", func(ms pmetric.MetricSlice) {
		gauge(ms, "aws.rds.cpu.utilization", "%", "CPU\nused", t0, 12.5)
		dp := gauge(ms, "aws.rds.connections", "{connection}", "Connections.", t0, 1)
		dp.Attributes().PutStr("aws.rds.db_instance.identifier", "overridden by the resource")
		dp.Attributes().PutStr("db.user", "line\nbreak")
		sum(ms, "aws.rds.api.calls", "{call}", pmetric.AggregationTemporalityCumulative, t0.Add(-time.Hour), t0, 7)
	}), t0)
	require.True(t, changed)
	require.Empty(t, s.errs)
	want := "# HELP aws_rds_api_calls_total \n# TYPE aws_rds_api_calls_total counter\n" +
		"aws_rds_api_calls_total" + labelsA + " 7 1796288400000\n" +
		"# HELP aws_rds_connections Connections.\n# TYPE aws_rds_connections gauge\n" +
		`aws_rds_connections{aws_rds_db_instance_identifier="a",aws_rds_tag_env="pr\"od\\x",db_user="line\nbreak",otel_scope_name="awsrds",otel_scope_schema_url="",otel_scope_version="1.0"} 1 1796288400000` + "\n" +
		"# HELP aws_rds_cpu_utilization_percent CPU\\nused\n# TYPE aws_rds_cpu_utilization_percent gauge\n" +
		"aws_rds_cpu_utilization_percent" + labelsA + " 12.5 1796288400000\n"
	assert.Equal(t, want, render(t, s))
}

func TestStoreKeepsTheNewestPoint(t *testing.T) {
	s := testStore(time.Hour)
	s.consume(metrics("a", func(ms pmetric.MetricSlice) { gauge(ms, "g", "", "", t0.Add(time.Minute), 2) }), t0)
	assert.False(t, s.consume(metrics("a", func(ms pmetric.MetricSlice) { gauge(ms, "g", "", "", t0, 1) }), t0), "an older point is ignored")
	assert.Contains(t, render(t, s), "g"+labelsA+" 2 1796288460000\n")
	assert.True(t, s.consume(metrics("a", func(ms pmetric.MetricSlice) { gauge(ms, "g", "", "", t0.Add(2*time.Minute), math.Inf(1)) }), t0))
	assert.Contains(t, render(t, s), "g"+labelsA+" +Inf 1796288520000\n")

	// A point without a recorded value deletes its series; the empty family goes too.
	s.consume(metrics("a", func(ms pmetric.MetricSlice) {
		gauge(ms, "g", "", "", t0.Add(3*time.Minute), 0).SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	}), t0)
	assert.Empty(t, render(t, s))
}

func TestStoreAccumulatesDeltaSums(t *testing.T) {
	s := testStore(time.Hour)
	s.consume(metrics("a", func(ms pmetric.MetricSlice) {
		sum(ms, "c", "", pmetric.AggregationTemporalityDelta, t0, t0.Add(time.Minute), 3)
	}), t0)
	s.consume(metrics("a", func(ms pmetric.MetricSlice) {
		sum(ms, "c", "", pmetric.AggregationTemporalityDelta, t0.Add(time.Minute), t0.Add(2*time.Minute), 4)
	}), t0)
	assert.Contains(t, render(t, s), "c_total"+labelsA+" 7 1796288520000\n")
}

func TestStoreExpiresSeries(t *testing.T) {
	s := testStore(5 * time.Minute)
	s.consume(metrics("a", func(ms pmetric.MetricSlice) { gauge(ms, "g", "", "", t0, 1) }), t0)
	s.consume(metrics("b", func(ms pmetric.MetricSlice) { gauge(ms, "g", "", "", t0, 2) }), t0.Add(3*time.Minute))
	assert.Equal(t, t0.Add(5*time.Minute).UnixNano(), s.expire(t0.Add(4*time.Minute)).UnixNano(), "a expires first")
	assert.Equal(t, t0.Add(8*time.Minute).UnixNano(), s.expire(t0.Add(6*time.Minute)).UnixNano())
	out := render(t, s)
	assert.NotContains(t, out, `identifier="a"`)
	assert.Contains(t, out, `identifier="b"`)
	assert.True(t, s.expire(t0.Add(9*time.Minute)).IsZero())
	assert.Empty(t, render(t, s))
}

func TestStoreRefusesAsClientGolangDoes(t *testing.T) {
	s := testStore(time.Hour)
	s.consume(metrics("a", func(ms pmetric.MetricSlice) {
		gauge(ms, "x_total", "", "", t0, 1)
		sum(ms, "x", "", pmetric.AggregationTemporalityCumulative, t0, t0, 1) // x_total, a counter: refused
		dp := gauge(ms, "y", "", "", t0, 1)
		dp.Attributes().PutStr("v", string([]byte{0xff}))
	}), t0)
	require.Len(t, s.errs, 2)
	assert.ErrorContains(t, s.errs[0], "type conflict")
	assert.ErrorContains(t, s.errs[1], "not valid UTF-8")
	out := render(t, s)
	assert.Contains(t, out, "# TYPE x_total gauge\n")
	assert.NotContains(t, out, "counter")
	assert.NotContains(t, out, "\ny{")
}

func TestAttrMatcher(t *testing.T) {
	m := newAttrMatcher(resourcetotelemetry.Settings{Included: []string{"aws.rds.tag.*", "cloud.region"}, Excluded: []string{"aws.rds.tag.secret?"}})
	assert.True(t, m.matches("aws.rds.tag.env"))
	assert.True(t, m.matches("cloud.region"))
	assert.False(t, m.matches("cloud.regions"))
	assert.False(t, m.matches("aws.rds.tag.secret1"))
	all := newAttrMatcher(resourcetotelemetry.Settings{Excluded: []string{"cloud.*"}})
	assert.True(t, all.matches("aws.rds.engine"))
	assert.False(t, all.matches("cloud.region"))
	assert.False(t, newAttrMatcher(resourcetotelemetry.Settings{}).matches("aws.rds.engine"))
}
