package awsrdsreceiver

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
	"github.com/otelcol-rds/awsrdsreceiver/internal/sqlquery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// TestSQLOnDiscoveredInstancesAndStaticTargets: the simulated fleet lists instances whose
// endpoints are the test's own MariaDB and PostgreSQL servers. The receiver discovers them,
// runs only the engine-matched queries on each, and emits CloudWatch and SQL metrics on
// the same resources.
func TestSQLOnDiscoveredInstancesAndStaticTargets(t *testing.T) {
	maria, pg := testdb.SharedMariaDB(t), testdb.SharedPostgres(t)
	fleet := simulator.Fleet{Instances: []simulator.Instance{
		{Identifier: "orders-maria", Engine: "mariadb", Class: "db.m6g.large", StorageType: "gp3", EndpointAddress: maria.Host, EndpointPort: int32(maria.Port), Tags: map[string]string{"env": "prod"}},
		{Identifier: "billing-pg", Engine: "postgres", Class: "db.r6g.large", StorageType: "gp3", EndpointAddress: pg.Host, EndpointPort: int32(pg.Port), Tags: map[string]string{"env": "prod"}},
	}}

	h := newHarness(t, fleet, func(cfg *Config) {
		require.NoError(t, confmap.NewFromStringMap(map[string]any{"sql": map[string]any{
			// The test servers speak plaintext, which must be asked for.
			"discovered": map[string]any{"username": "otel", "password": "otel-secret", "database": "app", "tls": map[string]any{"insecure": true}},
			"targets": []any{map[string]any{
				"name": "reporting", "engine": "postgresql", "host": pg.Host, "port": pg.Port,
				"database": "app", "username": "otel", "password": "otel-secret", "tls": map[string]any{"insecure": true},
			}},
			"queries": []any{
				map[string]any{
					"name":    "mysql_sessions",
					"sql":     "select user, substring_index(host, ':', 1) host, count(*) sessions from information_schema.processlist group by 1,2",
					"engines": []any{"mysql", "mariadb", "aurora-mysql"},
					"metrics": []any{map[string]any{"name": "db.sessions", "value_column": "sessions", "attribute_columns": []any{"user", "host"}, "unit": "{session}"}},
				},
				map[string]any{
					"name":    "pg_sessions",
					"sql":     "select usename, coalesce(client_addr::text, 'local') as client, count(*) as sessions from pg_stat_activity where usename is not null group by 1, 2",
					"engines": []any{"postgres", "aurora-postgresql"},
					"targets": []any{"reporting"},
					"metrics": []any{map[string]any{"name": "postgresql.sessions", "value_column": "sessions", "attribute_columns": []any{"usename", "client"}, "unit": "{session}"}},
				},
			},
		}}).Unmarshal(cfg))
	})

	md, err := h.scrape(t)
	require.NoError(t, err)

	byResource := map[string]map[string]pmetric.Metric{} // resource key -> metric name -> metric
	keys := map[string]string{}                          // target name -> resource key
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		key := resourceKey(rm)
		if byResource[key] == nil {
			byResource[key] = map[string]pmetric.Metric{}
		}
		attrs := rm.Resource().Attributes()
		if v, ok := attrs.Get("aws.rds.db_instance.identifier"); ok {
			keys[v.Str()] = key
		}
		if v, ok := attrs.Get("sql.target.name"); ok {
			keys[v.Str()] = key
		}
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			byResource[key][ms.At(j).Name()] = ms.At(j)
		}
	}

	mariaMetrics := byResource[keys["orders-maria"]]
	require.Contains(t, mariaMetrics, "aws.rds.cpu.utilization", "CloudWatch metrics on the instance's resource")
	require.Contains(t, mariaMetrics, "db.sessions", "SQL metrics on the same resource")
	assert.NotContains(t, mariaMetrics, "postgresql.sessions", "PostgreSQL query not run on MariaDB")
	assertSessionsOf(t, mariaMetrics["db.sessions"], "user", "otel")

	pgm := byResource[keys["billing-pg"]]
	require.Contains(t, pgm, "aws.rds.cpu.utilization")
	require.Contains(t, pgm, "postgresql.sessions")
	assert.NotContains(t, pgm, "db.sessions", "MySQL query not run on PostgreSQL")
	assertSessionsOf(t, pgm["postgresql.sessions"], "usename", "otel")

	static := byResource[keys["reporting"]]
	require.Contains(t, static, "postgresql.sessions", "static target queried")
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		if resourceKey(rm) == keys["reporting"] {
			attrs := rm.Resource().Attributes().AsRaw()
			assert.Equal(t, pg.Host, attrs["server.address"])
			assert.EqualValues(t, pg.Port, attrs["server.port"])
			assert.Equal(t, "postgresql", attrs["db.system.name"])
			assert.Equal(t, "app", attrs["db.namespace"])
		}
	}
}

// resourceKey identifies a resource by its attributes, so that separate ResourceMetrics
// with equal resources group together as a backend would join them.
func resourceKey(rm pmetric.ResourceMetrics) string {
	m := rm.Resource().Attributes().AsRaw()
	return fmtMap(m)
}

func fmtMap(m map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s=%v;", k, m[k])
	}
	return b.String()
}

