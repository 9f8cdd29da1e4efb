package sqlquery

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
)

const (
	secretPassword = "s3cr3t-Pa55word"
	secretDSN      = "otel:" + secretPassword + "@tcp(db.internal:3306)/app"
)

// validConfig is a configuration with one query on discovered instances and one on a
// static target; each test case breaks one thing.
func validConfig() Config {
	return Config{
		Queries: []QueryConfig{
			{
				Name:    "sessions",
				SQL:     "select user, substring_index(host, ':', 1) host, count(*) sessions from information_schema.processlist group by 1,2",
				Engines: []string{"mysql", "mariadb"},
				Metrics: []MetricConfig{{Name: "db.sessions", ValueColumn: "sessions", AttributeColumns: []string{"user", "host"}}},
			},
			{
				Name:    "pg_sessions",
				SQL:     "select usename, count(*) as sessions from pg_stat_activity group by 1",
				Targets: []string{"reporting"},
				Metrics: []MetricConfig{{Name: "db.sessions", ValueColumn: "sessions", AttributeColumns: []string{"usename"}}},
			},
		},
		Targets: []TargetConfig{
			{Name: "reporting", Engine: "postgresql", Host: "db.internal", Credentials: Credentials{Username: "otel", Password: secretPassword}},
			{Name: "orders", Engine: "mysql", DSN: secretDSN},
		},
		Discovered: Credentials{Username: "otel", Password: secretPassword},
	}
}

func TestValidateAcceptsValidConfig(t *testing.T) {
	cfg := validConfig()
	require.NoError(t, cfg.Validate())
	require.NoError(t, cfg.ValidateAgainst(time.Minute))
	require.NoError(t, DefaultConfig().Validate())
}

