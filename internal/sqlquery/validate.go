package sqlquery

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configtls"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

// QueryEngines are the RDS engines a query can run on (queries[].engines).
var QueryEngines = []string{"mysql", "mariadb", "aurora-mysql", "postgres", "aurora-postgresql"}

// TargetEngines are the engines of static targets (targets[].engine).
var TargetEngines = []string{"mysql", "mariadb", "postgresql"}

var (
	metricNamePattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.]*$`)
	// Query and target names end up in telemetry attributes and log fields.
	namePattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.:-]*$`)
)

// Validate checks every field and names the offending one with its path, e.g.
// queries[2].metrics[0].value_column. DSNs and passwords never appear in its errors.
//
// Nested types deliberately have no Validate method: the collector walks nested config
// structs and would report the same error again under each path.
func (c Config) Validate() error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	c, err := c.WithPacks()
	add(err)

	if c.MaxConcurrency < 0 || c.MaxConcurrency > MaxMaxConcurrency {
		add(fmt.Errorf("max_concurrency: %d must be between 1 and %d (unset means %d)", c.MaxConcurrency, MaxMaxConcurrency, DefaultMaxConcurrency))
	}
	if c.MaxConcurrencyPerTarget < 0 || c.MaxConcurrencyPerTarget > MaxMaxConcurrencyPerTarget {
		add(fmt.Errorf("max_concurrency_per_target: %d must be between 1 and %d (unset means one connection per query of the target)", c.MaxConcurrencyPerTarget, MaxMaxConcurrencyPerTarget))
	} else if c.MaxConcurrencyPerTarget > c.maxConcurrency() {
		add(fmt.Errorf("max_concurrency_per_target: %d is more than max_concurrency %d", c.MaxConcurrencyPerTarget, c.maxConcurrency()))
	}

	targets := map[string]bool{}
	for i, t := range c.Targets {
		add(prefixed(fmt.Sprintf("targets[%d].", i), t.validate()))
		if targets[t.Name] {
			add(fmt.Errorf("targets[%d].name: %q is used twice", i, t.Name))
		}
		targets[t.Name] = true
	}

	engineOf := map[string]string{}
	for _, t := range c.Targets {
		engineOf[t.Name] = t.Engine
	}
	names := map[string]bool{}
	metrics := map[string]metricShape{}
	discovered := false
	for i, q := range c.Queries {
		p := fmt.Sprintf("queries[%d].", i)
		add(prefixed(p, q.validate()))
		add(prefixed(p, q.validateStatements(engineOf)))
		if names[q.Name] && q.Name != "" {
			add(fmt.Errorf("%sname: %q is used twice", p, q.Name))
		}
		names[q.Name] = true
		for j, name := range q.Targets {
			if !targets[name] {
				add(fmt.Errorf("%stargets[%d]: %q is not the name of one of targets", p, j, name))
			}
		}
		discovered = discovered || len(q.Engines) > 0
		// The same metric may come from several queries (say one per engine), but it must
		// be the same metric everywhere.
		for j, m := range q.Metrics {
			shape := metricShape{m.metricType(), m.Unit}
			if prev, ok := metrics[m.Name]; ok && prev != shape {
				add(fmt.Errorf("%smetrics[%d].name: %q is defined elsewhere with type %q and unit %q", p, j, m.Name, prev.typ, prev.unit))
			} else if !ok {
				metrics[m.Name] = shape
			}
		}
	}

	add(prefixed("discovered.", c.Discovered.validate(false)))
	if discovered && c.Discovered.Username == "" {
		add(errors.New("discovered.username: empty, but queries run on discovered instances (engines is set)"))
	}
	return errors.Join(errs...)
}

type metricShape struct{ typ, unit string }

// ValidateAgainst checks what depends on the receiver's collection interval: every
// query interval is a multiple of it and every timeout is shorter than its interval.
func (c Config) ValidateAgainst(collectionInterval time.Duration) error {
	if collectionInterval <= 0 {
		return nil
	}
	var errs []error
	for i, q := range c.Queries {
		if q.Interval > 0 && q.Interval%collectionInterval != 0 {
			errs = append(errs, fmt.Errorf("queries[%d].interval: %v is not a multiple of collection_interval %v", i, q.Interval, collectionInterval))
			continue
		}
		if iv := q.effectiveInterval(collectionInterval); q.Timeout >= iv {
			errs = append(errs, fmt.Errorf("queries[%d].timeout: %v must be shorter than the query's interval %v", i, q.Timeout, iv))
		}
	}
	return errors.Join(errs...)
}

