package sqlquery

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/goleak"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// These tests run against real MariaDB and PostgreSQL servers (internal/testdb).

// goleak checks that Shutdown leaves no goroutine behind, after testdb stopped its servers.
func TestMain(m *testing.M) { goleak.VerifyTestMain(testdb.Runner(m)) }

// engine is what the tests need to know of each engine.
type engine struct {
	name   string
	shared func(testing.TB) *testdb.Server
	own    func(testing.TB) *testdb.Server
	// sessions is the engine's session-count query, attributes user and client.
	sessions QueryConfig
	// sleep runs 5 s; active counts the sessions still running it.
	sleep  string
	active func(sqlText string) string
	// ourSessions counts otel's sessions that show the receiver's name.
	ourSessions string
	// seq returns the integers 1 to 100,000 in column n.
	seq string
	// lock holds an exclusive lock on a table until the session ends or commits.
	lock func(table string) []string
	// valueTypes creates a table with one column of each type.
	valueTypes func(table string) []string
}

var engines = []engine{
	{
		name:   "mariadb",
		shared: testdb.SharedMariaDB,
		own:    testdb.StartMariaDB,
		sessions: QueryConfig{
			SQL:     "select user, substring_index(host, ':', 1) host, count(*) sessions from information_schema.processlist group by 1,2",
			Metrics: []MetricConfig{{Name: "db.sessions", ValueColumn: "sessions", AttributeColumns: []string{"user", "host"}, Unit: "{session}"}},
		},
		sleep: "select sleep(5)",
		active: func(sqlText string) string {
			// The text follows SET STATEMENT ... FOR.
			return fmt.Sprintf("select count(*) from information_schema.processlist where info like '%%%s'", sqlText)
		},
		ourSessions: `select count(*) from performance_schema.session_connect_attrs a
			join information_schema.processlist p on p.id = a.processlist_id
			where a.attr_name = 'program_name' and a.attr_value = 'otelcol-rds' and p.user = 'otel'`,
		seq:  "select seq as n from seq_1_to_100000",
		lock: func(table string) []string { return []string{"LOCK TABLES " + table + " WRITE"} },
		valueTypes: func(table string) []string {
			return []string{
				"drop table if exists " + table,
				"create table " + table + " (i int, big bigint, dec_v decimal(12,3), f float, d double, b boolean, numstr varchar(20), word varchar(20), nothing int)",
				"insert into " + table + " values (42, 9000000000, 12.345, 0.1, 2.5, true, '17.25', 'idle', null)",
			}
		},
	},
	{
		name:   "postgresql",
		shared: testdb.SharedPostgres,
		own:    testdb.StartPostgres,
		sessions: QueryConfig{
			SQL:     "select usename, coalesce(client_addr::text, 'local') as client, count(*) as sessions from pg_stat_activity where usename is not null group by 1, 2",
			Metrics: []MetricConfig{{Name: "db.sessions", ValueColumn: "sessions", AttributeColumns: []string{"usename", "client"}, Unit: "{session}"}},
		},
		sleep: "select pg_sleep(5)",
		active: func(sqlText string) string {
			return fmt.Sprintf("select count(*) from pg_stat_activity where state <> 'idle' and query = '%s'", sqlText)
		},
		ourSessions: "select count(*) from pg_stat_activity where application_name = 'otelcol-rds' and usename = 'otel'",
		seq:         "select n from generate_series(1, 100000) n",
		lock: func(table string) []string {
			return []string{"BEGIN", "LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE"}
		},
		valueTypes: func(table string) []string {
			return []string{
				"drop table if exists " + table,
				"create table " + table + " (i int, big bigint, dec_v numeric(12,3), f real, d double precision, b boolean, numstr text, word text, nothing int)",
				"insert into " + table + " values (42, 9000000000, 12.345, 0.1, 2.5, true, '17.25', 'idle', null)",
			}
		},
	},
}

// forEngine runs f for each engine, in parallel.
func forEngine(t *testing.T, f func(t *testing.T, e engine)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			f(t, e)
		})
	}
}