func TestValidateRejects(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "not-a-ca.pem")
	require.NoError(t, os.WriteFile(caFile, []byte("nothing here"), 0o600))

	tests := []struct {
		name   string
		modify func(*Config)
		want   string // the field path and the value, as the error must name them
	}{
		{"query name empty", func(c *Config) { c.Queries[0].Name = "" }, `queries[0].name: ""`},
		{"query name twice", func(c *Config) { c.Queries[1].Name = "sessions" }, `queries[1].name: "sessions" is used twice`},
		{"sql empty", func(c *Config) { c.Queries[0].SQL = "  " }, `queries[0].sql: empty`},
		{"value column missing", func(c *Config) { c.Queries[0].Metrics[0].ValueColumn = "" }, `queries[0].metrics[0].value_column: empty`},
		{"value column among attributes", func(c *Config) { c.Queries[0].Metrics[0].AttributeColumns = []string{"user", "sessions"} },
			`queries[0].metrics[0].value_column: "sessions" is also one of attribute_columns`},
		{"attribute column twice", func(c *Config) { c.Queries[0].Metrics[0].AttributeColumns = []string{"user", "User"} },
			`queries[0].metrics[0].attribute_columns[1]: "User" is listed twice`},
		{"metric name invalid", func(c *Config) { c.Queries[0].Metrics[0].Name = "1sessions" }, `queries[0].metrics[0].name: "1sessions" is not a metric name`},
		{"metric name with space", func(c *Config) { c.Queries[0].Metrics[0].Name = "db sessions" }, `queries[0].metrics[0].name: "db sessions"`},
		{"metric name twice in a query", func(c *Config) {
			c.Queries[0].Metrics = append(c.Queries[0].Metrics, MetricConfig{Name: "db.sessions", ValueColumn: "x"})
		}, `queries[0].metrics[1].name: "db.sessions" is used twice`},
		{"metric redefined with another type", func(c *Config) { c.Queries[1].Metrics[0].Type = "counter" },
			`queries[1].metrics[0].name: "db.sessions" is defined elsewhere with type "gauge"`},
		{"type unknown", func(c *Config) { c.Queries[0].Metrics[0].Type = "histogram" }, `queries[0].metrics[0].type: "histogram" is not one of gauge, counter`},
		{"null unknown", func(c *Config) { c.Queries[0].Metrics[0].OnNull = "nan" }, `queries[0].metrics[0].on_null: "nan" is not one of skip, zero`},
		{"duplicates unknown", func(c *Config) { c.Queries[0].Duplicates = "error" }, `queries[0].duplicates: "error" is not one of first, sum, last`},
		{"no metrics", func(c *Config) { c.Queries[0].Metrics = nil }, `queries[0].metrics: empty`},
		{"engine unknown", func(c *Config) { c.Queries[0].Engines = []string{"mysql", "oracle-ee"} }, `queries[0].engines[1]: "oracle-ee" is not an engine`},
		{"identifier does not compile", func(c *Config) { c.Queries[0].Identifiers = []string{"orders-("} }, `queries[0].identifiers[0]: invalid regular expression "orders-("`},
		{"tag key empty", func(c *Config) { c.Queries[0].Tags = map[string][]string{"": nil} }, `queries[0].tags: empty tag key`},
		{"identifiers without engines", func(c *Config) { c.Queries[1].Identifiers = []string{"orders"} }, `queries[1].engines: empty, but identifiers`},
		{"unknown static target", func(c *Config) { c.Queries[1].Targets = []string{"reportin"} }, `queries[1].targets[0]: "reportin" is not the name of one of targets`},
		{"runs nowhere", func(c *Config) { c.Queries[1].Targets = nil }, `queries[1].engines and targets: both empty`},
		{"timeout not below interval", func(c *Config) { c.Queries[0].Interval, c.Queries[0].Timeout = time.Minute, time.Minute },
			`queries[0].timeout: 1m0s must be shorter than interval 1m0s`},
		{"negative interval", func(c *Config) { c.Queries[0].Interval = -time.Second }, `queries[0].interval: -1s must not be negative`},
		{"negative max_series", func(c *Config) { c.Queries[0].MaxSeries = -1 }, `queries[0].max_series: -1 must be between 1 and 100000`},
		{"unbounded max_series", func(c *Config) { c.Queries[0].MaxSeries = 10_000_000 }, `queries[0].max_series: 10000000 must be between 1 and 100000`},
		{"negative max_concurrency", func(c *Config) { c.MaxConcurrency = -2 }, `max_concurrency: -2 must be between 1 and 256`},
		{"unbounded max_concurrency", func(c *Config) { c.MaxConcurrency = 100_000 }, `max_concurrency: 100000 must be between 1 and 256`},
		{"unbounded max_concurrency_per_target", func(c *Config) { c.MaxConcurrencyPerTarget = 1000 }, `max_concurrency_per_target: 1000 must be between 1 and 64`},
		{"tiny timeout", func(c *Config) { c.Queries[0].Timeout = 5 * time.Millisecond }, `queries[0].timeout: 5ms must be at least 1s`},
		{"negative timeout", func(c *Config) { c.Queries[0].Timeout = -time.Second }, `queries[0].timeout: -1s must be at least 1s`},
		{"two statements", func(c *Config) { c.Queries[0].SQL = "select 1 as v; commit; drop table victim2" }, `queries[0].sql: 3 statements; a query is one statement`},
		{"two statements on a static target", func(c *Config) { c.Queries[1].SQL = "select 1 as sessions;\ndrop table t" }, `queries[1].sql: 2 statements`},
		{"mysql multiStatements", func(c *Config) { c.Targets[1].DSN = secretDSN + "?multiStatements=true" }, `targets[1].dsn: multiStatements=true lets one query run several statements`},
		{"mysql allowAllFiles", func(c *Config) { c.Targets[1].DSN = secretDSN + "?allowAllFiles=true" }, `targets[1].dsn: allowAllFiles=true lets a query read any file`},
		{"mysql tls preferred", func(c *Config) { c.Targets[1].DSN = secretDSN + "?tls=preferred" }, `targets[1].dsn: tls=preferred falls back to plaintext`},
		{"mysql plaintext fallback", func(c *Config) { c.Targets[1].DSN = secretDSN + "?allowFallbackToPlaintext=true" }, `targets[1].dsn: allowFallbackToPlaintext=true falls back`},
		{"mysql tls twice", func(c *Config) { c.Targets[1].DSN = secretDSN + "?tls=true"; c.Targets[1].TLS.ServerName = "db" }, `targets[1].tls: set, but the dsn sets TLS too (tls=true)`},
		{"postgres simple protocol", func(c *Config) {
			c.Targets[0] = TargetConfig{Name: "reporting", Engine: "postgresql", DSN: "postgres://otel:" + secretPassword + "@db.internal/app?default_query_exec_mode=simple_protocol"}
		}, `targets[0].dsn: default_query_exec_mode=simple_protocol uses the simple protocol`},
		{"postgres exec mode, keyword form", func(c *Config) {
			c.Targets[0] = TargetConfig{Name: "reporting", Engine: "postgresql", DSN: configopaque.String("host=db.internal password=" + secretPassword + " default_query_exec_mode=exec")}
		}, `targets[0].dsn: default_query_exec_mode=exec uses the simple protocol`},
		{"postgres sslmode prefer", func(c *Config) {
			c.Targets[0] = TargetConfig{Name: "reporting", Engine: "postgresql", DSN: "postgres://otel@db.internal/app?sslmode=prefer"}
		}, `targets[0].dsn: sslmode=prefer falls back to plaintext silently`},
		{"per-target above overall", func(c *Config) { c.MaxConcurrency, c.MaxConcurrencyPerTarget = 2, 4 }, `max_concurrency_per_target: 4 is more than max_concurrency 2`},
		{"target name empty", func(c *Config) { c.Targets[0].Name = "" }, `targets[0].name: ""`},
		{"target name twice", func(c *Config) { c.Targets[1].Name = "reporting" }, `targets[1].name: "reporting" is used twice`},
		{"target engine unknown", func(c *Config) { c.Targets[0].Engine = "postgres9" }, `targets[0].engine: "postgres9" is not one of mysql, mariadb, postgresql`},
		{"dsn and host", func(c *Config) { c.Targets[1].Host = "db.internal" }, `targets[1].dsn and host: both set`},
		{"neither dsn nor host", func(c *Config) { c.Targets[0].Host = "" }, `targets[0].dsn and host: both empty`},
		{"dsn and password", func(c *Config) { c.Targets[1].Password = secretPassword }, `targets[1].password: set, but dsn is set too`},
		{"dsn does not parse", func(c *Config) { c.Targets[1].DSN = "otel:" + secretPassword + "@db.internal" }, `targets[1].dsn: not a valid go-sql-driver/mysql DSN`},
		{"postgres dsn does not parse", func(c *Config) {
			c.Targets[0] = TargetConfig{Name: "reporting", Engine: "postgresql", DSN: "postgres://otel:" + secretPassword + "@db.internal:99999999/app"}
		}, `targets[0].dsn: not a valid PostgreSQL connection string`},
		{"port out of range", func(c *Config) { c.Targets[0].Port = 70000 }, `targets[0].port: 70000 is not a TCP port`},
		{"host without username", func(c *Config) { c.Targets[0].Username = "" }, `targets[0].username: empty`},
		{"iam without tls", func(c *Config) {
			c.Discovered.IAMAuth, c.Discovered.Password, c.Discovered.TLS.Insecure = true, "", true
		},
			`discovered.iam_auth: requires TLS, but tls.insecure is true`},
		{"iam without username", func(c *Config) {
			c.Targets[0].IAMAuth, c.Targets[0].Username, c.Targets[0].Password = true, "", ""
		}, `targets[0].iam_auth: requires username`},
		{"iam with password", func(c *Config) { c.Discovered.IAMAuth = true }, `discovered.password: set, but iam_auth mints a token`},
		{"tls option with plaintext", func(c *Config) { c.Discovered.TLS.Insecure, c.Discovered.TLS.ServerName = true, "db" }, `discovered.tls.insecure: true (plaintext), but`},
		{"ca file missing", func(c *Config) { c.Discovered.TLS.CAFile = "/nonexistent/ca.pem" }, `discovered.tls.ca_file: "/nonexistent/ca.pem" cannot be read`},
		{"ca file without certificate", func(c *Config) { c.Discovered.TLS.CAFile = caFile }, `discovered.tls.ca_file: "` + caFile + `" holds no PEM certificate`},
		{"discovered queries without username", func(c *Config) { c.Discovered.Username = "" }, `discovered.username: empty, but queries run on discovered instances`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.modify(&cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, 1, strings.Count(err.Error(), tt.want), "reported once: %s", err)
			assert.NotContains(t, err.Error(), secretPassword, "an error quotes a password")
			// Every line names a path: no line of a joined error loses its prefix.
			for line := range strings.SplitSeq(err.Error(), "\n") {
				assert.Regexp(t, `^[a-z_]+(\[\d+\])?[.:]`, line)
			}
		})
	}
}

