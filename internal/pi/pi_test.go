package pi_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sdkpi "github.com/aws/aws-sdk-go-v2/service/pi"
	"github.com/aws/aws-sdk-go-v2/service/pi/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/pi"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

var t0 = time.Date(2025, 6, 2, 12, 0, 30, 0, time.UTC)

func testFleet() simulator.Fleet {
	return simulator.Fleet{Instances: []simulator.Instance{
		{Identifier: "pg-pi", Engine: "postgres", Class: "db.r6g.large", PerformanceInsights: true},
		{Identifier: "my-pi", Engine: "mysql", Class: "db.r6g.large", PerformanceInsights: true},
		{Identifier: "no-pi", Engine: "postgres", Class: "db.t4g.micro"},
	}}
}

func newSim(t *testing.T) (*simulator.Server, string) {
	t.Helper()
	s := simulator.New(simulator.Config{Fleet: testFleet(), Now: func() time.Time { return t0 }})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

func client(url string, attempts int) *sdkpi.Client {
	return sdkpi.New(sdkpi.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(url),
		HTTPClient:   simulator.HTTPClient(),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.NewExponentialJitterBackoff(5 * time.Millisecond)
			o.MaxBackoff = 5 * time.Millisecond
		}),
	})
}

func resourceID(s *simulator.Server, id string) string {
	for _, in := range s.Fleet().Instances {
		if in.Identifier == id {
			return in.DbiResourceID
		}
	}
	return ""
}

var loadQueries = []pi.Query{
	{Metric: pi.Load, Group: pi.GroupWaitEvent, Limit: 25},
	{Metric: pi.Load, Group: pi.GroupSQL, Limit: 25},
	{Metric: pi.Load, Group: pi.GroupUser, Limit: 25},
	{Metric: pi.Load, Group: pi.GroupHost, Limit: 25},
	{Metric: "db.Transactions.xact_commit.avg"},
}

var groupOf = map[int]string{0: pi.GroupWaitEvent, 1: pi.GroupSQL, 2: pi.GroupUser, 3: pi.GroupHost}

func TestReadMatchesGroundTruth(t *testing.T) {
	s, url := newSim(t)
	rid := resourceID(s, "pg-pi")
	start, end := t0.Add(-10*time.Minute).Truncate(time.Minute), t0.Truncate(time.Minute)
	series, calls, err := pi.Read(context.Background(), client(url, 1), rid, loadQueries, start, end, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 1, calls, "five queries, one call")
	perQuery := map[int]int{}
	for _, se := range series {
		perQuery[se.Query]++
		require.Len(t, se.Timestamps, 10, "ten ended minutes")
		for j, ts := range se.Timestamps {
			var want float64
			var ok bool
			if g, grouped := groupOf[se.Query]; grouped {
				want, ok = s.PILoad(rid, g, se.Dimensions, ts, time.Minute)
			} else {
				want, ok = s.PICounter(rid, "db.Transactions.xact_commit", ts, time.Minute)
			}
			require.True(t, ok, "%v %v", se.Dimensions, ts)
			assert.Equal(t, want, se.Values[j], "%v %v", se.Dimensions, ts)
		}
	}
	assert.Equal(t, map[int]int{0: 5, 1: 5, 2: 3, 3: 3, 4: 1}, perQuery, "every group of every dimension, the totals left out")
	for _, se := range series {
		if st, ok := se.Dimensions["db.sql_tokenized.statement"]; ok {
			assert.LessOrEqual(t, len(st), pi.MaxDimensionBytes)
		}
	}
}

func TestReadTopN(t *testing.T) {
	s, url := newSim(t)
	rid := resourceID(s, "my-pi")
	series, _, err := pi.Read(context.Background(), client(url, 1), rid, []pi.Query{{Metric: pi.Load, Group: pi.GroupWaitEvent, Limit: 2}},
		t0.Add(-time.Hour), t0, time.Minute)
	require.NoError(t, err)
	assert.Len(t, series, 2)
}

