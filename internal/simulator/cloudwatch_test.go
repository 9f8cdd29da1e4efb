package simulator_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

type q struct {
	id, dim, ident, metric, stat string
	period                       int32
}

func (x q) query() cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{
		Id: aws.String(x.id),
		MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{
				Namespace:  aws.String(simulator.Namespace),
				MetricName: aws.String(x.metric),
				Dimensions: []cwtypes.Dimension{{Name: aws.String(x.dim), Value: aws.String(x.ident)}},
			},
			Period: aws.Int32(x.period),
			Stat:   aws.String(x.stat),
		},
	}
}

func queries(qs ...q) []cwtypes.MetricDataQuery {
	out := make([]cwtypes.MetricDataQuery, len(qs))
	for i, x := range qs {
		out[i] = x.query()
	}
	return out
}

type points struct {
	Label  string
	Status cwtypes.StatusCode
	Times  []time.Time
	Values []float64
}

func collect(results []cwtypes.MetricDataResult, into map[string]*points) {
	for _, r := range results {
		p := into[aws.ToString(r.Id)]
		if p == nil {
			p = &points{}
			into[aws.ToString(r.Id)] = p
		}
		p.Label, p.Status = aws.ToString(r.Label), r.StatusCode
		for _, ts := range r.Timestamps {
			p.Times = append(p.Times, ts.UTC()) // the SDK decodes some protocols to Local
		}
		p.Values = append(p.Values, r.Values...)
	}
}

// newestVisible is the start of the newest bucket published at now.
func newestVisible(now time.Time, lag, period time.Duration) time.Time {
	return now.Add(-lag - period).Truncate(period)
}

var (
	inst, clus = simulator.DimInstance, simulator.DimCluster
	mixed      = []q{
		{"cpu", inst, "mysql-a", "CPUUtilization", "Average", 60},
		{"mem", inst, "pg-a", "FreeableMemory", "Minimum", 60},
		{"commit", inst, "aurora-a-1", "CommitLatency", "p99", 60},
		{"vol", clus, "aurora-a", "VolumeBytesUsed", "Sum", 300},
		{"acu", clus, "aurora-pg", "ServerlessDatabaseCapacity", "Maximum", 60},
		{"load", inst, "pg-a", "DBLoad", "SampleCount", 300},
		{"burst", inst, "maria-t3", "CPUCreditBalance", "p50", 120},
	}
)

func TestGetMetricDataProtocols(t *testing.T) {
	s := newSim(t, smallFleet(t))
	start, end := t0.Add(-30*time.Minute), t0
	byProto := map[string]map[string]*points{}
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			out, err := cwClient(s.URL, proto, 1).GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
				MetricDataQueries: queries(mixed...),
				StartTime:         aws.Time(start),
				EndTime:           aws.Time(end),
			})
			require.NoError(t, err)
			assert.Nil(t, out.NextToken)
			got := map[string]*points{}
			collect(out.MetricDataResults, got)
			byProto[proto] = got
			for _, x := range mixed {
				p := got[x.id]
				require.NotNil(t, p, x.id)
				period := time.Duration(x.period) * time.Second
				assert.Equal(t, x.metric, p.Label)
				assert.Equal(t, cwtypes.StatusCodeComplete, p.Status)
				require.NotEmpty(t, p.Times, x.id)
				assert.Equal(t, newestVisible(t0, time.Minute, period), p.Times[0], "%s: newest first", x.id)
				assert.Equal(t, start.Truncate(period), p.Times[len(p.Times)-1], "%s: oldest aligned at or before StartTime", x.id)
				assert.Len(t, p.Values, len(p.Times))
				for i, ts := range p.Times {
					assert.Zero(t, ts.Unix()%int64(x.period), "aligned")
					if i > 0 {
						assert.Equal(t, p.Times[i-1].Add(-period), ts, "descending without gaps")
					}
					want, ok := s.Value(x.dim, x.ident, x.metric, x.stat, ts, period)
					require.True(t, ok)
					assert.Equal(t, want, p.Values[i], "%s at %s", x.id, ts)
				}
			}
			assert.Equal(t, int64(1), s.Counters().CallsByProtocol["GetMetricData"][wireName(proto)])
		})
	}
	assert.Equal(t, byProto["cbor"], byProto["json"], "JSON 1.0 and CBOR agree")
	assert.Equal(t, byProto["cbor"], byProto["query"], "awsQuery and CBOR agree")
	c := s.Counters()
	assert.Equal(t, int64(3*len(mixed)), c.MetricDataQueries, "every query is billed")
	assert.Equal(t, int64(3), c.Calls["GetMetricData"])
	assert.Zero(t, c.PhantomQueries)
}

