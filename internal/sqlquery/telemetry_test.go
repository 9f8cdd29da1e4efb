package sqlquery

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// series counts the distinct attribute sets of each of the collector's SQL metrics.
func (h *harness) series(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, name := range []string{"sql_query_runs", "sql_query_duration", "sql_rows", "sql_row_errors", "sql_series_dropped", "sql_target_up", "sql_targets_unreachable"} {
		m, err := h.tel.GetMetric("otelcol_receiver_awsrds_" + name)
		if err != nil {
			continue // never recorded
		}
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			out[name] = len(d.DataPoints)
		case metricdata.Gauge[int64]:
			out[name] = len(d.DataPoints)
		case metricdata.Histogram[float64]:
			out[name] = len(d.DataPoints)
		default:
			t.Fatalf("%s: unexpected data %T", name, m.Data)
		}
	}
	return out
}

// TestTelemetryCardinalityWith5000DiscoveredTargets: 5,000 discovered instances (all
// refusing connections, which is what makes every outcome show up) and 2 static
// targets. The receiver's own SQL series depend on the number of queries and static
// targets, not on the number of discovered instances.
func TestTelemetryCardinalityWith5000DiscoveredTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("5,000 targets")
	}
	port := closedPort(t)
	queries := []QueryConfig{
		{Name: "pg_a", SQL: "select 1 as v", Engines: []string{"postgres"}, Metrics: []MetricConfig{{Name: "a", ValueColumn: "v"}}},
		{Name: "pg_b", SQL: "select 1 as v", Engines: []string{"postgres"}, Metrics: []MetricConfig{{Name: "b", ValueColumn: "v"}}},
		{Name: "static", SQL: "select 1 as v", Targets: []string{"s1", "s2"}, Metrics: []MetricConfig{{Name: "c", ValueColumn: "v"}}},
	}
	step := 10 * time.Second
	h := newHarness(t, Config{Queries: queries}, step)
	var targets []Target
	for i := range 5000 {
		targets = append(targets, Target{Name: fmt.Sprintf("db-%04d", i), Engine: "postgres", Host: "127.0.0.1", Port: port,
			Region: "eu-west-1", Credentials: Credentials{Username: "otel"}})
	}
	for _, name := range []string{"s1", "s2"} {
		targets = append(targets, Target{Name: name, Engine: "postgresql", Host: "127.0.0.1", Port: port, Static: true,
			Credentials: Credentials{Username: "otel"}})
	}
	h.SetTargets(targets)
	t0 := time.Now()
	for cycle := range 2 { // first cycle: errors; second: one attempt per target, backoff for the rest
		results := h.Collect(context.Background(), t0.Add(time.Duration(cycle)*step))
		require.Len(t, results, 5002)
	}

	got := h.series(t)
	total := 0
	var lines []string
	for name, n := range got {
		total += n
		lines = append(lines, fmt.Sprintf("%s=%d", name, n))
	}
	sort.Strings(lines)
	t.Logf("SQL self-telemetry series with 5,000 discovered and 2 static targets: %d in all (%s); "+
		"with one attribute value per target, sql_query_runs alone would have %d", total, strings.Join(lines, ", "), 2*2*5000+2)
	// Runs and durations: 2 discovered queries x 1 aggregate x 2 outcomes (error,
	// backoff) + 1 static query x 2 targets x 1 outcome (error: a target with one query
	// has no other query to skip).
	assert.Equal(t, 6, got["sql_query_runs"])
	assert.LessOrEqual(t, got["sql_query_duration"], 6)
	assert.Equal(t, 2, got["sql_target_up"], "static targets only")
	assert.Equal(t, 1, got["sql_targets_unreachable"])
	assert.EqualValues(t, 5002, h.value(t, "sql_targets_unreachable", nil))
	assert.Less(t, total, 30)
	assert.EqualValues(t, 2*2*5000, h.runs(t, "pg_a", DiscoveredTarget, outcomeError)+h.runs(t, "pg_b", DiscoveredTarget, outcomeError)+
		h.runs(t, "pg_a", DiscoveredTarget, outcomeBackoff)+h.runs(t, "pg_b", DiscoveredTarget, outcomeBackoff),
		"every run counted, under one target attribute")
}
