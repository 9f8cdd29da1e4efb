package simulator_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func logsClient(url string, attempts int) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return fastRetryer(attempts) },
		HTTPClient:   simulator.HTTPClient(),
	})
}

// The log groups fleet-small.yaml exports.
var smallFleetLogGroups = []string{
	"/aws/rds/cluster/aurora-a/error",
	"/aws/rds/cluster/aurora-a/slowquery",
	"/aws/rds/cluster/aurora-pg/postgresql",
	"/aws/rds/instance/maria-t3/error",
	"/aws/rds/instance/mysql-a/error",
	"/aws/rds/instance/mysql-a/general",
	"/aws/rds/instance/mysql-a/slowquery",
	"/aws/rds/instance/pg-a/postgresql",
	"RDSOSMetrics", // mysql-a and pg-a have Enhanced Monitoring
}

func ms(t time.Time) *int64 { return aws.Int64(t.UnixMilli()) }

// filterAll reads every page of a FilterLogEvents call.
func filterAll(t *testing.T, c *cloudwatchlogs.Client, in *cloudwatchlogs.FilterLogEventsInput) (events []logtypes.FilteredLogEvent, pages int) {
	t.Helper()
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		require.NoError(t, err)
		pages++
		if p.HasMorePages() {
			require.NotNil(t, out.NextToken)
		}
		events = append(events, out.Events...)
		require.Less(t, pages, 10000, "pagination does not end")
	}
	return events, pages
}

func assertSameEvents(t *testing.T, want []simulator.LogEvent, got []logtypes.FilteredLogEvent) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		g := got[i]
		assert.Equal(t, w.Stream, aws.ToString(g.LogStreamName), i)
		assert.Equal(t, w.Timestamp.UnixMilli(), aws.ToInt64(g.Timestamp), i)
		assert.Equal(t, w.IngestionTime.UnixMilli(), aws.ToInt64(g.IngestionTime), i)
		assert.Equal(t, w.Message, aws.ToString(g.Message), i)
		assert.Equal(t, w.EventID, aws.ToString(g.EventId), i)
	}
}

func TestLogGroupsFollowLogExports(t *testing.T) {
	s := newSim(t, smallFleet(t))
	assert.Equal(t, smallFleetLogGroups, s.LogGroups())
	c := logsClient(s.URL, 1)
	tests := []struct {
		name   string
		prefix string
		limit  int32
		want   []string
	}{
		{"all", "", 0, smallFleetLogGroups},
		{"small pages", "", 3, smallFleetLogGroups},
		{"clusters", "/aws/rds/cluster/", 0, smallFleetLogGroups[:3]},
		{"one instance", "/aws/rds/instance/mysql-a/", 2, smallFleetLogGroups[4:7]},
		{"none", "/aws/lambda/", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &cloudwatchlogs.DescribeLogGroupsInput{}
			if tt.prefix != "" {
				in.LogGroupNamePrefix = aws.String(tt.prefix)
			}
			if tt.limit > 0 {
				in.Limit = aws.Int32(tt.limit)
			}
			var got []string
			pages := 0
			for p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, in); p.HasMorePages(); {
				out, err := p.NextPage(context.Background())
				require.NoError(t, err)
				pages++
				for _, g := range out.LogGroups {
					name := aws.ToString(g.LogGroupName)
					got = append(got, name)
					assert.Equal(t, "arn:aws:logs:us-east-1:123456789012:log-group:"+name+":*", aws.ToString(g.Arn))
					assert.Equal(t, "arn:aws:logs:us-east-1:123456789012:log-group:"+name, aws.ToString(g.LogGroupArn))
					assert.Equal(t, s.CreatedAt().UnixMilli(), aws.ToInt64(g.CreationTime))
					assert.Positive(t, aws.ToInt64(g.StoredBytes))
				}
			}
			assert.Equal(t, tt.want, got)
			if tt.limit > 0 {
				assert.Equal(t, (len(tt.want)+int(tt.limit)-1)/int(tt.limit), pages)
			}
		})
	}
}

