package simulator_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const boto3Script = "../../testdata/simulator/boto3_check.py"

type boto3Report struct {
	Botocore           string `json:"botocore"`
	CloudWatchProtocol string `json:"cloudwatch_protocol"`
	Pages              int    `json:"pages"`
	Instances          []struct {
		ID                  string            `json:"id"`
		Engine              string            `json:"engine"`
		Class               string            `json:"class"`
		Cluster             string            `json:"cluster"`
		ReplicaSource       string            `json:"replica_source"`
		PerformanceInsights bool              `json:"performance_insights"`
		ARN                 string            `json:"arn"`
		Tags                map[string]string `json:"tags"`
		LogExports          []string          `json:"log_exports"`
	} `json:"instances"`
	Clusters []struct {
		ID         string            `json:"id"`
		Engine     string            `json:"engine"`
		Serverless bool              `json:"serverless"`
		Members    map[string]bool   `json:"members"`
		Tags       map[string]string `json:"tags"`
		LogExports []string          `json:"log_exports"`
	} `json:"clusters"`
	Metrics map[string]struct {
		Dimension  string    `json:"dimension"`
		Identifier string    `json:"identifier"`
		Metric     string    `json:"metric"`
		Stat       string    `json:"stat"`
		Period     int32     `json:"period"`
		Label      string    `json:"label"`
		Status     string    `json:"status"`
		Timestamps []int64   `json:"timestamps"`
		Values     []float64 `json:"values"`
	} `json:"metrics"`
	LogsProtocol string                     `json:"logs_protocol"`
	LogGroups    []string                   `json:"log_groups"`
	LogEvents    map[string][]boto3LogEvent `json:"log_events"`
	LogPages     int                        `json:"log_pages"`
}

type boto3LogEvent struct {
	Stream        string `json:"stream"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestion_time"`
	EventID       string `json:"event_id"`
}

// pythons returns the interpreters to cross-check with: python3 on PATH and, when it
// is a different one (e.g. pyenv's), Debian's /usr/bin/python3, which speaks the
// query protocol to CloudWatch where newer botocore speaks CBOR.
func pythons(t *testing.T) []string {
	t.Helper()
	var out []string
	if p, err := exec.LookPath("python3"); err == nil {
		out = append(out, p)
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil && (len(out) == 0 || out[0] != "/usr/bin/python3") {
		out = append(out, "/usr/bin/python3")
	}
	return out
}

func hasBoto3(python string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, python, "-c", "import boto3").Run() == nil
}

// boto3Pythons returns the interpreters that have boto3; without one the test is skipped,
// or fails in CI.
func boto3Pythons(t *testing.T) []string {
	t.Helper()
	var usable []string
	for _, p := range pythons(t) {
		if hasBoto3(p) {
			usable = append(usable, p)
		}
	}
	if len(usable) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 with boto3 is required in CI (apt-get install python3-boto3)")
		}
		t.Skip("python3 with boto3 not found")
	}
	return usable
}

func TestBoto3CrossCheck(t *testing.T) {
	usable := boto3Pythons(t)
	s := newSim(t, smallFleet(t))
	start, end := t0.Add(-time.Hour), t0
	goView := goSDKView(t, s, start, end)
	protocols := map[string]bool{}
	for _, python := range usable {
		t.Run(strings.ReplaceAll(python, "/", "_"), func(t *testing.T) {
			rep := runBoto3(t, python, s.URL, start, end)
			t.Logf("botocore %s speaks %s to CloudWatch", rep.Botocore, rep.CloudWatchProtocol)
			protocols[rep.CloudWatchProtocol] = true
			assert.Greater(t, rep.Pages, 1, "MaxDatapoints 200 forces NextToken pages")

			require.Len(t, rep.Instances, len(goView.instances))
			for _, in := range rep.Instances {
				want, ok := goView.instances[in.ID]
				require.True(t, ok, in.ID)
				assert.Equal(t, aws.ToString(want.Engine), in.Engine)
				assert.Equal(t, aws.ToString(want.DBInstanceClass), in.Class)
				assert.Equal(t, aws.ToString(want.DBClusterIdentifier), in.Cluster)
				assert.Equal(t, aws.ToString(want.ReadReplicaSourceDBInstanceIdentifier), in.ReplicaSource)
				assert.Equal(t, aws.ToBool(want.PerformanceInsightsEnabled), in.PerformanceInsights)
				assert.Equal(t, aws.ToString(want.DBInstanceArn), in.ARN)
				assert.Equal(t, orEmpty(tagMap(want.TagList)), in.Tags, in.ID)
				assert.Equal(t, orNone(want.EnabledCloudwatchLogsExports), in.LogExports, in.ID)
			}
			require.Len(t, rep.Clusters, len(goView.clusters))
			for _, c := range rep.Clusters {
				want, ok := goView.clusters[c.ID]
				require.True(t, ok, c.ID)
				assert.Equal(t, aws.ToString(want.Engine), c.Engine)
				assert.Equal(t, want.ServerlessV2ScalingConfiguration != nil, c.Serverless)
				members := map[string]bool{}
				for _, m := range want.DBClusterMembers {
					members[aws.ToString(m.DBInstanceIdentifier)] = aws.ToBool(m.IsClusterWriter)
				}
				assert.Equal(t, members, c.Members, c.ID)
				assert.Equal(t, orEmpty(tagMap(want.TagList)), c.Tags, c.ID)
				assert.Equal(t, orNone(want.EnabledCloudwatchLogsExports), c.LogExports, c.ID)
			}

			require.Len(t, rep.Metrics, len(rep.Instances)+len(rep.Clusters))
			for id, m := range rep.Metrics {
				key := m.Identifier + "/" + m.Metric
				want, ok := goView.metrics[key]
				require.True(t, ok, key)
				assert.Equal(t, m.Metric, m.Label, id)
				assert.Equal(t, "Complete", m.Status, id)
				require.NotEmpty(t, m.Timestamps, key)
				assert.Equal(t, want.times, m.Timestamps, key)
				assert.Equal(t, want.values, m.Values, key)
				for i, ts := range m.Timestamps {
					v, ok := s.Value(m.Dimension, m.Identifier, m.Metric, m.Stat, time.Unix(ts, 0), time.Duration(m.Period)*time.Second)
					require.True(t, ok)
					assert.Equal(t, v, m.Values[i], key)
				}
			}

			assert.Equal(t, "json", rep.LogsProtocol)
			assert.Equal(t, goView.logGroups, rep.LogGroups)
			assert.Greater(t, rep.LogPages, len(rep.LogGroups), "limit 500 forces nextToken pages")
			require.Len(t, rep.LogEvents, len(goView.logGroups))
			for group, evs := range rep.LogEvents {
				want := goView.logEvents[group]
				require.NotEmpty(t, want, group)
				assert.Equal(t, want, evs, group)
				// endTime is inclusive, and only events ingested by now (t0 = end) are visible.
				truth := s.LogEvents(group, start, end.Add(-s.LogIngestionLag()+time.Millisecond))
				require.Equal(t, len(truth), len(evs), group)
				for i, e := range truth {
					assert.Equal(t, boto3LogEvent{e.Stream, e.Timestamp.UnixMilli(), e.Message, e.IngestionTime.UnixMilli(), e.EventID}, evs[i])
				}
			}
		})
	}
	c := s.Counters()
	assert.Zero(t, c.PhantomQueries)
	for p := range protocols {
		wire := map[string]string{"smithy-rpc-v2-cbor": "rpc-v2-cbor", "query": "awsQuery", "json": "awsJson1_0"}[p]
		assert.NotZero(t, c.CallsByProtocol["GetMetricData"][wire], "GetMetricData over %s", p)
	}
	assert.NotZero(t, c.CallsByProtocol["FilterLogEvents"][simulator.ProtoJSON11])
}

