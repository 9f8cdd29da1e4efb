package sqlquery

import (
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// statementLog turns on a server's own statement log for the user otel and reads it
// back: per connection, the statements in the order the server ran them.
type statementLog struct {
	enable func(t *testing.T, s *testdb.Server)
	read   func(t *testing.T, s *testdb.Server) map[string][]string
	// setup is what a new connection of the receiver runs once.
	setup []string
	// run is how one run of text with timeout appears in the log.
	run func(text string, timeout time.Duration) string
}

// pgStatement is a line of PostgreSQL's log with log_statement = all under the default
// log_line_prefix ('%m [%p] '): the backend's pid and the statement, simple or extended.
var pgStatement = regexp.MustCompile(`\[(\d+)\] LOG:  (?:statement|execute [^:]+): (.*)$`)

var statementLogs = map[string]statementLog{
	"mariadb": {
		enable: func(t *testing.T, s *testdb.Server) {
			s.Exec(t, "SET GLOBAL log_output = 'TABLE'", "SET GLOBAL general_log = 1")
		},
		read: func(t *testing.T, s *testdb.Server) map[string][]string {
			rows, err := s.Admin(t).QueryContext(context.Background(),
				"select thread_id, argument from mysql.general_log where command_type = 'Query' and user_host like 'otel[%' order by event_time, thread_id")
			require.NoError(t, err)
			defer rows.Close()
			out := map[string][]string{}
			for rows.Next() {
				var id, stmt string
				require.NoError(t, rows.Scan(&id, &stmt))
				out[id] = append(out[id], stmt)
			}
			require.NoError(t, rows.Err())
			return out
		},
		setup: []string{"SELECT CONNECTION_ID(), VERSION()"},
		run: func(text string, timeout time.Duration) string {
			return "SET STATEMENT tx_read_only = 1, max_statement_time = " + strconv.FormatFloat(timeout.Seconds(), 'f', 3, 64) + " FOR " + text
		},
	},
	"postgresql": {
		enable: func(t *testing.T, s *testdb.Server) {
			// At session start, so no reload race: only otel's sessions log.
			s.Exec(t, "ALTER ROLE otel SET log_statement = 'all'")
		},
		read: func(t *testing.T, s *testdb.Server) map[string][]string {
			data, err := os.ReadFile(s.LogFile())
			require.NoError(t, err)
			out := map[string][]string{}
			for _, line := range strings.Split(string(data), "\n") {
				if m := pgStatement.FindStringSubmatch(line); m != nil {
					out[m[1]] = append(out[m[1]], m[2])
				}
			}
			return out
		},
		setup: []string{},
		run:   func(text string, _ time.Duration) string { return text },
	},
}

// The server's statement log shows one statement per query run: N runs of two
// queries on one target are 2N statements, each of them one of the queries, plus the
// one-time setup of each connection (none on PostgreSQL, where the session's read-only
// mode and timeouts are startup parameters).
func TestOneStatementPerRun(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.own(t)
		log := statementLogs[e.name]
		log.enable(t, s)
		const timeout = 5 * time.Second
		queries := []QueryConfig{
			{Name: "one", SQL: "select 1 as one", Targets: []string{"db"}, Timeout: timeout, Metrics: []MetricConfig{{Name: "one", ValueColumn: "one"}}},
			{Name: "two", SQL: "select 2 as two", Targets: []string{"db"}, Timeout: timeout, Metrics: []MetricConfig{{Name: "two", ValueColumn: "two"}}},
		}
		h := newHarness(t, Config{Queries: queries}, time.Minute)
		h.SetTargets([]Target{targetOf(s, "db")})
		const runs = 5
		t0 := time.Now()
		for i := range runs {
			r := resultFor(t, h.Collect(context.Background(), t0.Add(time.Duration(i)*time.Minute)), "db")
			require.Empty(t, r.Errs)
			require.Equal(t, 2, r.Metrics.Len())
			// Idle for longer than pgx's ping threshold (1 s) on some runs.
			if i == 2 {
				time.Sleep(1100 * time.Millisecond)
			}
		}

		want := map[string]int{log.run(queries[0].SQL, timeout): runs, log.run(queries[1].SQL, timeout): runs}
		got := map[string]int{}
		conns := log.read(t, s)
		require.NotEmpty(t, conns, "nothing in the statement log")
		for conn, stmts := range conns {
			t.Logf("connection %s: %d statements", conn, len(stmts))
			require.GreaterOrEqual(t, len(stmts), len(log.setup), "connection %s", conn)
			assert.Equal(t, log.setup, stmts[:len(log.setup)], "connection %s: its one-time setup", conn)
			for _, stmt := range stmts[len(log.setup):] {
				got[stmt]++
			}
		}
		assert.Equal(t, want, got, "every statement after the setup is one run of one query")
		assert.LessOrEqual(t, len(conns), 2, "one connection per query at most")
	})
}

