package sqlquery

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// closedPort returns a local port nothing listens on: connecting fails at once.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return port
}

const secretSQL = "select 42 as answer /* the text of a query is never reported */"

func oneQuery(target string) QueryConfig {
	return QueryConfig{
		Name: "answer", SQL: secretSQL, Targets: []string{target},
		Metrics: []MetricConfig{{Name: "answer", ValueColumn: "answer"}},
	}
}

// A target that refuses connections: every query tries on the first cycle (nothing is
// known yet); afterwards one attempt per cycle, the other queries wait for its outcome
// and are not tried (backoff). The target is tried again every cycle: the back-off
// never exceeds one collection interval.
func TestUnreachableTargetOneAttemptPerCycle(t *testing.T) {
	for _, engine := range []string{"mariadb", "postgresql"} {
		t.Run(engine, func(t *testing.T) {
			step := 10 * time.Second
			target := Target{Name: "down", Engine: engine, Host: "127.0.0.1", Port: closedPort(t), Static: true,
				Credentials: Credentials{Username: "otel", Password: secretPassword, Database: "app"}}
			var queries []QueryConfig
			for _, name := range []string{"a", "b", "c"} {
				q := oneQuery("down")
				q.Name = name
				queries = append(queries, q)
			}
			h := newHarness(t, Config{Queries: queries}, step)
			h.SetTargets([]Target{target})

			t0 := time.Unix(1_000_000, 0)
			for i := range 4 {
				results := h.Collect(context.Background(), t0.Add(time.Duration(i)*step))
				require.Len(t, results, 1)
				r := results[0]
				assert.Equal(t, 0, r.Metrics.Len())
				if i == 0 {
					require.Len(t, r.Errs, 3, "cycle 0: every query tried")
				} else {
					require.Len(t, r.Errs, 1, "cycle %d: one attempt, one error", i)
				}
				msg := joinErrs(r.Errs)
				assert.NotContains(t, msg, secretPassword)
				assert.NotContains(t, msg, "the text of a query")
				assert.Contains(t, msg, `sql target "down"`)
				assert.Contains(t, msg, "connecting:")
			}
			errs := h.runs(t, "a", "down", outcomeError) + h.runs(t, "b", "down", outcomeError) + h.runs(t, "c", "down", outcomeError)
			backoffs := h.runs(t, "a", "down", outcomeBackoff) + h.runs(t, "b", "down", outcomeBackoff) + h.runs(t, "c", "down", outcomeBackoff)
			assert.EqualValues(t, 3+3, errs, "3 on the first cycle, then 1 a cycle")
			assert.EqualValues(t, 2*3, backoffs)
			assert.EqualValues(t, 0, h.value(t, "sql_target_up", map[string]string{"target": "down"}))
			assert.EqualValues(t, 1, h.value(t, "sql_targets_unreachable", nil))
			assert.NotContains(t, h.logText(), secretPassword)
			assert.NotContains(t, h.logText(), "the text of a query")
			assert.Equal(t, 1, h.logs.FilterMessageSnippet("SQL target unreachable").Len(), "logged once, not every cycle")
		})
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	port := closedPort(t)
	dsns := map[string]string{
		"mysql":      "otel:" + secretPassword + "@tcp(127.0.0.1:" + itoa(port) + ")/app",
		"postgresql": "postgres://otel:" + secretPassword + "@127.0.0.1:" + itoa(port) + "/app",
	}
	for engine, dsn := range dsns {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, Config{Queries: []QueryConfig{oneQuery("t")}}, time.Minute)
			h.SetTargets([]Target{{Name: "t", Engine: engine, DSN: secretString(dsn), Static: true}})
			r := resultFor(t, h.Collect(context.Background(), time.Now()), "t")
			require.NotEmpty(t, r.Errs)
			assert.NotContains(t, joinErrs(r.Errs), secretPassword)
			assert.NotContains(t, h.logText(), secretPassword)

			// A DSN that does not parse is not quoted either.
			h.SetTargets([]Target{{Name: "t", Engine: engine, DSN: secretString("::" + secretPassword + "@(%%"), Static: true}})
			r = resultFor(t, h.Collect(context.Background(), time.Now().Add(time.Hour)), "t")
			require.NotEmpty(t, r.Errs)
			assert.Contains(t, joinErrs(r.Errs), "dsn: not a valid")
			assert.NotContains(t, joinErrs(r.Errs), secretPassword)
		})
	}
}

