package rdslogs

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

func TestGroups(t *testing.T) {
	fleet := discovery.Fleet{
		Instances: []discovery.Instance{
			{Identifier: "my-1", Engine: "mysql", LogExports: []string{"slowquery", "error"}},
			{Identifier: "pg-1", Engine: "postgres", LogExports: []string{"postgresql"}},
			{Identifier: "quiet", Engine: "mariadb"},
			// Aurora instances publish through their cluster, whatever they report.
			{Identifier: "aur-1", Engine: "aurora-mysql", ClusterIdentifier: "aur", LogExports: []string{"error"}},
		},
		Clusters: []discovery.Cluster{
			{Identifier: "aur", Engine: "aurora-mysql", LogExports: []string{"error", "audit"}},
			{Identifier: "maz", Engine: "postgres", LogExports: []string{"postgresql"}}, // Multi-AZ DB cluster: instances publish
		},
	}
	tests := []struct {
		name  string
		types []string
		want  []Group
	}{
		{"every exported type", nil, []Group{
			{Name: "/aws/rds/cluster/aur/audit", Type: "audit", Cluster: "aur"},
			{Name: "/aws/rds/cluster/aur/error", Type: "error", Cluster: "aur"},
			{Name: "/aws/rds/instance/my-1/error", Type: "error", Instance: "my-1"},
			{Name: "/aws/rds/instance/my-1/slowquery", Type: "slowquery", Instance: "my-1"},
			{Name: "/aws/rds/instance/pg-1/postgresql", Type: "postgresql", Instance: "pg-1"},
		}},
		{"only error logs", []string{"error"}, []Group{
			{Name: "/aws/rds/cluster/aur/error", Type: "error", Cluster: "aur"},
			{Name: "/aws/rds/instance/my-1/error", Type: "error", Instance: "my-1"},
		}},
		{"a type nobody exports", []string{"upgrade"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Groups(fleet, tt.types))
		})
	}
}