func TestGetMetricDataValidation(t *testing.T) {
	s := newSim(t, smallFleet(t))
	valid := func() *cloudwatch.GetMetricDataInput {
		return &cloudwatch.GetMetricDataInput{
			MetricDataQueries: queries(mixed[0]),
			StartTime:         aws.Time(t0.Add(-time.Hour)),
			EndTime:           aws.Time(t0),
		}
	}
	many := make([]q, 501)
	for i := range many {
		many[i] = q{fmt.Sprintf("q%d", i), inst, "mysql-a", "CPUUtilization", "Average", 60}
	}
	tests := []struct {
		name   string
		modify func(*cloudwatch.GetMetricDataInput)
	}{
		{"501 queries", func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries = queries(many...) }},
		{"uppercase id", func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries[0].Id = aws.String("Cpu") }},
		{"id with dash", func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries[0].Id = aws.String("cpu-1") }},
		{"duplicate id", func(in *cloudwatch.GetMetricDataInput) {
			in.MetricDataQueries = queries(mixed[0], q{"cpu", inst, "pg-a", "CPUUtilization", "Average", 60})
		}},
		{"start after end", func(in *cloudwatch.GetMetricDataInput) { in.StartTime, in.EndTime = in.EndTime, in.StartTime }},
		{"start equals end", func(in *cloudwatch.GetMetricDataInput) { in.StartTime = in.EndTime }},
		{"period 45", func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries[0].MetricStat.Period = aws.Int32(45) }},
		{"unknown stat", func(in *cloudwatch.GetMetricDataInput) { in.MetricDataQueries[0].MetricStat.Stat = aws.String("Avg") }},
		{"expression", func(in *cloudwatch.GetMetricDataInput) {
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{Id: aws.String("e1"), Expression: aws.String("cpu * 2")})
		}},
		{"scan by", func(in *cloudwatch.GetMetricDataInput) { in.ScanBy = "Sideways" }},
	}
	for _, proto := range cwProtocols {
		client := cwClient(s.URL, proto, 1)
		for _, tt := range tests {
			t.Run(proto+"/"+tt.name, func(t *testing.T) {
				in := valid()
				tt.modify(in)
				_, err := client.GetMetricData(context.Background(), in)
				var ve *cwtypes.ValidationException
				require.ErrorAs(t, err, &ve, "the modeled error, whatever the protocol")
				assert.Equal(t, smithy.FaultClient, ve.ErrorFault())
				assert.Equal(t, http.StatusBadRequest, httpStatus(err))
				// JSON and CBOR clients take the query code from X-Amzn-Query-Error; the
				// awsQuery client reports the shape name.
				wantCode := map[string]string{"cbor": "ValidationError", "json": "ValidationError", "query": "ValidationException"}[proto]
				assert.Equal(t, wantCode, ve.ErrorCode())
			})
		}
	}
	c := s.Counters()
	assert.Zero(t, c.MetricDataQueries, "rejected calls are not billed")
	assert.Equal(t, int64(len(tests)*len(cwProtocols)), c.ClientErrors)
}

