package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// TestPushExporters runs the distribution with examples/remote-write.yaml,
// examples/influxdb.yaml and examples/file.yaml as they are (plus an override that points
// the receiver at the simulator) into a real Prometheus with its remote-write receiver,
// a real InfluxDB 1.x and files: every instance's CPU arrives in each, with the
// simulator's values at their CloudWatch timestamps.
func TestPushExporters(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")
	prometheus := toolBinary(t, "prometheus")
	influxd := toolBinary(t, "influxd")

	fleet, err := simulator.LoadFleet(smallFleet)
	require.NoError(t, err)
	truth := simulator.New(simulator.Config{Fleet: fleet})
	dir := t.TempDir()

	simPort, promPort, influxPort, influxRPC := freePort(t), freePort(t), freePort(t), freePort(t)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	start(t, nil, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort), "-fleet", smallFleet)
	waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })

	promCfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(promCfg, []byte("global: {scrape_interval: 1m}\n"), 0o600))
	promURL := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	start(t, nil, prometheus, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort), "--web.enable-remote-write-receiver")

	influxCfg := filepath.Join(dir, "influxdb.conf")
	require.NoError(t, os.WriteFile(influxCfg, []byte(fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%[2]d"
[meta]
  dir = "%[1]s/meta"
[data]
  dir = "%[1]s/data"
  wal-dir = "%[1]s/wal"
[http]
  bind-address = "127.0.0.1:%[3]d"
  log-enabled = false
`, filepath.Join(dir, "influx"), influxRPC, influxPort)), 0o600))
	influxURL := fmt.Sprintf("http://127.0.0.1:%d", influxPort)
	start(t, nil, influxd, "-config", influxCfg)
	influxQuery := func(q string) (int, []byte) {
		resp, err := http.PostForm(influxURL+"/query", url.Values{"q": {q}, "db": {"rds"}, "epoch": {"s"}})
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
		return resp.StatusCode, []byte(b.String())
	}
	waitFor(t, "Prometheus ready", 30*time.Second, func() bool { code, _, _ := get(promURL + "/-/ready"); return code == 200 })
	waitFor(t, "InfluxDB to create the database", 30*time.Second, func() bool { code, _ := influxQuery("CREATE DATABASE rds"); return code == 200 })

	override := filepath.Join(dir, "override.yaml")
	require.NoError(t, os.WriteFile(override, []byte(fmt.Sprintf(`receivers:
  awsrds:
    region: us-east-1
    endpoints: {rds: %[1]s, cloudwatch: %[1]s, logs: %[1]s}
service:
  telemetry:
    metrics: {level: none}
`, simURL)), 0o600))
	outDir := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(outDir, 0o700))
	for _, example := range []string{"remote-write", "influxdb", "file"} {
		env := append(awsEnv(), "STATE_DIRECTORY="+filepath.Join(dir, "state-"+example), "OUTPUT_DIR="+outDir,
			"REMOTE_WRITE_URL="+promURL+"/api/v1/write", "INFLUXDB_ENDPOINT="+influxURL, "INFLUXDB_DATABASE=rds")
		start(t, env, otelcol, "--config", "../examples/"+example+".yaml", "--config", override)
	}
	ids := instanceIDs(fleet)

	// Prometheus, through remote write: the dashboard's names and labels, plus the example's
	// transform (db) and without the ARN the resource processor deletes.
	api := promAPI{t: t, base: promURL}
	waitFor(t, "every instance's CPU in Prometheus", 90*time.Second, func() bool {
		return len(api.tryQuery("aws_rds_cpu_utilization_percent")) >= len(ids)
	})
	for _, r := range api.query("aws_rds_cpu_utilization_percent") {
		assert.Equal(t, r.Metric["aws_rds_db_instance_identifier"], r.Metric["db"], "the transform processor's label")
		assert.NotContains(t, r.Metric, "aws_rds_db_instance_arn", "the resource processor deleted it")
	}
	checkTruth(t, api, truth, "aws_rds_cpu_utilization_percent[15m]", "aws_rds_db_instance_identifier",
		"DBInstanceIdentifier", "CPUUtilization", ids)

	// InfluxDB, in Telegraf's Prometheus schema: a measurement per metric (its OTel name), the
	// value in the field "gauge", resource attributes as tags.
	var influx struct {
		Results []struct {
			Series []struct {
				Columns []string
				Values  [][]any
			}
		}
	}
	waitFor(t, "every instance's CPU in InfluxDB", 60*time.Second, func() bool {
		code, body := influxQuery(`SELECT * FROM "aws.rds.cpu.utilization"`)
		if code != 200 || json.Unmarshal(body, &influx) != nil || len(influx.Results) == 0 || len(influx.Results[0].Series) == 0 {
			return false
		}
		col := columnIndex(influx.Results[0].Series[0].Columns, "aws.rds.db_instance.identifier")
		got := map[string]bool{}
		for _, v := range influx.Results[0].Series[0].Values {
			if col >= 0 {
				got[fmt.Sprint(v[col])] = true
			}
		}
		return len(got) >= len(ids)
	})
	s := influx.Results[0].Series[0]
	timeCol, idCol, valueCol := columnIndex(s.Columns, "time"), columnIndex(s.Columns, "aws.rds.db_instance.identifier"), columnIndex(s.Columns, "gauge")
	require.True(t, timeCol >= 0 && valueCol >= 0, "columns %v", s.Columns)
	for _, v := range s.Values {
		ts := time.Unix(int64(v[timeCol].(float64)), 0)
		want, ok := truth.Value("DBInstanceIdentifier", fmt.Sprint(v[idCol]), "CPUUtilization", "Average", ts, time.Minute)
		require.True(t, ok, "InfluxDB has %v at %v, the simulator nothing", v[idCol], ts)
		assert.InDelta(t, want, v[valueCol].(float64), 1e-9*math.Max(1, math.Abs(want)), "%v at %v", v[idCol], ts)
	}

	// Files: OTLP JSON lines, one export per line.
	file := filepath.Join(outDir, "rds-metrics.jsonl")
	var points int
	waitFor(t, "every instance's CPU in the metrics file", 60*time.Second, func() bool {
		points = 0
		got := map[string]bool{}
		f, err := os.Open(file)
		if err != nil {
			return false
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 64<<20)
		var u pmetric.JSONUnmarshaler
		for sc.Scan() {
			md, err := u.UnmarshalMetrics(sc.Bytes())
			require.NoError(t, err)
			forEachCPU(md, func(id string, ts time.Time, v float64) {
				want, ok := truth.Value("DBInstanceIdentifier", id, "CPUUtilization", "Average", ts, time.Minute)
				require.True(t, ok, "the file has %s at %v, the simulator nothing", id, ts)
				assert.InDelta(t, want, v, 1e-9*math.Max(1, math.Abs(want)), "%s at %v", id, ts)
				got[id] = true
				points++
			})
		}
		return len(got) >= len(ids)
	})
	t.Logf("remote write, InfluxDB (%d points) and file (%d points) agree with the simulator", len(s.Values), points)
}

func columnIndex(columns []string, name string) int {
	for i, c := range columns {
		if c == name {
			return i
		}
	}
	return -1
}

// forEachCPU calls f for every aws.rds.cpu.utilization point of md.
func forEachCPU(md pmetric.Metrics, f func(id string, ts time.Time, v float64)) {
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		id, _ := rm.Resource().Attributes().Get("aws.rds.db_instance.identifier")
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				if m := ms.At(k); m.Name() == "aws.rds.cpu.utilization" {
					for p := 0; p < m.Gauge().DataPoints().Len(); p++ {
						dp := m.Gauge().DataPoints().At(p)
						f(id.Str(), dp.Timestamp().AsTime(), dp.DoubleValue())
					}
				}
			}
		}
	}
}
