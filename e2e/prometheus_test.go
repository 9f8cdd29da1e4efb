package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

const (
	dashboardFile = "../deploy/grafana/dashboards/otelcol-rds.json"
	alertsFile    = "../deploy/prometheus/alerts.yaml"
)

// The example queries of examples/prometheus.yaml, whose metrics the dashboard and the
// alerts use. The test checks that the example still holds these exact texts.
var exampleSQL = map[string]string{
	"mysql_sessions":        "select user, substring_index(host, ':', 1) host, count(*) sessions from information_schema.processlist group by 1,2",
	"pg_sessions":           "select usename, coalesce(client_addr::text, 'local') as client, count(*) as sessions from pg_stat_activity where usename is not null group by 1, 2",
	"mysql_max_connections": "select @@global.max_connections as max_connections",
	"pg_max_connections":    "select current_setting('max_connections')::int as max_connections",
}

// toolBinary finds a program on PATH. Outside CI a missing one skips the test; in CI it
// fails it (.ci/run installs it).
func toolBinary(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed (Debian package prometheus): %v", name, err)
		}
		t.Skipf("%s is not installed (Debian package prometheus): %v", name, err)
	}
	return path
}

// TestPrometheusStack runs what a user deploys: the simulator (fleet-small), real MariaDB
// and PostgreSQL servers, otelcol-rds with CloudWatch and SQL metrics on its Prometheus
// exporter, and a real Prometheus scraping it and its telemetry with the alert rules of
// deploy/prometheus. It checks the stored series against the simulator's ground truth and
// the SQL servers, then runs every query of the Grafana dashboard and every alert rule.
func TestPrometheusStack(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")
	prometheus := toolBinary(t, "prometheus")

	example, err := os.ReadFile("../examples/prometheus.yaml")
	require.NoError(t, err)
	for name, sql := range exampleSQL {
		require.Contains(t, string(example), "sql: "+sql, "examples/prometheus.yaml changed query %s: update exampleSQL", name)
	}
	dash := loadDashboard(t)

	maria, pg := testdb.StartMariaDB(t), testdb.StartPostgres(t)
	// What the statements packs need, as a DBA prepares it.
	pg.Exec(t, "CREATE EXTENSION pg_stat_statements")
	maria.Exec(t, "GRANT SELECT ON performance_schema.* TO "+maria.User)

	// fleet-small, with maria-t3 and pg-a listening where the test's servers are, so that
	// SQL on discovered instances (and the dashboard's join of CloudWatch connections with
	// max_connections) has real data. The other instances' endpoints stay fake: no query
	// is aimed at them.
	fleet, err := simulator.LoadFleet(smallFleet)
	require.NoError(t, err)
	for i := range fleet.Instances {
		in := &fleet.Instances[i]
		switch in.Identifier {
		case "maria-t3":
			in.EndpointAddress, in.EndpointPort = maria.Host, int32(maria.Port)
		case "pg-a":
			in.EndpointAddress, in.EndpointPort = pg.Host, int32(pg.Port)
		}
	}
	// An RDS Proxy in front of aurora-a, a Limitless cluster with its shard group, and a
	// failover of mysql-a shortly after the collector starts (aws.rds.events counts from the
	// receiver's start): the dashboard's proxy and Limitless panels and the event alerts'
	// counter need their series.
	fleet.Proxies = append(fleet.Proxies, simulator.Proxy{Name: "aurora-a-proxy", EngineFamily: "MYSQL",
		Targets: []simulator.ProxyTarget{{Instance: "aurora-a-1"}, {Instance: "aurora-a-2", Role: "READ_ONLY"}}})
	fleet.Clusters = append(fleet.Clusters, simulator.Cluster{Identifier: "orders-limitless", Engine: simulator.EngineAuroraPostgreSQL,
		ScalabilityType: simulator.ScalabilityLimitless})
	fleet.ShardGroups = append(fleet.ShardGroups, simulator.ShardGroup{Identifier: "orders-sg", Cluster: "orders-limitless", MaxACU: 400})
	// 90 s: well after the collector's first scrape, from which on the counter reads.
	fleet.Events = append(fleet.Events, simulator.Event{Time: time.Now().Add(90 * time.Second).Truncate(time.Second).UTC(),
		SourceType: "db-instance", SourceIdentifier: "mysql-a", Categories: []string{"failover"},
		Message: "A Multi-AZ failover that resulted in the promotion of a standby instance has started."})
	fleetJSON, err := json.Marshal(fleet) // JSON is YAML, with the same field names
	require.NoError(t, err)
	dir := t.TempDir()
	fleetFile := filepath.Join(dir, "fleet.yaml")
	require.NoError(t, os.WriteFile(fleetFile, fleetJSON, 0o600))
	truth := simulator.New(simulator.Config{Fleet: fleet})

	simPort, expPort, telPort, promPort, contribPort := freePort(t), freePort(t), freePort(t), freePort(t), freePort(t)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	start(t, nil, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort), "-fleet", fleetFile)
	waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })

	cfgFile := filepath.Join(dir, "otelcol.yaml")
	require.NoError(t, os.WriteFile(cfgFile, []byte(stackConfig(simURL, expPort, telPort, contribPort, maria, pg)), 0o600))
	start(t, awsEnv(), otelcol, "--config", cfgFile)

	alerts, err := filepath.Abs(alertsFile)
	require.NoError(t, err)
	promCfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(promCfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files: [%q]
scrape_configs:
  - job_name: otelcol-rds
    static_configs: [{targets: ["127.0.0.1:%d"]}]
  - job_name: otelcol-rds-telemetry
    static_configs: [{targets: ["127.0.0.1:%d"]}]
`, alerts, expPort, telPort)), 0o600))
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	start(t, nil, prometheus, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort))
	waitFor(t, "Prometheus ready", 30*time.Second, func() bool { code, _, _ := get(promURL + "/-/ready"); return code == 200 })
	api := promAPI{t: t, base: promURL}

	// First collection: every instance's CPU in Prometheus.
	waitFor(t, "aws_rds_cpu_utilization_percent of every instance in Prometheus", 90*time.Second, func() bool {
		got := map[string]bool{}
		for _, r := range api.tryQuery("aws_rds_cpu_utilization_percent") {
			got[r.Metric["aws_rds_db_instance_identifier"]] = true
		}
		for _, in := range fleet.Instances {
			if !got[in.Identifier] {
				return false
			}
		}
		return true
	})

	// Then the next discovery refresh fails after one throttled retry (max_attempts: 2):
	// the receiver's error and throttling telemetry gets data; the known fleet is kept.
	faults := `{"throttle": {"DescribeDBInstances": 1}, "fail": {"DescribeDBInstances": 1}}`
	resp, err := http.Post(simURL+"/_sim/faults", "application/json", strings.NewReader(faults))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)

	t.Run("sql metrics", func(t *testing.T) {
		var mariaMax, pgMax float64
		require.NoError(t, maria.Admin(t).QueryRow("select @@global.max_connections").Scan(&mariaMax))
		require.NoError(t, pg.Admin(t).QueryRow("select current_setting('max_connections')::int").Scan(&pgMax))
		want := map[string]float64{
			`db_max_connections{sql_target_name="reporting-maria"}`:                      mariaMax,
			`db_max_connections{aws_rds_db_instance_identifier="maria-t3"}`:              mariaMax,
			`db_max_connections{sql_target_name="reporting-pg"}`:                         pgMax,
			`db_max_connections{aws_rds_db_instance_identifier="pg-a"}`:                  pgMax,
			`db_sessions{sql_target_name="reporting-maria", user="otel"}`:                -1, // -1: any positive value
			`db_sessions{aws_rds_db_instance_identifier="maria-t3", user="otel"}`:        -1,
			`postgresql_sessions{sql_target_name="reporting-pg", usename="otel"}`:        -1,
			`postgresql_sessions{aws_rds_db_instance_identifier="pg-a", usename="otel"}`: -1,
		}
		waitFor(t, "the SQL series", 90*time.Second, func() bool {
			for q := range want {
				if len(api.tryQuery(q)) == 0 {
					return false
				}
			}
			return true
		})
		for q, v := range want {
			for _, r := range api.query(q) {
				if v < 0 {
					assert.Positive(t, r.value(t), q)
				} else {
					assert.Equal(t, v, r.value(t), q)
				}
			}
		}
		// The discovered instance's SQL series carries its CloudWatch labels: they join.
		rs := api.query(`db_max_connections{aws_rds_db_instance_identifier="pg-a"}`)
		require.NotEmpty(t, rs)
		assert.Equal(t, "postgres", rs[0].Metric["aws_rds_engine"])
		assert.Equal(t, "us-east-1", rs[0].Metric["cloud_region"])
	})

	t.Run("query insight", func(t *testing.T) {
		// Slow query metrics of the instances whose slow logs the simulator serves, and
		// the statements packs on the static targets and the discovered servers.
		want := []string{
			`aws_rds_slow_query_count_total{aws_rds_db_instance_identifier="mysql-a"}`,
			`aws_rds_slow_query_duration_seconds_total{aws_rds_db_instance_identifier="pg-a"}`,
			`postgresql_statement_calls_total{sql_target_name="reporting-pg"}`,
			`postgresql_statement_calls_total{aws_rds_db_instance_identifier="pg-a"}`,
			`mysql_statement_calls_total{sql_target_name="reporting-maria"}`,
			`mysql_statement_calls_total{aws_rds_db_instance_identifier="maria-t3"}`,
		}
		waitFor(t, "the slow query and statements pack series", 150*time.Second, func() bool {
			for _, q := range want {
				if len(api.tryQuery(q)) == 0 {
					return false
				}
			}
			return true
		})
		for _, q := range want {
			for _, r := range api.query(q) {
				assert.Positive(t, r.value(t), q)
			}
		}
		// Pack series carry the statement's database and user, never its text.
		for _, r := range api.query(`postgresql_statement_calls_total{sql_target_name="reporting-pg", db_query_id!=""}`) {
			assert.NotEmpty(t, r.Metric["db_namespace"])
			assert.NotEmpty(t, r.Metric["user_name"])
		}
		fps := api.query(`aws_rds_slow_query_count_total{aws_rds_db_instance_identifier="mysql-a"}`)
		for _, r := range fps {
			assert.Regexp(t, `^([0-9A-F]{16}|other)$`, r.Metric["db_query_fingerprint"])
		}
	})

	t.Run("receiver telemetry", func(t *testing.T) {
		// The collector's telemetry names counters without _total.
		deadline := time.Now().Add(150 * time.Second)
		for len(api.tryQuery(`otelcol_receiver_awsrds_api_calls{operation="DescribeDBInstances", outcome="error"} > 0`)) == 0 ||
			len(api.tryQuery(`otelcol_receiver_awsrds_api_retries{operation="DescribeDBInstances", reason="throttling"} > 0`)) == 0 {
			if time.Now().After(deadline) {
				for _, q := range []string{"otelcol_receiver_awsrds_api_calls", "otelcol_receiver_awsrds_api_retries"} {
					for _, r := range api.tryQuery(q) {
						t.Logf("%s %v %v", q, r.Metric, r.Value)
					}
				}
				t.Fatal("timed out after 150s waiting for the failed discovery refresh in the telemetry")
			}
			time.Sleep(time.Second)
		}
		assert.NotEmpty(t, api.query(`otelcol_receiver_awsrds_api_calls{operation="GetMetricData", outcome="success"} > 0`))
		assert.NotEmpty(t, api.query(`otelcol_receiver_awsrds_metrics_requested > 0`))
	})

	t.Run("cloudwatch values", func(t *testing.T) {
		// Two collections: a range selector returns every stored sample with its own
		// (CloudWatch) timestamp.
		cpu := "aws_rds_cpu_utilization_percent[15m]"
		waitFor(t, "two CPU samples of every instance", 60*time.Second, func() bool {
			n := map[string]int{}
			for _, r := range api.tryQuery(cpu) {
				n[r.Metric["aws_rds_db_instance_identifier"]] = len(r.Values)
			}
			for _, in := range fleet.Instances {
				if n[in.Identifier] < 2 {
					return false
				}
			}
			return true
		})
		checkTruth(t, api, truth, cpu, "aws_rds_db_instance_identifier", "DBInstanceIdentifier", "CPUUtilization", instanceIDs(fleet))
		checkTruth(t, api, truth, "aws_rds_cluster_volume_used_bytes[15m]", "aws_rds_db_cluster_identifier", "DBClusterIdentifier", "VolumeBytesUsed", clusterIDs(fleet))
	})

	t.Run("performance insights values", func(t *testing.T) { checkPITruth(t, api, truth, fleet) })

	t.Run("proxies, shard groups and events", func(t *testing.T) {
		// The names the alerts and the dashboard use, with the labels that tell resources apart.
		want := []string{
			`aws_rds_proxy_client_connections{aws_rds_proxy_name="aurora-a-proxy"}`,
			`aws_rds_proxy_target_database_connections{aws_rds_proxy_name="aurora-a-proxy", aws_rds_proxy_target_group="default", aws_rds_db_instance_identifier="aurora-a-2"}`,
			`aws_rds_proxy_target_available_ratio{aws_rds_proxy_name="aurora-a-proxy", aws_rds_db_instance_identifier="aurora-a-1"} == 1`,
			`aws_rds_shard_group_capacity{aws_rds_db_shard_group_identifier="orders-sg", aws_rds_db_cluster_identifier="orders-limitless"}`,
			`aws_rds_events_total{category="failover", aws_rds_db_instance_identifier="mysql-a"} == 1`,
		}
		waitFor(t, "the proxy, shard group and event series", 150*time.Second, func() bool {
			for _, q := range want {
				if len(api.tryQuery(q)) == 0 {
					return false
				}
			}
			return true
		})
		checkTruth(t, api, truth, "aws_rds_proxy_client_connections[15m]", "aws_rds_proxy_name", simulator.DimProxy, "ClientConnections", []string{"aurora-a-proxy"})
		checkTruth(t, api, truth, "aws_rds_shard_group_capacity[15m]", "aws_rds_db_shard_group_identifier", simulator.DimShardGroup, "DBShardGroupCapacity", []string{"orders-sg"})
	})

	t.Run("rdsprometheus matches contrib's prometheus exporter", func(t *testing.T) {
		// The same points reach both exporters: every line of one exposition is in the
		// other (names, labels, values, timestamps, HELP and TYPE), in any order.
		ours := fmt.Sprintf("http://127.0.0.1:%d/metrics", expPort)
		contrib := fmt.Sprintf("http://127.0.0.1:%d/metrics", contribPort)
		var a, b string
		deadline := time.Now().Add(150 * time.Second)
		for {
			a, b = sortedLines(t, ours), sortedLines(t, contrib)
			if a != "" && a == b && a == sortedLines(t, ours) { // and no collection between the reads
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the expositions differ after 150s; only ours: %q; only contrib's: %q", onlyIn(a, b), onlyIn(b, a))
			}
			time.Sleep(time.Second)
		}
		assert.Contains(t, a, `aws_rds_cpu_utilization_percent{`)
		assert.Contains(t, a, `db_max_connections{`)
		assert.Contains(t, a, "# TYPE aws_rds_")
		t.Logf("%d identical lines", strings.Count(a, "\n"))
	})

	t.Run("dashboard queries", func(t *testing.T) {
		for _, v := range dash.variables() {
			if v.Type != "query" {
				continue
			}
			metric, label := labelValues(t, v)
			assert.NotEmpty(t, api.labelValues(substitute(metric), label), "variable %s: %s", v.Name, v.queryText())
		}
		// Range functions (deriv, predict_linear, rate) need two samples of a series in their
		// range: CloudWatch series get one new sample per collection (60 s).
		queries := dash.queries()
		require.NotEmpty(t, queries)
		var empty []string
		deadline := time.Now().Add(4 * time.Minute)
		for {
			empty = empty[:0]
			for _, q := range queries {
				if len(api.query(substitute(q.expr))) == 0 {
					empty = append(empty, fmt.Sprintf("panel %q %s: %s", q.panel, q.refID, q.expr))
				}
			}
			if len(empty) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(5 * time.Second)
		}
		if assert.Empty(t, empty, "dashboard queries with no data in Prometheus") {
			t.Logf("%d dashboard queries, all with data", len(queries))
		}
	})

	t.Run("alert rules", func(t *testing.T) {
		src, err := os.ReadFile(alertsFile)
		require.NoError(t, err)
		want := regexp.MustCompile(`(?m)^\s*- alert: (\S+)`).FindAllStringSubmatch(string(src), -1)
		require.NotEmpty(t, want)
		var rules []promRule
		waitFor(t, "every alert rule evaluated", 30*time.Second, func() bool {
			rules = api.rules()
			if len(rules) < len(want) {
				return false
			}
			for _, r := range rules {
				if r.Health == "unknown" {
					return false
				}
			}
			return true
		})
		byName := map[string]promRule{}
		for _, r := range rules {
			byName[r.Name] = r
		}
		for _, w := range want {
			r, ok := byName[w[1]]
			if assert.True(t, ok, "alert %s not loaded", w[1]) {
				assert.Equal(t, "ok", r.Health, "alert %s: %s", r.Name, r.LastError)
				assert.Equal(t, "alerting", r.Type)
			}
		}
	})
}

// stackConfig is examples/prometheus.yaml for the simulator and the test's SQL servers:
// the example queries run on the static targets and on maria-t3 and pg-a.
// Contrib's prometheus exporter, with the same settings, serves the same points on
// contribPort, to be compared with the distribution's own.
func stackConfig(simURL string, expPort, telPort, contribPort int, maria, pg *testdb.Server) string {
	query := func(name, engines, target, identifier, metric string) string {
		return fmt.Sprintf(`        - name: %s
          engines: %s
          identifiers: [%s]
          targets: [%s]
          sql: %q
          metrics: [%s]
`, name, engines, identifier, target, exampleSQL[name], metric)
	}
	const mysqlEngines, pgEngines = "[mysql, mariadb, aurora-mysql]", "[postgres, aurora-postgresql]"
	return fmt.Sprintf(`receivers:
  awsrds:
    region: us-east-1
    collection_interval: 60s
    endpoints: {rds: %[1]s, cloudwatch: %[1]s, logs: %[1]s, pi: %[1]s}
    discovery: {refresh_interval: 30s}
    performance_insights: {enabled: true}
    # mysql-a and pg-a have Enhanced Monitoring: the dashboard's OS panels need its series.
    enhanced_monitoring: {enabled: true}
    # Injected failures then exhaust the retries quickly.
    cloudwatch: {max_attempts: 2, max_backoff: 1s}
    resource_tags: [env, team]
    sql:
      # The test servers speak plaintext, which must be asked for.
      discovered: {username: %[4]s, password: %[5]s, database: %[6]s, tls: {insecure: true}}
      targets:
        - {name: reporting-maria, engine: mariadb, host: %[7]s, port: %[8]d, database: %[6]s, username: %[4]s, password: %[5]s, tls: {insecure: true}}
        - {name: reporting-pg, engine: postgresql, host: %[9]s, port: %[10]d, database: %[6]s, username: %[4]s, password: %[5]s, tls: {insecure: true}}
      packs: [postgresql.statements, mysql.statements]
      queries:
%[11]s
    # The slow query logs (the simulator's) become aws.rds.slow_query.* metrics too.
    logs: {types: [slowquery, postgresql]}
    metrics:
      aws.rds.events: {enabled: true}
exporters:
  debug: {verbosity: basic}
  rdsprometheus:
    endpoint: 127.0.0.1:%[2]d
    send_timestamps: true
    metric_expiration: 10m
    resource_constant_labels: &labels
      included: [aws.rds.db_instance.identifier, aws.rds.db_cluster.identifier, aws.rds.proxy.name, aws.rds.proxy.target_group,
                 aws.rds.db_shard_group.identifier, aws.rds.engine, aws.rds.role, cloud.account.id, cloud.region, aws.rds.tag.*, sql.target.name]
  prometheus:
    endpoint: 127.0.0.1:%[12]d
    send_timestamps: true
    metric_expiration: 10m
    resource_constant_labels: *labels
service:
  telemetry:
    metrics:
      level: detailed
      readers:
        - pull: {exporter: {prometheus: {host: 127.0.0.1, port: %[3]d}}}
  pipelines:
    metrics: {receivers: [awsrds], exporters: [rdsprometheus, prometheus]}
    logs: {receivers: [awsrds], exporters: [debug]}
`, simURL, expPort, telPort, maria.User, maria.Password, maria.Database, maria.Host, maria.Port, pg.Host, pg.Port,
		query("mysql_sessions", mysqlEngines, "reporting-maria", "maria-t3",
			`{name: db.sessions, value_column: sessions, attribute_columns: [user, host], unit: "{session}"}`)+
			query("pg_sessions", pgEngines, "reporting-pg", "pg-a",
				`{name: postgresql.sessions, value_column: sessions, attribute_columns: [usename, client], unit: "{session}"}`)+
			query("mysql_max_connections", mysqlEngines, "reporting-maria", "maria-t3",
				`{name: db.max_connections, value_column: max_connections, unit: "{connection}"}`)+
			query("pg_max_connections", pgEngines, "reporting-pg", "pg-a",
				`{name: db.max_connections, value_column: max_connections, unit: "{connection}"}`), contribPort)
}

// onlyIn returns up to 5 lines of a that b lacks.
func onlyIn(a, b string) []string {
	have := map[string]bool{}
	for _, l := range strings.Split(b, "\n") {
		have[l] = true
	}
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !have[l] && len(out) < 5 {
			out = append(out, l)
		}
	}
	return out
}

// sortedLines is a /metrics body with its lines sorted ("" if it cannot be read).
func sortedLines(t *testing.T, url string) string {
	t.Helper()
	code, body, err := get(url)
	if err != nil || code != http.StatusOK {
		return ""
	}
	lines := strings.Split(strings.TrimSuffix(body, "\n"), "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// checkTruth compares every stored sample of a range selector with the simulator's value
// at the sample's timestamp, and wants samples for every identifier.
func checkTruth(t *testing.T, api promAPI, truth *simulator.Server, selector, label, dimension, metric string, ids []string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range api.query(selector) {
		id := r.Metric[label]
		for _, s := range r.Values {
			ts, v := sampleOf(t, s)
			require.Zero(t, ts.Unix()%60, "%s %s: sample at %v is not a CloudWatch period start", selector, id, ts)
			want, ok := truth.Value(dimension, id, metric, "Average", ts, time.Minute)
			require.True(t, ok, "%s %s: the simulator has no value at %v", selector, id, ts)
			assert.InDelta(t, want, v, 1e-9*math.Max(1, math.Abs(want)), "%s %s at %v", selector, id, ts)
			seen[id]++
		}
	}
	for _, id := range ids {
		assert.Positive(t, seen[id], "%s: no sample for %s", selector, id)
	}
}

func instanceIDs(f simulator.Fleet) []string {
	var out []string
	for _, in := range f.Instances {
		out = append(out, in.Identifier)
	}
	return out
}

func clusterIDs(f simulator.Fleet) []string {
	var out []string
	for _, c := range f.Clusters {
		out = append(out, c.Identifier)
	}
	return out
}

// substitute replaces the dashboard's template variables for a query against Prometheus:
// every filter variable matches everything (its "All" value), Grafana's interval
// variables become fixed durations.
func substitute(expr string) string {
	return strings.NewReplacer(
		"$__rate_interval", "1m", "${__rate_interval}", "1m",
		"$__interval", "1m", "${__interval}", "1m",
		"$__range", "15m", "${__range}", "15m",
		"$region", ".*", "$engine", ".*", "$cluster", ".*", "$instance", ".*",
	).Replace(expr)
}

// --- Prometheus HTTP API ------------------------------------------------------------------

type promAPI struct {
	t    *testing.T
	base string
}

type promSeries struct {
	Metric map[string]string `json:"metric"`
	Value  []any             `json:"value"`  // instant vector: [unix seconds, "value"]
	Values [][]any           `json:"values"` // range vector: samples
}

func (s promSeries) value(t *testing.T) float64 {
	_, v := sampleOf(t, s.Value)
	return v
}

func sampleOf(t *testing.T, s []any) (time.Time, float64) {
	t.Helper()
	require.Len(t, s, 2)
	sec, ok := s[0].(float64)
	require.True(t, ok, "timestamp %v", s[0])
	str, ok := s[1].(string)
	require.True(t, ok, "value %v", s[1])
	v, err := strconv.ParseFloat(str, 64)
	require.NoError(t, err)
	return time.UnixMilli(int64(math.Round(sec * 1000))).UTC(), v
}

type promRule struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
}

// call GETs an API path and decodes data; an HTTP or API error is returned.
func (p promAPI) call(path string, params url.Values, data any) error {
	code, body, err := get(p.base + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	var env struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return fmt.Errorf("HTTP %d, %w: %.200s", code, err, body)
	}
	if env.Status != "success" {
		return fmt.Errorf("HTTP %d: %s", code, env.Error)
	}
	return json.Unmarshal(env.Data, data)
}

// tryQuery is query for polling: an error counts as no result.
func (p promAPI) tryQuery(expr string) []promSeries {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.call("/api/v1/query", url.Values{"query": {expr}}, &data); err != nil {
		return nil
	}
	var out []promSeries
	if data.ResultType == "scalar" || data.ResultType == "string" {
		return []promSeries{{Value: nil}}
	}
	_ = json.Unmarshal(data.Result, &out)
	return out
}

// query runs an instant query; a query Prometheus rejects fails the test.
func (p promAPI) query(expr string) []promSeries {
	p.t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	require.NoError(p.t, p.call("/api/v1/query", url.Values{"query": {expr}}, &data), "query %s", expr)
	if data.ResultType == "scalar" || data.ResultType == "string" {
		return []promSeries{{}}
	}
	var out []promSeries
	require.NoError(p.t, json.Unmarshal(data.Result, &out))
	return out
}

func (p promAPI) labelValues(match, label string) []string {
	p.t.Helper()
	var out []string
	require.NoError(p.t, p.call("/api/v1/label/"+url.PathEscape(label)+"/values", url.Values{"match[]": {match}}, &out), "label_values(%s, %s)", match, label)
	return out
}

func (p promAPI) rules() []promRule {
	p.t.Helper()
	var data struct {
		Groups []struct {
			Rules []promRule `json:"rules"`
		} `json:"groups"`
	}
	require.NoError(p.t, p.call("/api/v1/rules", url.Values{"type": {"alert"}}, &data))
	var out []promRule
	for _, g := range data.Groups {
		out = append(out, g.Rules...)
	}
	return out
}

// --- Grafana dashboard --------------------------------------------------------------------

type dashboard struct {
	Title  string `json:"title"`
	UID    string `json:"uid"`
	Schema int    `json:"schemaVersion"`
	Panels []struct {
		ID         int             `json:"id"`
		Type       string          `json:"type"`
		Title      string          `json:"title"`
		Datasource json.RawMessage `json:"datasource"`
		GridPos    map[string]*int `json:"gridPos"`
		Targets    []struct {
			RefID      string          `json:"refId"`
			Expr       string          `json:"expr"`
			Datasource json.RawMessage `json:"datasource"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	} `json:"panels"`
	Templating struct {
		List []dashVar `json:"list"`
	} `json:"templating"`
}

type dashVar struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource json.RawMessage `json:"datasource"`
	AllValue   string          `json:"allValue"`
	IncludeAll bool            `json:"includeAll"`
}