func TestFilterLogEventsMatchesGroundTruth(t *testing.T) {
	s := newSim(t, smallFleet(t))
	c := logsClient(s.URL, 1)
	visibleEnd := t0.Add(-s.LogIngestionLag() + time.Millisecond) // everything ingested by t0
	tests := []struct {
		name       string
		in         cloudwatchlogs.FilterLogEventsInput
		want       []simulator.LogEvent
		minStreams int
	}{
		{
			name: "mysql error, closed window: endTime is inclusive",
			in:   cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/instance/mysql-a/error"), StartTime: ms(t0.Add(-30 * time.Minute)), EndTime: ms(t0.Add(-10 * time.Minute))},
			want: s.LogEvents("/aws/rds/instance/mysql-a/error", t0.Add(-30*time.Minute), t0.Add(-10*time.Minute+time.Millisecond)),
		},
		{
			name: "unaligned bounds",
			in:   cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/instance/pg-a/postgresql"), StartTime: ms(t0.Add(-30*time.Minute + 1234*time.Millisecond)), EndTime: ms(t0.Add(-10*time.Minute - 1234*time.Millisecond))},
			want: s.LogEvents("/aws/rds/instance/pg-a/postgresql", t0.Add(-30*time.Minute+1234*time.Millisecond), t0.Add(-10*time.Minute-1233*time.Millisecond)),
		},
		{
			name:       "cluster group interleaves its member streams; no endTime stops at ingestion",
			in:         cloudwatchlogs.FilterLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/aws/rds/cluster/aurora-a/slowquery:*"), StartTime: ms(t0.Add(-20 * time.Minute))},
			want:       s.LogEvents("/aws/rds/cluster/aurora-a/slowquery", t0.Add(-20*time.Minute), visibleEnd),
			minStreams: 2,
		},
		{
			name: "one stream by name",
			in:   cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/cluster/aurora-a/error"), LogStreamNames: []string{"aurora-a-2"}, StartTime: ms(t0.Add(-5 * time.Minute)), EndTime: ms(t0.Add(-time.Minute))},
			want: streamOnly(s.LogEvents("/aws/rds/cluster/aurora-a/error", t0.Add(-5*time.Minute), t0.Add(-time.Minute+time.Millisecond)), "aurora-a-2"),
		},
		{
			name: "stream prefix",
			in:   cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/cluster/aurora-pg/postgresql"), LogStreamNamePrefix: aws.String("aurora-pg-"), StartTime: ms(t0.Add(-5 * time.Minute)), EndTime: ms(t0)},
			want: s.LogEvents("/aws/rds/cluster/aurora-pg/postgresql", t0.Add(-5*time.Minute), visibleEnd),
		},
		{
			name: "no startTime: from the fleet's creation",
			in:   cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/instance/maria-t3/error")},
			want: s.LogEvents("/aws/rds/instance/maria-t3/error", time.Unix(0, 0), visibleEnd),
		},
		{
			name: "window after now: empty",
			in:   cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/instance/mysql-a/general"), StartTime: ms(t0.Add(time.Minute))},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := filterAll(t, c, &tt.in)
			assertSameEvents(t, tt.want, got)
			streams := map[string]bool{}
			for _, e := range tt.want {
				streams[e.Stream] = true
			}
			assert.GreaterOrEqual(t, len(streams), tt.minStreams)
		})
	}
	assert.Len(t, s.LogEvents("/aws/rds/instance/mysql-a/error", t0.Add(-time.Hour), t0), 360, "one event every 10 s")
	assert.Equal(t, 3*360+1, len(s.LogEvents("/aws/rds/instance/mysql-a/error", time.Time{}, t0.Add(time.Millisecond))), "from CreatedAt (3 h before t0) on")
	assert.Nil(t, s.LogEvents("/aws/rds/instance/nope/error", t0.Add(-time.Hour), t0))
}