func (q QueryConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !namePattern.MatchString(q.Name) {
		add("name: %q must be a non-empty name of letters, digits and _ . : -", q.Name)
	}
	if strings.TrimSpace(q.SQL) == "" {
		add("sql: empty")
	}
	for i, e := range q.Engines {
		if !slices.Contains(QueryEngines, e) {
			add("engines[%d]: %q is not an engine queries can run on (%s)", i, e, strings.Join(QueryEngines, ", "))
		}
	}
	if _, err := q.filter(); err != nil {
		errs = append(errs, err)
	}
	if len(q.Engines) == 0 && (len(q.Identifiers) > 0 || len(q.Tags) > 0) {
		add("engines: empty, but identifiers or tags select discovered instances: name their engines")
	}
	if len(q.Engines) == 0 && len(q.Targets) == 0 {
		add("engines and targets: both empty, the query would run nowhere")
	}
	for i, name := range q.Targets {
		if slices.Contains(q.Targets[:i], name) {
			add("targets[%d]: %q is listed twice", i, name)
		}
	}
	if q.Interval < 0 {
		add("interval: %v must not be negative", q.Interval)
	}
	switch {
	case q.Timeout < 0 || (q.Timeout > 0 && q.Timeout < MinTimeout):
		add("timeout: %v must be at least %v (unset means 80%% of the interval, at most %v)", q.Timeout, MinTimeout, MaxDefaultTimeout)
	case q.Interval > 0 && q.Timeout >= q.Interval:
		add("timeout: %v must be shorter than interval %v", q.Timeout, q.Interval)
	}
	if q.MaxSeries < 0 || q.MaxSeries > MaxMaxSeries {
		add("max_series: %d must be between 1 and %d (unset means %d)", q.MaxSeries, MaxMaxSeries, DefaultMaxSeries)
	}
	if d := q.duplicates(); d != DuplicatesFirst && d != DuplicatesSum && d != DuplicatesLast {
		add("duplicates: %q is not one of first, sum, last", q.Duplicates)
	}
	if len(q.Metrics) == 0 {
		add("metrics: empty, the query would make no metric")
	}
	for i, m := range q.Metrics {
		errs = append(errs, prefixed(fmt.Sprintf("metrics[%d].", i), m.validate()))
		for j := range i {
			if q.Metrics[j].Name == m.Name && m.Name != "" {
				add("metrics[%d].name: %q is used twice", i, m.Name)
				break
			}
		}
	}
	return errors.Join(errs...)
}

func (m MetricConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !metricNamePattern.MatchString(m.Name) || len(m.Name) > 255 {
		add("name: %q is not a metric name (a letter, then letters, digits, _ and .; at most 255)", m.Name)
	}
	if m.ValueColumn == "" {
		add("value_column: empty")
	}
	for i, col := range m.AttributeColumns {
		switch {
		case col == "":
			add("attribute_columns[%d]: empty", i)
		case strings.EqualFold(col, m.ValueColumn):
			add("value_column: %q is also one of attribute_columns (attribute_columns[%d])", m.ValueColumn, i)
		case slices.ContainsFunc(m.AttributeColumns[:i], func(c string) bool { return strings.EqualFold(c, col) }):
			add("attribute_columns[%d]: %q is listed twice", i, col)
		}
	}
	if t := m.metricType(); t != TypeGauge && t != TypeCounter {
		add("type: %q is not one of gauge, counter", m.Type)
	}
	if n := m.null(); n != NullSkip && n != NullZero {
		add("on_null: %q is not one of skip, zero", m.OnNull)
	}
	if m.StartTimeColumn != "" && m.metricType() != TypeCounter {
		add("start_time_column: %q is only for counters (type: counter)", m.StartTimeColumn)
	}
	return errors.Join(errs...)
}

