package simulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// emFleet has one instance per EM format: Linux at 1 s, Aurora at 60 s, SQL Server at 5 s.
func emFleet() simulator.Fleet {
	return simulator.Fleet{
		Instances: []simulator.Instance{
			{Identifier: "em-mysql", Engine: simulator.EngineMySQL, Class: "db.r6g.large", MonitoringInterval: 1},
			{Identifier: "em-aurora", Engine: simulator.EngineAuroraPostgreSQL, Class: "db.r6g.xlarge", MonitoringInterval: 60, ClusterIdentifier: "em-cluster"},
			{Identifier: "em-sqlserver", Engine: simulator.EngineSQLServerSE, Class: "db.m6i.xlarge", MonitoringInterval: 5},
			{Identifier: "no-em", Engine: simulator.EnginePostgres, Class: "db.t4g.micro"},
		},
		Clusters: []simulator.Cluster{{Identifier: "em-cluster", Engine: simulator.EngineAuroraPostgreSQL,
			Members: []simulator.ClusterMember{{InstanceIdentifier: "em-aurora", IsWriter: true}}}},
	}
}

func TestEnhancedMonitoringStreams(t *testing.T) {
	s := newSim(t, emFleet())
	c := logsClient(s.URL, 1)
	ctx := context.Background()

	assert.Contains(t, s.LogGroups(), simulator.EMLogGroup)
	dbi := map[string]string{}
	insts, err := rdsClient(s.URL).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	for _, in := range insts.DBInstances {
		dbi[aws.ToString(in.DBInstanceIdentifier)] = aws.ToString(in.DbiResourceId)
	}
	assert.Equal(t, dbi["em-mysql"], s.EMStream("em-mysql"), "the stream is named by the DbiResourceId")
	assert.Empty(t, s.EMStream("no-em"))

	start, end := t0.Add(-6*time.Minute), t0.Add(-time.Minute)
	names := []string{dbi["em-mysql"], dbi["em-aurora"], dbi["em-sqlserver"]}
	got, pages := filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(simulator.EMLogGroup),
		LogStreamNames: names, StartTime: ms(start), EndTime: ms(end.Add(-time.Millisecond))})
	want := map[string][]simulator.LogEvent{}
	total := 0
	for _, id := range []string{"em-mysql", "em-aurora", "em-sqlserver"} {
		want[id] = s.EMEvents(id, start, end)
		total += len(want[id])
	}
	assert.Len(t, want["em-mysql"], 300, "1 s interval")
	assert.Len(t, want["em-aurora"], 5, "60 s interval")
	assert.Len(t, want["em-sqlserver"], 60, "5 s interval")
	require.Len(t, got, total)
	assert.Greater(t, pages, 1, "responses stop at 1 MB")
	byStream := map[string][]logtypes.FilteredLogEvent{}
	var last int64
	for _, e := range got {
		require.GreaterOrEqual(t, aws.ToInt64(e.Timestamp), last, "by timestamp")
		last = aws.ToInt64(e.Timestamp)
		byStream[aws.ToString(e.LogStreamName)] = append(byStream[aws.ToString(e.LogStreamName)], e)
	}
	for id, evs := range want {
		g := byStream[dbi[id]]
		require.Len(t, g, len(evs), id)
		for i, w := range evs {
			assert.Equal(t, w.Timestamp.UnixMilli(), aws.ToInt64(g[i].Timestamp))
			assert.Equal(t, w.Message, aws.ToString(g[i].Message))
		}
	}

	// The three formats.
	var linux, aurora, windows map[string]any
	require.NoError(t, json.Unmarshal([]byte(want["em-mysql"][0].Message), &linux))
	require.NoError(t, json.Unmarshal([]byte(want["em-aurora"][0].Message), &aurora))
	require.NoError(t, json.Unmarshal([]byte(want["em-sqlserver"][0].Message), &windows))
	assert.Equal(t, "MYSQL", linux["engine"])
	assert.Equal(t, dbi["em-mysql"], linux["instanceResourceID"])
	assert.Equal(t, want["em-mysql"][0].Timestamp.Format(time.RFC3339), linux["timestamp"])
	for _, k := range []string{"cpuUtilization", "loadAverageMinute", "memory", "swap", "tasks", "network", "diskIO", "physicalDeviceIO", "fileSys", "processList", "numVCPUs", "uptime"} {
		assert.Contains(t, linux, k)
	}
	assert.Equal(t, "Aurora", aurora["engine"])
	assert.NotContains(t, aurora, "physicalDeviceIO")
	assert.NotContains(t, aurora["diskIO"].([]any)[0], "device", "Aurora's storage entry has no device")
	assert.Contains(t, aurora["diskIO"].([]any)[0], "readLatency")
	assert.Equal(t, "SQLSERVER", windows["engine"])
	for _, k := range []string{"cpuUtilization", "memory", "system", "disks", "network", "processList"} {
		assert.Contains(t, windows, k)
	}
	assert.Contains(t, windows["cpuUtilization"], "kern")

	// Events become visible at timestamp + ingestion lag.
	fresh, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(simulator.EMLogGroup),
		LogStreamName: aws.String(dbi["em-mysql"]), Limit: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, fresh.Events, 1)
	assert.Equal(t, t0.Add(-s.LogIngestionLag()).Truncate(time.Second).UnixMilli(), aws.ToInt64(fresh.Events[0].Timestamp))

	// One unknown stream fails the whole FilterLogEvents call, as AWS does.
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(simulator.EMLogGroup),
		LogStreamNames: []string{dbi["em-mysql"], "db-DOESNOTEXIST"}, StartTime: ms(start)})
	var nf *logtypes.ResourceNotFoundException
	require.True(t, errors.As(err, &nf), "%v", err)

	// EM turned off: no new events, the stream stays; deleted: the stream is gone.
	require.NoError(t, s.StopEnhancedMonitoring("em-sqlserver"))
	require.NoError(t, s.DeleteEnhancedMonitoringStream("em-aurora"))
	insts, err = rdsClient(s.URL).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("em-sqlserver")})
	require.NoError(t, err)
	assert.Equal(t, int32(0), aws.ToInt32(insts.DBInstances[0].MonitoringInterval))
	s.clock.Advance(time.Minute)
	after := s.EMEvents("em-sqlserver", t0.Add(-time.Minute), t0.Add(time.Minute))
	require.NotEmpty(t, after)
	assert.False(t, after[len(after)-1].Timestamp.After(t0), "nothing after EM was turned off")
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(simulator.EMLogGroup), LogStreamName: aws.String(dbi["em-aurora"])})
	require.True(t, errors.As(err, &nf), "%v", err)
	assert.Nil(t, s.EMEvents("em-aurora", start, end))
}

