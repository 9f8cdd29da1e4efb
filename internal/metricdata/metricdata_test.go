package metricdata

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// fakeAPI answers each query with points at t0, t0+1m, ... whose value encodes the
// query's dimension value; it pages after pageSize results and fails batches on demand.
type fakeAPI struct {
	mu       sync.Mutex
	calls    int
	pageSize int
	points   int
	failWith string // fail every call containing a query for this dimension value
	// hold, when set, blocks every call containing a query for db-0 until it is closed.
	hold chan struct{}
}

func (f *fakeAPI) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if len(in.MetricDataQueries) > MaxQueriesPerCall {
		return nil, fmt.Errorf("%d queries in one call", len(in.MetricDataQueries))
	}
	offset := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &offset)
	}
	out := &cloudwatch.GetMetricDataOutput{}
	for i, q := range in.MetricDataQueries {
		dim := aws.ToString(q.MetricStat.Metric.Dimensions[0].Value)
		if dim == f.failWith {
			return nil, errors.New("InternalFailure")
		}
		if dim == "db-0" && f.hold != nil {
			<-f.hold
		}
		if i < offset || (f.pageSize > 0 && i >= offset+f.pageSize) {
			continue
		}
		r := types.MetricDataResult{Id: q.Id, StatusCode: types.StatusCodeComplete}
		for p := range f.points {
			var v float64
			fmt.Sscan(strings.TrimPrefix(dim, "db-"), &v)
			r.Timestamps = append(r.Timestamps, t0.Add(time.Duration(p)*time.Minute))
			r.Values = append(r.Values, v)
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	if f.pageSize > 0 && offset+f.pageSize < len(in.MetricDataQueries) {
		out.NextToken = aws.String(fmt.Sprint(offset + f.pageSize))
	}
	return out, nil
}

// QueryList is a Queries held as a slice: the tests' plans.
type QueryList []Query

// Len is the number of queries.
func (l QueryList) Len() int { return len(l) }

// Query returns query i.
func (l QueryList) Query(i int) Query { return l[i] }

func queries(n int) QueryList {
	qs := make(QueryList, n)
	for i := range qs {
		qs[i] = Query{Namespace: "AWS/RDS", MetricName: "CPUUtilization", Dimensions: [MaxDimensions]Dimension{{Name: "DBInstanceIdentifier", Value: fmt.Sprintf("db-%d", i)}}, NumDimensions: 1, Stat: "Average"}
	}
	return qs
}

// contiguous lays queries 0..n-1 out in spans of MaxQueriesPerCall for [start, end).
func contiguous(n int, start, end time.Time) []Span {
	var spans []Span
	for lo := 0; lo < n; lo += MaxQueriesPerCall {
		sp := Span{Start: start, End: end}
		for i := lo; i < min(lo+MaxQueriesPerCall, n); i++ {
			sp.Queries = append(sp.Queries, int32(i))
		}
		spans = append(spans, sp)
	}
	return spans
}

// fetchAll runs a fetch of contiguous spans and gathers their answers into one slice
// indexed like the queries, checking that spans arrive in order and cover the queries.
func fetchAll(t *testing.T, f *Fetcher, q Queries, start, end time.Time) ([]Series, Result) {
	t.Helper()
	var all []Series
	spans := contiguous(q.Len(), start, end)
	res := f.Fetch(context.Background(), q, time.Minute, spans, func(b Batch) {
		require.Equal(t, len(all), int(b.Span.Queries[0]), "spans out of order")
		if b.Series == nil { // a failed call
			require.Error(t, b.Err)
			b.Series = make([]Series, len(b.Span.Queries))
		}
		require.Len(t, b.Series, len(b.Span.Queries))
		for _, s := range b.Series { // the slices are only lent to the callback
			all = append(all, Series{Timestamps: slices.Clone(s.Timestamps), Values: slices.Clone(s.Values), Err: s.Err})
		}
	})
	require.Len(t, all, q.Len())
	return all, res
}

func TestFetchBatchesAndMapsBack(t *testing.T) {
	tests := []struct {
		name      string
		queries   int
		pageSize  int
		wantCalls int
	}{
		{"one query", 1, 0, 1},
		{"exactly one batch", 500, 0, 1},
		{"one more than a batch", 501, 0, 2},
		{"ten batches", 4999, 0, 10},
		{"paged results", 1000, 300, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := &fakeAPI{points: 3, pageSize: tt.pageSize}
			p := queries(tt.queries)
			assert.Equal(t, (tt.queries+MaxQueriesPerCall-1)/MaxQueriesPerCall, Calls(p.Len()))
			series, res := fetchAll(t, NewFetcher(api, Options{RequestsPerSecond: 1000, Concurrency: 4}), p, t0, t0.Add(3*time.Minute))
			require.NoError(t, res.Err)
			assert.Equal(t, tt.wantCalls, res.Calls)
			assert.Equal(t, tt.wantCalls, api.calls)
			require.Len(t, series, tt.queries)
			for i, s := range series {
				require.Len(t, s.Values, 3, "query %d", i)
				assert.Equal(t, float64(i), s.Values[0], "query %d got another query's values", i)
			}
		})
	}
}

