// Package metricdata fetches CloudWatch metrics with as few GetMetricData calls as the API
// allows: the caller lays its queries out in spans of up to 500 that share a time range
// (one call each), calls run with bounded concurrency under a client-side rate limit,
// NextToken pages are followed and results are mapped back to the queries by Id. Each
// span's points are handed to the caller, in span order, as soon as the span is complete,
// so that a fetch never holds every span's points at once. It knows nothing of RDS or of
// pdata.
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

// MaxDimensions is the most dimensions an AWS/RDS series the receiver reads has: RDS
// Proxy targets are named by ProxyName, TargetGroup and Target; everything else by one.
const MaxDimensions = 3

// Dimension is one CloudWatch dimension of a query.
type Dimension struct{ Name, Value string }

// Query asks for one statistic of one metric of one resource, named by its first
// NumDimensions dimensions.
type Query struct {
	Namespace     string
	MetricName    string
	Dimensions    [MaxDimensions]Dimension
	NumDimensions int
	Stat          string
}

// Queries lists a plan's queries in whatever compact form the caller keeps them; Fetch
// asks for a batch's queries only when it sends the batch.
type Queries interface {
	Len() int
	Query(i int) Query
}

// Span is one GetMetricData call's worth of queries (at most MaxQueriesPerCall, all
// read for the same time range): indexes into the caller's Queries.
type Span struct {
	Start, End time.Time
	Queries    []int32
}

// Calls is the number of GetMetricData calls n queries need at least.
func Calls(n int) int { return (n + MaxQueriesPerCall - 1) / MaxQueriesPerCall }

// Series holds the points returned for one query, oldest first, or the query's own error
// (a status of Forbidden or InternalError).
type Series struct {
	Timestamps []time.Time
	Values     []float64
	Err        error
}

// Batch is the outcome of one span: Series[k] answers Span.Queries[k]. When the call
// failed after the SDK's retries, Err says why and Series is nil. The slices belong to the
// callback only while it runs.
type Batch struct {
	Span   *Span
	Series []Series
	Err    error
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
	// OnMessage, when set, is told of every message GetMetricData returns (the call's and
	// each result's), with the query's label or "" for the call's own.
	OnMessage func(code, value, label string)
}

// Fetcher runs Plans against the API.
type Fetcher struct {
	api         API
	limiter     *rate.Limiter
	concurrency int
	onMessage   func(code, value, label string)
	requests    sync.Pool // of *request, reused across batches and fetches
}

// NewFetcher returns a Fetcher. The rate limiter allows a burst of one second's worth of calls.
func NewFetcher(api API, o Options) *Fetcher {
	burst := max(1, int(o.RequestsPerSecond))
	f := &Fetcher{api: api, limiter: rate.NewLimiter(rate.Limit(o.RequestsPerSecond), burst), concurrency: max(1, o.Concurrency), onMessage: o.OnMessage}
	f.requests.New = func() any { return new(request) }
	return f
}

// batchOutcome is what one span's worker reports.
type batchOutcome struct {
	b                        int
	series                   []Series // nil when the call failed
	calls, requested, failed int
	err                      error // the call's
}

// Fetch reads every span for its time range with the period's statistic and calls
// record with each span's answers, in span order, on the calling goroutine. Workers fetch
// at most a few spans ahead of the one being recorded, so the decoded answers held at once
// stay bounded whatever the number of spans. A span whose call fails after the SDK's
// retries reaches record with its Err; a query whose own status is an error, with its
// Series.Err. Both are counted in Result.FailedQueries and joined in Result.Err.
func (f *Fetcher) Fetch(ctx context.Context, queries Queries, period time.Duration, spans []Span, record func(Batch)) Result {
	n := len(spans)
	if n == 0 {
		return Result{}
	}
	workers := min(f.concurrency, n)
	// Ahead bounds the spans fetched but not yet recorded; twice the workers keeps every
	// worker busy while the recorder waits for the oldest span.
	ahead := 2 * workers
	slots := make(chan struct{}, ahead)
	outcomes := make(chan batchOutcome, ahead)
	work := make(chan int)
	var wg sync.WaitGroup
	p := int32(period / time.Second)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				outcomes <- f.fetchSpan(ctx, queries, p, b, &spans[b])
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
	var errs []error
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
			if o.err != nil {
				errs = append(errs, o.err)
			}
			record(Batch{Span: &spans[next], Series: o.series, Err: o.callErr()})
			next++
			<-slots
		}
	}
	wg.Wait()
	res.Err = errors.Join(errs...)
	return res
}