// A query cannot make the session read-write for its next run. The query turns the
// read-only mode off when it finds it on, and writes when it finds it off: on a session
// that only set read-only once, its second run would write. Procedures and blocks,
// which may commit and start a read-write transaction within one statement, run in a
// read-only transaction, as every query did before. The table is empty afterwards.
func TestQueriesCannotMakeTheSessionWritable(t *testing.T) {
	setup := map[string][]string{
		"mariadb": {
			"drop table if exists flipped", "create table flipped (id int)", "grant insert on app.flipped to 'otel'@'%'",
			`create or replace function app.flip_or_write() returns int modifies sql data begin
				if @@session.tx_read_only then set session transaction read write; return 0; end if;
				insert into flipped values (1); return 1; end`,
			`create or replace procedure app.flip_and_write() modifies sql data begin
				set session transaction read write; insert into flipped values (2); end`,
			"grant execute on app.* to 'otel'@'%'",
		},
		"postgresql": {
			"drop table if exists flipped", "create table flipped (id int)", "alter table flipped owner to otel",
			"create or replace function otel_write() returns int language sql as 'insert into flipped values (1); select 1'",
			`create or replace procedure flip_and_write() language plpgsql as $$ begin
				perform set_config('default_transaction_read_only', 'off', false); commit; insert into flipped values (2); end $$`,
			"grant execute on all functions in schema public to otel", "grant execute on all procedures in schema public to otel",
		},
	}
	texts := map[string][]string{
		"mariadb": {"select app.flip_or_write() as v", "call app.flip_and_write()"},
		"postgresql": {
			`select case when current_setting('default_transaction_read_only') = 'on'
				then length(set_config('default_transaction_read_only', 'off', false)) else otel_write() end as v`,
			"call flip_and_write()",
			`do $$ begin perform set_config('default_transaction_read_only', 'off', false); commit; insert into flipped values (3); end $$`,
		},
	}
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		s.Exec(t, setup[e.name]...)
		for _, text := range texts[e.name] {
			t.Run(firstKeyword(discoveryFamily(e.name), text), func(t *testing.T) {
				q := QueryConfig{Name: "flip", SQL: text, Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "v", ValueColumn: "v"}}}
				// One connection, so that every run finds what the previous one left.
				h := newHarness(t, Config{Queries: []QueryConfig{q}, MaxConcurrencyPerTarget: 1}, time.Minute)
				h.SetTargets([]Target{targetOf(s, "db")})
				t0 := time.Now()
				for i := range 4 {
					r := resultFor(t, h.Collect(context.Background(), t0.Add(time.Duration(i)*time.Minute)), "db")
					t.Logf("run %d: %v", i, r.Errs)
				}
				assert.Zero(t, count(t, s.Admin(t), "select count(*) from flipped"), "a query wrote")
			})
		}
	})
}

func discoveryFamily(engine string) string {
	if engine == "mariadb" {
		return familyMySQL
	}
	return familyPostgres
}

func TestFirstKeyword(t *testing.T) {
	tests := []struct {
		family, text, want string
		single             bool
	}{
		{familyPostgres, "select 1", "select", true},
		{familyPostgres, "  -- a comment\n /* nested /* */ */ WITH x as (select 1) select * from x", "with", true},
		{familyPostgres, "(select 1) union (select 2)", "(", true},
		{familyPostgres, "call p()", "call", false},
		{familyPostgres, "DO $$ begin end $$", "do", false},
		{familyPostgres, "set statement_timeout = 0", "set", false},
		{familyPostgres, "selectx()", "selectx", false},
		{familyPostgres, "select_1", "", false},
		{familyPostgres, "E'select'", "e", false},
		{familyMySQL, "# comment\nSHOW GLOBAL STATUS", "show", true},
		{familyMySQL, "/*!50000 call p() */", "", false},
		{familyMySQL, "-- comment\nselect 1", "select", true},
		{familyMySQL, "call p()", "call", false},
		{familyMySQL, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			assert.Equal(t, tt.want, firstKeyword(tt.family, tt.text))
			assert.Equal(t, tt.single, singleStatement(tt.family, tt.text))
		})
	}
}
