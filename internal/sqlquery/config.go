package sqlquery

import (
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
)

// Defaults of the zero values of the configuration.
const (
	DefaultMaxConcurrency = 8
	DefaultMaxSeries      = 1000
	// MaxDefaultTimeout caps the default query timeout (80% of the query's interval).
	MaxDefaultTimeout = 30 * time.Second

	// Bounds of the configuration: beyond them a setting is a mistake, not a choice.
	MaxMaxConcurrency          = 256
	MaxMaxConcurrencyPerTarget = 64
	MaxMaxSeries               = 100_000
	MinTimeout                 = time.Second

	// ConnectTimeout bounds a connection attempt (TCP connect, TLS and login): a target
	// that does not answer within it is down for the cycle.
	ConnectTimeout = 5 * time.Second

	// ApplicationName is how the receiver's sessions show up on the server:
	// PostgreSQL application_name, MySQL connection attribute program_name.
	ApplicationName = "otelcol-rds"
)

// Metric types, NULL policies and duplicate policies.
const (
	TypeGauge   = "gauge"
	TypeCounter = "counter"

	NullSkip = "skip"
	NullZero = "zero"

	DuplicatesFirst = "first"
	DuplicatesSum   = "sum"
	DuplicatesLast  = "last"
)

// Config is the SQL part of the receiver's configuration.
type Config struct {
	Queries []QueryConfig `mapstructure:"queries"`
	// Targets are static databases, referenced by name from queries[].targets.
	Targets []TargetConfig `mapstructure:"targets"`
	// Discovered is how to log in to discovered RDS instances.
	Discovered Credentials `mapstructure:"discovered"`
	// MaxConcurrency bounds the queries in flight overall (0: DefaultMaxConcurrency).
	MaxConcurrency int `mapstructure:"max_concurrency"`
	// MaxConcurrencyPerTarget caps the queries in flight per target, which is also the
	// size of the target's connection pool. 0 (the default) is one connection per query
	// that runs on the target: a slow query then never makes another query of the same
	// target wait.
	MaxConcurrencyPerTarget int `mapstructure:"max_concurrency_per_target"`
	// Packs turns on ready-made queries by name (see packs.go); they run on the discovered
	// instances and static targets of their engines.
	Packs []string `mapstructure:"packs"`
}

// QueryConfig is one SQL query and the metrics made from its rows.
type QueryConfig struct {
	// Name identifies the query in telemetry, logs and errors; the SQL text never does.
	Name string `mapstructure:"name"`
	// SQL is run verbatim in a read-only transaction.
	SQL string `mapstructure:"sql"`
	// Engines are the RDS engines of the discovered instances this query runs on.
	Engines []string `mapstructure:"engines"`
	// Identifiers optionally narrows the discovered instances (full-match regular expressions).
	Identifiers []string `mapstructure:"identifiers"`
	// Tags optionally narrows the discovered instances by tag (as discovery.tags).
	Tags map[string][]string `mapstructure:"tags"`
	// Targets are the names of the static targets this query runs on.
	Targets []string `mapstructure:"targets"`
	// Interval is how often the query runs: 0 is every collection, otherwise a multiple
	// of the collection interval.
	Interval time.Duration `mapstructure:"interval"`
	// Timeout bounds one run on the client and on the server; 0 is 80% of the effective
	// interval, at most MaxDefaultTimeout.
	Timeout time.Duration `mapstructure:"timeout"`
	// MaxSeries caps the datapoints of each metric per run (0: DefaultMaxSeries).
	MaxSeries int `mapstructure:"max_series"`
	// Duplicates decides what rows with an attribute set already seen do: first, sum, last.
	Duplicates string         `mapstructure:"duplicates"`
	Metrics    []MetricConfig `mapstructure:"metrics"`
}

// MetricConfig makes one metric from a column of the query's rows.
type MetricConfig struct {
	Name             string   `mapstructure:"name"`
	ValueColumn      string   `mapstructure:"value_column"`
	AttributeColumns []string `mapstructure:"attribute_columns"`
	// Type is gauge (default) or counter (monotonic cumulative sum).
	Type        string `mapstructure:"type"`
	Unit        string `mapstructure:"unit"`
	Description string `mapstructure:"description"`
	// OnNull is what a NULL value becomes: skip (default) or zero. (The key cannot be
	// "null": YAML reads that as the null value, not as a key.)
	OnNull string `mapstructure:"on_null"`
	// StartTimeColumn, for counters, is a column holding when the counter started
	// counting, in Unix seconds (pg_stat_statements_info.stats_reset, a digest's
	// FIRST_SEEN): a change starts a new cumulative series at that time.
	StartTimeColumn string `mapstructure:"start_time_column"`
}

// Credentials is how to log in to a database.
type Credentials struct {
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// Database defaults to "postgres" on PostgreSQL engines and to none on MySQL.
	Database string `mapstructure:"database"`
	// IAMAuth logs in with an RDS IAM authentication token minted for every new
	// connection (tokens live 15 minutes); it requires TLS.
	IAMAuth bool `mapstructure:"iam_auth"`
	// TLS is on unless insecure is true: the server's certificate is verified against
	// ca_file (for RDS, the RDS CA bundle), else the system's roots, for the target's
	// host name (server_name_override replaces it). Only insecure: true allows plaintext.
	TLS configtls.ClientConfig `mapstructure:"tls"`
}

// TargetConfig is a static database: either a DSN, or host/port and credentials.
type TargetConfig struct {
	Name string `mapstructure:"name"`
	// Engine is mysql, mariadb or postgresql.
	Engine string `mapstructure:"engine"`
	// DSN is a go-sql-driver/mysql DSN or a PostgreSQL URL or keyword/value string.
	DSN         configopaque.String `mapstructure:"dsn"`
	Host        string              `mapstructure:"host"`
	Port        int                 `mapstructure:"port"`
	Credentials `mapstructure:",squash"`
}

// DefaultConfig returns a Config with the defaults filled in.
func DefaultConfig() Config {
	return Config{MaxConcurrency: DefaultMaxConcurrency}
}

func (c Config) maxConcurrency() int { return orDefault(c.MaxConcurrency, DefaultMaxConcurrency) }

// poolSize is the connection pool size of a target that queries run on: one connection
// per query (a query never has two runs in flight), at most max_concurrency_per_target.
func (c Config) poolSize(queries int) int {
	n := max(queries, 1)
	if c.MaxConcurrencyPerTarget > 0 {
		n = min(n, c.MaxConcurrencyPerTarget)
	}
	return n
}

// effectiveInterval is how often the query runs.
func (q QueryConfig) effectiveInterval(collectionInterval time.Duration) time.Duration {
	if q.Interval > 0 {
		return q.Interval
	}
	return collectionInterval
}

// effectiveTimeout is the configured timeout or 80% of the effective interval, at most
// MaxDefaultTimeout; without any interval, MaxDefaultTimeout.
func (q QueryConfig) effectiveTimeout(collectionInterval time.Duration) time.Duration {
	if q.Timeout > 0 {
		return q.Timeout
	}
	iv := q.effectiveInterval(collectionInterval)
	if iv <= 0 {
		return MaxDefaultTimeout
	}
	return min(iv*8/10, MaxDefaultTimeout)
}

func (q QueryConfig) maxSeries() int { return orDefault(q.MaxSeries, DefaultMaxSeries) }

func (q QueryConfig) duplicates() string { return orDefault(q.Duplicates, DuplicatesFirst) }

func (m MetricConfig) metricType() string { return orDefault(m.Type, TypeGauge) }

func (m MetricConfig) null() string { return orDefault(m.OnNull, NullSkip) }

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
