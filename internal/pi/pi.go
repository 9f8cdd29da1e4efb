// Package pi reads Performance Insights (the API behind CloudWatch Database Insights) for
// one DB instance: database load split by a dimension, and counters, with
// GetResourceMetrics. It knows nothing of the receiver: queries in, series out. The SDK
// client (service/pi) brings signing (SigV4, signing name "pi"), the credential chain,
// the retryer (throttling, 5xx) and endpoint resolution (endpoints.pi,
// AWS_ENDPOINT_URL_PI, services pi in the shared config).
package pi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/pi"
	"github.com/aws/aws-sdk-go-v2/service/pi/types"
)

// Limits of GetResourceMetrics (botocore pi 2018-02-27 model and the API reference).
const (
	// MaxQueriesPerCall is the most MetricQueries one call takes.
	MaxQueriesPerCall = 15
	// MaxGroupLimit is the most groups (top N) one grouped query returns.
	MaxGroupLimit = 25
	// MaxDimensionBytes is where the API cuts a dimension value (a SQL statement).
	MaxDimensionBytes = 500
	// maxPages bounds the pages followed in one read.
	maxPages = 50
)

// Periods are the PeriodInSeconds values the API accepts.
var Periods = []time.Duration{time.Second, time.Minute, 5 * time.Minute, time.Hour, 24 * time.Hour}

// Load is the database load metric: average active sessions.
const Load = "db.load.avg"

// Dimension groups of db.load.avg that the receiver reads.
const (
	GroupWaitEvent = "db.wait_event"
	GroupSQL       = "db.sql_tokenized"
	GroupUser      = "db.user"
	GroupHost      = "db.host"
)

// API is the part of the SDK client used here.
type API interface {
	GetResourceMetrics(ctx context.Context, in *pi.GetResourceMetricsInput, optFns ...func(*pi.Options)) (*pi.GetResourceMetricsOutput, error)
}

// Query is one metric query: Metric grouped by Group (top Limit groups), or Metric alone
// when Group is empty.
type Query struct {
	Metric string
	Group  string
	Limit  int
}

// Series is the points of one query's group (Dimensions), or of the query's metric
// as a whole (Dimensions nil), oldest first.
type Series struct {
	Query      int // index in the queries read
	Dimensions map[string]string
	Timestamps []time.Time
	Values     []float64
}

// Read returns the series of queries for the instance with DbiResourceId id over
// [start, end) at period, following pages. An instance reads at most
// MaxQueriesPerCall queries, so one read is one call unless the answer is paged.
func Read(ctx context.Context, api API, id string, queries []Query, start, end time.Time, period time.Duration) ([]Series, int, error) {
	if len(queries) == 0 || len(queries) > MaxQueriesPerCall {
		return nil, 0, fmt.Errorf("pi: %d metric queries, a call takes 1 to %d", len(queries), MaxQueriesPerCall)
	}
	in := &pi.GetResourceMetricsInput{
		ServiceType:     types.ServiceTypeRds,
		Identifier:      aws.String(id),
		StartTime:       aws.Time(start),
		EndTime:         aws.Time(end),
		PeriodInSeconds: aws.Int32(int32(period / time.Second)),
		MetricQueries:   make([]types.MetricQuery, len(queries)),
	}
	for i, q := range queries {
		in.MetricQueries[i] = types.MetricQuery{Metric: aws.String(q.Metric)}
		if q.Group != "" {
			in.MetricQueries[i].GroupBy = &types.DimensionGroup{Group: aws.String(q.Group), Limit: aws.Int32(int32(q.Limit))}
		}
	}
	var out []Series
	calls := 0
	for range maxPages {
		calls++
		res, err := api.GetResourceMetrics(ctx, in)
		if err != nil {
			return out, calls, fmt.Errorf("pi: GetResourceMetrics %s: %w", id, err)
		}
		for _, m := range res.MetricList {
			s, ok := series(m, queries)
			if ok {
				out = append(out, s)
			}
		}
		if aws.ToString(res.NextToken) == "" {
			return out, calls, nil
		}
		in.NextToken = res.NextToken
	}
	return out, calls, fmt.Errorf("pi: GetResourceMetrics %s: more than %d pages", id, maxPages)
}

// series maps one MetricList entry back to its query: a grouped entry by its metric and
// the group its dimension names start with; an entry without dimensions to the first
// query of its metric (the total of a grouped query repeats for every group).
func series(m types.MetricKeyDataPoints, queries []Query) (Series, bool) {
	if m.Key == nil {
		return Series{}, false
	}
	metric := aws.ToString(m.Key.Metric)
	qi := -1
	for i, q := range queries {
		if q.Metric != metric {
			continue
		}
		if len(m.Key.Dimensions) == 0 {
			if q.Group == "" {
				qi = i
				break
			}
			continue // the total of a grouped query: the CloudWatch DBLoad metric has it
		}
		if q.Group != "" && inGroup(m.Key.Dimensions, q.Group) {
			qi = i
			break
		}
	}
	if qi < 0 {
		return Series{}, false
	}
	s := Series{Query: qi, Dimensions: m.Key.Dimensions}
	for _, p := range m.DataPoints {
		if p.Timestamp == nil || p.Value == nil {
			continue // no value for the period: nothing to report
		}
		s.Timestamps = append(s.Timestamps, p.Timestamp.UTC())
		s.Values = append(s.Values, *p.Value)
	}
	return s, true
}

func inGroup(dims map[string]string, group string) bool {
	for k := range dims {
		if !strings.HasPrefix(k, group+".") {
			return false
		}
	}
	return true
}

// NotAuthorized reports whether err is the API's NotAuthorizedException: PI is off for
// the instance, or the caller lacks pi:GetResourceMetrics on it.
func NotAuthorized(err error) bool {
	var e *types.NotAuthorizedException
	return errors.As(err, &e)
}

// InvalidArgument reports whether err is the API's InvalidArgumentException: a metric,
// group or period the instance does not have.
func InvalidArgument(err error) bool {
	var e *types.InvalidArgumentException
	return errors.As(err, &e)
}

// PeriodFor is the longest period the API accepts that is at most interval, and at
// least one minute: reading every interval then yields one point per period.
func PeriodFor(interval time.Duration) time.Duration {
	p := time.Minute
	for _, c := range Periods {
		if c >= time.Minute && c <= interval {
			p = c
		}
	}
	return p
}

// Truncate cuts s to at most n bytes on a UTF-8 boundary.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Counters are the counters read by default for an engine: CloudWatch publishes none of
// them. Every Linux engine has the os.* ones; the db.* ones are the engine's own.
// Engines not listed (SQL Server, Oracle, Db2) get none.
func Counters(engine string) []string {
	os := []string{"os.cpuUtilization.total", "os.memory.free", "os.loadAverageMinute.one"}
	switch {
	case strings.Contains(engine, "postgres"):
		return append(os, "db.Transactions.xact_commit", "db.Transactions.xact_rollback", "db.Concurrency.deadlocks",
			"db.Temp.temp_bytes", "db.Checkpoint.checkpoints_req")
	case strings.Contains(engine, "mysql"), engine == "mariadb", engine == "aurora":
		return append(os, "db.SQL.Questions", "db.SQL.Slow_queries", "db.Locks.innodb_row_lock_waits",
			"db.Users.Threads_running", "db.Users.Threads_connected")
	}
	return nil
}
