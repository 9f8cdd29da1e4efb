package sqlquery

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// Outcomes of a query run.
const (
	outcomeSuccess  = "success"
	outcomeError    = "error"
	outcomeTimeout  = "timeout"
	outcomeSkipped  = "skipped"  // the previous run on the target is still going
	outcomeBackoff  = "backoff"  // the target is unreachable and waits before the next attempt
	outcomeCanceled = "canceled" // shutdown, target removed, or the caller's context
)

// DiscoveredTarget is the target attribute of the SQL telemetry of every discovered
// instance: their number is not the user's choice (thousands in a large account), so
// they are counted together. Static targets, which the user lists, keep their names.
// No static target can have this name.
const DiscoveredTarget = "(discovered)"

// telemetryTarget is t's target attribute.
func telemetryTarget(t *Target) string {
	if t.Static {
		return t.Name
	}
	return DiscoveredTarget
}

// telemetry records the receiver's own SQL metrics. Attributes carry names only: never
// SQL text, DSNs or passwords. Their cardinality is bounded by the configuration:
// queries x (static targets + 1) x outcomes or reasons.
type telemetry struct{ tb *metadata.TelemetryBuilder }

func newTelemetry(tb *metadata.TelemetryBuilder) telemetry {
	if tb == nil {
		tb, _ = metadata.NewTelemetryBuilder(component.TelemetrySettings{MeterProvider: noop.NewMeterProvider()})
	}
	return telemetry{tb: tb}
}

func (t telemetry) run(query, target, outcome string, d time.Duration) {
	ctx := context.Background()
	attrs := metric.WithAttributes(attribute.String("query", query), attribute.String("target", target), attribute.String("outcome", outcome))
	t.tb.ReceiverAwsrdsSQLQueryRuns.Add(ctx, 1, attrs)
	if d > 0 { // skipped, backed-off and unconfigured runs took no time
		t.tb.ReceiverAwsrdsSQLQueryDuration.Record(ctx, d.Seconds(), attrs)
	}
}

func (t telemetry) rows(query, target string, n int64) {
	t.tb.ReceiverAwsrdsSQLRows.Add(context.Background(), n,
		metric.WithAttributes(attribute.String("query", query), attribute.String("target", target)))
}

// lost records values that became no datapoint (row errors) and series dropped.
func (t telemetry) lost(query, target string, c counts) {
	for reason, n := range c {
		if n == 0 {
			continue
		}
		attrs := metric.WithAttributes(attribute.String("query", query), attribute.String("target", target), attribute.String("reason", reason))
		switch reason {
		case reasonCardinality, reasonDuplicate:
			t.tb.ReceiverAwsrdsSQLSeriesDropped.Add(context.Background(), n, attrs)
		default:
			t.tb.ReceiverAwsrdsSQLRowErrors.Add(context.Background(), n, attrs)
		}
	}
}

func (t telemetry) up(target string, up bool) {
	v := int64(0)
	if up {
		v = 1
	}
	t.tb.ReceiverAwsrdsSQLTargetUp.Record(context.Background(), v, metric.WithAttributes(attribute.String("target", target)))
}

// unreachable records how many targets' last connection attempt failed.
func (t telemetry) unreachable(n int64) {
	t.tb.ReceiverAwsrdsSQLTargetsUnreachable.Record(context.Background(), n)
}
