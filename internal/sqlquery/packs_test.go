package sqlquery

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// Every pack decodes into valid queries, each of whose metrics is defined once.
func TestPacksAreValidQueries(t *testing.T) {
	require.NotEmpty(t, PackNames())
	cfg := Config{Packs: PackNames(), Targets: []TargetConfig{
		{Name: "pg", Engine: "postgresql", Host: "127.0.0.1", Credentials: Credentials{Username: "u"}},
		{Name: "my", Engine: "mysql", Host: "127.0.0.1", Credentials: Credentials{Username: "u"}},
	}, Discovered: Credentials{Username: "otel"}}
	require.NoError(t, cfg.Validate())
	full, err := cfg.WithPacks()
	require.NoError(t, err)
	for _, q := range full.Queries {
		pg := strings.HasPrefix(q.Name, "postgresql.")
		want := map[bool][]string{true: {"pg"}, false: {"my"}}[pg]
		assert.Equal(t, want, q.Targets, "%s runs on the static targets of its engine", q.Name)
		assert.NotEmpty(t, q.Engines, "%s runs on discovered instances", q.Name)
	}

	// Without discovered credentials packs run on static targets only.
	cfg.Discovered = Credentials{}
	full, err = cfg.WithPacks()
	require.NoError(t, err)
	for _, q := range full.Queries {
		assert.Empty(t, q.Engines, q.Name)
	}

	bad := Config{Packs: []string{"postgresql.statements", "nope", "postgresql.statements"}}
	err = bad.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `packs[1]: "nope" is not a pack (packs: mysql.sessions, mysql.statements, postgresql.sessions`)
	assert.Contains(t, err.Error(), `packs[2]: "postgresql.statements" is listed twice`)
}

// sumPoint is one datapoint of a metric by its attributes.
func dataPoint(t *testing.T, ms pmetric.MetricSlice, name string, attrs map[string]string) (pmetric.NumberDataPoint, bool) {
	t.Helper()
	m, ok := metricByName(ms, name)
	if !ok {
		return pmetric.NumberDataPoint{}, false
	}
	var dps pmetric.NumberDataPointSlice
	if m.Type() == pmetric.MetricTypeSum {
		dps = m.Sum().DataPoints()
	} else {
		dps = m.Gauge().DataPoints()
	}
next:
	for i := range dps.Len() {
		for k, v := range attrs {
			if got, ok := dps.At(i).Attributes().Get(k); !ok || got.AsString() != v {
				continue next
			}
		}
		return dps.At(i), true
	}
	return pmetric.NumberDataPoint{}, false
}

func value(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(dp.IntValue())
	}
	return dp.DoubleValue()
}

func dpCount(ms pmetric.MetricSlice, name string) int {
	m, ok := metricByName(ms, name)
	if !ok {
		return 0
	}
	if m.Type() == pmetric.MetricTypeSum {
		return m.Sum().DataPoints().Len()
	}
	return m.Gauge().DataPoints().Len()
}

// statementsCase is what differs between the engines in the statements pack tests.
type statementsCase struct {
	pack, target, engine string
	start                func(testing.TB) *testdb.Server
	setup                []string
	workload             string // run 5 times with %d = 1..5
	// truth selects, from the server's own view, the workload's row: id, calls,
	// exec time (s), rows, start (Unix s).
	truth      string
	attrs      func(id string) map[string]string
	reset      string
	wide       func(t testing.TB, s *testdb.Server, db *sql.DB)
	calls      string
	exec       string
	rows       string
	otherCount string
	// resetWait is the resolution of the server's start time.
	resetWait time.Duration
	// entries counts the rows of the server's statistics view.
	entries string
}