// TestEnhancedMonitoringBoto3 reads RDSOSMetrics with boto3's logs client and compares with
// the ground truth.
func TestEnhancedMonitoringBoto3(t *testing.T) {
	usable := boto3Pythons(t)
	s := newSim(t, emFleet())
	start, end := t0.Add(-6*time.Minute), t0.Add(-time.Minute)
	for _, python := range usable {
		t.Run(strings.ReplaceAll(python, "/", "_"), func(t *testing.T) {
			out, err := exec.Command(python, "../../testdata/simulator/boto3_em_check.py", s.URL,
				strconv.FormatInt(start.UnixMilli(), 10), strconv.FormatInt(end.UnixMilli()-1, 10),
				s.EMStream("em-mysql"), s.EMStream("em-aurora"), s.EMStream("em-sqlserver")).Output()
			require.NoError(t, err, "%s", out)
			var rep struct {
				Pages   int                        `json:"pages"`
				Events  map[string][]boto3LogEvent `json:"events"`
				Missing string                     `json:"missing_error"`
				Newest  map[string]boto3LogEvent   `json:"newest"`
			}
			require.NoError(t, json.Unmarshal(out, &rep))
			assert.Greater(t, rep.Pages, 1)
			assert.Equal(t, "ResourceNotFoundException", rep.Missing)
			for _, id := range []string{"em-mysql", "em-aurora", "em-sqlserver"} {
				want := s.EMEvents(id, start, end)
				got := rep.Events[s.EMStream(id)]
				require.Len(t, got, len(want), id)
				for i, w := range want {
					assert.Equal(t, w.Timestamp.UnixMilli(), got[i].Timestamp)
					assert.Equal(t, w.Message, got[i].Message)
					assert.Equal(t, w.IngestionTime.UnixMilli(), got[i].IngestionTime)
				}
				newest := rep.Newest[s.EMStream(id)]
				visible := s.EMEvents(id, start, t0.Add(-s.LogIngestionLag()+time.Millisecond))
				assert.Equal(t, visible[len(visible)-1].Timestamp.UnixMilli(), newest.Timestamp, id)
			}
		})
	}
}

func TestEnhancedMonitoringEventSize(t *testing.T) {
	s := newSim(t, emFleet())
	for _, id := range []string{"em-mysql", "em-aurora", "em-sqlserver"} {
		e := s.EMEvents(id, t0.Add(-time.Minute), t0)
		t.Logf("%s: %d bytes", id, len(e[0].Message))
		assert.Greater(t, len(e[0].Message), 2000, "EM documents are several KB")
	}
}