func (t TargetConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !namePattern.MatchString(t.Name) {
		add("name: %q must be a non-empty name of letters, digits and _ . : -", t.Name)
	}
	if !slices.Contains(TargetEngines, t.Engine) {
		add("engine: %q is not one of %s", t.Engine, strings.Join(TargetEngines, ", "))
	}
	if t.Port < 0 || t.Port > 65535 {
		add("port: %d is not a TCP port (1-65535; unset means the engine's default)", t.Port)
	}
	switch {
	case t.DSN != "" && t.Host != "":
		add("dsn and host: both set; use one of them")
	case t.DSN == "" && t.Host == "":
		add("dsn and host: both empty; set one of them")
	case t.DSN != "":
		for _, f := range []struct {
			name string
			set  bool
		}{{"port", t.Port != 0}, {"database", t.Database != ""}, {"username", t.Username != ""}, {"password", t.Password != ""}} {
			if f.set {
				add("%s: set, but dsn is set too (put it in the DSN)", f.name)
			}
		}
		if slices.Contains(TargetEngines, t.Engine) {
			if err := checkDSN(t.Engine, string(t.DSN), t.TLS); err != nil {
				errs = append(errs, err)
			}
		}
	default:
		if t.Username == "" {
			add("username: empty (host is set)")
		}
	}
	errs = append(errs, t.Credentials.validate(t.DSN != ""))
	return errors.Join(errs...)
}

// validate checks the credentials; with a DSN, the user name comes from it.
func (c Credentials) validate(dsn bool) error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.IAMAuth {
		if c.TLS.Insecure {
			add("iam_auth: requires TLS, but tls.insecure is true (RDS only accepts IAM tokens over TLS)")
		}
		if c.Username == "" && !dsn {
			add("iam_auth: requires username (the database user the token is for)")
		}
		if c.Password != "" {
			add("password: set, but iam_auth mints a token instead")
		}
	}
	errs = append(errs, prefixed("tls.", validateTLS(c.TLS)))
	return errors.Join(errs...)
}

// validateTLS checks what configtls's own Validate, which the collector calls, does not:
// that the files exist and hold certificates, and that plaintext comes alone.
func validateTLS(t configtls.ClientConfig) error {
	if t.Insecure {
		if t.CAFile != "" || t.CAPem != "" || t.CertFile != "" || t.CertPem != "" || t.ServerName != "" || t.InsecureSkipVerify {
			return errors.New("insecure: true (plaintext), but certificates, server_name_override or insecure_skip_verify are set too")
		}
		return nil
	}
	if t.CAFile != "" {
		if _, err := loadCAs(t.CAFile); err != nil {
			return fmt.Errorf("ca_file: %w", err)
		}
	}
	if t.Validate() != nil {
		return nil // configtls's Validate reports it, once
	}
	// Client certificate and key files, PEM blocks.
	_, err := t.LoadTLSConfig(context.Background())
	return err
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%q cannot be read: %w", path, errors.Unwrap(err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%q holds no PEM certificate", path)
	}
	return pool, nil
}

// validateStatements rejects a text of several statements, for each engine family the
// query runs on.
func (q QueryConfig) validateStatements(engineOf map[string]string) error {
	families := map[string]bool{}
	for _, e := range q.Engines {
		families[discovery.EngineFamily(e)] = true
	}
	for _, name := range q.Targets {
		families[discovery.EngineFamily(engineOf[name])] = true
	}
	for _, f := range []string{familyMySQL, familyPostgres} {
		if n := statementCount(f, q.SQL); families[f] && n > 1 {
			return fmt.Errorf("sql: %d statements; a query is one statement (nothing may follow its semicolon)", n)
		}
	}
	return nil
}

// filter compiles the query's discovered-instance selection.
func (q QueryConfig) filter() (*discovery.Filter, error) {
	return discovery.FilterConfig{Identifiers: q.Identifiers, Tags: q.Tags}.Compile()
}

// prefixed puts p before the message of err and of each error err joins, so that every
// line of a joined error names its full path.
func prefixed(p string, err error) error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, prefixed(p, e))
		}
		return errors.Join(out...)
	}
	return fmt.Errorf("%s%w", p, err)
}
