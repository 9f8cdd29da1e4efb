package awsrdsreceiver

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/rdslogs"
	"github.com/otelcol-rds/awsrdsreceiver/internal/slowlog"
)

// What logs.slow_queries.query_text does with a statement's text.
const (
	QueryTextKeep     = "keep"
	QueryTextTruncate = "truncate"
	QueryTextDrop     = "drop"
)

// SlowQueriesConfig shapes the parsing of slow query entries: MySQL / MariaDB / Aurora
// MySQL slowquery groups, and log_min_duration_statement and auto_explain lines of
// PostgreSQL groups.
type SlowQueriesConfig struct {
	// Parse turns each slow entry into a record with typed attributes; false ships the
	// events' text only.
	Parse bool `mapstructure:"parse"`
	// QueryText is keep (db.query.text holds the statement, the body the entry as logged),
	// truncate (db.query.text cut to max_query_text_length bytes) or drop (no
	// db.query.text); with truncate and drop the body is the normalized statement, which
	// holds no literal.
	QueryText string `mapstructure:"query_text"`
	// MaxQueryTextLength is the length db.query.text is cut to with truncate.
	MaxQueryTextLength int `mapstructure:"max_query_text_length"`
	// MetricsTopK is the number of fingerprints per instance and interval of the
	// aws.rds.slow_query.* metrics; the others are summed as fingerprint "other".
	MetricsTopK int `mapstructure:"metrics_top_k"`
}

func (c SlowQueriesConfig) validate() error {
	switch c.QueryText {
	case QueryTextKeep, QueryTextTruncate, QueryTextDrop:
	default:
		return fmt.Errorf("logs.slow_queries.query_text: %q must be keep, truncate or drop", c.QueryText)
	}
	if c.MetricsTopK < 1 || c.MetricsTopK > 1000 {
		return fmt.Errorf("logs.slow_queries.metrics_top_k: %d must be between 1 and 1000", c.MetricsTopK)
	}
	if c.QueryText == QueryTextTruncate && c.MaxQueryTextLength < 16 {
		return fmt.Errorf("logs.slow_queries.max_query_text_length: %d must be at least 16 with query_text: truncate", c.MaxQueryTextLength)
	}
	return nil
}

// Attributes of slow entries. Where OpenTelemetry's semantic conventions have one it is
// used (db.query.text, db.namespace, db.operation.name, db.response.returned_rows,
// client.address, client.port, user.name: semconv dropped db.user without replacement);
// the rest are ours, under aws.rds.slow_query.
const (
	attrSlowPrefix      = "aws.rds.slow_query."
	attrSlowDuration    = attrSlowPrefix + "duration"  // seconds
	attrSlowLockTime    = attrSlowPrefix + "lock_time" // seconds
	attrSlowNormalized  = attrSlowPrefix + "normalized"
	attrSlowFingerprint = attrSlowPrefix + "fingerprint"
	attrSlowThreadID    = attrSlowPrefix + "thread_id"
	attrSlowPID         = attrSlowPrefix + "pid"
	attrSlowPhase       = attrSlowPrefix + "phase"
	attrSlowPlan        = attrSlowPrefix + "plan"
)

// slowDialect is the slow entry format of a log group type; ok is false for the others.
func slowDialect(logType string) (slowlog.Dialect, bool) {
	switch logType {
	case "slowquery":
		return slowlog.MySQL, true
	case "postgresql":
		return slowlog.PostgreSQL, true
	}
	return 0, false
}

// slowEntries reassembles the entries of res, stream by stream, keeping each stream's
// unfinished entry for the next read.
func (s *logsScraper) slowEntries(res rdslogs.Result, d slowlog.Dialect) (streams []string, entries [][]slowlog.Entry) {
	if s.slowStreams == nil {
		s.slowStreams = map[string]*slowlog.Stream{}
	}
	byStream := map[string][]slowlog.Event{}
	for i := range res.Events {
		e := &res.Events[i]
		if _, ok := byStream[e.Stream]; !ok {
			streams = append(streams, e.Stream)
		}
		byStream[e.Stream] = append(byStream[e.Stream], slowlog.Event{Timestamp: e.Timestamp, Ingested: e.Ingested, Message: e.Message})
	}
	// Streams with an entry held from the previous read are read too, to release it.
	prefix := res.Group.Name + "\x00"
	for key := range s.slowStreams {
		if st, ok := strings.CutPrefix(key, prefix); ok {
			if _, seen := byStream[st]; !seen {
				streams = append(streams, st)
			}
		}
	}
	for _, st := range streams {
		key := prefix + st
		str := s.slowStreams[key]
		if str == nil {
			str = slowlog.NewStream(d)
			s.slowStreams[key] = str
		}
		got := str.Read(byStream[st])
		if !str.Pending() {
			delete(s.slowStreams, key)
		}
		entries = append(entries, got)
	}
	return streams, entries
}