type goSeries struct {
	times  []int64
	values []float64
}

type goView struct {
	instances map[string]rdstypes.DBInstance
	clusters  map[string]rdstypes.DBCluster
	metrics   map[string]goSeries // identifier/metric
	logGroups []string
	logEvents map[string][]boto3LogEvent // group -> events of FilterLogEvents over [start, end]
}

// goSDKView reads the same things as boto3_check.py with the Go SDK.
func goSDKView(t *testing.T, s *sim, start, end time.Time) goView {
	t.Helper()
	ctx := context.Background()
	v := goView{instances: map[string]rdstypes.DBInstance{}, clusters: map[string]rdstypes.DBCluster{}, metrics: map[string]goSeries{}}
	insts, err := rdsClient(s.URL).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	var qs []q
	for _, in := range insts.DBInstances {
		id := aws.ToString(in.DBInstanceIdentifier)
		v.instances[id] = in
		qs = append(qs, q{"i" + strconv.Itoa(len(qs)), inst, id, "CPUUtilization", "Average", 60})
	}
	clusters, err := rdsClient(s.URL).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	for _, c := range clusters.DBClusters {
		id := aws.ToString(c.DBClusterIdentifier)
		v.clusters[id] = c
		qs = append(qs, q{"c" + strconv.Itoa(len(qs)), clus, id, "VolumeBytesUsed", "Maximum", 300})
	}
	out, err := cwClient(s.URL, "cbor", 1).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(qs...),
		StartTime:         aws.Time(start),
		EndTime:           aws.Time(end),
		ScanBy:            cwtypes.ScanByTimestampAscending,
	})
	require.NoError(t, err)
	for i, r := range out.MetricDataResults {
		var g goSeries
		for _, ts := range r.Timestamps {
			g.times = append(g.times, ts.Unix())
		}
		g.values = r.Values
		v.metrics[qs[i].ident+"/"+qs[i].metric] = g
	}

	logs := logsClient(s.URL, 1)
	v.logEvents = map[string][]boto3LogEvent{}
	groups, err := logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err)
	for _, g := range groups.LogGroups {
		name := aws.ToString(g.LogGroupName)
		v.logGroups = append(v.logGroups, name)
		evs, _ := filterAll(t, logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g.LogGroupName, StartTime: ms(start), EndTime: ms(end)})
		for _, e := range evs {
			v.logEvents[name] = append(v.logEvents[name], boto3LogEvent{
				aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp), aws.ToString(e.Message),
				aws.ToInt64(e.IngestionTime), aws.ToString(e.EventId),
			})
		}
	}
	return v
}

func runBoto3(t *testing.T, python, url string, start, end time.Time) boto3Report {
	t.Helper()
	var rep boto3Report
	runPythonScript(t, python, boto3Script, url, start, end, &rep)
	return rep
}

// runPythonScript runs script URL START END and decodes its JSON output into report.
func runPythonScript(t *testing.T, python, path, url string, start, end time.Time, report any) {
	t.Helper()
	script, err := filepath.Abs(path)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script, url, strconv.FormatInt(start.Unix(), 10), strconv.FormatInt(end.Unix(), 10))
	cmd.Env = append(os.Environ(),
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s failed:\n%s", filepath.Base(path), stderr.String())
	require.NoError(t, json.Unmarshal(stdout.Bytes(), report), "output: %s", stdout.String())
}

func orNone(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
