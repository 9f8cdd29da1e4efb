package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func metricInput(qs ...q) *cloudwatch.GetMetricDataInput {
	return &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(qs...),
		StartTime:         aws.Time(t0.Add(-10 * time.Minute)),
		EndTime:           aws.Time(t0),
	}
}

func isThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

func TestThrottlingIsRetried(t *testing.T) {
	for _, proto := range cwProtocols {
		t.Run("GetMetricData/"+proto, func(t *testing.T) {
			s := newSim(t, smallFleet(t))
			s.ThrottleNext("GetMetricData", 2)
			_, err := cwClient(s.URL, proto, 3).GetMetricData(context.Background(), metricInput(mixed[0]))
			require.NoError(t, err, "the standard retryer rides out two throttles")
			c := s.Counters()
			assert.Equal(t, int64(3), c.Calls["GetMetricData"])
			assert.Equal(t, int64(2), c.Throttled)
			assert.Equal(t, int64(2), c.ThrottledByOperation["GetMetricData"])
			assert.Equal(t, int64(1), c.MetricDataQueries, "only the answered attempt is billed")

			s.ThrottleNext("GetMetricData", 1)
			_, err = cwClient(s.URL, proto, 1).GetMetricData(context.Background(), metricInput(mixed[0]))
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, "Throttling", apiErr.ErrorCode())
			assert.True(t, isThrottle(err), "the SDK classifies it as a throttle")
			assert.Equal(t, http.StatusBadRequest, httpStatus(err))
		})
	}
	t.Run("DescribeDBInstances", func(t *testing.T) {
		s := newSim(t, smallFleet(t))
		s.ThrottleNext("DescribeDBInstances", 2)
		out, err := rdsClient(s.URL).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
		require.NoError(t, err)
		assert.Len(t, out.DBInstances, 7)
		assert.Equal(t, int64(2), s.Counters().Throttled)
		assert.Equal(t, int64(1), s.Counters().DescribeDBInstancesPages)

		s.ThrottleNext("DescribeDBClusters", 5)
		_, err = rdsClient(s.URL).DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{})
		require.Error(t, err)
		assert.True(t, isThrottle(err))
	})
}

func TestFailNextIsRetried(t *testing.T) {
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			s := newSim(t, smallFleet(t))
			s.FailNext("GetMetricData", 1)
			_, err := cwClient(s.URL, proto, 3).GetMetricData(context.Background(), metricInput(mixed[0]))
			require.NoError(t, err)
			assert.Equal(t, int64(1), s.Counters().Failed)

			s.FailNext("GetMetricData", 1)
			_, err = cwClient(s.URL, proto, 1).GetMetricData(context.Background(), metricInput(mixed[0]))
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, "InternalFailure", apiErr.ErrorCode())
			assert.Equal(t, http.StatusInternalServerError, httpStatus(err))
		})
	}
}

func TestFailQueriesFor(t *testing.T) {
	s := newSim(t, smallFleet(t))
	s.FailQueriesFor("mysql-a")
	client := cwClient(s.URL, "cbor", 3)

	_, err := client.GetMetricData(context.Background(), metricInput(
		q{"a", inst, "pg-a", "CPUUtilization", "Average", 60},
		q{"b", inst, "mysql-a", "CPUUtilization", "Average", 60},
	))
	require.Error(t, err, "the batch holding mysql-a fails even after retries")
	assert.Equal(t, http.StatusInternalServerError, httpStatus(err))
	assert.Equal(t, int64(3), s.Counters().FailedByOperation["GetMetricData"])

	_, err = client.GetMetricData(context.Background(), metricInput(q{"a", inst, "pg-a", "CPUUtilization", "Average", 60}))
	require.NoError(t, err, "other batches are unaffected")

	s.ClearFaults()
	_, err = client.GetMetricData(context.Background(), metricInput(q{"b", inst, "mysql-a", "CPUUtilization", "Average", 60}))
	require.NoError(t, err)
}

