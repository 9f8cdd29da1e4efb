// Package metricdata fetches CloudWatch metrics with as few GetMetricData calls as the API
// allows: queries are packed 500 to a call, calls run with bounded concurrency under a
// client-side rate limit, NextToken pages are followed and results are mapped back to the
// queries by Id. Each batch's points are handed to the caller, in batch order, as soon as
// the batch is complete, so that a fetch never holds the whole plan's points at once. It
// knows nothing of RDS or of pdata.
package metricdata

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"golang.org/x/time/rate"
)

// MaxQueriesPerCall is GetMetricData's limit of MetricDataQuery entries per call.
const MaxQueriesPerCall = 500

// API is the part of the CloudWatch client used here; *cloudwatch.Client implements it.
type API interface {
	GetMetricData(context.Context, *cloudwatch.GetMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Query asks for one statistic of one metric of one resource (a single dimension is
// enough for AWS/RDS: DBInstanceIdentifier or DBClusterIdentifier).
type Query struct {
	Namespace      string
	MetricName     string
	DimensionName  string
	DimensionValue string
	Stat           string
}

// Queries lists a plan's queries in whatever compact form the caller keeps them; Fetch
// asks for a batch's queries only when it sends the batch.
type Queries interface {
	Len() int
	Query(i int) Query
}

// Plan is a set of queries laid out in GetMetricData batches of MaxQueriesPerCall.
type Plan struct {
	queries Queries
	period  int32 // seconds
}

// NewPlan lays out queries in batches. The points of query i reach Fetch's callback as
// Batch.Series[i-Batch.First].
func NewPlan(queries Queries, period time.Duration) *Plan {
	return &Plan{queries: queries, period: int32(period / time.Second)}
}

// Len is the number of queries, i.e. the metrics requested (billed) per fetch without paging.
func (p *Plan) Len() int { return p.queries.Len() }

// Batches is the number of GetMetricData calls a fetch makes when no result needs a second page.
func (p *Plan) Batches() int { return (p.Len() + MaxQueriesPerCall - 1) / MaxQueriesPerCall }

// batch returns the query range [lo, hi) of batch b.
func (p *Plan) batch(b int) (lo, hi int) {
	lo = b * MaxQueriesPerCall
	return lo, min(lo+MaxQueriesPerCall, p.Len())
}

// Series holds the points returned for one query, oldest first.
type Series struct {
	Timestamps []time.Time
	Values     []float64
}

// Batch is the outcome of one GetMetricData batch: the points of the plan's queries
// [First, First+len(Series)). The Series of a failed batch, or of a query whose status was
// an error, are empty. The slices belong to the callback only while it runs.
type Batch struct {
	First  int
	Series []Series
}

// Result sums up one Fetch.
type Result struct {
	// Calls is the number of GetMetricData calls made, pages included.
	Calls int
	// MetricsRequested is what AWS bills: the queries of every call, pages included.
	MetricsRequested int
	// FailedQueries counts the queries whose batch failed after retries, or whose own
	// status was an error.
	FailedQueries int
	// Err joins the errors of the failed batches and queries; nil when all succeeded.
	Err error
}

// Options bound the load a Fetcher puts on the API.
type Options struct {
	// RequestsPerSecond is the client-side rate limit for GetMetricData calls.
	RequestsPerSecond float64
	// Concurrency is the number of calls in flight at most.
	Concurrency int
}

// Fetcher runs Plans against the API.
type Fetcher struct {
	api         API
	limiter     *rate.Limiter
	concurrency int
	requests    sync.Pool // of *request, reused across batches and fetches
}

// NewFetcher returns a Fetcher. The rate limiter allows a burst of one second's worth of calls.
func NewFetcher(api API, o Options) *Fetcher {
	burst := max(1, int(o.RequestsPerSecond))
	f := &Fetcher{api: api, limiter: rate.NewLimiter(rate.Limit(o.RequestsPerSecond), burst), concurrency: max(1, o.Concurrency)}
	f.requests.New = func() any { return new(request) }
	return f
}

// batchOutcome is what one batch's worker reports.
type batchOutcome struct {
	b                        int
	series                   []Series // nil when the batch failed
	calls, requested, failed int
	err                      error
}

// Fetch gets every query of the plan for [start, end) and calls record with each batch,
// in batch order, on the calling goroutine. Workers fetch at most a few batches ahead of
// the one being recorded, so the decoded answers held at once stay bounded whatever the
// plan's size. Batches that fail after the SDK's retries are reported in Result.Err and
// Result.FailedQueries, and reach record empty.
func (f *Fetcher) Fetch(ctx context.Context, p *Plan, start, end time.Time, record func(Batch)) Result {
	n := p.Batches()
	workers := min(f.concurrency, n)
	// Ahead bounds the batches fetched but not yet recorded; twice the workers keeps every
	// worker busy while the recorder waits for the oldest batch.
	ahead := 2 * workers
	slots := make(chan struct{}, ahead)
	outcomes := make(chan batchOutcome, ahead)
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				outcomes <- f.fetchBatch(ctx, p, b, start, end)
			}
		}()
	}
	go func() {
		for b := range n {
			slots <- struct{}{}
			work <- b
		}
		close(work)
	}()

	var res Result
	errs := make([]error, 0, n)
	pending := make(map[int]batchOutcome, ahead)
	for next := 0; next < n; {
		o := <-outcomes
		pending[o.b] = o
		for {
			o, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			res.Calls += o.calls
			res.MetricsRequested += o.requested
			res.FailedQueries += o.failed
			errs = append(errs, o.err)
			lo, _ := p.batch(next)
			record(Batch{First: lo, Series: o.series})
			next++
			<-slots
		}
	}
	wg.Wait()
	res.Err = errors.Join(errs...)
	return res
}