// queryText is a query variable's query: a string, or the editor's {"query": "..."}.
func (v dashVar) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var o struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &o)
	return o.Query
}

type dashQuery struct{ panel, refID, expr string }

func (d *dashboard) variables() []dashVar { return d.Templating.List }

func (d *dashboard) queries() []dashQuery {
	var out []dashQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, dashQuery{p.Title, tg.RefID, tg.Expr})
		}
	}
	return out
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

func labelValues(t *testing.T, v dashVar) (metric, label string) {
	t.Helper()
	m := labelValuesRE.FindStringSubmatch(strings.TrimSpace(v.queryText()))
	require.NotNil(t, m, "variable %s: not label_values(selector, label): %s", v.Name, v.queryText())
	return m[1], m[2]
}

// loadDashboard reads the dashboard and checks it against the fields Grafana's dashboard
// JSON model needs for an import, and this project's conventions.
func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	src, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d dashboard
	dec := json.NewDecoder(bytes.NewReader(src))
	require.NoError(t, dec.Decode(&d))

	assert.NotEmpty(t, d.Title, "title")
	assert.Regexp(t, `^[a-zA-Z0-9_-]{1,40}$`, d.UID, "uid")
	assert.GreaterOrEqual(t, d.Schema, 36, "schemaVersion")
	require.NotEmpty(t, d.Panels, "panels")

	vars := map[string]dashVar{}
	for _, v := range d.Templating.List {
		require.NotEmpty(t, v.Name, "templating.list entry without name")
		require.NotEmpty(t, v.Type, "variable %s without type", v.Name)
		vars[v.Name] = v
	}
	ds, ok := vars["datasource"]
	require.True(t, ok, "no datasource variable")
	assert.Equal(t, "datasource", ds.Type)
	assert.Equal(t, `"prometheus"`, string(ds.Query), "datasource variable lists Prometheus data sources")
	for _, name := range []string{"instance", "engine", "cluster"} {
		v, ok := vars[name]
		if assert.True(t, ok, "no %s variable", name) {
			assert.Equal(t, "query", v.Type, name)
			assert.Contains(t, v.queryText(), "label_values(", name)
			assert.Contains(t, string(v.Datasource), "${datasource}", name)
			assert.True(t, v.IncludeAll && v.AllValue == ".*", "variable %s: All must be .* so that series without the label match", name)
		}
	}

	knownVar := regexp.MustCompile(`\$\{?(\w+)`)
	ids := map[int]bool{}
	types := map[string]int{}
	for _, p := range d.Panels {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		assert.Positive(t, p.ID, where)
		assert.False(t, ids[p.ID], "%s: duplicate id", where)
		ids[p.ID] = true
		assert.NotEmpty(t, p.Title, where)
		for _, k := range []string{"h", "w", "x", "y"} {
			if assert.NotNil(t, p.GridPos[k], "%s: gridPos.%s", where, k) {
				assert.GreaterOrEqual(t, *p.GridPos[k], 0, "%s: gridPos.%s", where, k)
			}
		}
		if p.GridPos["x"] != nil && p.GridPos["w"] != nil {
			assert.LessOrEqual(t, *p.GridPos["x"]+*p.GridPos["w"], 24, "%s: wider than the grid", where)
		}
		types[p.Type]++
		if p.Type == "row" {
			assert.Empty(t, p.Targets, where)
			assert.Empty(t, p.Panels, "%s: rows are expanded (collapsed rows hide their panels here)", where)
			continue
		}
		assert.Contains(t, []string{"stat", "timeseries", "table"}, p.Type, where)
		assert.Contains(t, string(p.Datasource), `"${datasource}"`, "%s: datasource", where)
		require.NotEmpty(t, p.Targets, "%s: no targets", where)
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			assert.NotEmpty(t, tg.RefID, "%s: target without refId", where)
			assert.False(t, refs[tg.RefID], "%s: duplicate refId %s", where, tg.RefID)
			refs[tg.RefID] = true
			assert.NotEmpty(t, tg.Expr, "%s %s: no expr", where, tg.RefID)
			for _, m := range knownVar.FindAllStringSubmatch(tg.Expr, -1) {
				if !strings.HasPrefix(m[1], "__") {
					assert.Contains(t, vars, m[1], "%s %s: undefined variable $%s", where, tg.RefID, m[1])
				}
			}
		}
	}
	for _, typ := range []string{"stat", "timeseries", "table"} {
		assert.Positive(t, types[typ], "no %s panel", typ)
	}
	return &d
}