func streamOnly(evs []simulator.LogEvent, stream string) []simulator.LogEvent {
	var out []simulator.LogEvent
	for _, e := range evs {
		if e.Stream == stream {
			out = append(out, e)
		}
	}
	return out
}

func TestFilterLogEventsPagination(t *testing.T) {
	s := newSim(t, smallFleet(t))
	c := logsClient(s.URL, 1)
	group := "/aws/rds/cluster/aurora-a/error" // two streams
	start, end := t0.Add(-10*time.Minute), t0.Add(-time.Minute)
	want := s.LogEvents(group, start, end.Add(time.Millisecond))
	require.Len(t, want, 2*55)
	for _, limit := range []int32{1, 7, 55, 110, 111, 10000} {
		t.Run(fmt.Sprintf("limit %d", limit), func(t *testing.T) {
			got, pages := filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{
				LogGroupName: aws.String(group), StartTime: ms(start), EndTime: ms(end), Limit: aws.Int32(limit),
			})
			assertSameEvents(t, want, got)
			assert.Equal(t, (len(want)+int(limit)-1)/int(limit), pages, "limit %d", limit)
			ids := map[string]bool{}
			for _, e := range got {
				ids[aws.ToString(e.EventId)] = true
			}
			assert.Len(t, ids, len(want), "event ids are unique")
		})
	}
	assert.Equal(t, int64(len(want))*6, s.Counters().LogEvents)
}

func TestLogEventsBecomeVisibleWhenIngested(t *testing.T) {
	const lag = 30 * time.Second
	s := newSim(t, smallFleet(t), func(c *simulator.Config) {
		c.LogIngestionLag = lag
		c.LateLogStreams = map[string]time.Duration{"aurora-a-2": 2 * time.Minute}
	})
	require.Equal(t, lag, s.LogIngestionLag())
	c := logsClient(s.URL, 1)
	group := "/aws/rds/cluster/aurora-a/error"
	start := t0.Add(-time.Minute)
	visible := func(now time.Time) []simulator.LogEvent {
		var out []simulator.LogEvent
		for _, e := range s.LogEvents(group, start, now.Add(time.Hour)) {
			if !e.IngestionTime.After(now) {
				out = append(out, e)
			}
		}
		return out
	}
	for _, step := range []time.Duration{0, 10 * time.Second, 90 * time.Second, time.Minute, 5 * time.Minute} {
		s.clock.Advance(step)
		now := s.clock.Now()
		got, _ := filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), StartTime: ms(start)})
		want := visible(now)
		assertSameEvents(t, want, got)
		for _, e := range got {
			assert.LessOrEqual(t, aws.ToInt64(e.IngestionTime), now.UnixMilli())
		}
		late := len(streamOnly(want, "aurora-a-2"))
		if now.Before(start.Add(2*time.Minute + lag)) {
			assert.Zero(t, late, "the late stream shows nothing at %v", now)
		} else {
			assert.Positive(t, late, "the late stream shows up at %v", now)
		}
		assert.Positive(t, len(want)-late, "the punctual stream at %v", now)
	}
	all := s.LogEvents(group, start, s.clock.Now().Add(-3*time.Minute))
	require.NotEmpty(t, streamOnly(all, "aurora-a-2"))
	for _, e := range all {
		want := lag
		if e.Stream == "aurora-a-2" {
			want += 2 * time.Minute
		}
		assert.Equal(t, want, e.IngestionTime.Sub(e.Timestamp))
	}
}