var statementsCases = []statementsCase{
	{
		pack: "postgresql.statements", target: "pg", engine: "postgresql", start: testdb.StartPostgres,
		setup:    []string{"CREATE EXTENSION pg_stat_statements", "CREATE TABLE wide (" + columns("int") + ")"},
		workload: "SELECT count(*) FROM scratch WHERE id = %d",
		truth: `SELECT s.queryid::text, sum(s.calls), sum(s.total_exec_time) / 1000, sum(s.rows), extract(epoch FROM i.stats_reset)
			FROM pg_stat_statements s CROSS JOIN pg_stat_statements_info i
			WHERE s.query = 'SELECT count(*) FROM scratch WHERE id = $1' GROUP BY 1, 5`,
		attrs: func(id string) map[string]string {
			return map[string]string{"db.query.id": id, "user.name": "postgres", "db.namespace": "app"}
		},
		reset: "SELECT pg_stat_statements_reset()",
		wide: func(t testing.TB, s *testdb.Server, _ *sql.DB) {
			// 10,000 distinct statements (two of 100 columns), nested in one DO block.
			s.Exec(t, "SET pg_stat_statements.track = 'all'",
				`DO $$ BEGIN FOR i IN 1..100 LOOP FOR j IN 1..100 LOOP
					EXECUTE format('SELECT c%s, c%s FROM wide', i, j);
				END LOOP; END LOOP; END $$`)
		},
		calls: "postgresql.statement.calls", exec: "postgresql.statement.exec_time", rows: "postgresql.statement.rows",
		otherCount: "postgresql.statements.other.count",
		resetWait:  10 * time.Millisecond,
		entries:    "SELECT count(*) FROM pg_stat_statements",
	},
	{
		pack: "mysql.statements", target: "maria", engine: "mariadb", start: testdb.StartMariaDB,
		setup:    []string{"GRANT SELECT ON performance_schema.* TO otel", "CREATE TABLE wide (" + columns("int") + ")"},
		workload: "SELECT COUNT(*) FROM scratch WHERE id = %d",
		truth: `SELECT DIGEST, COUNT_STAR, SUM_TIMER_WAIT / 1e12, SUM_ROWS_SENT, UNIX_TIMESTAMP(FIRST_SEEN)
			FROM performance_schema.events_statements_summary_by_digest
			WHERE DIGEST_TEXT LIKE 'SELECT COUNT ( * ) FROM %scratch% WHERE %id% = ?%' AND SCHEMA_NAME = 'app'`,
		attrs: func(id string) map[string]string { return map[string]string{"db.query.id": id, "db.namespace": "app"} },
		reset: "TRUNCATE performance_schema.events_statements_summary_by_digest",
		wide: func(t testing.TB, _ *testdb.Server, db *sql.DB) {
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			require.NoError(t, err)
			defer conn.Close()
			for i := 1; i <= 100; i++ {
				for j := 1; j <= 100; j++ {
					_, err := conn.ExecContext(ctx, fmt.Sprintf("SELECT c%d, c%d FROM wide", i, j))
					require.NoError(t, err)
				}
			}
		},
		calls: "mysql.statement.calls", exec: "mysql.statement.exec_time", rows: "mysql.statement.rows.sent",
		otherCount: "mysql.statements.other.count",
		resetWait:  time.Second, // FIRST_SEEN has seconds
		// The server keeps performance_schema_digests_size digests (5,000 on a small
		// server) and counts the statements of the others in one row with a NULL digest.
		entries: "SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest",
	},
}

func columns(typ string) string {
	cols := make([]string, 100)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d %s", i+1, typ)
	}
	return strings.Join(cols, ", ")
}

