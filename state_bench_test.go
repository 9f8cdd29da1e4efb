//go:build unix

package awsrdsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// BenchmarkStateWrite5000 measures what the receiver does after every scrape the pipeline
// took, with a storage extension: encode the region's window state (the generated
// 5,000-instance fleet, default metric set) and write it to a real file_storage
// extension (bbolt in a temporary directory). Reported: the state's size and the time of
// one encode-and-write; BenchmarkStateRead5000 decodes it, as a restart does once.
func BenchmarkStateWrite5000(b *testing.B) {
	st, p, win := benchState(b)
	ctx := context.Background()
	var size int
	for b.Loop() {
		data := encodeState(win, p, time.Minute)
		size = len(data)
		if err := st.client.Set(ctx, stateKey("us-east-1"), data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "state-bytes")
	b.ReportMetric(float64(p.Len()), "series")
}

func BenchmarkStateRead5000(b *testing.B) {
	_, p, win := benchState(b)
	data := encodeState(win, p, time.Minute)
	for b.Loop() {
		if _, _, err := decodeState(data, time.Minute); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(data)), "state-bytes")
}

// benchState is the 5,000-instance plan with every series marked, and a state store on
// a real file_storage extension.
func benchState(b *testing.B) (*stateStore, *queryPlan, window.Region) {
	b.Helper()
	_, pl := benchScraper(b)
	p := pl.plan(benchDiscoveredFleet(b, benchInstances), nil, nil)
	end := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range p.marks {
		p.marks[i] = window.MarkAt(end.Add(-time.Duration(1+i%3) * time.Minute))
	}
	f := filestorage.NewFactory()
	cfg := f.CreateDefaultConfig().(*filestorage.Config)
	cfg.Directory = b.TempDir()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := ext.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		b.Fatal(err)
	}
	host := storageHost{componenttest.NewNopHost(), map[component.ID]component.Component{storageID: ext}}
	st, err := openStateStore(context.Background(), host, storageID, component.NewID(metadata.Type), time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_ = st.close(context.Background())
		_ = ext.Shutdown(context.Background())
	})
	return st, p, window.Region{End: end}
}