func TestLogsErrors(t *testing.T) {
	s := newSim(t, smallFleet(t))
	c := logsClient(s.URL, 1)
	ctx := context.Background()
	group := aws.String("/aws/rds/instance/mysql-a/error")
	tests := []struct {
		name     string
		call     func() error
		code     string
		contains string
	}{
		{"unknown group", func() error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/instance/pg-a/error")})
			return err
		}, "ResourceNotFoundException", "The specified log group does not exist."},
		{"filter pattern", func() error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: group, FilterPattern: aws.String("ERROR")})
			return err
		}, "InvalidParameterException", "filterPattern"},
		{"name and identifier", func() error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: group, LogGroupIdentifier: group})
			return err
		}, "InvalidParameterException", "logGroupIdentifier"},
		{"names and prefix", func() error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: group, LogStreamNames: []string{"mysql-a"}, LogStreamNamePrefix: aws.String("m")})
			return err
		}, "InvalidParameterException", "logStreamNamePrefix"},
		{"limit too large", func() error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: group, Limit: aws.Int32(10001)})
			return err
		}, "InvalidParameterException", "limit"},
		{"foreign token", func() error {
			_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: group, NextToken: aws.String("bm9wZQ")})
			return err
		}, "InvalidParameterException", "nextToken"},
		{"describe limit", func() error {
			_, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(51)})
			return err
		}, "InvalidParameterException", "limit"},
		{"unknown stream", func() error {
			_, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: group, LogStreamName: aws.String("pg-a")})
			return err
		}, "ResourceNotFoundException", "log stream"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, tt.code, apiErr.ErrorCode())
			assert.Contains(t, apiErr.ErrorMessage(), tt.contains)
		})
	}
	var notFound *logtypes.ResourceNotFoundException
	_, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err)
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
	assert.ErrorAs(t, err, &notFound, "the modeled error type")
	assert.Equal(t, int64(len(tests)+1), s.Counters().ClientErrors)
}

func TestLogsFaults(t *testing.T) {
	s := newSim(t, smallFleet(t))
	ctx := context.Background()
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/rds/instance/pg-a/postgresql"), StartTime: ms(t0.Add(-time.Minute))}

	s.ThrottleNext("FilterLogEvents", 2)
	out, err := logsClient(s.URL, 3).FilterLogEvents(ctx, in)
	require.NoError(t, err, "ThrottlingException is retried")
	assert.NotEmpty(t, out.Events)

	s.ThrottleNext("FilterLogEvents", 1)
	_, err = logsClient(s.URL, 1).FilterLogEvents(ctx, in)
	var throttled *logtypes.ThrottlingException
	require.ErrorAs(t, err, &throttled)

	s.FailNext("DescribeLogGroups", 1)
	_, err = logsClient(s.URL, 2).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err, "a 500 is retried")

	c := s.Counters()
	assert.Equal(t, int64(4), c.Calls["FilterLogEvents"])
	assert.Equal(t, int64(4), c.CallsByProtocol["FilterLogEvents"][simulator.ProtoJSON11])
	assert.Equal(t, int64(3), c.ThrottledByOperation["FilterLogEvents"])
	assert.Equal(t, int64(3), c.Throttled)
	assert.Equal(t, int64(1), c.FailedByOperation["DescribeLogGroups"])
	assert.Equal(t, int64(2), c.Calls["DescribeLogGroups"])
	assert.Equal(t, int64(len(out.Events)), c.LogEvents)
}