func TestValidateIAMWithDSN(t *testing.T) {
	cfg := validConfig()
	cfg.Targets[1].IAMAuth = true
	cfg.Targets[1].DSN = "iam_user@tcp(orders.abc123.eu-west-1.rds.amazonaws.com:3306)/app"
	assert.NoError(t, cfg.Validate(), "the user comes from the DSN")
}

func TestValidateAgainstCollectionInterval(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		timeout  time.Duration
		want     string
	}{
		{"interval not a multiple", 90 * time.Second, 0, `queries[0].interval: 1m30s is not a multiple of collection_interval 1m0s`},
		{"timeout not below the collection interval", 0, time.Minute, `queries[0].timeout: 1m0s must be shorter than the query's interval 1m0s`},
		{"timeout not below the query interval", 2 * time.Minute, 3 * time.Minute, `queries[0].timeout: 3m0s must be shorter than the query's interval 2m0s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Queries[0].Interval, cfg.Queries[0].Timeout = tt.interval, tt.timeout
			err := cfg.ValidateAgainst(time.Minute)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	cfg := validConfig()
	cfg.Queries[0].Interval, cfg.Queries[0].Timeout = 5*time.Minute, 2*time.Minute
	assert.NoError(t, cfg.ValidateAgainst(time.Minute))
}

func TestEffectiveTimeout(t *testing.T) {
	tests := []struct {
		interval, timeout, collection, want time.Duration
	}{
		{0, 0, 10 * time.Second, 8 * time.Second},
		{0, 0, time.Minute, 30 * time.Second},
		{5 * time.Minute, 0, time.Minute, 30 * time.Second},
		{20 * time.Second, 0, 10 * time.Second, 16 * time.Second},
		{0, 3 * time.Second, time.Minute, 3 * time.Second},
		{0, 0, 0, 30 * time.Second},
	}
	for _, tt := range tests {
		q := QueryConfig{Interval: tt.interval, Timeout: tt.timeout}
		assert.Equal(t, tt.want, q.effectiveTimeout(tt.collection), "interval %v timeout %v collection %v", tt.interval, tt.timeout, tt.collection)
	}
}

func TestStatementCount(t *testing.T) {
	tests := []struct {
		sql       string
		mysql, pg int
	}{
		{"select 1", 1, 1},
		{"select 1;", 1, 1},
		{"select 1; ", 1, 1},
		{"select 1; -- done", 1, 1},
		{"select 1 as v; commit; drop table victim2", 3, 3},
		{"select ';' as semi", 1, 1},
		{`select "a;b" as x`, 1, 1},
		{"select `a;b` from t", 1, 2},
		{"select 1 /* ; */", 1, 1},
		{"select 1 -- ;\n", 1, 1},
		{"select 1 # ; select 2", 1, 2},          // # is a comment in MySQL only
		{`select 'a\'; drop table t; --'`, 3, 2}, // MySQL read both with and without backslash escapes
		{"select $$;$$ as x", 2, 1},              // dollar quoting: PostgreSQL only
		{"select $tag$ ; $tag$ as x", 2, 1},
		{"select $1; select 2", 2, 2},
		{"select E'\\'; drop' as x", 2, 1},
		{"select 1 /*! ; drop table t */", 2, 1},
		{"select 1 /* /* ; */ ; */", 2, 1}, // PostgreSQL nests block comments
		{";;select 1;;", 1, 1},
		{"", 0, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.mysql, statementCount(familyMySQL, tt.sql), "mysql: %s", tt.sql)
		assert.Equal(t, tt.pg, statementCount(familyPostgres, tt.sql), "postgresql: %s", tt.sql)
	}
}