func TestGetMetricDataPagination(t *testing.T) {
	s := newSim(t, smallFleet(t))
	qs := []q{
		{"cpu", inst, "mysql-a", "CPUUtilization", "Maximum", 60},
		{"phantom", inst, "pg-a", "BurstBalance", "Average", 60},
		{"conn", inst, "pg-a", "DatabaseConnections", "Sum", 60},
		{"vol", clus, "aurora-a", "VolumeBytesUsed", "Average", 60},
	}
	input := func(max int32) *cloudwatch.GetMetricDataInput {
		in := &cloudwatch.GetMetricDataInput{
			MetricDataQueries: queries(qs...),
			StartTime:         aws.Time(t0.Add(-2 * time.Hour)),
			EndTime:           aws.Time(t0),
			ScanBy:            cwtypes.ScanByTimestampAscending,
		}
		if max > 0 {
			in.MaxDatapoints = aws.Int32(max)
		}
		return in
	}
	for _, proto := range []string{"cbor", "query"} {
		t.Run(proto, func(t *testing.T) {
			client := cwClient(s.URL, proto, 1)
			whole, err := client.GetMetricData(context.Background(), input(0))
			require.NoError(t, err)
			want := map[string]*points{}
			collect(whole.MetricDataResults, want)
			require.Len(t, want["cpu"].Times, 119, "10:00 (StartTime 10:00:30 aligned down) to 11:58")
			assert.True(t, want["cpu"].Times[0].Before(want["cpu"].Times[1]), "ascending")

			got := map[string]*points{}
			pages := cloudwatch.NewGetMetricDataPaginator(client, input(50))
			n := 0
			for pages.HasMorePages() {
				out, err := pages.NextPage(context.Background())
				require.NoError(t, err)
				total := 0
				for i, r := range out.MetricDataResults {
					total += len(r.Values)
					if out.NextToken != nil && len(r.Values) > 0 && i == len(out.MetricDataResults)-1 {
						assert.Equal(t, cwtypes.StatusCodePartialData, r.StatusCode, "the query that continues on the next page")
					}
				}
				assert.LessOrEqual(t, total, 50)
				collect(out.MetricDataResults, got)
				n++
				require.Less(t, n, 20)
			}
			assert.Equal(t, 8, n, "3*119 points in pages of 50")
			for id, p := range want {
				p.Status = cwtypes.StatusCodeComplete
				assert.Equal(t, p, got[id], id)
			}
			assert.Empty(t, got["phantom"].Values)
		})
	}

	_, err := cwClient(s.URL, "cbor", 1).GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(qs...), StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
		NextToken: aws.String("bm90LWEtdG9rZW4"),
	})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "InvalidNextToken", apiErr.ErrorCode())
}

func TestGetMetricDataPointCap(t *testing.T) {
	s := newSim(t, smallFleet(t), func(c *simulator.Config) { c.CreatedAt = t0.Add(-30 * 24 * time.Hour) })
	ids := []string{"mysql-a", "mysql-a-replica", "pg-a", "maria-t3", "aurora-a-1", "aurora-a-2", "aurora-pg-1", "mysql-a"}
	var qs []q
	for i, id := range ids {
		qs = append(qs, q{fmt.Sprintf("m%d", i), inst, id, "CPUUtilization", "Average", 60})
	}
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(qs...),
		StartTime:         aws.Time(t0.Add(-14 * 24 * time.Hour)),
		EndTime:           aws.Time(t0),
	}
	client := cwClient(s.URL, "cbor", 1)
	first, err := client.GetMetricData(context.Background(), in)
	require.NoError(t, err)
	count := func(out *cloudwatch.GetMetricDataOutput) (n int) {
		for _, r := range out.MetricDataResults {
			n += len(r.Values)
		}
		return n
	}
	assert.Equal(t, 100_800, count(first), "one call returns at most 100,800 datapoints")
	require.NotNil(t, first.NextToken)
	in.NextToken = first.NextToken
	second, err := client.GetMetricData(context.Background(), in)
	require.NoError(t, err)
	assert.Nil(t, second.NextToken)
	perQuery := 14*24*60 - 1 // the newest minute is not published yet
	assert.Equal(t, len(ids)*perQuery, count(first)+count(second))
	assert.Equal(t, int64(2*len(ids)), s.Counters().MetricDataQueries, "each page bills every query")
}

