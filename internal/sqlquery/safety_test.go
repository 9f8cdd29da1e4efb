package sqlquery

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// These tests run against real MariaDB and PostgreSQL servers (internal/testdb).

// bypass is the query that dropped a table through the read-only session when the DSN
// allowed several statements.
const bypass = "select 1 as v; commit; drop table victim2"

// victim creates table name, which otel may drop: only the read-only session stands in
// the way, as it did in the report.
func victim(t *testing.T, s *testdb.Server, name string) {
	t.Helper()
	if s.Engine == "mariadb" {
		s.Exec(t, "drop table if exists "+name, "create table "+name+" (id int)", "grant drop on app."+name+" to 'otel'@'%'")
		return
	}
	s.Exec(t, "drop table if exists "+name, "create table "+name+" (id int)", "alter table "+name+" owner to otel")
}

func tableExists(t *testing.T, s *testdb.Server, name string) bool {
	t.Helper()
	q := "select count(*) from information_schema.tables where table_name = '" + name + "'"
	return count(t, s.Admin(t), q) == 1
}

// unsafeDSNs are the DSN options that let a text run several statements, per engine.
func unsafeDSNs(s *testdb.Server) map[string]string {
	if s.Engine == "mariadb" {
		return map[string]string{"multiStatements=true": s.DSN() + "&multiStatements=true"}
	}
	return map[string]string{
		"default_query_exec_mode=simple_protocol": s.DSN() + "&default_query_exec_mode=simple_protocol",
		"default_query_exec_mode=exec":            s.DSN() + "&default_query_exec_mode=exec",
	}
}

// The exact bypass of the report, with each dangerous DSN option: validate rejects the
// DSN naming the option, and the query naming the number of statements; a collector
// given them anyway (no validation) runs nothing but the first statement's refusal, and
// the table is still there. Without the receiver, the same DSN and text do drop a table.
func TestMultiStatementBypass(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		engineName := map[string]string{"mariadb": "mariadb", "postgresql": "postgresql"}[e.name]
		for option, dsn := range unsafeDSNs(s) {
			t.Run(option, func(t *testing.T) {
				victim(t, s, "victim2")
				cfg := Config{
					Targets: []TargetConfig{{Name: "db", Engine: engineName, DSN: configopaque.String(dsn)}},
					Queries: []QueryConfig{{Name: "bypass", SQL: bypass, Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "v", ValueColumn: "v"}}}},
				}
				err := cfg.Validate()
				require.Error(t, err)
				assert.Contains(t, err.Error(), "targets[0].dsn: "+option)
				assert.Contains(t, err.Error(), "queries[0].sql: 3 statements")
				assert.NotContains(t, err.Error(), s.Password)

				// Forced off when the configuration was never validated.
				h := newHarness(t, Config{Queries: cfg.Queries}, time.Minute)
				target := Target{Name: "db", Engine: s.Engine, DSN: configopaque.String(dsn), Static: true,
					Credentials: Credentials{TLS: configtls.ClientConfig{Insecure: true}}}
				h.SetTargets([]Target{target})
				r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")
				require.Len(t, r.Errs, 1, "the text is refused")
				assert.NotContains(t, r.Errs[0].Error(), "drop table")
				assert.True(t, tableExists(t, s, "victim2"), "the table was dropped")
				assert.EqualValues(t, 1, h.runs(t, "bypass", "db", outcomeError))
			})
		}

		// The attack is real: the bare driver with the same DSN drops a table from
		// within a read-only transaction.
		victim(t, s, "canary")
		driverName := map[string]string{"mariadb": "mysql", "postgresql": "pgx"}[e.name]
		var dsn string
		for _, d := range unsafeDSNs(s) {
			if strings.Contains(d, "simple_protocol") || strings.Contains(d, "multiStatements") {
				dsn = d
			}
		}
		db, err := sql.Open(driverName, dsn)
		require.NoError(t, err)
		defer db.Close()
		tx, err := db.BeginTx(context.Background(), &sql.TxOptions{ReadOnly: true})
		require.NoError(t, err)
		rows, err := tx.Query("select 1 as v; commit; drop table canary")
		if err == nil {
			for rows.NextResultSet() {
				for rows.Next() {
				}
			}
			_ = rows.Close()
		}
		_ = tx.Rollback()
		assert.False(t, tableExists(t, s, "canary"), "the bare driver should have dropped the table: the test proves nothing")
	})
}

// tlsQuery reports 1 when the session is encrypted.
func tlsQuery(engine string) QueryConfig {
	sqlText := "select count(*) as tls from information_schema.session_status where variable_name = 'Ssl_cipher' and variable_value <> ''"
	if engine == "postgresql" {
		sqlText = "select count(*) as tls from pg_stat_ssl where pid = pg_backend_pid() and ssl"
	}
	return QueryConfig{Name: "tls", SQL: sqlText, Targets: []string{"db"}, Metrics: []MetricConfig{{Name: "tls", ValueColumn: "tls"}}}
}

