package awsrdsreceiver

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/osmetrics"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// BenchmarkEnhancedMonitoringDocument is the receiver's cost of one Linux Enhanced
// Monitoring document as the simulator writes it (about 7 KB, 42 process rows): parse,
// record every value with the top 5 processes, emit.
func BenchmarkEnhancedMonitoringDocument(b *testing.B) {
	sim := simulator.New(simulator.Config{Fleet: emFleet(60, 60, 60), Now: func() time.Time { return t0 }})
	evs := sim.EMEvents("em-linux", t0.Add(-time.Minute), t0)
	if len(evs) == 0 {
		b.Fatal("no document")
	}
	doc := []byte(evs[0].Message)
	mb := metadata.NewMetricsBuilder(metadata.NewDefaultMetricsBuilderConfig(), receivertest.NewNopSettings(metadata.Type))
	c := newEMCollector(defaultEnhancedMonitoringConfig(), mb, nil, zap.NewNop())
	res := mb.NewResourceBuilder().Emit()
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	b.ResetTimer()
	for range b.N {
		s, err := osmetrics.Parse(doc)
		if err != nil {
			b.Fatal(err)
		}
		c.record(&s, evs[0].Timestamp)
		mb.EmitForResource(metadata.WithResource(res))
		mb.Emit()
	}
}
