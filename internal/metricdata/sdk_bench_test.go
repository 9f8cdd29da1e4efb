//go:build unix

package metricdata

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"golang.org/x/time/rate"

	"github.com/otelcol-rds/awsrdsreceiver/internal/cputime"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// cannedServer answers every request with the first answer the simulator gave, so that
// benchmarks measure the client (request encoding and signing, HTTP on loopback, the
// SDK's CBOR decoding) and not the simulator computing values.
type cannedServer struct {
	sim *simulator.Server

	mu     sync.Mutex
	header http.Header
	status int
	body   []byte
}

func (c *cannedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	if c.body == nil {
		rec := httptest.NewRecorder()
		c.sim.ServeHTTP(rec, r)
		c.header, c.status, c.body = rec.Header().Clone(), rec.Code, rec.Body.Bytes()
	}
	header, status, body := c.header, c.status, c.body
	c.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// sdkBench is one 500-query GetMetricData call against a canned answer.
type sdkBench struct {
	client     *cloudwatch.Client
	queries    QueryList
	spans      []Span
	req        request
	start, end time.Time
	datapoints int // in the canned answer
	bodyBytes  int
}

// newSDKBench records the simulator's answer to 500 queries of existing series over a
// window holding points one-minute points per series (none when points is 0: a window
// before the fleet existed).
func newSDKBench(b *testing.B, points int) *sdkBench {
	b.Helper()
	sim := simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(1000, 1)})
	ids := sim.Series()
	queries := make(QueryList, MaxQueriesPerCall)
	for i := range queries {
		id := ids[i*7%len(ids)]
		queries[i] = Query{Namespace: simulator.Namespace, MetricName: id.Metric, Dimensions: [MaxDimensions]Dimension{{Name: id.DimensionName, Value: id.Identifier}}, NumDimensions: 1, Stat: "Average"}
	}
	now := time.Now().Truncate(time.Minute)
	bench := &sdkBench{queries: queries, start: now.Add(-7 * time.Minute), end: now.Add(-2 * time.Minute)}
	if points == 0 {
		bench.start, bench.end = now.Add(-5*time.Hour), now.Add(-4*time.Hour)
	} else {
		bench.start = bench.end.Add(-time.Duration(points) * time.Minute)
	}
	canned := &cannedServer{sim: sim}
	srv := httptest.NewServer(canned)
	b.Cleanup(srv.Close)
	bench.client = cloudwatch.New(cloudwatch.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", ""),
		BaseEndpoint:     aws.String(srv.URL),
		HTTPClient:       simulator.HTTPClient(),
		RetryMaxAttempts: 1,
	})
	out, err := bench.call(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range out.MetricDataResults {
		bench.datapoints += len(r.Values)
	}
	if len(out.MetricDataResults) != MaxQueriesPerCall || bench.datapoints != points*MaxQueriesPerCall {
		b.Fatalf("canned answer: %d results, %d datapoints; want %d and %d", len(out.MetricDataResults), bench.datapoints, MaxQueriesPerCall, points*MaxQueriesPerCall)
	}
	bench.bodyBytes = len(canned.body)
	return bench
}

// call is the request fetchBatch makes, built the same way.
func (s *sdkBench) call(ctx context.Context) (*cloudwatch.GetMetricDataOutput, error) {
	return s.client.GetMetricData(ctx, s.req.build(s.queries, &contiguous(MaxQueriesPerCall, s.start, s.end)[0], 60))
}

// measure runs op in b.Loop and reports CPU time (this process, the canned server's
// few writes and the garbage collector included) per op and, with datapoints, wall
// time, CPU time and allocations per datapoint.
func measure(b *testing.B, datapoints int, op func() error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c0 := cputime.Process()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	cpu := float64((cputime.Process() - c0).Nanoseconds())
	runtime.ReadMemStats(&after)
	ops := float64(b.N)
	b.ReportMetric(cpu/ops, "cpu-ns/op")
	if datapoints == 0 {
		return
	}
	dp := float64(datapoints)
	b.ReportMetric(dp, "datapoints/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/ops/dp, "ns/datapoint")
	b.ReportMetric(cpu/ops/dp, "cpu-ns/datapoint")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/ops/dp, "allocs/datapoint")
}

// BenchmarkSDKGetMetricData500 is the AWS SDK's own cost of one 500-query GetMetricData
// call in its default protocol (Smithy RPC v2 CBOR): "points=5" decodes 2,500
// datapoints, "points=0" the same 500 results without any, so the difference per
// datapoint is the decoding cost of a datapoint (`rdsbench micro` computes it).
func BenchmarkSDKGetMetricData500(b *testing.B) {
	for _, points := range []int{0, 5} {
		b.Run(fmt.Sprintf("points=%d", points), func(b *testing.B) {
			s := newSDKBench(b, points)
			ctx := context.Background()
			measure(b, s.datapoints, func() error {
				_, err := s.call(ctx)
				return err
			})
			// After the loop: b.Loop's first call clears what was reported before it.
			b.ReportMetric(float64(s.bodyBytes), "response-bytes")
		})
	}
}

// BenchmarkFetch500 is Fetcher.Fetch of one 500-query batch against the same canned
// answer: the SDK call plus the rate limiter and the mapping of results to the plan's
// series, which is the decoded output that record turns into pdata.
func BenchmarkFetch500(b *testing.B) {
	s := newSDKBench(b, 5)
	f := NewFetcher(s.client, Options{RequestsPerSecond: 1000, Concurrency: 1})
	f.limiter.SetLimit(rate.Inf) // the loop must not wait for the limiter's tokens
	ctx := context.Background()
	measure(b, s.datapoints, func() error {
		return f.Fetch(ctx, s.queries, time.Minute, contiguous(s.queries.Len(), s.start, s.end), func(Batch) {}).Err
	})
	b.ReportMetric(float64(s.bodyBytes), "response-bytes")
}