// TLS by the collector's conventions against servers with a certificate from a CA the
// test makes: verified with that CA, refused with another CA or with the system's roots,
// and a plaintext-only server with the default settings is a clear error.
func TestTLS(t *testing.T) {
	ca, other := testdb.NewCA(t, "otelcol-rds test CA"), testdb.NewCA(t, "some other CA")
	caFile, otherFile := ca.File(t), other.File(t)
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			start := testdb.StartPostgresTLS
			if e.name == "mariadb" {
				start = testdb.StartMariaDBTLS
			}
			s := start(t, ca)
			plain := e.shared(t)
			tests := []struct {
				name   string
				server *testdb.Server
				tls    configtls.ClientConfig
				want   string // empty: encrypted and verified
			}{
				{"verified with the CA file", s, tlsWithCA(caFile, ""), ""},
				{"another CA", s, tlsWithCA(otherFile, ""), "set tls.ca_file to the RDS CA bundle"},
				{"default: the system's roots", s, configtls.ClientConfig{}, "not signed by a CA of tls.ca_file"},
				{"wrong server name", s, tlsWithCA(caFile, "db.example.com"), "set tls.server_name_override"},
				{"default on a plaintext-only server", plain, configtls.ClientConfig{}, "the server does not offer TLS; to connect in plaintext anyway, set tls.insecure: true"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					target := targetOf(tt.server, "db")
					target.Credentials.TLS = tt.tls
					h := newHarness(t, Config{Queries: []QueryConfig{tlsQuery(e.name)}}, time.Minute)
					h.SetTargets([]Target{target})
					r := resultFor(t, h.Collect(context.Background(), time.Now()), "db")
					if tt.want == "" {
						require.Empty(t, r.Errs)
						m, ok := metricByName(r.Metrics, "tls")
						require.True(t, ok)
						assert.Equal(t, map[string]any{"": int64(1)}, points(t, m), "the session is encrypted")
						return
					}
					require.Len(t, r.Errs, 1)
					t.Log(r.Errs[0])
					assert.Contains(t, r.Errs[0].Error(), tt.want)
					assert.NotContains(t, r.Errs[0].Error(), tt.server.Password)
					assert.Equal(t, 0, r.Metrics.Len())
				})
			}
		})
	}
}

// blackhole accepts connections and never answers.
func blackhole(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

// 50 unreachable targets (25 closed ports, 25 on a listener that accepts and never
// answers) beside one healthy target, with max_concurrency 2: every healthy query is
// delivered in every cycle, none of them waits for the others, and a cycle lasts no
// longer than the queries' timeout.
func TestUnreachableTargetsDoNotStarveHealthyOnes(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine) {
		s := e.shared(t)
		hole := blackhole(t)
		targets := []Target{targetOf(s, "healthy")}
		names := []string{"healthy"}
		for i := range 50 {
			tg := targetOf(s, fmt.Sprintf("down%02d", i))
			if i%2 == 0 {
				tg.Port = closedPort(t)
			} else {
				tg.Port = hole
			}
			targets = append(targets, tg)
			names = append(names, tg.Name)
		}
		timeout := 2 * time.Second
		everywhere := func(name string) QueryConfig {
			return QueryConfig{Name: name, SQL: "select 1 as one", Targets: names, Timeout: timeout, Metrics: []MetricConfig{{Name: name, ValueColumn: "one"}}}
		}
		h := newHarness(t, Config{Queries: []QueryConfig{everywhere("a"), everywhere("b"), everywhere("c")}, MaxConcurrency: 2}, 10*time.Second)
		h.SetTargets(targets)

		t0 := time.Now()
		for cycle := range 3 {
			start := time.Now()
			results := h.Collect(context.Background(), t0.Add(time.Duration(cycle)*10*time.Second))
			elapsed := time.Since(start)
			require.Len(t, results, 51)
			r := resultFor(t, results, "healthy")
			require.Empty(t, r.Errs, "cycle %d", cycle)
			require.Equal(t, 3, r.Metrics.Len(), "cycle %d: every healthy query delivered", cycle)
			assert.Less(t, elapsed, timeout+time.Second, "cycle %d", cycle)
			for _, r := range results {
				if r.Target.Name != "healthy" {
					assert.Equal(t, 0, r.Metrics.Len())
					assert.NotEmpty(t, r.Errs, "cycle %d: %s", cycle, r.Target.Name)
				}
			}
		}
		// Every run of the healthy target took no longer than a round trip or two.
		runs := h.logs.FilterMessage("SQL query run").FilterField(zap.String("target", "healthy")).All()
		require.Len(t, runs, 9)
		for _, entry := range runs {
			d := entry.ContextMap()["duration"].(time.Duration)
			assert.Less(t, d, 500*time.Millisecond, "a healthy query waited")
		}
		// After the first cycle, each down target gets one attempt per cycle.
		assert.EqualValues(t, 2*50*2, sumRuns(t, h, names[1:], outcomeBackoff), "two of three queries skipped per down target and cycle")
		assert.EqualValues(t, 50, h.value(t, "sql_targets_unreachable", nil))
	})
}

func sumRuns(t *testing.T, h *harness, targets []string, outcome string) int64 {
	var n int64
	for _, tg := range targets {
		for _, q := range []string{"a", "b", "c"} {
			n += h.runs(t, q, tg, outcome)
		}
	}
	return n
}