func TestStreamInstance(t *testing.T) {
	members := []string{"db", "db-2", "db.x"}
	tests := []struct {
		stream, want string
		ok           bool
	}{
		{"db", "db", true},
		{"db-2", "db-2", true},
		{"db.audit.log.0.2026-11-22-10-00.0", "db", true},
		{"db.x.audit.log.1", "db.x", true}, // the longest member wins
		{"db-3", "", false},
		{"other", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.stream, func(t *testing.T) {
			got, ok := StreamInstance(tt.stream, members)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		logType, message string
		want             plog.SeverityNumber
		text             string
	}{
		{"error", "2026-11-22T10:00:00.000000Z 15 [Warning] [MY-013360] [Server] Plugin sha256_password is deprecated", plog.SeverityNumberWarn, "WARNING"},
		{"error", "2026-11-22 10:00:00 0 [ERROR] InnoDB: Unable to lock ./ibdata1", plog.SeverityNumberError, "ERROR"},
		{"error", "2026-11-22 10:00:00 0 [Note] Server socket created on IP: '::'.", plog.SeverityNumberInfo, "NOTE"},
		{"error", "a line with no level", plog.SeverityNumberUnspecified, ""},
		{"postgresql", "2026-11-22 10:00:00 UTC:10.0.1.23(51234):app@orders:[4242]:ERROR:  relation \"x\" does not exist", plog.SeverityNumberError, "ERROR"},
		{"postgresql", "2026-11-22 10:00:00 UTC::@:[77]:LOG:  checkpoint starting: time", plog.SeverityNumberInfo, "LOG"},
		{"postgresql", "2026-11-22 10:00:00 UTC:10.0.1.23(51234):app@orders:[4242]:FATAL:  password authentication failed", plog.SeverityNumberFatal, "FATAL"},
		// The first level wins: the statement text may quote another.
		{"postgresql", "2026-11-22 10:00:00 UTC:h(1):u@d:[1]:LOG:  statement: select ':ERROR:'", plog.SeverityNumberInfo, "LOG"},
		{"slowquery", "# Time: 2026-11-22T10:00:00 [ERROR]", plog.SeverityNumberUnspecified, ""},
	}
	for _, tt := range tests {
		t.Run(tt.logType+"/"+tt.text, func(t *testing.T) {
			n, text := Severity(tt.logType, tt.message)
			assert.Equal(t, tt.want, n)
			assert.Equal(t, tt.text, text)
		})
	}
}

// fakeLogs is a CloudWatch Logs with FilterLogEvents' semantics: inclusive bounds, events
// visible once ingested, timestamp order, pages of pageSize with opaque tokens.
type fakeLogs struct {
	mu       sync.Mutex
	now      time.Time
	pageSize int
	events   map[string][]fakeEvent
	fail     map[string]error
	calls    map[string]int
}

type fakeEvent struct {
	ts, ingested time.Time
	id, stream   string
}

func (f *fakeLogs) add(group string, ts, ingested time.Time, stream string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("%s-%d-%s", group, ts.UnixMilli(), stream)
	f.events[group] = append(f.events[group], fakeEvent{ts, ingested, id, stream})
	sort.SliceStable(f.events[group], func(i, j int) bool { return f.events[group][i].ts.Before(f.events[group][j].ts) })
}

func (f *fakeLogs) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	group := aws.ToString(in.LogGroupName)
	f.calls[group]++
	if err := f.fail[group]; err != nil {
		return nil, err
	}
	events, ok := f.events[group]
	if !ok {
		return nil, &types.ResourceNotFoundException{Message: aws.String("The specified log group does not exist.")}
	}
	var visible []fakeEvent
	for _, e := range events {
		if ms := e.ts.UnixMilli(); ms >= aws.ToInt64(in.StartTime) && ms <= aws.ToInt64(in.EndTime) && !e.ingested.After(f.now) {
			visible = append(visible, e)
		}
	}
	from := 0
	if in.NextToken != nil {
		from, _ = strconv.Atoi(*in.NextToken)
	}
	to := min(len(visible), from+f.pageSize)
	out := &cloudwatchlogs.FilterLogEventsOutput{}
	for _, e := range visible[from:to] {
		out.Events = append(out.Events, types.FilteredLogEvent{EventId: aws.String(e.id), Timestamp: aws.Int64(e.ts.UnixMilli()),
			IngestionTime: aws.Int64(e.ingested.UnixMilli()), LogStreamName: aws.String(e.stream), Message: aws.String("m " + e.id)})
	}
	if to < len(visible) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

func newFake(now time.Time, pageSize int) *fakeLogs {
	return &fakeLogs{now: now, pageSize: pageSize, events: map[string][]fakeEvent{}, fail: map[string]error{}, calls: map[string]int{}}
}

func ids(res Result) []string {
	var out []string
	for _, e := range res.Events {
		out = append(out, fmt.Sprintf("%d-%s", e.Timestamp.UnixMilli(), e.Stream))
	}
	return out
}

// TestReaderDeliversEveryEventOnce: events every 10 s, ingested 5 s later, one ingested
// 50 s late (inside the overlap), read at irregular times: each is delivered once, in order.
func TestReaderDeliversEveryEventOnce(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	api := newFake(t0, 4)
	g := Group{Name: "/aws/rds/instance/db/error", Type: "error", Instance: "db"}
	var want []string
	for i := range 60 {
		ts := t0.Add(time.Duration(i) * 10 * time.Second)
		lag := 5 * time.Second
		if i == 20 {
			lag = 50 * time.Second
		}
		api.add(g.Name, ts, ts.Add(lag), "db")
		want = append(want, fmt.Sprintf("%d-db", ts.UnixMilli()))
	}
	r := NewReader(api, Options{RequestsPerSecond: 1000, Concurrency: 2, InitialLookback: time.Minute, Overlap: time.Minute, MaxPages: 100})
	var got []string
	for _, at := range []time.Duration{30 * time.Second, 95 * time.Second, 200 * time.Second, 207 * time.Second, 400 * time.Second, 700 * time.Second} {
		api.now = t0.Add(at)
		res := r.Read(context.Background(), []Group{g}, api.now)
		require.Len(t, res, 1)
		require.NoError(t, res[0].Err)
		got = append(got, ids(res[0])...)
	}
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	assert.Equal(t, want, sorted, "every event once")
	_, seen := r.Tracked()
	assert.LessOrEqual(t, seen, 7, "only the overlap's event IDs are kept")
}

// TestReaderPageBoundMakesProgress: with one page per read, a backlog is worked off
// over several reads without losing or repeating events.
func TestReaderPageBoundMakesProgress(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	api := newFake(t0.Add(time.Hour), 5)
	g := Group{Name: "/aws/rds/cluster/c/slowquery", Type: "slowquery", Cluster: "c"}
	for i := range 23 {
		ts := t0.Add(time.Duration(i) * time.Second)
		api.add(g.Name, ts, ts, "c-1")
		api.add(g.Name, ts, ts, "c-2") // two streams, same timestamps
	}
	r := NewReader(api, Options{RequestsPerSecond: 1000, InitialLookback: 2 * time.Hour, Overlap: time.Minute, MaxPages: 1})
	seen := map[string]bool{}
	for read := 0; read < 20 && len(seen) < 46; read++ {
		res := r.Read(context.Background(), []Group{g}, api.now)[0]
		require.NoError(t, res.Err)
		for _, id := range ids(res) {
			assert.False(t, seen[id], "repeated %s", id)
			seen[id] = true
		}
	}
	assert.Len(t, seen, 46)
}

// TestReaderOneGroupFailing: a failing group reports an error naming it; the others are
// read, and a group that does not exist yet is no error.
func TestReaderOneGroupFailing(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	api := newFake(t0.Add(time.Minute), 100)
	groups := []Group{{Name: "/aws/rds/instance/a/error"}, {Name: "/aws/rds/instance/b/error"}, {Name: "/aws/rds/instance/new/error"}}
	api.add(groups[0].Name, t0, t0, "a")
	api.add(groups[1].Name, t0, t0, "b")
	api.fail[groups[1].Name] = errors.New("ThrottlingException: Rate exceeded")
	r := NewReader(api, Options{RequestsPerSecond: 1000, Concurrency: 3, InitialLookback: time.Hour, Overlap: time.Minute})
	res := r.Read(context.Background(), groups, api.now)
	require.NoError(t, res[0].Err)
	assert.Len(t, res[0].Events, 1)
	require.Error(t, res[1].Err)
	assert.Contains(t, res[1].Err.Error(), groups[1].Name)
	assert.NoError(t, res[2].Err, "a group RDS has not created yet")

	// Recovered: the failed group's event comes on the next read, nothing else repeats.
	delete(api.fail, groups[1].Name)
	res = r.Read(context.Background(), groups, api.now)
	assert.Empty(t, res[0].Events)
	assert.Len(t, res[1].Events, 1)
}

// TestReaderDropsVanishedGroups: the state of groups that are no longer read is released.
func TestReaderDropsVanishedGroups(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	api := newFake(t0, 100)
	var groups []Group
	for i := range 50 {
		g := Group{Name: fmt.Sprintf("/aws/rds/instance/db-%d/error", i)}
		api.add(g.Name, t0, t0, "s")
		groups = append(groups, g)
	}
	r := NewReader(api, Options{RequestsPerSecond: 10000, Concurrency: 4, InitialLookback: time.Minute, Overlap: time.Minute})
	r.Read(context.Background(), groups, t0)
	n, _ := r.Tracked()
	assert.Equal(t, 50, n)
	r.Read(context.Background(), groups[:5], t0)
	n, _ = r.Tracked()
	assert.Equal(t, 5, n)
}