func TestGetLogEvents(t *testing.T) {
	s := newSim(t, smallFleet(t))
	c := logsClient(s.URL, 1)
	ctx := context.Background()
	group := "/aws/rds/cluster/aurora-a/slowquery"
	start, end := t0.Add(-10*time.Minute), t0.Add(-2*time.Minute)
	want := streamOnly(s.LogEvents(group, start, end), "aurora-a-1") // endTime is exclusive here
	require.Len(t, want, 48)

	var got []logtypes.OutputLogEvent
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("aurora-a-1"),
		StartTime: ms(start), EndTime: ms(end), StartFromHead: aws.Bool(true), Limit: aws.Int32(10)}
	p := cloudwatchlogs.NewGetLogEventsPaginator(c, in, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		got = append(got, out.Events...)
		require.Less(t, pages, 100)
	}
	assert.Equal(t, 6, pages, "5 full pages and the empty one that repeats the token")
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Equal(t, w.Timestamp.UnixMilli(), aws.ToInt64(got[i].Timestamp))
		assert.Equal(t, w.Message, aws.ToString(got[i].Message))
		assert.Equal(t, w.IngestionTime.UnixMilli(), aws.ToInt64(got[i].IngestionTime))
	}

	// Without startFromHead: the newest events; the backward token pages back.
	tail, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("aurora-a-1"),
		StartTime: ms(start), EndTime: ms(end), Limit: aws.Int32(5)})
	require.NoError(t, err)
	require.Len(t, tail.Events, 5)
	assert.Equal(t, want[len(want)-1].Timestamp.UnixMilli(), aws.ToInt64(tail.Events[4].Timestamp))
	back, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("aurora-a-1"),
		StartTime: ms(start), EndTime: ms(end), Limit: aws.Int32(5), NextToken: tail.NextBackwardToken})
	require.NoError(t, err)
	require.Len(t, back.Events, 5)
	assert.Equal(t, want[len(want)-10].Timestamp.UnixMilli(), aws.ToInt64(back.Events[0].Timestamp))

	// A forward token at the end follows new events as they are ingested.
	fwd := tail.NextForwardToken
	open := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String("aurora-a-1"), StartFromHead: aws.Bool(true)}
	latest, err := c.GetLogEvents(ctx, open)
	require.NoError(t, err)
	fwd = latest.NextForwardToken
	open.NextToken = fwd
	again, err := c.GetLogEvents(ctx, open)
	require.NoError(t, err)
	assert.Empty(t, again.Events)
	assert.Equal(t, aws.ToString(fwd), aws.ToString(again.NextForwardToken), "the same token at the end")
	s.clock.Advance(time.Minute)
	more, err := c.GetLogEvents(ctx, open)
	require.NoError(t, err)
	assert.Len(t, more.Events, 6)
}

func TestDescribeExposesLogExports(t *testing.T) {
	s := newSim(t, smallFleet(t))
	ctx := context.Background()
	insts, err := rdsClient(s.URL).DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	gotInst := map[string][]string{}
	for _, in := range insts.DBInstances {
		gotInst[aws.ToString(in.DBInstanceIdentifier)] = in.EnabledCloudwatchLogsExports
	}
	assert.Equal(t, map[string][]string{
		"mysql-a": {"error", "slowquery", "general"}, "mysql-a-replica": nil, "pg-a": {"postgresql"},
		"maria-t3": {"error"}, "aurora-a-1": nil, "aurora-a-2": nil, "aurora-pg-1": nil,
	}, gotInst)
	clusters, err := rdsClient(s.URL).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	gotCl := map[string][]string{}
	for _, c := range clusters.DBClusters {
		gotCl[aws.ToString(c.DBClusterIdentifier)] = c.EnabledCloudwatchLogsExports
	}
	assert.Equal(t, map[string][]string{"aurora-a": {"error", "slowquery"}, "aurora-pg": {"postgresql"}}, gotCl)
}