// fetchBatch follows NextToken until batch b is complete.
func (f *Fetcher) fetchBatch(ctx context.Context, p *Plan, b int, start, end time.Time) batchOutcome {
	lo, hi := p.batch(b)
	out := batchOutcome{b: b}
	fail := func(err error) batchOutcome {
		// Points of earlier pages are dropped too: the caller re-reads the window.
		out.series, out.failed, out.err = nil, hi-lo, err
		return out
	}
	req := f.requests.Get().(*request)
	defer f.requests.Put(req)
	in := req.build(p, lo, hi, start, end)
	series := make([]Series, hi-lo)
	var failed map[int]error
	for {
		if err := f.limiter.Wait(ctx); err != nil {
			return fail(fmt.Errorf("GetMetricData batch %d: %w", b, err))
		}
		out.calls++
		out.requested += hi - lo
		page, err := f.api.GetMetricData(ctx, in)
		if err != nil {
			return fail(fmt.Errorf("GetMetricData batch %d (%d queries): %w", b, hi-lo, err))
		}
		for k := range page.MetricDataResults {
			r := &page.MetricDataResults[k]
			i, ok := queryIndex(aws.ToString(r.Id))
			if !ok || i >= len(series) {
				continue
			}
			if r.StatusCode == types.StatusCodeInternalError || r.StatusCode == types.StatusCodeForbidden {
				if failed == nil {
					failed = make(map[int]error)
				}
				failed[i] = fmt.Errorf("GetMetricData query %s (%s): status %s %v", aws.ToString(r.Id), aws.ToString(r.Label), r.StatusCode, messages(r.Messages))
				continue
			}
			s := &series[i]
			if s.Timestamps == nil {
				s.Timestamps, s.Values = r.Timestamps, r.Values
			} else {
				s.Timestamps = append(s.Timestamps, r.Timestamps...)
				s.Values = append(s.Values, r.Values...)
			}
		}
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	if len(failed) > 0 {
		errs := make([]error, 0, len(failed))
		for i, err := range failed {
			series[i] = Series{}
			errs = append(errs, err)
		}
		out.failed = len(failed)
		out.err = errors.Join(errs...)
	}
	out.series = series
	return out
}

// ids are the GetMetricData Ids ("^[a-z][a-zA-Z0-9_]*$") of a batch's queries: an Id is
// the query's position in its batch, so every batch uses the same strings.
var ids = func() []string {
	s := make([]string, MaxQueriesPerCall)
	for i := range s {
		s[i] = "q" + strconv.Itoa(i)
	}
	return s
}()

func queryIndex(id string) (int, bool) {
	if len(id) < 2 || id[0] != 'q' {
		return 0, false
	}
	i, err := strconv.Atoi(id[1:])
	return i, err == nil
}

// request is a reusable GetMetricData input for one batch. The SDK wants pointers
// everywhere; they point into the request's own arrays, so building a batch allocates
// nothing and a plan holds no SDK values between fetches.
type request struct {
	in         cloudwatch.GetMetricDataInput
	start, end time.Time
	period     int32
	returnData bool
	queries    [MaxQueriesPerCall]Query
	sdk        [MaxQueriesPerCall]types.MetricDataQuery
	stats      [MaxQueriesPerCall]types.MetricStat
	metrics    [MaxQueriesPerCall]types.Metric
	dimensions [MaxQueriesPerCall][1]types.Dimension
}

// build fills the request with the plan's queries [lo, hi) for [start, end).
func (r *request) build(p *Plan, lo, hi int, start, end time.Time) *cloudwatch.GetMetricDataInput {
	r.start, r.end, r.period, r.returnData = start, end, p.period, true
	for k := range hi - lo {
		q := &r.queries[k]
		*q = p.queries.Query(lo + k)
		r.dimensions[k][0] = types.Dimension{Name: &q.DimensionName, Value: &q.DimensionValue}
		r.metrics[k] = types.Metric{Namespace: &q.Namespace, MetricName: &q.MetricName, Dimensions: r.dimensions[k][:]}
		r.stats[k] = types.MetricStat{Metric: &r.metrics[k], Period: &r.period, Stat: &q.Stat}
		r.sdk[k] = types.MetricDataQuery{Id: &ids[k], MetricStat: &r.stats[k], ReturnData: &r.returnData}
	}
	r.in = cloudwatch.GetMetricDataInput{
		MetricDataQueries: r.sdk[:hi-lo],
		StartTime:         &r.start,
		EndTime:           &r.end,
		ScanBy:            types.ScanByTimestampAscending,
	}
	return &r.in
}

func messages(ms []types.MessageData) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, aws.ToString(m.Code)+": "+aws.ToString(m.Value))
	}
	return out
}