// The statements packs on real servers: after a known workload their metrics equal the
// server's own view; a reset starts new cumulative series at the reset time; with 10,000
// distinct statements the top 100 bound holds and the rest is counted as other.
func TestStatementsPacks(t *testing.T) {
	for _, c := range statementsCases {
		t.Run(c.engine, func(t *testing.T) {
			s := c.start(t)
			s.Exec(t, c.setup...)
			admin := s.Admin(t)
			for i := 1; i <= 5; i++ {
				s.Exec(t, fmt.Sprintf(c.workload, i))
			}
			h := newHarness(t, Config{Packs: []string{c.pack}, Targets: []TargetConfig{{Name: c.target, Engine: c.engine}}}, time.Minute)
			h.SetTargets([]Target{targetOf(s, c.target)})

			now := time.Now()
			truth := func() (truthRow, error) {
				var tr truthRow
				err := admin.QueryRow(c.truth).Scan(&tr.id, &tr.calls, &tr.exec, &tr.rows, &tr.start)
				return tr, err
			}
			// The servers account a statement after its result reaches the client, so the
			// view is read until it holds the workload before the collection compares to it.
			settle := func(calls float64) {
				require.Eventually(t, func() bool {
					tr, err := truth()
					return err == nil && tr.calls == calls
				}, 10*time.Second, 10*time.Millisecond)
			}
			collect := func() (pmetric.MetricSlice, truthRow) {
				now = now.Add(time.Minute) // every run is due
				r := resultFor(t, h.Collect(context.Background(), now), c.target)
				require.Empty(t, r.Errs)
				tr, err := truth()
				require.NoError(t, err)
				return r.Metrics, tr
			}
			check := func(ms pmetric.MetricSlice, tr truthRow, calls float64) pcommon.Timestamp {
				assert.Equal(t, calls, tr.calls)
				attrs := c.attrs(tr.id)
				dp, ok := dataPoint(t, ms, c.calls, attrs)
				require.True(t, ok, "%s %v", c.calls, attrs)
				assert.Equal(t, tr.calls, value(dp))
				assert.Equal(t, pcommon.Timestamp(tr.start*1e9), dp.StartTimestamp(), "the server's start time")
				dp, ok = dataPoint(t, ms, c.exec, attrs)
				require.True(t, ok)
				assert.InDelta(t, tr.exec, value(dp), 1e-9)
				dp, ok = dataPoint(t, ms, c.rows, attrs)
				require.True(t, ok)
				assert.Equal(t, tr.rows, value(dp))
				return dp.StartTimestamp()
			}
			settle(5)
			ms, tr := collect()
			start1 := check(ms, tr, 5)

			// A reset: the same statement's counters start again, as a new series.
			time.Sleep(c.resetWait) // the reset time differs from the first start
			s.Exec(t, c.reset)
			s.Exec(t, fmt.Sprintf(c.workload, 9))
			settle(1)
			ms, tr = collect()
			start2 := check(ms, tr, 1)
			assert.Greater(t, start2, start1, "a new series starts after the reset")

			// 10,000 distinct statements: 100 series per metric, the rest counted as other.
			c.wide(t, s, admin)
			ms, _ = collect()
			assert.Equal(t, 100, dpCount(ms, c.calls))
			assert.Equal(t, 100, dpCount(ms, c.exec))
			other, ok := dataPoint(t, ms, c.otherCount, nil)
			require.True(t, ok)
			entries := count(t, admin, c.entries)
			assert.Greater(t, entries, 4000)
			// The view may have gained the statements run since the collection.
			assert.InDelta(t, float64(entries-100), value(other), 3, "the other statements are counted")
		})
	}
}

type truthRow struct {
	id                       string
	calls, exec, rows, start float64
}

