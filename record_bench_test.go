package awsrdsreceiver

import (
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
)

// BenchmarkRecordCloudWatch measures the path from decoded GetMetricData results to pdata
// for a fleet of 5,000 instances, 5 new points per series per cycle (interval 5 min,
// period 1 min), reporting the cost per datapoint.
func BenchmarkRecordCloudWatch(b *testing.B) {
	const instances, points = 5000, 5
	cfg := createDefaultConfig().(*Config)
	s := newScraper(cfg, receivertest.NewNopSettings(metadata.Type))
	sel, err := newSelection(cfg.Metrics, cfg.CloudWatch)
	if err != nil {
		b.Fatal(err)
	}
	pl := &planner{sel: sel, region: "us-east-1", period: time.Minute, newRB: s.mb.NewResourceBuilder}
	fleet := discovery.Fleet{}
	for i := range instances {
		fleet.Instances = append(fleet.Instances, discovery.Instance{
			Identifier: fmt.Sprintf("db-%05d", i), Engine: "postgres", StorageType: "gp3",
			Class: "db.r6g.large", Role: discovery.RolePrimary, ARN: "arn:aws:rds:us-east-1:123456789012:db:x",
		})
	}
	p := pl.plan(fleet, nil)
	series := make([]metricdata.Series, p.data.Len())
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	fill := func(cycle int) {
		for i := range series {
			ts := make([]time.Time, points)
			vs := make([]float64, points)
			for k := range points {
				ts[k] = t0.Add(time.Duration(cycle*points+k) * time.Minute)
				vs[k] = float64(k)
			}
			series[i] = metricdata.Series{Timestamps: ts, Values: vs}
		}
	}
	datapoints := p.data.Len() * points
	b.ReportAllocs()
	b.ResetTimer()
	cycle := 0
	for b.Loop() {
		b.StopTimer()
		fill(cycle) // the SDK's decoded output, not part of what is measured
		cycle++
		b.StartTimer()
		s.record(p, series, pcommon.NewTimestampFromTime(t0))
		s.mb.Emit()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*datapoints), "ns/datapoint")
	b.ReportMetric(float64(datapoints), "datapoints/cycle")
}