func assertSessionsOf(t *testing.T, m pmetric.Metric, attr, user string) {
	t.Helper()
	require.Equal(t, pmetric.MetricTypeGauge, m.Type())
	dps := m.Gauge().DataPoints()
	for i := 0; i < dps.Len(); i++ {
		if v, ok := dps.At(i).Attributes().Get(attr); ok && v.Str() == user {
			assert.Positive(t, dps.At(i).IntValue()+int64(dps.At(i).DoubleValue()), "the receiver's own session counts")
			return
		}
	}
	t.Fatalf("no datapoint with %s=%s among %d", attr, user, dps.Len())
}

// TestSQLDocSnippetsValidate loads every YAML snippet of the README's "SQL query metrics"
// section and the configuration of internal/sqlquery/doc.go into the receiver's
// configuration and validates it as the collector does: a documented key that the code
// does not know, or a documented value it refuses, fails here.
func TestSQLDocSnippetsValidate(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	section := string(readme)
	start := strings.Index(section, "\n## SQL query metrics")
	require.GreaterOrEqual(t, start, 0, "README has no SQL section")
	section = section[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	snippets := map[string]string{}
	for i, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1) {
		snippets[fmt.Sprintf("README.md SQL snippet %d", i+1)] = m[1]
	}
	require.NotEmpty(t, snippets)

	doc, err := os.ReadFile(filepath.Join("internal", "sqlquery", "doc.go"))
	require.NoError(t, err)
	var block []string
	in := false
	for line := range strings.SplitSeq(string(doc), "\n") {
		switch {
		case strings.HasPrefix(line, "//\t"):
			in = true
			block = append(block, strings.TrimPrefix(line, "//\t"))
		case in:
			in = false
		}
		if !in && len(block) > 0 {
			break
		}
	}
	require.NotEmpty(t, block, "doc.go has no configuration block")
	snippets["internal/sqlquery/doc.go"] = "receivers:\n  awsrds:\n    region: eu-west-1\n    sql:\n" + indent(strings.Join(block, "\n"), "      ")

	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, testdb.NewCA(t, "RDS stand-in").PEM, 0o600))
	env := map[string]string{"LEGACY_DSN": "otel:pw@tcp(legacy.internal:3306)/app"}
	envRef := regexp.MustCompile(`\$\{env:([A-Z_]+)\}`)
	caRef := regexp.MustCompile(`(ca_file:\s*)(/[^\s,}]+)`)
	for name, text := range snippets {
		t.Run(name, func(t *testing.T) {
			text = envRef.ReplaceAllStringFunc(text, func(ref string) string {
				if v, ok := env[envRef.FindStringSubmatch(ref)[1]]; ok {
					return v
				}
				return "x"
			})
			text = caRef.ReplaceAllString(text, "${1}"+caFile) // the documented paths do not exist here
			file := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(file, []byte(text), 0o600))
			cm, err := confmaptest.LoadConf(file)
			require.NoError(t, err)
			sub, err := cm.Sub("receivers::awsrds")
			require.NoError(t, err)
			cfg := createDefaultConfig().(*Config)
			require.NoError(t, sub.Unmarshal(cfg), "a documented key is unknown")
			require.NoError(t, confmap.Validate(cfg), "a documented value is refused")
			require.Positive(t, len(cfg.SQL.Queries)+len(cfg.SQL.Packs), "the snippet configures no query and no pack")
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// A pack whose database lacks its extension says so once, with what to do; the next
// collections only count the failed runs, and the other packs' metrics keep coming.
func TestPackMissingExtensionReportedOnce(t *testing.T) {
	pg := testdb.StartPostgres(t)
	h := newHarness(t, simulator.Fleet{}, func(cfg *Config) {
		require.NoError(t, confmap.NewFromStringMap(map[string]any{"sql": map[string]any{
			"packs": []any{"postgresql.statements", "postgresql.transaction_id_age"},
			"targets": []any{map[string]any{
				"name": "reporting", "engine": "postgresql", "host": pg.Host, "port": pg.Port,
				"database": "app", "username": "otel", "password": "otel-secret", "tls": map[string]any{"insecure": true},
			}},
		}}).Unmarshal(cfg))
	})
	md, err := h.scrape(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `query "postgresql.statements"`)
	assert.Contains(t, err.Error(), `relation "pg_stat_statements" does not exist`)
	assert.Contains(t, err.Error(), "run CREATE EXTENSION pg_stat_statements there")
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("reported once").Len())
	assert.Contains(t, namesOf(md), "postgresql.database.transaction_id.age", "the other pack runs")

	h.clock.Advance(h.cfg.CollectionInterval)
	md, err = h.scrape(t)
	if err != nil {
		assert.NotContains(t, err.Error(), "pg_stat_statements")
	}
	assert.Equal(t, 1, h.logs.FilterMessageSnippet("reported once").Len())
	assert.Contains(t, namesOf(md), "postgresql.database.transaction_id.age")
}

// namesOf lists the names of every metric of md, whatever its resource.
func namesOf(md pmetric.Metrics) []string {
	var out []string
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		sms := md.ResourceMetrics().At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			for k := 0; k < sms.At(j).Metrics().Len(); k++ {
				out = append(out, sms.At(j).Metrics().At(k).Name())
			}
		}
	}
	return out
}

// The README's pack table lists exactly the packs the binary embeds.
func TestREADMEListsEveryPack(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var listed []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+\\.[a-z_]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		listed = append(listed, m[1])
	}
	sort.Strings(listed)
	assert.Equal(t, sqlquery.PackNames(), listed)
}