func TestLatency(t *testing.T) {
	s := newSim(t, smallFleet(t), func(c *simulator.Config) { c.Latency = 60 * time.Millisecond })
	client := rdsClient(s.URL)
	begin := time.Now()
	_, err := client.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(begin), 60*time.Millisecond)

	s.SetLatency(0)
	begin = time.Now()
	_, err = client.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	assert.Less(t, time.Since(begin), 50*time.Millisecond)
}

func TestAdminEndpoints(t *testing.T) {
	s := newSim(t, smallFleet(t))
	post := func(path string, body any) *http.Response {
		t.Helper()
		b, err := json.Marshal(body)
		require.NoError(t, err)
		resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(b))
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	getJSON := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(s.URL + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, json.NewDecoder(resp.Body).Decode(v))
	}

	resp := post("/_sim/faults", map[string]any{"throttle": map[string]int{"DescribeDBInstances": 1}, "latency": "1ms"})
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	_, err := rdsClient(s.URL).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)

	var c simulator.Counters
	getJSON("/_sim/counters", &c)
	assert.Equal(t, int64(2), c.Calls["DescribeDBInstances"])
	assert.Equal(t, int64(1), c.Throttled)

	var f simulator.Fleet
	getJSON("/_sim/fleet", &f)
	assert.Len(t, f.Instances, 7)
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:db:aurora-a-1", f.Instances[0].ARN, "defaults are filled in")

	assert.Equal(t, http.StatusNoContent, post("/_sim/reset", nil).StatusCode)
	var after simulator.Counters
	getJSON("/_sim/counters", &after)
	assert.Empty(t, after.Calls)

	assert.Equal(t, http.StatusBadRequest, post("/_sim/faults", map[string]any{"latency": "soon"}).StatusCode)
	assert.Equal(t, http.StatusBadRequest, post("/_sim/faults", map[string]any{"explode": true}).StatusCode)

	f.Instances, f.Clusters = f.Instances[:1], nil
	f.Instances[0].ClusterIdentifier = ""
	assert.Equal(t, http.StatusBadRequest, post("/_sim/fleet", f).StatusCode, "an Aurora instance needs its cluster")
	assert.Equal(t, http.StatusNoContent, post("/_sim/fleet", simulator.GenerateFleet(5, 1)).StatusCode)
	assert.Len(t, s.Fleet().Instances, 5)
}

func TestConcurrentUse(t *testing.T) {
	s := newSim(t, simulator.GenerateFleet(40, 5))
	client := cwClient(s.URL, "cbor", 5)
	ids := s.Series()[:20]
	done := make(chan error, 8)
	for w := range 8 {
		go func() {
			for i := range 5 {
				id := ids[(w*5+i)%len(ids)]
				if i == 2 {
					s.ThrottleNext("GetMetricData", 1)
					s.SetFleet(simulator.GenerateFleet(40, 5))
				}
				_, err := client.GetMetricData(context.Background(), metricInput(q{"x", id.DimensionName, id.Identifier, id.Metric, "Average", 60}))
				if err != nil {
					done <- err
					return
				}
				_ = s.Counters()
			}
			done <- nil
		}()
	}
	for range 8 {
		require.NoError(t, <-done)
	}
	assert.Equal(t, int64(40), s.Counters().MetricDataQueries)
}

// TestNoSpuriousConnectionErrors guards HTTPClient: with it and no retries, back-to-back
// large answers never break a connection (smithy-go's early request-body close). The
// simulator's response floor alone makes that rare, not impossible: on a loaded machine
// the SDK's own client saw it about once in a few thousand calls, which is why the tests
// that count calls in-process use HTTPClient (and the binaries' clients retry).
func TestNoSpuriousConnectionErrors(t *testing.T) {
	s := newSim(t, simulator.GenerateFleet(250, 11))
	client := rds.New(rds.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   simulator.HTTPClient(),
		Retryer:      fastRetryer(1),
	})
	for range 50 {
		pages := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
		for pages.HasMorePages() {
			_, err := pages.NextPage(context.Background())
			require.NoError(t, err)
		}
	}
	assert.Equal(t, int64(150), s.Counters().DescribeDBInstancesPages)
}