func TestLogMessagesLookReal(t *testing.T) {
	s := newSim(t, smallFleet(t))
	formats := map[string]*regexp.Regexp{
		"/aws/rds/instance/mysql-a/error":       regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \d+ \[(Note|Warning|ERROR)\] \[MY-\d{6}\] \[(Server|InnoDB)\] \S`),
		"/aws/rds/instance/maria-t3/error":      regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+ \[(Note|Warning|ERROR)\] \S`),
		"/aws/rds/cluster/aurora-a/slowquery":   regexp.MustCompile(`(?s)^# Time: \S+\n# User@Host: \S+ @  \[[\d.]+\]  Id: +\d+\n# Query_time: \d+\.\d{6}  Lock_time: .*\nSET timestamp=\d+;\n[A-Z]+ .*;$`),
		"/aws/rds/instance/mysql-a/general":     regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\t +\d+ (Connect|Query|Quit)\t`),
		"/aws/rds/instance/pg-a/postgresql":     regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC:([\d.]+\(\d+\))?:(\w+)?@(\w+)?:\[\d+\]:(LOG|ERROR|WARNING|FATAL):  \S`),
		"/aws/rds/cluster/aurora-pg/postgresql": regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC:`),
	}
	for group, re := range formats {
		t.Run(group, func(t *testing.T) {
			evs := s.LogEvents(group, t0.Add(-time.Hour), t0)
			require.NotEmpty(t, evs)
			levels := map[string]bool{}
			for _, e := range evs {
				require.Regexp(t, re, e.Message)
				stamp := e.Timestamp.Format("2006-01-02 15:04:05")
				if strings.Contains(e.Message, "T"+stamp[11:]) || strings.Contains(e.Message, stamp) {
					levels["stamped"] = true
				}
				for _, l := range []string{"[Note]", "[Warning]", "[ERROR]", ":LOG:", ":ERROR:", ":WARNING:", ":FATAL:"} {
					if strings.Contains(e.Message, l) {
						levels[l] = true
					}
				}
			}
			assert.True(t, levels["stamped"], "messages carry their event's time")
			if strings.HasSuffix(group, "/error") {
				assert.True(t, levels["[Warning]"] && levels["[ERROR]"], "error logs rotate levels: %v", levels)
			}
			if strings.HasSuffix(group, "/postgresql") {
				assert.True(t, levels[":LOG:"] && levels[":ERROR:"] && levels[":WARNING:"] && levels[":FATAL:"], "%v", levels)
			}
			// Deterministic: a second server says the same.
			other := simulator.New(simulator.Config{Fleet: smallFleet(t), Now: s.clock.Now, CreatedAt: s.CreatedAt()})
			assert.Equal(t, evs, other.LogEvents(group, t0.Add(-time.Hour), t0))
		})
	}
}

func TestFleetValidatesLogExports(t *testing.T) {
	base := `
instances:
  - {identifier: my, engine: mysql, class: db.t3.micro, log_exports: %s}
  - {identifier: pg, engine: postgres, class: db.t3.micro}
  - {identifier: am-1, engine: aurora-mysql, class: db.r6g.large, cluster: am}
clusters:
  - {identifier: am, engine: aurora-mysql, members: [{instance: am-1, writer: true}], log_exports: %s}
`
	tests := []struct {
		name, inst, cluster string
		wantErr             []string
	}{
		{"valid", "[error, slowquery, general, audit, iam-db-auth-error]", "[error, slowquery]", nil},
		{"postgres type on mysql", "[postgresql]", "[]", []string{`instance "my"`, `"postgresql"`}},
		{"unknown type", "[errors]", "[]", []string{`instance "my"`, `"errors"`}},
		{"duplicate", "[error, error]", "[]", []string{`instance "my"`, `duplicate log export "error"`}},
		{"cluster", "[]", "[upgrade]", []string{`cluster "am"`, `"upgrade"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := simulator.ParseFleet([]byte(fmt.Sprintf(base, tt.inst, tt.cluster)))
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := simulator.ParseFleet([]byte(strings.Replace(fmt.Sprintf(base, "[]", "[]"),
		"cluster: am}", "cluster: am, log_exports: [error]}", 1)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `instance "am-1": Aurora instances export logs through their cluster`)
}

func TestGeneratedFleetExportsSomeLogs(t *testing.T) {
	f := simulator.GenerateFleet(200, 1)
	require.NoError(t, f.Validate())
	s := simulator.New(simulator.Config{Fleet: f})
	groups := s.LogGroups()
	assert.Greater(t, len(groups), 20)
	assert.Less(t, len(groups), 150)
	assert.Equal(t, groups, simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(200, 1)}).LogGroups())
	var clusterGroups int
	for _, g := range groups {
		if strings.HasPrefix(g, "/aws/rds/cluster/") {
			clusterGroups++
		}
	}
	assert.Positive(t, clusterGroups)
}