// The small packs on real servers: each metric equals what the test reads from the
// server's own views.
func TestSmallPacks(t *testing.T) {
	t.Run("postgresql", func(t *testing.T) {
		s := testdb.StartPostgres(t)
		s.Exec(t, "CREATE TABLE big (id int PRIMARY KEY, pad text)", "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g")
		admin := s.Admin(t)
		// A session that holds a lock and one that waits for it.
		holder, err := admin.Conn(context.Background())
		require.NoError(t, err)
		defer holder.Close()
		_, err = holder.ExecContext(context.Background(), "BEGIN; LOCK TABLE scratch IN ACCESS EXCLUSIVE MODE")
		require.NoError(t, err)
		waiter, err := admin.Conn(context.Background())
		require.NoError(t, err)
		defer waiter.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { _, _ = waiter.ExecContext(ctx, "SELECT count(*) FROM scratch") }()
		require.Eventually(t, func() bool {
			return count(t, admin, "SELECT count(*) FROM pg_stat_activity WHERE cardinality(pg_blocking_pids(pid)) > 0") == 1
		}, 10*time.Second, 10*time.Millisecond)

		h := newHarness(t, Config{Packs: []string{"postgresql.sessions", "postgresql.transaction_id_age", "postgresql.table_sizes"},
			Targets: []TargetConfig{{Name: "pg", Engine: "postgresql"}}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "pg")})
		const clients = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
		before := count(t, admin, clients)
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "pg")
		after := count(t, admin, clients) // the receiver's pool keeps its connections
		require.Empty(t, r.Errs)

		blocked, ok := dataPoint(t, r.Metrics, "postgresql.sessions.blocked", map[string]string{"db.namespace": "app", "state": "active"})
		require.True(t, ok)
		assert.EqualValues(t, 1, value(blocked))
		active, ok := dataPoint(t, r.Metrics, "postgresql.sessions", map[string]string{"db.namespace": "app", "state": "active"})
		require.True(t, ok)
		assert.GreaterOrEqual(t, value(active), 2.0, "the waiter and the pack's own query")
		used, _ := dataPoint(t, r.Metrics, "postgresql.connections.used", nil)
		// The pack's queries connect concurrently: the count is between the connections
		// before the collection plus the query's own, and all of them after.
		assert.GreaterOrEqual(t, value(used), float64(before+1))
		assert.LessOrEqual(t, value(used), float64(after))
		maxc, _ := dataPoint(t, r.Metrics, "postgresql.connections.max", nil)
		assert.EqualValues(t, 50, value(maxc), "testdb starts PostgreSQL with max_connections=50")

		var age int64
		require.NoError(t, admin.QueryRow("SELECT age(datfrozenxid) FROM pg_database WHERE datname = 'app'").Scan(&age))
		dp, ok := dataPoint(t, r.Metrics, "postgresql.database.transaction_id.age", map[string]string{"db.namespace": "app"})
		require.True(t, ok)
		assert.InDelta(t, float64(age), value(dp), 2, "a transaction or two may have started since")

		var tableBytes, indexBytes int64
		require.NoError(t, admin.QueryRow("SELECT pg_table_size('big'), pg_indexes_size('big')").Scan(&tableBytes, &indexBytes))
		dp, ok = dataPoint(t, r.Metrics, "postgresql.table.size", map[string]string{"db.schema": "public", "db.table": "big"})
		require.True(t, ok)
		assert.EqualValues(t, tableBytes, value(dp))
		dp, ok = dataPoint(t, r.Metrics, "postgresql.table.index_size", map[string]string{"db.schema": "public", "db.table": "big"})
		require.True(t, ok)
		assert.EqualValues(t, indexBytes, value(dp))
		assert.LessOrEqual(t, dpCount(r.Metrics, "postgresql.table.size"), 20)
		_, ok = dataPoint(t, r.Metrics, "postgresql.table.size", map[string]string{"db.table": "scratch"})
		assert.False(t, ok, "the locked table is left out instead of making the query wait")
	})
	t.Run("mariadb", func(t *testing.T) {
		s := testdb.StartMariaDB(t)
		s.Exec(t, "GRANT SELECT ON performance_schema.* TO otel")
		admin := s.Admin(t)
		h := newHarness(t, Config{Packs: []string{"mysql.sessions", "mysql.statements"},
			Targets: []TargetConfig{{Name: "maria", Engine: "mariadb"}}}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "maria")})
		const clients = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Daemon'"
		before := count(t, admin, clients)
		r := resultFor(t, h.Collect(context.Background(), time.Now()), "maria")
		after := count(t, admin, clients)
		require.Empty(t, r.Errs)
		dp, ok := dataPoint(t, r.Metrics, "mysql.performance_schema.enabled", nil)
		require.True(t, ok)
		assert.EqualValues(t, 1, value(dp))
		maxc, _ := dataPoint(t, r.Metrics, "mysql.connections.max", nil)
		assert.EqualValues(t, 50, value(maxc), "testdb starts MariaDB with max-connections=50")
		used, _ := dataPoint(t, r.Metrics, "mysql.connections.used", nil)
		assert.GreaterOrEqual(t, value(used), float64(before+1))
		assert.LessOrEqual(t, value(used), float64(after))
		q, ok := dataPoint(t, r.Metrics, "mysql.sessions", map[string]string{"command": "Query"})
		require.True(t, ok)
		assert.GreaterOrEqual(t, value(q), 1.0, "the pack's own query")
	})
}

// performance_schema off: no digest is an error, and the pack says why it has nothing.
func TestStatementsPackWithoutPerformanceSchema(t *testing.T) {
	s := testdb.StartMariaDBWith(t, "--performance-schema=OFF")
	s.Exec(t, "GRANT SELECT ON performance_schema.* TO otel", "SELECT COUNT(*) FROM scratch")
	h := newHarness(t, Config{Packs: []string{"mysql.statements"}, Targets: []TargetConfig{{Name: "maria", Engine: "mariadb"}}}, time.Minute)
	h.SetTargets([]Target{targetOf(s, "maria")})
	r := resultFor(t, h.Collect(context.Background(), time.Now()), "maria")
	require.Empty(t, r.Errs)
	dp, ok := dataPoint(t, r.Metrics, "mysql.performance_schema.enabled", nil)
	require.True(t, ok)
	assert.EqualValues(t, 0, value(dp))
	assert.Zero(t, dpCount(r.Metrics, "mysql.statement.calls"))
}
