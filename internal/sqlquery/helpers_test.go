package sqlquery

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// harness is a Collector with its telemetry and log in memory.
type harness struct {
	*Collector
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func newHarness(t *testing.T, cfg Config, collectionInterval time.Duration) *harness {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	tb, err := metadata.NewTelemetryBuilder(tt.NewTelemetrySettings())
	require.NoError(t, err)
	core, logs := observer.New(zap.DebugLevel)
	c := NewCollector(cfg, collectionInterval, tb, zap.New(core), nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Shutdown(ctx)
	})
	return &harness{Collector: c, tel: tt, logs: logs}
}

// value sums the int datapoints of one of the collector's own metrics whose attributes
// include want.
func (h *harness) value(t *testing.T, name string, want map[string]string) int64 {
	t.Helper()
	m, err := h.tel.GetMetric("otelcol_receiver_awsrds_" + name)
	if err != nil {
		return 0
	}
	var dps []metricdata.DataPoint[int64]
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		dps = d.DataPoints
	case metricdata.Gauge[int64]:
		dps = d.DataPoints
	default:
		t.Fatalf("%s: unexpected data %T", name, m.Data)
	}
	var sum int64
next:
	for _, dp := range dps {
		for k, v := range want {
			if got, ok := dp.Attributes.Value(attribute.Key(k)); !ok || got.AsString() != v {
				continue next
			}
		}
		sum += dp.Value
	}
	return sum
}

// runs counts the query runs of query on target with outcome.
func (h *harness) runs(t *testing.T, query, target, outcome string) int64 {
	return h.value(t, "sql_query_runs", map[string]string{"query": query, "target": target, "outcome": outcome})
}

// logText is every log entry with its fields, to look for what must not be there.
func (h *harness) logText() string {
	var b strings.Builder
	for _, e := range h.logs.All() {
		b.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			b.WriteString(" " + k + "=")
			b.WriteString(strings.ReplaceAll(toAttribute(v), "\n", " "))
			if err, ok := v.(error); ok {
				b.WriteString(err.Error())
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// resultFor finds the target's result.
func resultFor(t *testing.T, results []Result, target string) Result {
	t.Helper()
	for _, r := range results {
		if r.Target.Name == target {
			return r
		}
	}
	t.Fatalf("no result for target %q in %d results", target, len(results))
	return Result{}
}

// metricByName finds a metric of a result.
func metricByName(ms pmetric.MetricSlice, name string) (pmetric.Metric, bool) {
	for i := range ms.Len() {
		if ms.At(i).Name() == name {
			return ms.At(i), true
		}
	}
	return pmetric.Metric{}, false
}

// joinErrs renders a result's errors on one string.
func joinErrs(errs []error) string {
	if len(errs) == 0 {
		return ""
	}
	return errors.Join(errs...).Error()
}

func itoa(i int) string { return strconv.Itoa(i) }

func secretString(s string) configopaque.String { return configopaque.String(s) }