func TestPhantomQueries(t *testing.T) {
	s := newSim(t, smallFleet(t))
	withDims := q{"twodims", inst, "mysql-a", "CPUUtilization", "Average", 60}.query()
	withDims.MetricStat.Metric.Dimensions = append(withDims.MetricStat.Metric.Dimensions,
		cwtypes.Dimension{Name: aws.String("Role"), Value: aws.String("WRITER")})
	ec2 := q{"ec2", inst, "mysql-a", "CPUUtilization", "Average", 60}.query()
	ec2.MetricStat.Metric.Namespace = aws.String("AWS/EC2")
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: append(queries(
			q{"real", inst, "mysql-a", "CPUUtilization", "Average", 60},
			q{"gp3burst", inst, "pg-a", "BurstBalance", "Average", 60},
			q{"primarylag", inst, "mysql-a", "ReplicaLag", "Maximum", 60},
			q{"gone", inst, "nope", "CPUUtilization", "Average", 60},
			q{"clusterasinstance", inst, "aurora-a", "VolumeBytesUsed", "Average", 300},
		), withDims, ec2),
		StartTime: aws.Time(t0.Add(-time.Hour)),
		EndTime:   aws.Time(t0),
	}
	out, err := cwClient(s.URL, "cbor", 1).GetMetricData(context.Background(), in)
	require.NoError(t, err)
	got := map[string]*points{}
	collect(out.MetricDataResults, got)
	assert.NotEmpty(t, got["real"].Values)
	for _, id := range []string{"gp3burst", "primarylag", "gone", "clusterasinstance", "twodims", "ec2"} {
		assert.Empty(t, got[id].Values, id)
		assert.Equal(t, cwtypes.StatusCodeComplete, got[id].Status, id)
	}

	c := s.Counters()
	assert.Equal(t, int64(6), c.PhantomQueries)
	assert.Equal(t, int64(7), c.MetricDataQueries)
	assert.Contains(t, c.Phantoms, simulator.PhantomQuery{Namespace: "AWS/RDS", Metric: "BurstBalance",
		Dimensions: "DBInstanceIdentifier=pg-a", Identifier: "pg-a", Count: 1})
	assert.Contains(t, c.Phantoms, simulator.PhantomQuery{Namespace: "AWS/RDS", Metric: "CPUUtilization",
		Dimensions: "DBInstanceIdentifier=mysql-a,Role=WRITER", Identifier: "mysql-a", Count: 1})
	assert.Equal(t, int64(2), c.SeriesQueries["mysql-a"]["CPUUtilization"])
	// A series of several dimensions is counted under its values in dimension name order.
	assert.Equal(t, int64(1), c.SeriesQueries["mysql-a,WRITER"]["CPUUtilization"])
	assert.Equal(t, int64(1), c.SeriesQueries["mysql-a"]["ReplicaLag"])
}

func TestPublicationLag(t *testing.T) {
	tests := []struct {
		name string
		lag  time.Duration // Config value
		want time.Duration // effective
	}{
		{"default", 0, time.Minute},
		{"none", -1, 0},
		{"three minutes", 3 * time.Minute, 3 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, smallFleet(t), func(c *simulator.Config) { c.PublicationLag = tt.lag })
			assert.Equal(t, tt.want, s.PublicationLag())
			got := fetch(t, s, "cpu", "mysql-a", "CPUUtilization")
			assert.Equal(t, newestVisible(t0, tt.want, time.Minute), got.Times[0])
		})
	}

	t.Run("late series", func(t *testing.T) {
		s := newSim(t, smallFleet(t))
		s.SetLate("mysql-a", "CPUUtilization", 5*time.Minute)
		s.clock.Advance(30 * time.Second) // 12:01:00: points up to 11:59 are out
		late, other := fetch(t, s, "cpu", "mysql-a", "CPUUtilization"), fetch(t, s, "pg", "pg-a", "CPUUtilization")
		assert.Equal(t, t0.Truncate(time.Minute).Add(-time.Minute), other.Times[0])
		assert.Equal(t, other.Times[0].Add(-5*time.Minute), late.Times[0], "five minutes behind")

		s.clock.Advance(5 * time.Minute)
		caught := fetch(t, s, "cpu", "mysql-a", "CPUUtilization")
		assert.Equal(t, other.Times[0], caught.Times[0], "the late points arrived")
		for i := range 5 {
			want, _ := s.Value(inst, "mysql-a", "CPUUtilization", "Average", caught.Times[i], time.Minute)
			assert.Equal(t, want, caught.Values[i])
		}
	})

	t.Run("data starts at creation", func(t *testing.T) {
		s := newSim(t, smallFleet(t))
		out, err := cwClient(s.URL, "cbor", 1).GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
			MetricDataQueries: queries(q{"n", inst, "pg-a", "CPUUtilization", "SampleCount", 300}),
			StartTime:         aws.Time(t0.Add(-5 * time.Hour)),
			EndTime:           aws.Time(t0),
			ScanBy:            cwtypes.ScanByTimestampAscending,
		})
		require.NoError(t, err)
		r := out.MetricDataResults[0]
		created := s.CreatedAt() // 09:00:30: the first full minute is 09:01
		assert.Equal(t, created.Truncate(5*time.Minute), r.Timestamps[0].UTC())
		assert.Equal(t, float64(4*4), r.Values[0], "four minutes of four samples in the first bucket")
		assert.Equal(t, float64(5*4), r.Values[1])
	})
}

