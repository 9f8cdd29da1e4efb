//go:build unix

package awsrdsreceiver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/cputime"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// benchInstances is the largest fleet of the performance targets.
const benchInstances = 5000

var benchFleets = struct {
	sync.Mutex
	m map[int]discovery.Fleet
}{m: map[int]discovery.Fleet{}}

// benchDiscoveredFleet is the simulator's generated fleet of n instances (the mix of
// engines, classes, replicas and Aurora clusters that `rdsbench fleet` runs against), as
// discovery reads it over HTTP. It is built once per test binary.
func benchDiscoveredFleet(b *testing.B, n int) discovery.Fleet {
	b.Helper()
	benchFleets.Lock()
	defer benchFleets.Unlock()
	if f, ok := benchFleets.m[n]; ok {
		return f
	}
	srv := httptest.NewServer(simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(n, 1)}))
	defer srv.Close()
	client := rds.New(rds.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   simulator.HTTPClient(),
	})
	filter, err := discovery.FilterConfig{}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	f, err := discovery.Describe(context.Background(), client, filter, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	benchFleets.m[n] = f
	return f
}

// benchScraper returns a scraper with the default configuration and a planner for it.
func benchScraper(b *testing.B) (*rdsScraper, *queryPlanner) {
	b.Helper()
	cfg := createDefaultConfig().(*Config)
	s := newScraper(cfg, receivertest.NewNopSettings(metadata.Type), time.Now)
	sel, err := newSelection(cfg.Metrics, cfg.CloudWatch)
	if err != nil {
		b.Fatal(err)
	}
	return s, &queryPlanner{resourceBuilder: resourceBuilder{region: "us-east-1", resourceTags: []string{"env", "team"}, newRB: s.mb.NewResourceBuilder}, sel: sel}
}

// BenchmarkCloudWatchToPdata measures the recorder (decoded GetMetricData batches to pdata)
// for the generated 5,000-instance fleet with the default metric set. The recorder also
// emits each resource's inventory metrics, so "points=0" measures that part alone (no
// CloudWatch result, as in a cycle whose window is empty); the CloudWatch datapoints'
// own cost is the difference between "points=N" and "points=0" per datapoint, which
// `rdsbench micro` computes. Reported per datapoint: wall time, CPU time of the whole
// process (garbage collection included) and allocations.
func BenchmarkCloudWatchToPdata(b *testing.B) {
	fleet := benchDiscoveredFleet(b, benchInstances)
	for _, points := range []int{0, 1, 5} {
		b.Run(fmt.Sprintf("points=%d", points), func(b *testing.B) {
			s, pl := benchScraper(b)
			p := pl.plan(fleet, nil, nil)
			series := make([]metricdata.Series, p.Len())
			for i := range series {
				series[i] = metricdata.Series{Timestamps: make([]time.Time, points), Values: make([]float64, points)}
			}
			t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
			r := &region{plan: p, rules: window.Rules{Period: time.Minute, MaxLookback: 3 * time.Hour, Step: 30 * time.Minute}}
			var spans []metricdata.Span // in-step calls of 500 in plan order, as layout makes them
			for first := 0; first < len(series); first += metricdata.MaxQueriesPerCall {
				sp := metricdata.Span{}
				for i := first; i < min(first+metricdata.MaxQueriesPerCall, len(series)); i++ {
					sp.Queries = append(sp.Queries, int32(i))
				}
				spans = append(spans, sp)
			}
			// Each cycle brings newer points, so the high-water marks admit them all. The
			// buffers are reused: refilling them allocates nothing.
			fill := func(cycle int) {
				for i := range series {
					for k := range points {
						series[i].Timestamps[k] = t0.Add(time.Duration(cycle*points+k) * time.Minute)
						series[i].Values[k] = float64(i + k)
					}
				}
			}
			var cpu time.Duration
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cycle := 0
			for b.Loop() {
				b.StopTimer()
				fill(cycle) // the SDK's decoded output: not part of what is measured
				cycle++
				b.StartTimer()
				c0 := cputime.Process()
				rec := s.newRecorder(r, window.Cycle{}, len(spans), pcommon.NewTimestampFromTime(t0))
				if points > 0 { // the calls as Fetch hands them over
					for k := range spans {
						first := k * metricdata.MaxQueriesPerCall
						rec.batch(metricdata.Batch{Span: &spans[k], Series: series[first : first+len(spans[k].Queries)]})
					}
				}
				rec.finish()
				s.mb.Emit()
				cpu += cputime.Process() - c0
			}
			runtime.ReadMemStats(&after)
			ops := float64(b.N)
			b.ReportMetric(float64(cpu.Nanoseconds())/ops, "cpu-ns/op")
			b.ReportMetric(float64(len(p.resources)), "resources/op")
			if points == 0 {
				return
			}
			datapoints := float64(p.Len() * points)
			b.ReportMetric(datapoints, "datapoints/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/ops/datapoints, "ns/datapoint")
			b.ReportMetric(float64(cpu.Nanoseconds())/ops/datapoints, "cpu-ns/datapoint")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/ops/datapoints, "allocs/datapoint")
		})
	}
}

// BenchmarkPlan5000 measures building the plan of the generated 5,000-instance fleet on
// a discovery refresh: the queries, the resources and the high-water marks carried over
// from the previous plan.
func BenchmarkPlan5000(b *testing.B) {
	fleet := benchDiscoveredFleet(b, benchInstances)
	_, pl := benchScraper(b)
	old := pl.plan(fleet, nil, nil)
	var p *queryPlan
	for b.Loop() {
		p = pl.plan(fleet, old, nil)
	}
	instances := float64(len(fleet.Instances))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/instances, "ns/instance")
	b.ReportMetric(float64(p.Len()), "queries/op")
	b.ReportMetric(float64(metricdata.Calls(p.Len())), "calls/op")
}