// callErr is the error of the call as a whole (nil when only some queries failed).
func (o batchOutcome) callErr() error {
	if o.series == nil {
		return o.err
	}
	return nil
}

// fetchSpan follows NextToken until span b is complete.
func (f *Fetcher) fetchSpan(ctx context.Context, queries Queries, period int32, b int, sp *Span) batchOutcome {
	n := len(sp.Queries)
	out := batchOutcome{b: b}
	fail := func(err error) batchOutcome {
		// Points of earlier pages are dropped too: the series keep their marks and are read again.
		out.series, out.failed, out.err = nil, n, err
		return out
	}
	req := f.requests.Get().(*request)
	defer f.requests.Put(req)
	in := req.build(queries, sp, period)
	series := make([]Series, n)
	var errs []error
	for {
		if err := f.limiter.Wait(ctx); err != nil {
			return fail(fmt.Errorf("GetMetricData call %d: %w", b, err))
		}
		out.calls++
		out.requested += n
		page, err := f.api.GetMetricData(ctx, in)
		if err != nil {
			return fail(fmt.Errorf("GetMetricData call %d (%d queries): %w", b, n, err))
		}
		if f.onMessage != nil {
			for _, m := range page.Messages {
				f.onMessage(aws.ToString(m.Code), aws.ToString(m.Value), "")
			}
		}
		for k := range page.MetricDataResults {
			r := &page.MetricDataResults[k]
			i, ok := queryIndex(aws.ToString(r.Id))
			if !ok || i >= n {
				continue
			}
			if f.onMessage != nil {
				for _, m := range r.Messages {
					f.onMessage(aws.ToString(m.Code), aws.ToString(m.Value), aws.ToString(r.Label))
				}
			}
			s := &series[i]
			if r.StatusCode == types.StatusCodeInternalError || r.StatusCode == types.StatusCodeForbidden {
				if s.Err == nil {
					s.Err = fmt.Errorf("GetMetricData query %s (%s): status %s %v", aws.ToString(r.Id), aws.ToString(r.Label), r.StatusCode, messages(r.Messages))
					out.failed++
					errs = append(errs, s.Err)
				}
				s.Timestamps, s.Values = nil, nil
				continue
			}
			if s.Err != nil {
				continue
			}
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
	out.series = series
	out.err = errors.Join(errs...)
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
	dimensions [MaxQueriesPerCall][MaxDimensions]types.Dimension
}

// build fills the request with the span's queries.
func (r *request) build(queries Queries, sp *Span, period int32) *cloudwatch.GetMetricDataInput {
	r.start, r.end, r.period, r.returnData = sp.Start, sp.End, period, true
	for k, i := range sp.Queries {
		q := &r.queries[k]
		*q = queries.Query(int(i))
		for d := 0; d < q.NumDimensions; d++ {
			r.dimensions[k][d] = types.Dimension{Name: &q.Dimensions[d].Name, Value: &q.Dimensions[d].Value}
		}
		r.metrics[k] = types.Metric{Namespace: &q.Namespace, MetricName: &q.MetricName, Dimensions: r.dimensions[k][:q.NumDimensions]}
		r.stats[k] = types.MetricStat{Metric: &r.metrics[k], Period: &r.period, Stat: &q.Stat}
		r.sdk[k] = types.MetricDataQuery{Id: &ids[k], MetricStat: &r.stats[k], ReturnData: &r.returnData}
	}
	r.in = cloudwatch.GetMetricDataInput{
		MetricDataQueries: r.sdk[:len(sp.Queries)],
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
