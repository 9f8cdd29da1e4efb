package awsrdsreceiver

import (
	"context"
	"database/sql"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadatatest"
	"github.com/otelcol-rds/awsrdsreceiver/internal/slowlog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// slowWant is what the test knows of one slow statement it ran.
type slowWant struct {
	text, normalized, op string
	phase                string
	rowsSent             int64 // -1: not in this format
	rowsExamined         int64
	rowsAffected         int64
	minDuration          float64
	plan                 bool
}

// workloadSession is what the test asked the server about the session that ran it.
type workloadSession struct {
	thread, pid int64
	port        int
}

// splitEvents cuts a log into the events the test ships: before every line that
// starts looks like an entry's start (independent of the parser under test).
func splitEvents(text string, start *regexp.Regexp) []string {
	var out []string
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	cur := []string{}
	for i, l := range lines {
		if i > 0 && start.MatchString(l) && !strings.HasPrefix(lines[i-1], "# Time: ") {
			out = append(out, strings.Join(cur, "\n"))
			cur = nil
		}
		cur = append(cur, l)
	}
	return append(out, strings.Join(cur, "\n"))
}

// mariadbSlowLog runs a known workload on a real MariaDB with its slow query log on
// (long_query_time=0) and returns what the server wrote, and the workload.
func mariadbSlowLog(t *testing.T) (string, []slowWant, workloadSession) {
	m := testdb.StartMariaDB(t)
	path := m.Dir() + "/slow.log"
	m.Exec(t, "SET GLOBAL slow_query_log_file = '"+path+"'", "SET GLOBAL long_query_time = 0", "SET GLOBAL slow_query_log = 1")
	db, err := sql.Open("mysql", m.DSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	var ws workloadSession
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&ws.thread))
	want := []slowWant{
		{text: "SELECT CONNECTION_ID()", normalized: "select connection_id()", op: "SELECT", rowsSent: 1},
		{text: "INSERT INTO scratch (id) VALUES (1), (2), (3), (4), (5)", normalized: "insert into scratch(id) values(?+)", op: "INSERT", rowsAffected: 5},
		{text: "SELECT id FROM scratch WHERE id IN (1, 2, 3)", normalized: "select id from scratch where id in(?+)", op: "SELECT", rowsSent: 3, rowsExamined: 5},
		{text: "SELECT 'it''s' AS a, /* why */ SLEEP(0.05)", normalized: "select ? as a, sleep(?)", op: "SELECT", rowsSent: 1, minDuration: 0.05},
		{text: "SELECT COUNT(*)\nFROM scratch\nWHERE id > 2", normalized: "select count(*) from scratch where id > ?", op: "SELECT", rowsSent: 1, rowsExamined: 5},
		{text: "UPDATE scratch SET id = id + 10 WHERE id = 5", normalized: "update scratch set id = id + ? where id = ?", op: "UPDATE", rowsAffected: 1, rowsExamined: 5},
		{text: "DELETE FROM scratch WHERE id > 100", normalized: "delete from scratch where id > ?", op: "DELETE", rowsExamined: 5},
	}
	for _, w := range want[1:] {
		rows, err := conn.QueryContext(ctx, w.text)
		require.NoError(t, err, w.text)
		for rows.Next() {
		}
		require.NoError(t, rows.Close())
	}
	// The server writes an entry after it answered the statement.
	var text string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(path)
		text = string(b)
		return err == nil && strings.Contains(text, want[len(want)-1].text)
	}, 10*time.Second, 10*time.Millisecond)
	return text, want, ws
}