func TestFailedBatchIsPartial(t *testing.T) {
	api := &fakeAPI{points: 1, failWith: "db-700"}
	p := queries(1500)
	series, res := fetchAll(t, NewFetcher(api, Options{RequestsPerSecond: 1000, Concurrency: 2}), p, t0, t0.Add(time.Minute))
	require.Error(t, res.Err)
	assert.Contains(t, res.Err.Error(), "call 1")
	assert.Equal(t, 500, res.FailedQueries)
	for i, s := range series {
		if i >= 500 && i < 1000 {
			assert.Empty(t, s.Values, "query %d of the failed batch", i)
		} else {
			assert.Len(t, s.Values, 1, "query %d of a good batch", i)
		}
	}
}

// A slow batch holds back the recording of those after it, not their fetching, up to a
// bound: the decoded answers waiting for the recorder stay few whatever the plan's size.
func TestBatchesAreRecordedInOrderWithBoundedLookahead(t *testing.T) {
	api := &fakeAPI{points: 1, hold: make(chan struct{})}
	p := queries(20 * MaxQueriesPerCall)
	f := NewFetcher(api, Options{RequestsPerSecond: 1000, Concurrency: 2})
	done := make(chan struct{})
	var series []Series
	var res Result
	go func() {
		defer close(done)
		series, res = fetchAll(t, f, p, t0, t0.Add(time.Minute))
	}()
	time.Sleep(200 * time.Millisecond) // let the other worker run ahead as far as it may
	api.mu.Lock()
	calls := api.calls
	api.mu.Unlock()
	assert.Equal(t, 4, calls, "batch 0 and at most 2 x Concurrency - 1 batches after it are fetched before batch 0 is recorded")
	close(api.hold)
	<-done
	require.NoError(t, res.Err)
	assert.Equal(t, 20, res.Calls)
	for i, s := range series {
		require.Len(t, s.Values, 1, "query %d", i)
	}
}

// The limiter's burst is one second of calls; beyond it calls wait. Only a lower bound is
// asserted, which a slow machine cannot break.
func TestRateLimitBoundsCalls(t *testing.T) {
	api := &fakeAPI{points: 1}
	p := queries(15 * MaxQueriesPerCall)
	f := NewFetcher(api, Options{RequestsPerSecond: 10, Concurrency: 5})
	start := time.Now()
	res := f.Fetch(context.Background(), p, time.Minute, contiguous(p.Len(), t0, t0.Add(time.Minute)), func(Batch) {})
	require.NoError(t, res.Err)
	assert.Equal(t, 15, res.Calls)
	assert.GreaterOrEqual(t, time.Since(start), 450*time.Millisecond, "15 calls at 10/s with a burst of 10 wait for 5 tokens")
}

func BenchmarkFetchPlan5000(b *testing.B) {
	api := &fakeAPI{points: 5}
	p := queries(5000 * 20)
	spans := contiguous(p.Len(), t0, t0.Add(5*time.Minute))
	f := NewFetcher(api, Options{RequestsPerSecond: 1e6, Concurrency: 4})
	b.ReportAllocs()
	for b.Loop() {
		if res := f.Fetch(context.Background(), p, time.Minute, spans, func(Batch) {}); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}
