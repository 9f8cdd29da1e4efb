package sqlquery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// emitted runs rows through one metric and returns its datapoints as attribute
// set -> value, and the counts.
func emitted(t *testing.T, m MetricConfig, columns []string, rows [][]any, maxSeries int, duplicates string) (map[string]any, counts, pmetric.Metric) {
	t.Helper()
	r := newMetricRun(&m, columns, maxSeries, duplicates, nil, 0)
	require.NoError(t, r.missingErr(columns))
	for _, row := range rows {
		r.add(row)
	}
	ms := pmetric.NewMetricSlice()
	var starts seriesStarts
	r.appendTo(ms, pcommon.NewTimestampFromTime(time.Unix(100, 0)), &starts)
	got := map[string]any{}
	if ms.Len() == 0 {
		return got, r.counts, pmetric.NewMetric()
	}
	metric := ms.At(0)
	dps := metric.Gauge().DataPoints()
	for i := range dps.Len() {
		dp := dps.At(i)
		key := ""
		for k, v := range dp.Attributes().All() {
			key += k + "=" + v.Str() + ";"
		}
		if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
			got[key] = dp.IntValue()
		} else {
			got[key] = dp.DoubleValue()
		}
	}
	return got, r.counts, metric
}

func TestDuplicatePolicies(t *testing.T) {
	columns := []string{"db", "n"}
	rows := [][]any{{"a", int64(1)}, {"b", int64(10)}, {"a", int64(2)}, {"a", 0.5}}
	m := MetricConfig{Name: "x", ValueColumn: "n", AttributeColumns: []string{"db"}}
	tests := []struct {
		policy string
		want   map[string]any
	}{
		{DuplicatesFirst, map[string]any{"db=a;": int64(1), "db=b;": int64(10)}},
		{DuplicatesLast, map[string]any{"db=a;": 0.5, "db=b;": int64(10)}},
		{DuplicatesSum, map[string]any{"db=a;": 3.5, "db=b;": int64(10)}},
	}
	for _, tt := range tests {
		t.Run(tt.policy, func(t *testing.T) {
			got, c, _ := emitted(t, m, columns, rows, 100, tt.policy)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, counts{reasonDuplicate: 2}, c)
		})
	}
}

func TestSeriesCap(t *testing.T) {
	var rows [][]any
	for i := range 25 {
		rows = append(rows, []any{int64(i), int64(i)})
	}
	rows = append(rows, []any{int64(3), int64(99)}) // a duplicate of a kept series is a duplicate, not a drop
	m := MetricConfig{Name: "x", ValueColumn: "v", AttributeColumns: []string{"k"}}
	got, c, _ := emitted(t, m, []string{"k", "v"}, rows, 10, DuplicatesFirst)
	assert.Len(t, got, 10)
	assert.Equal(t, int64(3), got["k=3;"])
	assert.NotContains(t, got, "k=10;")
	assert.Equal(t, counts{reasonCardinality: 15, reasonDuplicate: 1}, c)
}

func TestNullAndNotNumeric(t *testing.T) {
	rows := [][]any{{"a", nil}, {"b", "idle"}, {"c", []byte("1.25")}, {nil, int64(4)}}
	for _, tt := range []struct {
		null string
		want map[string]any
	}{
		{NullSkip, map[string]any{"s=c;": 1.25, "s=;": int64(4)}},
		{NullZero, map[string]any{"s=a;": int64(0), "s=c;": 1.25, "s=;": int64(4)}},
	} {
		t.Run(tt.null, func(t *testing.T) {
			m := MetricConfig{Name: "x", ValueColumn: "v", AttributeColumns: []string{"s"}, OnNull: tt.null}
			got, c, _ := emitted(t, m, []string{"s", "v"}, rows, 100, DuplicatesFirst)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, counts{reasonNull: 1, reasonNotNumeric: 1}, c)
		})
	}
}