// postgresSlowLog runs a known workload on a real PostgreSQL with
// log_min_duration_statement=0, RDS's log_line_prefix and auto_explain for statements
// of 40 ms or more, and returns what the server wrote from then on.
func postgresSlowLog(t *testing.T) (string, []slowWant, [2]workloadSession) {
	pg := testdb.StartPostgres(t)
	pg.Exec(t,
		"ALTER SYSTEM SET log_min_duration_statement = 0",
		"ALTER SYSTEM SET log_line_prefix = '%t:%r:%u@%d:[%p]:'",
		"ALTER SYSTEM SET auto_explain.log_min_duration = '40ms'",
		"SELECT pg_reload_conf()")
	time.Sleep(200 * time.Millisecond) // the postmaster rereads its configuration asynchronously
	st, err := os.Stat(pg.LogFile())
	require.NoError(t, err)
	offset := st.Size()

	ctx := context.Background()
	var ws [2]workloadSession
	// Simple protocol: "statement:" lines.
	simple, err := sql.Open("pgx", pg.DSN()+"&default_query_exec_mode=simple_protocol")
	require.NoError(t, err)
	defer simple.Close()
	conn, err := simple.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.QueryRowContext(ctx, "SELECT pg_backend_pid(), inet_client_port()").Scan(&ws[0].pid, &ws[0].port))
	want := []slowWant{
		{text: "SELECT pg_backend_pid(), inet_client_port()", normalized: "select pg_backend_pid(), inet_client_port()", op: "SELECT"},
		{text: "SELECT 'it''s' AS a, pg_sleep(0.05)", normalized: "select ? as a, pg_sleep(?)", op: "SELECT", minDuration: 0.05},
		{text: "SELECT 'it''s' AS a, pg_sleep(0.05)", normalized: "select ? as a, pg_sleep(?)", op: "SELECT", minDuration: 0.04, plan: true},
		{text: "SELECT count(*)\nFROM scratch\nWHERE id IN (1, 2, 3)", normalized: "select count(*) from scratch where id in(?+)", op: "SELECT"},
	}
	for _, q := range []string{want[1].text, want[3].text} {
		_, err := conn.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	// Extended protocol: parse, bind and execute durations, and a DETAIL line.
	ext, err := sql.Open("pgx", pg.DSN())
	require.NoError(t, err)
	defer ext.Close()
	econn, err := ext.Conn(ctx)
	require.NoError(t, err)
	defer econn.Close()
	const q = "SELECT id FROM scratch WHERE id = $1"
	var id sql.NullInt64
	require.ErrorIs(t, econn.QueryRowContext(ctx, q, 7).Scan(&id), sql.ErrNoRows)
	require.NoError(t, econn.QueryRowContext(ctx, "SELECT pg_backend_pid(), inet_client_port()").Scan(&ws[1].pid, &ws[1].port))
	for _, phase := range []string{"parse", "bind", "execute"} {
		want = append(want, slowWant{text: q, normalized: "select id from scratch where id = ?", op: "SELECT", phase: phase},
			slowWant{text: want[0].text, normalized: want[0].normalized, op: "SELECT", phase: phase})
	}
	time.Sleep(100 * time.Millisecond) // stderr reaches the file
	b, err := os.ReadFile(pg.LogFile())
	require.NoError(t, err)
	return string(b[offset:]), want, ws
}

var (
	mysqlEntryStart = regexp.MustCompile(`^# (Time|User@Host): `)
	pgLineStart     = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d`)
	rawQueryTime    = regexp.MustCompile(`# Query_time: ([\d.]+)  Lock_time: ([\d.]+)`)
	rawBytesSent    = regexp.MustCompile(`Bytes_sent: (\d+)`)
	rawPGDuration   = regexp.MustCompile(`duration: ([\d.]+) ms`)
)