// targetOf is the static target of a test server, by host and credentials; in
// plaintext unless the server has TLS.
func targetOf(s *testdb.Server, name string) Target {
	t := Target{Name: name, Engine: s.Engine, Host: s.Host, Port: s.Port, Static: true,
		Credentials: Credentials{Username: s.User, Password: configopaque.String(s.Password), Database: s.Database}}
	if s.CA == nil {
		t.Credentials.TLS.Insecure = true
	}
	return t
}

func queryOn(q QueryConfig, name string, targets ...string) QueryConfig {
	q.Name, q.Targets = name, targets
	return q
}

func count(t *testing.T, db *sql.DB, query string) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRowContext(context.Background(), query).Scan(&n), query)
	return n
}

// points returns a metric's datapoints as attributes -> value.
func points(t *testing.T, m pmetric.Metric) map[string]any {
	t.Helper()
	var dps pmetric.NumberDataPointSlice
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		dps = m.Gauge().DataPoints()
	case pmetric.MetricTypeSum:
		dps = m.Sum().DataPoints()
	default:
		t.Fatalf("metric %s: type %v", m.Name(), m.Type())
	}
	out := map[string]any{}
	for i := range dps.Len() {
		dp := dps.At(i)
		var keys []string
		for k, v := range dp.Attributes().All() {
			keys = append(keys, k+"="+v.AsString())
		}
		key := strings.Join(keys, ",")
		if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
			out[key] = dp.IntValue()
		} else {
			out[key] = dp.DoubleValue()
		}
	}
	return out
}

// The processlist query exactly as users write it, on a target by host and one by DSN;
// the sessions carry the receiver's name, and every connection is back in the pool.
func TestSessionsQuery(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		byDSN := Target{Name: "by_dsn", Engine: s.Engine, DSN: configopaque.String(s.DSN()), Static: true,
			Credentials: Credentials{TLS: configtls.ClientConfig{Insecure: true}}}
		h := newHarness(t, Config{Queries: []QueryConfig{queryOn(e.sessions, "sessions", "by_host", "by_dsn")}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "by_host"), byDSN})

		results := h.Collect(context.Background(), time.Now())
		require.Len(t, results, 2)
		for _, r := range results {
			require.Empty(t, r.Errs, r.Target.Name)
			require.Equal(t, 1, r.Metrics.Len(), "one metric per configured metric")
			m := r.Metrics.At(0)
			assert.Equal(t, "db.sessions", m.Name())
			assert.Equal(t, "{session}", m.Unit())
			got := points(t, m)
			var user, client string
			if e.name == "mariadb" {
				user, client = "user=otel", "host=127.0.0.1"
			} else {
				user, client = "usename=otel", "client=127.0.0.1"
			}
			if e.name == "postgresql" {
				client += "/32" // inet::text
			}
			v, ok := got[user+","+client]
			require.True(t, ok, "%s: no datapoint for otel from 127.0.0.1 in %v", r.Target.Name, got)
			assert.GreaterOrEqual(t, v, int64(1))
			assert.EqualValues(t, 1, h.runs(t, "sessions", r.Target.Name, outcomeSuccess))
			assert.EqualValues(t, 1, h.value(t, "sql_target_up", map[string]string{"target": r.Target.Name}))
		}
		assert.NotContains(t, h.logText(), s.Password)
		// Both pools keep an idle connection named after the receiver.
		assert.GreaterOrEqual(t, count(t, s.Admin(t), e.ourSessions), 2)
		for _, ts := range h.targets {
			st := ts.pool.db.Stats()
			assert.Zero(t, st.InUse, "rows and transactions are closed")
			assert.Equal(t, 1, st.MaxOpenConnections, "one connection per query of the target")
		}
	})
}

