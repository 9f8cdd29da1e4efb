// Package metricdata fetches CloudWatch metrics with as few GetMetricData calls as the API
// allows: queries are packed 500 to a call, calls run with bounded concurrency under a
// client-side rate limit, NextToken pages are followed and results are mapped back to the
// queries by Id. It knows nothing of RDS or of pdata.
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

// Plan is a set of queries already laid out in GetMetricData batches. Build it once per
// fleet change; fetching it again costs no allocation per query.
type Plan struct {
	batches [][]types.MetricDataQuery
	size    int
}

// NewPlan packs queries into batches of MaxQueriesPerCall. Result i of a Fetch belongs to queries[i].
func NewPlan(queries []Query, period time.Duration) *Plan {
	p := &Plan{size: len(queries)}
	seconds := aws.Int32(int32(period / time.Second))
	all := make([]types.MetricDataQuery, len(queries))
	for i, q := range queries {
		all[i] = types.MetricDataQuery{
			Id: aws.String(queryID(i)),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{
					Namespace:  aws.String(q.Namespace),
					MetricName: aws.String(q.MetricName),
					Dimensions: []types.Dimension{{Name: aws.String(q.DimensionName), Value: aws.String(q.DimensionValue)}},
				},
				Period: seconds,
				Stat:   aws.String(q.Stat),
			},
			ReturnData: aws.Bool(true),
		}
	}
	for len(all) > 0 {
		n := min(len(all), MaxQueriesPerCall)
		p.batches = append(p.batches, all[:n:n])
		all = all[n:]
	}
	return p
}

// Len is the number of queries, i.e. the metrics requested (billed) per fetch without paging.
func (p *Plan) Len() int { return p.size }

// Batches is the number of GetMetricData calls a fetch makes when no result needs a second page.
func (p *Plan) Batches() int { return len(p.batches) }

// queryID is a valid GetMetricData Id ("^[a-z][a-zA-Z0-9_]*$") that encodes the query's index.
func queryID(i int) string { return "q" + strconv.Itoa(i) }

func queryIndex(id string) (int, bool) {
	if len(id) < 2 || id[0] != 'q' {
		return 0, false
	}
	i, err := strconv.Atoi(id[1:])
	return i, err == nil
}

// Series holds the points returned for one query, oldest first.
type Series struct {
	Timestamps []time.Time
	Values     []float64
}

// Result is the outcome of one Fetch.
type Result struct {
	// Series is indexed like the plan's queries.
	Series []Series
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
}

// NewFetcher returns a Fetcher. The rate limiter allows a burst of one second's worth of calls.
func NewFetcher(api API, o Options) *Fetcher {
	burst := max(1, int(o.RequestsPerSecond))
	return &Fetcher{api: api, limiter: rate.NewLimiter(rate.Limit(o.RequestsPerSecond), burst), concurrency: max(1, o.Concurrency)}
}

// batchResult is what one batch's worker reports.
type batchResult struct {
	calls, requested, failed int
	err                      error
}

// Fetch gets every query of the plan for [start, end). Batches that fail after the SDK's
// retries are reported in Result.Err and Result.FailedQueries; all other batches' series
// are returned.
func (f *Fetcher) Fetch(ctx context.Context, p *Plan, start, end time.Time) Result {
	res := Result{Series: make([]Series, p.size)}
	outcomes := make([]batchResult, len(p.batches))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(f.concurrency, len(p.batches)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				outcomes[b] = f.fetchBatch(ctx, p.batches[b], b, start, end, res.Series)
			}
		}()
	}
	for b := range p.batches {
		work <- b
	}
	close(work)
	wg.Wait()

	errs := make([]error, 0, len(outcomes))
	for _, o := range outcomes {
		res.Calls += o.calls
		res.MetricsRequested += o.requested
		res.FailedQueries += o.failed
		errs = append(errs, o.err)
	}
	res.Err = errors.Join(errs...)
	return res
}

// fetchBatch follows NextToken until the batch is complete. Each query index belongs to
// exactly one batch, so workers write to disjoint elements of series.
func (f *Fetcher) fetchBatch(ctx context.Context, batch []types.MetricDataQuery, b int, start, end time.Time, series []Series) batchResult {
	var out batchResult
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: batch,
		StartTime:         aws.Time(start),
		EndTime:           aws.Time(end),
		ScanBy:            types.ScanByTimestampAscending,
	}
	failed := make(map[int]error)
	for {
		if err := f.limiter.Wait(ctx); err != nil {
			return batchResult{calls: out.calls, requested: out.requested, failed: len(batch), err: fmt.Errorf("GetMetricData batch %d: %w", b, err)}
		}
		out.calls++
		out.requested += len(batch)
		page, err := f.api.GetMetricData(ctx, in)
		if err != nil {
			// Points of earlier pages are dropped too: the caller re-reads the window.
			for _, q := range batch {
				if i, ok := queryIndex(aws.ToString(q.Id)); ok {
					series[i] = Series{}
				}
			}
			return batchResult{calls: out.calls, requested: out.requested, failed: len(batch), err: fmt.Errorf("GetMetricData batch %d (%d queries): %w", b, len(batch), err)}
		}
		for k := range page.MetricDataResults {
			r := &page.MetricDataResults[k]
			i, ok := queryIndex(aws.ToString(r.Id))
			if !ok || i >= len(series) {
				continue
			}
			if r.StatusCode == types.StatusCodeInternalError || r.StatusCode == types.StatusCodeForbidden {
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
	return out
}

func messages(ms []types.MessageData) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, aws.ToString(m.Code)+": "+aws.ToString(m.Value))
	}
	return out
}