func TestColumnsResolvedIgnoringCase(t *testing.T) {
	m := MetricConfig{Name: "x", ValueColumn: "Sessions", AttributeColumns: []string{"UseName"}}
	got, _, metric := emitted(t, m, []string{"usename", "sessions"}, [][]any{{"otel", int64(2)}}, 10, DuplicatesFirst)
	assert.Equal(t, map[string]any{"UseName=otel;": int64(2)}, got, "attributes keep the configured names")
	assert.Equal(t, "x", metric.Name())
}

func TestMissingColumn(t *testing.T) {
	m := MetricConfig{Name: "db.sessions", ValueColumn: "sessions", AttributeColumns: []string{"user", "host"}}
	columns := []string{"user", "count"}
	r := newMetricRun(&m, columns, 10, DuplicatesFirst, nil, 0)
	r.add([]any{"otel", int64(1)})
	err := r.missingErr(columns)
	require.Error(t, err)
	assert.Equal(t, `metric "db.sessions": column "sessions", "host" not in the result (columns: user, count)`, err.Error())
	assert.Equal(t, counts{reasonMissingColumn: 1}, r.counts)
}

func TestMetricShape(t *testing.T) {
	m := MetricConfig{Name: "db.sessions", ValueColumn: "v", Unit: "{session}", Description: "Sessions."}
	r := newMetricRun(&m, []string{"v"}, 10, DuplicatesFirst, nil, 0)
	r.add([]any{int64(3)})
	ms := pmetric.NewMetricSlice()
	var starts seriesStarts
	ts := pcommon.NewTimestampFromTime(time.Unix(100, 0))
	r.appendTo(ms, ts, &starts)
	require.Equal(t, 1, ms.Len())
	got := ms.At(0)
	assert.Equal(t, "{session}", got.Unit())
	assert.Equal(t, "Sessions.", got.Description())
	require.Equal(t, pmetric.MetricTypeGauge, got.Type())
	assert.Equal(t, ts, got.Gauge().DataPoints().At(0).Timestamp())
	assert.Zero(t, got.Gauge().DataPoints().At(0).StartTimestamp(), "gauges have no start timestamp")

	// No datapoint, no metric.
	empty := newMetricRun(&m, []string{"v"}, 10, DuplicatesFirst, nil, 0)
	ms = pmetric.NewMetricSlice()
	empty.appendTo(ms, ts, &starts)
	assert.Equal(t, 0, ms.Len())
}

func TestCounterStartTimestamps(t *testing.T) {
	m := MetricConfig{Name: "db.commits", ValueColumn: "v", AttributeColumns: []string{"db"}, Type: TypeCounter}
	var starts seriesStarts
	collect := func(sec int64, rows ...[]any) map[string][2]int64 {
		r := newMetricRun(&m, []string{"db", "v"}, 10, DuplicatesFirst, nil, 0)
		for _, row := range rows {
			r.add(row)
		}
		ms := pmetric.NewMetricSlice()
		r.appendTo(ms, pcommon.NewTimestampFromTime(time.Unix(sec, 0)), &starts)
		sum := ms.At(0).Sum()
		require.True(t, sum.IsMonotonic())
		require.Equal(t, pmetric.AggregationTemporalityCumulative, sum.AggregationTemporality())
		out := map[string][2]int64{}
		for i := range sum.DataPoints().Len() {
			dp := sum.DataPoints().At(i)
			db, _ := dp.Attributes().Get("db")
			out[db.Str()] = [2]int64{dp.StartTimestamp().AsTime().Unix(), dp.Timestamp().AsTime().Unix()}
		}
		return out
	}
	assert.Equal(t, map[string][2]int64{"a": {10, 10}}, collect(10, []any{"a", int64(5)}))
	assert.Equal(t, map[string][2]int64{"a": {10, 20}, "b": {20, 20}}, collect(20, []any{"a", int64(7)}, []any{"b", int64(1)}))
	// a went down: reset after its previous observation; b vanished and comes back anew.
	assert.Equal(t, map[string][2]int64{"a": {20, 30}}, collect(30, []any{"a", int64(2)}))
	assert.Equal(t, map[string][2]int64{"a": {20, 40}, "b": {40, 40}}, collect(40, []any{"a", int64(3)}, []any{"b", int64(9)}))
}