// TestSlowQueryLogsFromRealServers ships what real MariaDB 10.11 and PostgreSQL 15
// servers wrote to their slow logs, and a MySQL 8 sample, through the simulator's
// CloudWatch Logs, with entries split over events, merged into one event and split
// across two reads, and checks every attribute of every record.
func TestSlowQueryLogsFromRealServers(t *testing.T) {
	begin := time.Now().Add(-time.Second)
	mariaLog, mariaWant, mariaSession := mariadbSlowLog(t)
	pgLog, pgWant, pgSessions := postgresSlowLog(t)
	end := time.Now().Add(time.Second)

	h := newLogsHarness(t, func(c *Config) {
		c.Logs.InitialLookback = 10 * time.Minute
		c.Logs.SlowQueries.MetricsTopK = 3
	})
	lastVisible := t0.Add(-10 * time.Second) // ingested 5 s later: the last event of the first read

	// MariaDB: the file's header (no entry: kept raw, counted), entries one per event,
	// except the first (its # Time: line alone, then the rest), the 2nd and 3rd in one
	// event, and the last split across the two reads.
	entries := splitEvents(mariaLog, mysqlEntryStart)
	require.True(t, strings.HasPrefix(entries[0], "/usr/sbin/mariadbd"), "MariaDB writes a header: %q", entries[0])
	require.Len(t, entries, 1+len(mariaWant), mariaLog)
	first := strings.SplitN(entries[1], "\n", 2)
	require.True(t, strings.HasPrefix(first[0], "# Time: "))
	lastEntry := entries[len(entries)-1]
	cut := strings.Index(lastEntry, "\nSET timestamp=")
	mariaEvents := append([]string{entries[0], first[0], first[1], entries[2] + "\n" + entries[3]}, entries[4:len(entries)-1]...)
	mariaEvents = append(mariaEvents, lastEntry[:cut], lastEntry[cut+1:])
	group := "/aws/rds/instance/mysql-a/slowquery"
	h.sim.SetLogMessages(group, "mysql-a", lastVisible.Add(-time.Duration(len(mariaEvents)-2)*logSlotForTest), mariaEvents)

	// PostgreSQL: one event per message, except a duration and the DETAIL after it in one.
	pgEvents := splitEvents(pgLog, pgLineStart)
	for i := 0; i+1 < len(pgEvents); i++ {
		if strings.Contains(pgEvents[i], "execute ") && strings.Contains(pgEvents[i+1], "DETAIL:  parameters") {
			pgEvents = append(pgEvents[:i], append([]string{pgEvents[i] + "\n" + pgEvents[i+1]}, pgEvents[i+2:]...)...)
			break
		}
	}
	h.sim.SetLogMessages("/aws/rds/instance/pg-a/postgresql", "pg-a", lastVisible.Add(-time.Duration(len(pgEvents)-1)*logSlotForTest), pgEvents)

	// MySQL 8 sample on Aurora MySQL 3's cluster group.
	sample, err := os.ReadFile("testdata/slowlog/mysql8-slow.log")
	require.NoError(t, err)
	mysql8Events := splitEvents(string(sample), mysqlEntryStart)
	require.Len(t, mysql8Events, 2)
	h.sim.SetLogMessages("/aws/rds/cluster/aurora-a/slowquery", "aurora-a-1", lastVisible.Add(-logSlotForTest), mysql8Events)

	ld1, err := h.logsScraper.scrape(context.Background())
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	ld2, err := h.logsScraper.scrape(context.Background())
	require.NoError(t, err)

	checkSlowMetrics(t, h, ld1, ld2)

	// MariaDB
	// Our events are the last of the first read, after generated ones.
	got := lastN(slowRecords(ld1, group, "mysql-a"), len(mariaWant))
	require.Len(t, got, len(mariaWant))
	for _, lr := range got {
		assert.NotContains(t, lr.Body().Str(), "DELETE", "the last entry waits for its end")
	}
	got = append(got, slowRecords(ld2, group, "mysql-a")[:1]...)
	require.Len(t, got, 1+len(mariaWant))
	header := got[0]
	assert.Equal(t, entries[0], header.Body().Str(), "kept raw")
	assert.Equal(t, map[string]any{attrLogType: "slowquery", attrLogGroup: group, attrLogStream: "mysql-a"}, header.Attributes().AsRaw())
	metadatatest.AssertEqualReceiverAwsrdsSlowQueryMalformed(t, h.tel, []metricdata.DataPoint[int64]{{
		Value: 1, Attributes: attribute.NewSet(attribute.String("log_type", "slowquery")),
	}}, metricdatatest.IgnoreTimestamp())
	for i, w := range mariaWant {
		lr, raw := got[1+i], entries[1+i]
		qt := rawQueryTime.FindStringSubmatch(raw)
		bs := rawBytesSent.FindStringSubmatch(raw)
		require.NotNil(t, qt, raw)
		require.NotNil(t, bs, raw)
		duration, _ := strconv.ParseFloat(qt[1], 64)
		lock, _ := strconv.ParseFloat(qt[2], 64)
		bytesSent, _ := strconv.ParseInt(bs[1], 10, 64)
		assert.GreaterOrEqual(t, duration, w.minDuration)
		assert.Equal(t, raw, lr.Body().Str(), "body: the entry as logged")
		assert.Equal(t, map[string]any{
			attrLogType: "slowquery", attrLogGroup: group, attrLogStream: "mysql-a",
			"db.query.text": w.text, attrSlowNormalized: w.normalized, attrSlowFingerprint: slowlog.Fingerprint(w.normalized),
			"db.operation.name": w.op, "db.namespace": "app", "user.name": "otel", "client.address": "127.0.0.1",
			attrSlowDuration: duration, attrSlowLockTime: lock, attrSlowThreadID: mariaSession.thread,
			"db.response.returned_rows": w.rowsSent, attrSlowPrefix + "rows_examined": w.rowsExamined,
			attrSlowPrefix + "rows_affected": w.rowsAffected, attrSlowPrefix + "bytes_sent": bytesSent,
		}, lr.Attributes().AsRaw(), "%d: %s", i, raw)
		ts := lr.Timestamp().AsTime()
		assert.True(t, !ts.Before(begin.Truncate(time.Second)) && ts.Before(end), "%v in the workload's time", ts)
	}

	// PostgreSQL
	pgGot := append(slowRecords(ld1, "/aws/rds/instance/pg-a/postgresql", "pg-a"), slowRecords(ld2, "/aws/rds/instance/pg-a/postgresql", "pg-a")...)
	matched := make([]int, len(pgWant))
	details := 0
	for _, lr := range pgGot {
		attrs := lr.Attributes().AsRaw()
		if strings.Contains(lr.Body().Str(), ":otel@app:") && strings.Contains(lr.Body().Str(), ":DETAIL:  parameters: $1 = '7'") {
			details++
			assert.Len(t, attrs, 3, "a DETAIL line stays a raw record: %v", attrs)
		}
		text, isSlow := attrs["db.query.text"]
		if !isSlow || attrs["user.name"] != "otel" {
			continue // generated events of the simulator
		}
		if text == "-- ping" {
			continue // database/sql's connection check
		}
		phase, _ := attrs[attrSlowPhase].(string)
		_, hasPlan := attrs[attrSlowPlan]
		i := -1
		for j, w := range pgWant {
			if w.text == text && w.phase == phase && w.plan == hasPlan {
				i = j
			}
		}
		require.GreaterOrEqual(t, i, 0, "unexpected slow record %v", attrs)
		w := pgWant[i]
		matched[i]++
		sess := pgSessions[0]
		if w.phase != "" {
			sess = pgSessions[1]
		}
		d := rawPGDuration.FindStringSubmatch(lr.Body().Str())
		require.NotNil(t, d)
		ms, _ := strconv.ParseFloat(d[1], 64)
		assert.GreaterOrEqual(t, ms/1000, w.minDuration)
		wantAttrs := map[string]any{
			attrLogType: "postgresql", attrLogGroup: "/aws/rds/instance/pg-a/postgresql", attrLogStream: "pg-a",
			"db.query.text": w.text, attrSlowNormalized: w.normalized, attrSlowFingerprint: slowlog.Fingerprint(w.normalized),
			"db.operation.name": w.op, "db.namespace": "app", "user.name": "otel", "client.address": "127.0.0.1",
			"client.port": int64(sess.port), attrSlowDuration: ms / 1000, attrSlowPID: sess.pid,
		}
		if w.phase != "" {
			wantAttrs[attrSlowPhase] = w.phase
		}
		if w.plan {
			plan, _ := attrs[attrSlowPlan].(string)
			assert.Contains(t, plan, "Result  (cost=")
			wantAttrs[attrSlowPlan] = plan
		}
		assert.Equal(t, wantAttrs, attrs, lr.Body().Str())
		ts := lr.Timestamp().AsTime()
		assert.True(t, !ts.Before(begin.Truncate(time.Second)) && ts.Before(end), "%v in the workload's time", ts)
	}
	want1 := make([]int, len(pgWant))
	for i := range want1 {
		want1[i] = 1
	}
	assert.Equal(t, want1, matched, "each statement and phase once")
	assert.Equal(t, 2, details, "bind and execute DETAIL lines, one split from its duration's event")

	// MySQL 8 sample
	m8 := lastN(slowRecords(ld1, "/aws/rds/cluster/aurora-a/slowquery", "aurora-a-1"), 2)
	require.Len(t, m8, 2)
	base := map[string]any{attrLogType: "slowquery", attrLogGroup: "/aws/rds/cluster/aurora-a/slowquery", attrLogStream: "aurora-a-1"}
	with := func(m map[string]any) map[string]any {
		for k, v := range base {
			m[k] = v
		}
		return m
	}
	n1 := "select * from orders where customer_id = ? and status in(?+) order by created_at desc limit ?"
	assert.Equal(t, with(map[string]any{
		"db.query.text":    "SELECT * FROM orders WHERE customer_id = 42 AND status IN ('new', 'paid') ORDER BY created_at DESC LIMIT 20",
		attrSlowNormalized: n1, attrSlowFingerprint: slowlog.Fingerprint(n1), "db.operation.name": "SELECT",
		"db.namespace": "checkout", "user.name": "checkout_rw", "client.address": "10.0.2.17",
		attrSlowDuration: 2.500012, attrSlowLockTime: 0.000105, attrSlowThreadID: int64(88),
		"db.response.returned_rows": int64(20), attrSlowPrefix + "rows_examined": int64(184220),
	}), m8[0].Attributes().AsRaw())
	assert.Equal(t, time.Date(2026, 11, 22, 9, 55, 1, 123456000, time.UTC), m8[0].Timestamp().AsTime())
	n2 := "select c.country, sum(o.total) from orders o join customers c on c.id = o.customer_id where o.created_at >= ? group by c.country"
	a2 := m8[1].Attributes().AsRaw()
	assert.Equal(t, "SELECT c.country, SUM(o.total)\n  FROM orders o JOIN customers c ON c.id = o.customer_id\n  WHERE o.created_at >= '2026-01-01' -- year to date\n  GROUP BY c.country", a2["db.query.text"])
	assert.Equal(t, n2, a2[attrSlowNormalized])
	assert.Equal(t, "10.0.3.9", a2["client.address"])
	assert.Equal(t, "report", a2["user.name"])
	assert.Equal(t, int64(1204), a2[attrSlowThreadID])
	assert.Equal(t, 12.0005, a2[attrSlowDuration])
	assert.Equal(t, int64(154), a2[attrSlowPrefix+"bytes_received"])
	assert.Equal(t, int64(71), a2[attrSlowPrefix+"bytes_sent"])
	assert.Equal(t, int64(5120001), a2[attrSlowPrefix+"read_rnd_next"])
	assert.Equal(t, int64(0), a2[attrSlowPrefix+"errno"])
	assert.Equal(t, int64(5120000), a2[attrSlowPrefix+"rows_examined"])
	assert.NotContains(t, a2, "db.namespace", "no use db; and no Schema: in MySQL 8's format")
	assert.Len(t, a2, len(base)+10+18, "the 18 counters of the log_slow_extra line besides Query_time, Lock_time, Rows_sent and Thread_id: %v", a2)
}