// NaN and infinities, from a string or a float column, are counted row errors and never
// datapoints; the finite row beside them is emitted.
func TestNonFiniteValuesAreRowErrors(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		sqlText := "select 'a' as k, 'NaN' as v union all select 'b', 'Infinity' union all select 'c', '-inf' union all select 'd', '1.5'"
		if e.name == "postgresql" {
			sqlText = "select 'a' as k, 'NaN'::float8 as v union all select 'b', 'Infinity'::float8 union all select 'c', '-Infinity'::numeric union all select 'd', 1.5"
		}
		q := QueryConfig{Name: "nonfinite", SQL: sqlText, Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "v", ValueColumn: "v", AttributeColumns: []string{"k"}}}}
		h := newHarness(t, Config{Queries: []QueryConfig{q}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")
		require.Empty(t, r.Errs)
		m, ok := metricByName(r.Metrics, "v")
		require.True(t, ok)
		assert.Equal(t, map[string]any{"k=d": 1.5}, points(t, m))
		assert.EqualValues(t, 3, h.value(t, "sql_row_errors", map[string]string{"query": "nonfinite", "reason": reasonNotNumeric}))
	})
}

func TestValueTypes(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		s.Exec(t, e.valueTypes("value_types")...)
		metric := func(name, column, null string) MetricConfig {
			return MetricConfig{Name: name, ValueColumn: column, OnNull: null}
		}
		q := QueryConfig{Name: "types", SQL: "select * from value_types", Targets: []string{"db"}, Metrics: []MetricConfig{
			metric("int", "i", ""), metric("bigint", "big", ""), metric("decimal", "dec_v", ""), metric("float", "f", ""),
			metric("double", "d", ""), metric("bool", "b", ""), metric("numeric_string", "numstr", ""),
			metric("word", "word", ""), metric("null_skipped", "nothing", ""), metric("null_zero", "nothing", NullZero),
			metric("missing", "no_such_column", ""),
		}}
		h := newHarness(t, Config{Queries: []QueryConfig{q}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")

		got := map[string]any{}
		for i := range r.Metrics.Len() {
			got[r.Metrics.At(i).Name()] = points(t, r.Metrics.At(i))[""]
		}
		assert.Equal(t, map[string]any{
			"int": int64(42), "bigint": int64(9000000000), "decimal": 12.345, "float": 0.1, "double": 2.5,
			"bool": int64(1), "numeric_string": 17.25, "null_zero": int64(0),
		}, got)
		require.Len(t, r.Errs, 1, "only the missing column is an error")
		assert.Equal(t, `sql target "db": query "types": metric "missing": column "no_such_column" not in the result (columns: i, big, dec_v, f, d, b, numstr, word, nothing)`, r.Errs[0].Error())
		assert.EqualValues(t, 1, h.runs(t, "types", "db", outcomeSuccess))
		assert.EqualValues(t, 1, h.value(t, "sql_rows", map[string]string{"query": "types"}))
		for reason, n := range map[string]int64{reasonNotNumeric: 1, reasonNull: 2, reasonMissingColumn: 1} {
			assert.Equal(t, n, h.value(t, "sql_row_errors", map[string]string{"query": "types", "target": "db", "reason": reason}), reason)
		}
	})
}