// appendSlow adds the records of a slow query log group or PostgreSQL group: one per
// entry, with typed attributes for slow statements.
func (s *logsScraper) appendSlow(sl func(key string, res pcommon.Resource) plog.ScopeLogs, r *logsRegion, res rdslogs.Result, d slowlog.Dialect) int {
	streams, entries := s.slowEntries(res, d)
	agg := slowStatsOf(s.cfg)
	n, malformed := 0, 0
	for i, st := range streams {
		key, resource := r.resourceOf(res.Group, st)
		for j := range entries[i] {
			e := &entries[i][j]
			lr := sl(key, resource).LogRecords().AppendEmpty()
			fingerprint := s.slowRecord(lr, res.Group, st, e, d)
			// PostgreSQL's parse and bind steps of a statement are not statements of their own.
			if agg != nil && e.Slow && (e.Phase == "" || e.Phase == "execute") {
				agg.Add(key, resource, fingerprint, e.Duration, int64(e.Counters["Rows_examined"]))
			}
			n++
			if e.Malformed {
				malformed++
			}
		}
	}
	if malformed > 0 {
		s.tb.ReceiverAwsrdsSlowQueryMalformed.Add(context.Background(), int64(malformed),
			metric.WithAttributes(attribute.String("log_type", res.Group.Type)))
	}
	return n
}

// slowRecord fills lr from e and returns the statement's fingerprint ("" for other text).
func (s *logsScraper) slowRecord(lr plog.LogRecord, g rdslogs.Group, stream string, e *slowlog.Entry, d slowlog.Dialect) string {
	ts := e.EventTime
	if e.Slow {
		ts = e.Time
	}
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(e.Ingested))
	sev, text := rdslogs.Severity(g.Type, e.Raw)
	lr.SetSeverityNumber(sev)
	lr.SetSeverityText(text)
	attrs := lr.Attributes()
	attrs.PutStr(attrLogType, g.Type)
	attrs.PutStr(attrLogGroup, g.Name)
	attrs.PutStr(attrLogStream, stream)
	if !e.Slow {
		lr.Body().SetStr(e.Raw)
		return ""
	}
	cfg := s.cfg.Logs.SlowQueries
	normalized := slowlog.Normalize(e.Statement, d)
	switch cfg.QueryText {
	case QueryTextKeep:
		lr.Body().SetStr(e.Raw)
		attrs.PutStr("db.query.text", e.Statement)
	case QueryTextTruncate:
		lr.Body().SetStr(normalized)
		attrs.PutStr("db.query.text", truncateUTF8(e.Statement, cfg.MaxQueryTextLength))
	default:
		lr.Body().SetStr(normalized)
	}
	attrs.PutStr(attrSlowNormalized, normalized)
	fingerprint := slowlog.Fingerprint(normalized)
	attrs.PutStr(attrSlowFingerprint, fingerprint)
	if op, _, _ := strings.Cut(normalized, " "); op != "" && op != "?" {
		attrs.PutStr("db.operation.name", strings.ToUpper(op))
	}
	attrs.PutDouble(attrSlowDuration, e.Duration)
	putStr := func(k, v string) {
		if v != "" {
			attrs.PutStr(k, v)
		}
	}
	putStr("db.namespace", e.Database)
	putStr("user.name", e.User)
	putStr("client.address", e.ClientAddress)
	if e.ClientPort > 0 {
		attrs.PutInt("client.port", int64(e.ClientPort))
	}
	putStr(attrSlowPhase, e.Phase)
	putStr(attrSlowPlan, e.Plan)
	if d == slowlog.MySQL {
		attrs.PutDouble(attrSlowLockTime, e.LockTime)
		attrs.PutInt(attrSlowThreadID, e.ThreadID)
	} else {
		attrs.PutInt(attrSlowPID, e.PID)
	}
	for name, v := range e.Counters {
		if name == "Rows_sent" {
			attrs.PutInt("db.response.returned_rows", int64(v))
			continue
		}
		k := attrSlowPrefix + strings.ToLower(name)
		if v == float64(int64(v)) {
			attrs.PutInt(k, int64(v))
		} else {
			attrs.PutDouble(k, v)
		}
	}
	return fingerprint
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