func fetch(t *testing.T, s *sim, id, ident, metric string) *points {
	t.Helper()
	out, err := cwClient(s.URL, "cbor", 1).GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(q{id, inst, ident, metric, "Average", 60}),
		StartTime:         aws.Time(s.clock.Now().Add(-20 * time.Minute)),
		EndTime:           aws.Time(s.clock.Now()),
	})
	require.NoError(t, err)
	got := map[string]*points{}
	collect(out.MetricDataResults, got)
	require.NotEmpty(t, got[id].Times)
	return got[id]
}

func TestGetMetricStatisticsAndListMetrics(t *testing.T) {
	s := newSim(t, smallFleet(t))
	for _, proto := range cwProtocols {
		t.Run(proto, func(t *testing.T) {
			client := cwClient(s.URL, proto, 1)
			stats, err := client.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{
				Namespace:          aws.String(simulator.Namespace),
				MetricName:         aws.String("CPUUtilization"),
				Dimensions:         []cwtypes.Dimension{{Name: aws.String(inst), Value: aws.String("pg-a")}},
				StartTime:          aws.Time(t0.Add(-time.Hour)),
				EndTime:            aws.Time(t0),
				Period:             aws.Int32(300),
				Statistics:         []cwtypes.Statistic{cwtypes.StatisticAverage, cwtypes.StatisticMaximum},
				ExtendedStatistics: []string{"p99"},
			})
			require.NoError(t, err)
			assert.Equal(t, "CPUUtilization", aws.ToString(stats.Label))
			require.Len(t, stats.Datapoints, 11)
			for _, dp := range stats.Datapoints {
				ts := aws.ToTime(dp.Timestamp)
				avg, _ := s.Value(inst, "pg-a", "CPUUtilization", "Average", ts, 5*time.Minute)
				hi, _ := s.Value(inst, "pg-a", "CPUUtilization", "Maximum", ts, 5*time.Minute)
				p99, _ := s.Value(inst, "pg-a", "CPUUtilization", "p99", ts, 5*time.Minute)
				assert.Equal(t, avg, aws.ToFloat64(dp.Average))
				assert.Equal(t, hi, aws.ToFloat64(dp.Maximum))
				assert.Equal(t, map[string]float64{"p99": p99}, dp.ExtendedStatistics)
				assert.Nil(t, dp.Minimum)
			}

			list, err := client.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{
				Namespace:  aws.String(simulator.Namespace),
				Dimensions: []cwtypes.DimensionFilter{{Name: aws.String(inst), Value: aws.String("pg-a")}},
			})
			require.NoError(t, err)
			var want int
			for _, id := range s.Series() {
				if id.Identifier == "pg-a" {
					want++
				}
			}
			assert.Len(t, list.Metrics, want)
			assert.Equal(t, "pg-a", aws.ToString(list.Metrics[0].Dimensions[0].Value))

			c := s.Counters()
			assert.Equal(t, int64(1), c.CallsByProtocol["GetMetricStatistics"][wireName(proto)])
			assert.Equal(t, int64(1), c.CallsByProtocol["ListMetrics"][wireName(proto)])
		})
	}
	assert.Zero(t, s.Counters().MetricDataQueries, "GetMetricStatistics is billed per request, not per metric")
}

func TestUnknownCloudWatchOperation(t *testing.T) {
	s := newSim(t, smallFleet(t))
	for _, proto := range cwProtocols {
		_, err := cwClient(s.URL, proto, 1).DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr, proto)
		assert.Contains(t, []string{"InvalidAction", "UnknownOperationException"}, apiErr.ErrorCode(), proto)
	}
	assert.Equal(t, int64(3), s.Counters().Calls["DescribeAlarms"])
}
