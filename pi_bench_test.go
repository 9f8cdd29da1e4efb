//go:build unix

package awsrdsreceiver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/otelcol-rds/awsrdsreceiver/internal/cputime"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// BenchmarkPICycle measures one Performance Insights cycle of the receiver for the
// generated fleet of n instances, every one with Performance Insights: the calls (one per
// instance), the points recorded and what a cycle costs, against the simulator in the
// same process over HTTP (its work, and its 2 ms floor per answer, included; calls run
// max_concurrent_requests 4 at a time).
func BenchmarkPICycle(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			b.Setenv("AWS_ACCESS_KEY_ID", "bench")
			b.Setenv("AWS_SECRET_ACCESS_KEY", "bench")
			b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			b.Setenv("AWS_CONFIG_FILE", filepath.Join(b.TempDir(), "none"))
			b.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(b.TempDir(), "none"))
			fleet := simulator.GenerateFleet(n, 1)
			for i := range fleet.Instances {
				fleet.Instances[i].PerformanceInsights = true
			}
			now := time.Date(2026, 11, 22, 10, 0, 30, 0, time.UTC)
			clock := func() time.Time { return now }
			sim := simulator.New(simulator.Config{Fleet: fleet, Now: clock})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			cfg := createDefaultConfig().(*Config)
			cfg.Region = "us-east-1"
			cfg.Endpoints.RDS, cfg.Endpoints.PI = srv.URL, srv.URL
			cfg.PerformanceInsights.Enabled = true
			s := newScraper(cfg, receivertest.NewNopSettings(metadata.Type), clock)
			ctx := context.Background()
			if err := s.start(ctx, componenttest.NewNopHost()); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = s.shutdown(ctx) }()
			r := s.regions[0]
			var errs scrapererror.ScrapeErrors
			s.discover(ctx, r, now, &errs)
			if err := errs.Combine(); err != nil {
				b.Fatal(err)
			}
			targets := len(piInstances(r.plan))
			calls0 := sim.Counters().Calls["GetResourceMetrics"]
			var cpu time.Duration
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			points := 0
			for b.Loop() {
				now = now.Add(time.Minute)
				c0 := cputime.Process()
				s.collectPI(ctx, r, now, &errs)
				points += s.mb.Emit().DataPointCount()
				cpu += cputime.Process() - c0
			}
			runtime.ReadMemStats(&after)
			if err := errs.Combine(); err != nil {
				b.Fatal(err)
			}
			ops := float64(b.N)
			b.ReportMetric(float64(sim.Counters().Calls["GetResourceMetrics"]-calls0)/ops, "calls/cycle")
			b.ReportMetric(float64(targets), "pi-instances")
			b.ReportMetric(float64(points)/ops, "points/cycle")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/ops, "ms/cycle")
			b.ReportMetric(float64(cpu.Microseconds())/ops/float64(targets), "cpu-µs/instance")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/ops/float64(targets), "allocs/instance")
		})
	}
}