// A query slower than its timeout times out on its own: it is gone from the server
// shortly after, and the other queries' metrics come in the same Collect.
func TestSlowQueryIsolated(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		slow := QueryConfig{Name: "slow", SQL: e.sleep, Targets: []string{"db"}, Timeout: time.Second,
			Metrics: []MetricConfig{{Name: "slept", ValueColumn: "slept"}}}
		one := QueryConfig{Name: "one", SQL: "select 1 as one", Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "one", ValueColumn: "one"}}}
		h := newHarness(t, Config{Queries: []QueryConfig{slow, queryOn(e.sessions, "sessions", "db"), one}}, 10*time.Second)
		h.SetTargets([]Target{targetOf(s, "db")})

		start := time.Now()
		r := resultFor(t, h.Collect(context.Background(), start), "db")
		elapsed := time.Since(start)
		assert.Less(t, elapsed, 2*time.Second, "Collect waits for the slow query only up to its timeout")
		assert.GreaterOrEqual(t, elapsed, 900*time.Millisecond)

		_, ok := metricByName(r.Metrics, "db.sessions")
		assert.True(t, ok, "sessions delivered")
		_, ok = metricByName(r.Metrics, "one")
		assert.True(t, ok, "one delivered")
		// The fast queries had connections of their own: the slow one delayed neither.
		for _, entry := range h.logs.FilterMessage("SQL query run").All() {
			if q := entry.ContextMap()["query"]; q != "slow" {
				assert.Less(t, entry.ContextMap()["duration"].(time.Duration), 500*time.Millisecond, q)
			}
		}
		require.Len(t, r.Errs, 1)
		assert.Contains(t, r.Errs[0].Error(), `query "slow": timed out after 1s`)
		assert.NotContains(t, r.Errs[0].Error(), e.sleep)
		assert.EqualValues(t, 1, h.runs(t, "slow", "db", outcomeTimeout))
		assert.EqualValues(t, 1, h.runs(t, "one", "db", outcomeSuccess))

		admin := s.Admin(t)
		assert.Eventually(t, func() bool { return count(t, admin, e.active(e.sleep)) == 0 }, 2*time.Second, 50*time.Millisecond,
			"the timed-out statement still runs on the server")
		assert.NotContains(t, h.logText(), e.sleep)

		// The pool is fine afterwards.
		r = resultFor(t, h.Collect(context.Background(), start.Add(10*time.Second)), "db")
		_, ok = metricByName(r.Metrics, "one")
		assert.True(t, ok)
	})
}

// The server stops between collections, then comes back: errors (one connection
// attempt per cycle while it is down), then, in the first cycle after it is back, every
// query succeeds, with the same Collector and pool.
func TestServerRestart(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.own(t)
		step := 10 * time.Second
		one := QueryConfig{Name: "one", SQL: "select 1 as one", Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "one", ValueColumn: "one"}}}
		two := QueryConfig{Name: "two", SQL: "select 2 as two", Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "two", ValueColumn: "two"}}}
		h := newHarness(t, Config{Queries: []QueryConfig{one, two}}, step)
		h.SetTargets([]Target{targetOf(s, "db")})
		up := func() int64 { return h.value(t, "sql_target_up", map[string]string{"target": "db"}) }

		t0 := time.Now()
		r := resultFor(t, h.Collect(context.Background(), t0), "db")
		require.Empty(t, r.Errs)
		require.Equal(t, 2, r.Metrics.Len())
		assert.EqualValues(t, 1, up())

		s.Stop(t)
		cycle := 1
		for ; cycle <= 4; cycle++ {
			r = resultFor(t, h.Collect(context.Background(), t0.Add(time.Duration(cycle)*step)), "db")
			require.NotEmpty(t, r.Errs, "cycle %d", cycle)
			assert.Equal(t, 0, r.Metrics.Len())
			assert.EqualValues(t, 0, up())
			assert.NotContains(t, joinErrs(r.Errs), s.Password)
		}

		s.Start(t)
		r = resultFor(t, h.Collect(context.Background(), t0.Add(time.Duration(cycle)*step)), "db")
		require.Empty(t, r.Errs, "recovered in the first cycle after the server is back")
		require.Equal(t, 2, r.Metrics.Len())
		assert.EqualValues(t, 1, up())
		assert.EqualValues(t, 2, h.runs(t, "one", "db", outcomeSuccess))
		assert.EqualValues(t, 2, h.runs(t, "two", "db", outcomeSuccess))
		assert.NotContains(t, h.logText(), s.Password)
		assert.Equal(t, 1, h.logs.FilterMessage("SQL target reachable again").Len())
	})
}