func TestSetTargetsKeepsUnchangedPools(t *testing.T) {
	cfg := Config{Queries: []QueryConfig{
		{Name: "prod_only", SQL: "select 1 as n", Engines: []string{"postgres"}, Tags: map[string][]string{"env": {"prod"}},
			Metrics: []MetricConfig{{Name: "n", ValueColumn: "n"}}},
		{Name: "static", SQL: "select 1 as n", Targets: []string{"s"}, Metrics: []MetricConfig{{Name: "n", ValueColumn: "n"}}},
	}}
	h := newHarness(t, cfg, time.Minute)
	prod := Target{Name: "db-1", Engine: "postgres", Host: "db-1.internal", Region: "eu-west-1", Tags: map[string]string{"env": "prod"}}
	static := Target{Name: "s", Engine: "mysql", Host: "s.internal", Static: true}
	ignored := Target{Name: "db-2", Engine: "mysql", Host: "db-2.internal", Region: "eu-west-1"} // no query for mysql
	h.SetTargets([]Target{prod, static, ignored})
	require.Len(t, h.targets, 2)
	first := map[string]*pool{}
	for _, ts := range h.targets {
		first[ts.name] = ts.pool
	}

	// Same connection settings, new tags: same pool, queries chosen again.
	prod.Tags = map[string]string{"env": "prod", "team": "a"}
	h.SetTargets([]Target{prod, static})
	require.Len(t, h.targets, 2)
	for _, ts := range h.targets {
		assert.Same(t, first[ts.name], ts.pool, ts.name)
	}
	// The tag no longer matches: the target goes, its pool is closed.
	prod.Tags = map[string]string{"env": "staging"}
	// The port changes: a new pool, the old one closed.
	static.Port = 3307
	h.SetTargets([]Target{prod, static})
	require.Len(t, h.targets, 1)
	assert.NotSame(t, first["s"], h.targets[0].pool)
	for name, p := range first {
		assert.ErrorContains(t, p.db.PingContext(context.Background()), "sql: database is closed", name)
	}
}

func TestQueryAppliesTo(t *testing.T) {
	cfg := QueryConfig{Engines: []string{"postgres", "aurora-postgresql"}, Identifiers: []string{"orders-.*"},
		Tags: map[string][]string{"env": {"prod"}}, Targets: []string{"reporting"}}
	f, err := cfg.filter()
	require.NoError(t, err)
	q := &query{QueryConfig: cfg, filter: f}
	tests := []struct {
		name   string
		target Target
		want   bool
	}{
		{"matching instance", Target{Name: "orders-1", Engine: "postgres", Tags: map[string]string{"env": "prod"}}, true},
		{"other engine", Target{Name: "orders-1", Engine: "mysql", Tags: map[string]string{"env": "prod"}}, false},
		{"other identifier", Target{Name: "billing-1", Engine: "postgres", Tags: map[string]string{"env": "prod"}}, false},
		{"identifier must match fully", Target{Name: "xorders-1", Engine: "postgres", Tags: map[string]string{"env": "prod"}}, false},
		{"other tag", Target{Name: "orders-1", Engine: "aurora-postgresql", Tags: map[string]string{"env": "dev"}}, false},
		{"named static target", Target{Name: "reporting", Engine: "postgresql", Static: true}, true},
		{"other static target", Target{Name: "orders-1", Engine: "postgresql", Static: true, Tags: map[string]string{"env": "prod"}}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, q.appliesTo(&tt.target), tt.name)
	}
}

func TestQueryDue(t *testing.T) {
	step := time.Minute
	qs := &queryState{q: &query{interval: 3 * step}}
	t0 := time.Unix(0, 0)
	var ran []int
	for i := range 10 {
		// Ticks come a little early or late.
		now := t0.Add(time.Duration(i)*step + time.Duration(i%3-1)*2*time.Second)
		if qs.due(now, step) {
			qs.last = now
			ran = append(ran, i)
		}
	}
	assert.Equal(t, []int{0, 3, 6, 9}, ran)
}

func TestScrub(t *testing.T) {
	sqlText := "select secret_column from t"
	err := scrub(assert.AnError, sqlText, nil)
	assert.Same(t, assert.AnError, err, "nothing to remove: the same error")

	mysqlSyntax := &testError{"Error 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'secret_column frm t' at line 1"}
	got := scrub(mysqlSyntax, sqlText, nil)
	assert.NotContains(t, got.Error(), "secret_column")
	assert.Contains(t, got.Error(), "near [query text] at line 1")
	assert.ErrorIs(t, got, mysqlSyntax)

	got = scrub(&testError{"failed: " + sqlText + " with " + secretPassword}, sqlText, []string{"", secretPassword})
	assert.Equal(t, "failed: [query text] with [redacted]", got.Error())
}

type testError struct{ msg string }

func (e *testError) Error() string { return e.msg }

func TestSkippedWhilePreviousRunGoes(t *testing.T) {
	h := newHarness(t, Config{Queries: []QueryConfig{oneQuery("t")}}, time.Minute)
	h.SetTargets([]Target{{Name: "t", Engine: "postgresql", Host: "127.0.0.1", Port: closedPort(t), Static: true,
		Credentials: Credentials{Username: "otel"}}})
	qs := h.targets[0].queries[0]
	qs.running.Store(true) // as if the last run were still stuck
	r := resultFor(t, h.Collect(context.Background(), time.Now()), "t")
	require.Len(t, r.Errs, 1)
	assert.Equal(t, `sql target "t": query "answer": skipped, its previous run is still going`, r.Errs[0].Error())
	assert.EqualValues(t, 1, h.runs(t, "answer", "t", outcomeSkipped))
	assert.EqualValues(t, 0, h.runs(t, "answer", "t", outcomeError), "nothing ran")
}