func TestReadErrors(t *testing.T) {
	s, url := newSim(t)
	ctx := context.Background()
	c := client(url, 3)
	start, end := t0.Add(-5*time.Minute), t0

	_, _, err := pi.Read(ctx, c, resourceID(s, "no-pi"), loadQueries, start, end, time.Minute)
	require.Error(t, err)
	assert.True(t, pi.NotAuthorized(err), "PI off: %v", err)
	_, _, err = pi.Read(ctx, c, "db-UNKNOWN", loadQueries, start, end, time.Minute)
	assert.True(t, pi.NotAuthorized(err), "unknown: %v", err)

	rid := resourceID(s, "pg-pi")
	_, _, err = pi.Read(ctx, c, rid, loadQueries, start, end, 7*time.Second)
	var inv *types.InvalidArgumentException
	assert.ErrorAs(t, err, &inv, "bad period")
	_, _, err = pi.Read(ctx, c, rid, []pi.Query{{Metric: pi.Load, Group: "db.nope", Limit: 5}}, start, end, time.Minute)
	assert.ErrorAs(t, err, &inv, "unknown group")
	_, _, err = pi.Read(ctx, c, rid, make([]pi.Query, 16), start, end, time.Minute)
	assert.ErrorContains(t, err, "1 to 15")

	// More than 15 queries reach the API only from another client: it refuses them.
	qs := make([]types.MetricQuery, 16)
	for i := range qs {
		qs[i] = types.MetricQuery{Metric: aws.String(pi.Load)}
	}
	_, err = c.GetResourceMetrics(ctx, &sdkpi.GetResourceMetricsInput{ServiceType: types.ServiceTypeRds, Identifier: aws.String(rid),
		StartTime: aws.Time(start), EndTime: aws.Time(end), MetricQueries: qs})
	assert.ErrorContains(t, err, "metricQueries")

	// Throttling and 5xx are retried by the SDK's retryer.
	s.ThrottleNext("GetResourceMetrics", 1)
	s.FailNext("GetResourceMetrics", 1)
	_, calls, err := pi.Read(ctx, c, rid, loadQueries, start, end, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 1, calls)
	assert.Equal(t, int64(1), s.Counters().Throttled)
}

func TestReadPages(t *testing.T) {
	s, url := newSim(t)
	rid := resourceID(s, "pg-pi")
	c := client(url, 1)
	ctx := context.Background()
	// The simulator pages MetricList when MaxResults is set; Read follows NextToken.
	paged := pageSize{API: c, n: 4}
	series, calls, err := pi.Read(ctx, paged, rid, loadQueries, t0.Add(-5*time.Minute), t0, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 17, len(series))
	assert.Equal(t, 6, calls, "22 entries (17 groups, 4 totals, 1 counter) in pages of 4")
}

type pageSize struct {
	pi.API
	n int32
}

func (p pageSize) GetResourceMetrics(ctx context.Context, in *sdkpi.GetResourceMetricsInput, o ...func(*sdkpi.Options)) (*sdkpi.GetResourceMetricsOutput, error) {
	in.MaxResults = aws.Int32(p.n)
	return p.API.GetResourceMetrics(ctx, in, o...)
}

func TestPeriodFor(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		10 * time.Second: time.Minute, time.Minute: time.Minute, 2 * time.Minute: time.Minute,
		5 * time.Minute: 5 * time.Minute, 2 * time.Hour: time.Hour, 48 * time.Hour: 24 * time.Hour,
	} {
		assert.Equal(t, want, pi.PeriodFor(in), in)
	}
}

func TestTruncate(t *testing.T) {
	assert.Equal(t, "abc", pi.Truncate("abcdef", 3))
	assert.Equal(t, "ab", pi.Truncate("abé", 3), "not inside a UTF-8 sequence")
	assert.Equal(t, "abé", pi.Truncate("abé", 4))
}