func TestWritingQueryRejected(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		q := QueryConfig{Name: "writer", SQL: "insert into scratch values (1)", Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "w", ValueColumn: "id"}}}
		h := newHarness(t, Config{Queries: []QueryConfig{q}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")
		require.Len(t, r.Errs, 1)
		msg := r.Errs[0].Error()
		assert.Contains(t, msg, `query "writer": rejected: the session is read-only`)
		assert.NotContains(t, msg, "insert into scratch")
		assert.EqualValues(t, 1, h.runs(t, "writer", "db", outcomeError))
		assert.Zero(t, count(t, s.Admin(t), "select count(*) from scratch"))
	})
}

// 100,000 rows, max_series 1,000: 1,000 datapoints, 99,000 counted as dropped.
func TestSeriesCapOn100kRows(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		q := QueryConfig{Name: "many", SQL: e.seq, Targets: []string{"db"}, MaxSeries: 1000,
			Metrics: []MetricConfig{{Name: "n", ValueColumn: "n", AttributeColumns: []string{"id"}}}}
		// The attribute is the same column under another name.
		q.SQL = strings.Replace(q.SQL, " n", " n, n as id", 1)
		if e.name == "mariadb" {
			q.SQL = "select seq as n, seq as id from seq_1_to_100000"
		}
		h := newHarness(t, Config{Queries: []QueryConfig{q}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")
		require.Empty(t, r.Errs)
		m, ok := metricByName(r.Metrics, "n")
		require.True(t, ok)
		assert.Equal(t, 1000, m.Gauge().DataPoints().Len())
		assert.EqualValues(t, 100000, h.value(t, "sql_rows", map[string]string{"query": "many"}))
		assert.EqualValues(t, 99000, h.value(t, "sql_series_dropped", map[string]string{"query": "many", "reason": reasonCardinality}))
	})
}

func TestDuplicateAttributeSets(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		sqlText := "select 'a' as k, 1 as v union all select 'a', 2 union all select 'b', 3"
		var queries []QueryConfig
		for _, policy := range []string{DuplicatesFirst, DuplicatesSum, DuplicatesLast} {
			queries = append(queries, QueryConfig{Name: "dup_" + policy, SQL: sqlText, Targets: []string{"db"}, Duplicates: policy,
				Metrics: []MetricConfig{{Name: "dup." + policy, ValueColumn: "v", AttributeColumns: []string{"k"}}}})
		}
		h := newHarness(t, Config{Queries: queries}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")
		require.Empty(t, r.Errs)
		want := map[string]map[string]any{
			"dup.first": {"k=a": int64(1), "k=b": int64(3)},
			"dup.sum":   {"k=a": int64(3), "k=b": int64(3)},
			"dup.last":  {"k=a": int64(2), "k=b": int64(3)},
		}
		for name, w := range want {
			m, ok := metricByName(r.Metrics, name)
			require.True(t, ok, name)
			assert.Equal(t, w, points(t, m), name)
		}
		assert.EqualValues(t, 3, h.value(t, "sql_series_dropped", map[string]string{"reason": reasonDuplicate}))
	})
}

// Queries run concurrently, at most max_concurrency_per_target at a time on a target
// and max_concurrency overall.
func TestConcurrencyBounds(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		nap := strings.Replace(e.sleep, "5", "0.25", 1) + " as slept"
		naps := func(n int, targets ...string) []QueryConfig {
			var queries []QueryConfig
			for i := range n {
				queries = append(queries, QueryConfig{Name: fmt.Sprintf("nap%d", i), SQL: nap, Targets: targets,
					Metrics: []MetricConfig{{Name: fmt.Sprintf("nap%d", i), ValueColumn: "slept"}}})
			}
			return queries
		}
		tests := []struct {
			name          string
			cfg           Config
			targets       []string
			min, max      time.Duration
			maxOpenPerTgt int
		}{
			// 4 naps on one target, 2 at a time: two rounds (one after the other: four).
			{"per target", Config{Queries: naps(4, "a"), MaxConcurrencyPerTarget: 2}, []string{"a"}, 500 * time.Millisecond, 950 * time.Millisecond, 2},
			// 3 naps on each of 2 targets, 2 at a time per target but 2 overall: three rounds (six one after the other).
			{"overall", Config{Queries: naps(3, "a", "b"), MaxConcurrency: 2, MaxConcurrencyPerTarget: 2}, []string{"a", "b"}, 750 * time.Millisecond, 1400 * time.Millisecond, 2},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, tt.cfg, time.Minute)
				var targets []Target
				for _, name := range tt.targets {
					targets = append(targets, targetOf(s, name))
				}
				h.SetTargets(targets)
				start := time.Now()
				results := h.Collect(context.Background(), start)
				elapsed := time.Since(start)
				for _, r := range results {
					require.Empty(t, r.Errs)
				}
				assert.GreaterOrEqual(t, elapsed, tt.min)
				assert.Less(t, elapsed, tt.max)
				for _, ts := range h.targets {
					assert.Equal(t, tt.maxOpenPerTgt, ts.pool.db.Stats().MaxOpenConnections)
				}
			})
		}
	})
}