const logSlotForTest = 10 * time.Second

func lastN[T any](s []T, n int) []T { return s[max(0, len(s)-n):] }

// slowRecords are the records of group and stream in ld, in order.
func slowRecords(ld plog.Logs, group, stream string) []plog.LogRecord {
	var out []plog.LogRecord
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				g, _ := lrs.At(k).Attributes().Get(attrLogGroup)
				st, _ := lrs.At(k).Attributes().Get(attrLogStream)
				if g.Str() == group && st.Str() == stream {
					out = append(out, lrs.At(k))
				}
			}
		}
	}
	return out
}

// checkSlowMetrics: the metrics pipeline's slow query metrics are, per instance, the sums
// of the slow records the logs pipeline delivered, for the top 3 fingerprints by total
// duration and "other"; the next interval starts empty.
func checkSlowMetrics(t *testing.T, h *logsHarness, lds ...plog.Logs) {
	t.Helper()
	type sum struct {
		count, rows int64
		total, max  float64
	}
	add := func(m map[string]map[string]*sum, id, fp string) *sum {
		if m[id] == nil {
			m[id] = map[string]*sum{}
		}
		if m[id][fp] == nil {
			m[id][fp] = &sum{}
		}
		return m[id][fp]
	}
	want := map[string]map[string]*sum{} // instance -> fingerprint -> sums
	for _, ld := range lds {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			id, _ := rl.Resource().Attributes().Get("aws.rds.db_instance.identifier")
			lrs := rl.ScopeLogs().At(0).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				a := lrs.At(k).Attributes().AsRaw()
				fp, ok := a[attrSlowFingerprint].(string)
				if phase := a[attrSlowPhase]; !ok || phase == "parse" || phase == "bind" {
					continue // not a statement, or a step before its execution
				}
				s := add(want, id.Str(), fp)
				d := a[attrSlowDuration].(float64)
				rows, _ := a[attrSlowPrefix+"rows_examined"].(int64)
				s.count, s.total, s.max, s.rows = s.count+1, s.total+d, max(s.max, d), s.rows+rows
			}
		}
	}
	require.Contains(t, want, "mysql-a")
	require.Contains(t, want, "pg-a")
	for _, fps := range want {
		keys := make([]string, 0, len(fps))
		for fp := range fps {
			keys = append(keys, fp)
		}
		sort.Slice(keys, func(i, j int) bool {
			if fps[keys[i]].total != fps[keys[j]].total {
				return fps[keys[i]].total > fps[keys[j]].total
			}
			return keys[i] < keys[j]
		})
		if len(keys) > 3 {
			o := &sum{}
			for _, fp := range keys[3:] {
				s := fps[fp]
				o.count, o.total, o.max, o.rows = o.count+s.count, o.total+s.total, max(o.max, s.max), o.rows+s.rows
				delete(fps, fp)
			}
			fps["other"] = o
		}
	}
	require.Contains(t, want["mysql-a"], "other", "more than 3 fingerprints")

	md, err := h.scrape(t)
	require.NoError(t, err)
	got := map[string]map[string]*sum{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		id, _ := rm.Resource().Attributes().Get("aws.rds.db_instance.identifier")
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			m := ms.At(j)
			if !strings.HasPrefix(m.Name(), "aws.rds.slow_query.") {
				continue
			}
			var dps pmetric.NumberDataPointSlice
			if m.Type() == pmetric.MetricTypeSum {
				assert.Equal(t, pmetric.AggregationTemporalityDelta, m.Sum().AggregationTemporality())
				dps = m.Sum().DataPoints()
			} else {
				dps = m.Gauge().DataPoints()
			}
			for k := 0; k < dps.Len(); k++ {
				dp := dps.At(k)
				fp, _ := dp.Attributes().Get("db.query.fingerprint")
				s := add(got, id.Str(), fp.Str())
				switch m.Name() {
				case "aws.rds.slow_query.count":
					s.count = dp.IntValue()
				case "aws.rds.slow_query.duration":
					s.total = dp.DoubleValue()
				case "aws.rds.slow_query.duration.max":
					s.max = dp.DoubleValue()
				case "aws.rds.slow_query.rows_examined":
					s.rows = dp.IntValue()
				}
			}
		}
	}
	require.Len(t, got, len(want), "instances with slow statements")
	for id, fps := range want {
		require.Len(t, got[id], len(fps), id)
		for fp, w := range fps {
			g := got[id][fp]
			require.NotNil(t, g, "%s %s", id, fp)
			assert.Equal(t, w.count, g.count, "%s %s", id, fp)
			assert.InDelta(t, w.total, g.total, 1e-9, "%s %s", id, fp)
			assert.Equal(t, w.max, g.max, "%s %s", id, fp)
			assert.Equal(t, w.rows, g.rows, "%s %s", id, fp)
		}
	}

	h.clock.Advance(time.Minute)
	md, err = h.scrape(t)
	require.NoError(t, err)
	assert.NotContains(t, namesOf(md), "aws.rds.slow_query.count", "the next interval starts empty")
}