// Shutdown is bounded even with a query blocked on a lock, and the blocked statement
// is gone from the server afterwards.
func TestShutdownWithHungQuery(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		s.Exec(t, "drop table if exists hung", "create table hung (id int)")
		admin := s.Admin(t)
		ctx := context.Background()
		lock, err := admin.Conn(ctx)
		require.NoError(t, err)
		defer lock.Close()
		for _, stmt := range e.lock("hung") {
			_, err := lock.ExecContext(ctx, stmt)
			require.NoError(t, err)
		}

		blocked := "select count(*) as n from hung"
		q := QueryConfig{Name: "blocked", SQL: blocked, Targets: []string{"db"}, Timeout: 20 * time.Second,
			Metrics: []MetricConfig{{Name: "n", ValueColumn: "n"}}}
		h := newHarness(t, Config{Queries: []QueryConfig{q}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})

		var wg sync.WaitGroup
		wg.Add(1)
		var results []Result
		go func() {
			defer wg.Done()
			results = h.Collect(ctx, time.Now())
		}()
		require.Eventually(t, func() bool { return count(t, admin, e.active(blocked)) == 1 }, 5*time.Second, 20*time.Millisecond,
			"the query never got blocked")

		start := time.Now()
		sctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		err = h.Shutdown(sctx)
		assert.NoError(t, err)
		assert.Less(t, time.Since(start), 3*time.Second)
		wg.Wait()
		assert.Less(t, time.Since(start), 3*time.Second, "Collect returned with Shutdown")
		r := resultFor(t, results, "db")
		require.Len(t, r.Errs, 1)
		assert.EqualValues(t, 1, h.runs(t, "blocked", "db", outcomeCanceled))
		assert.Eventually(t, func() bool { return count(t, admin, e.active(blocked)) == 0 }, 2*time.Second, 50*time.Millisecond,
			"the blocked statement still runs on the server")
		assert.Nil(t, h.Collect(ctx, time.Now()), "nothing runs after Shutdown")
	})
}

// Each query runs on its own interval, a multiple of the collection interval.
func TestQueryIntervals(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		step := 10 * time.Second
		every := QueryConfig{Name: "every", SQL: "select 1 as one", Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "every", ValueColumn: "one"}}}
		rare := QueryConfig{Name: "rare", SQL: "select 1 as one", Targets: []string{"db"}, Interval: 3 * step, Metrics: []MetricConfig{{Name: "rare", ValueColumn: "one"}}}
		h := newHarness(t, Config{Queries: []QueryConfig{every, rare}}, step)
		h.SetTargets([]Target{targetOf(s, "db")})
		t0 := time.Now()
		var got []string
		for i := range 7 {
			r := resultFor(t, h.Collect(context.Background(), t0.Add(time.Duration(i)*step)), "db")
			require.Empty(t, r.Errs)
			names := ""
			for j := range r.Metrics.Len() {
				names += r.Metrics.At(j).Name() + " "
			}
			got = append(got, strings.TrimSpace(names))
		}
		assert.Equal(t, []string{"every rare", "every", "every", "every rare", "every", "every", "every rare"}, got)
	})
}
