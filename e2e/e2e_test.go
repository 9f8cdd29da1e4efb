// Package e2e tests the otelcol-rds distribution built by ocb, as users run it: the real
// binary, the simulator binary and the Prometheus endpoint, all on 127.0.0.1.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const smallFleet = "../testdata/simulator/fleet-small.yaml"

// binary returns the path in env var name; the Makefile sets it after building. Outside
// CI a missing binary skips the test; in CI it fails it.
func binary(t *testing.T, name string) string {
	t.Helper()
	path := os.Getenv(name)
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: run the tests with `make test`", name)
		}
		t.Skipf("%s is not set: run the tests with `make test`", name)
	}
	return path
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a process until the test ends and returns its combined output buffer.
func start(t *testing.T, env []string, path string, args ...string) *syncBuffer {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(path), out.String())
		}
	})
	return out
}

// awsEnv is a fake account: static credentials, a region, no instance metadata lookups.
func awsEnv() []string {
	return []string{"AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
}

func get(url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String(), err
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	tests := []struct {
		name, receiver, want string
	}{
		{"good", "region: us-east-1", ""},
		{"region", "region: useast1", `region: "useast1" is not an AWS region name`},
		{"engine", "discovery: {engines: [postgresql]}", `discovery.engines[0]: unknown engine "postgresql"`},
		{"period", "cloudwatch: {period: 45s}", `cloudwatch.period: 45s must be a whole number of minutes`},
		{"statistic", "cloudwatch: {statistic: avg}", `cloudwatch.statistic: "avg" is not a CloudWatch statistic`},
		{"endpoint", "endpoints: {cloudwatch: 'localhost:4566'}", `endpoints.cloudwatch: "localhost:4566" is not an http(s) URL`},
		{"unknown field", "regoin: us-east-1", `regoin`},
		{"empty region", "region: ''", `region: "" is empty; leave the key out`},
		{"region from an unset variable", "region: ${env:OTELCOL_RDS_E2E_UNSET_REGION}", ""},
		// The env provider turns an empty default into an empty string: an explicit empty region.
		{"empty default of an unset variable", "region: ${env:OTELCOL_RDS_E2E_UNSET_REGION:-}", `region: "" is empty`},
		{"interval past the lookback", "cloudwatch: {max_lookback: 3h}\n    collection_interval: 4h",
			`collection_interval: 4h0m0s is longer than cloudwatch.max_lookback (3h0m0s) minus cloudwatch.overlap (5m0s)`},
		{"lookback past the retention", "cloudwatch: {max_lookback: 10000h}", `cloudwatch.max_lookback: 10000h0m0s is beyond what CloudWatch keeps`},
		{"delay of a 5-minute period", "cloudwatch: {period: 5m}", `cloudwatch.delay: 0s must be at least cloudwatch.period (5m0s)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`receivers:
  awsrds:
    %s
exporters:
  debug:
service:
  pipelines:
    metrics: {receivers: [awsrds], exporters: [debug]}
`, tt.receiver)), 0o600))
			out, err := exec.Command(otelcol, "validate", "--config", cfg).CombinedOutput()
			if tt.want == "" {
				require.NoError(t, err, string(out))
				return
			}
			require.Error(t, err, "validate accepted a bad config")
			assert.Equal(t, 1, strings.Count(string(out), tt.want), "the error is reported once:\n%s", out)
		})
	}
}

// TestExamplesAreValid: every configuration under examples/ passes `otelcol-rds validate`.
func TestExamplesAreValid(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	files, err := filepath.Glob("../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	caBundle := filepath.Join(t.TempDir(), "rds-ca.pem")
	require.NoError(t, os.WriteFile(caBundle, selfSignedCA(t), 0o600))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := exec.Command(otelcol, "validate", "--config", f)
			cmd.Env = append(os.Environ(), "RDSSIM_ENDPOINT=http://127.0.0.1:4566", "PROMETHEUS_ENDPOINT=127.0.0.1:9464",
				"HEALTH_ENDPOINT=127.0.0.1:13133", "TELEMETRY_PORT=8888", "RDS_MONITOR_PASSWORD=x", "REPORTING_PASSWORD=x", "RDS_CA_BUNDLE="+caBundle,
				"OTLP_ENDPOINT=otlp.example.com:4317", "OTLP_TOKEN=x", "SHARD_COUNT=3", "SHARD_INDEX=2",
				"REMOTE_WRITE_URL=http://127.0.0.1:9090/api/v1/write", "INFLUXDB_ENDPOINT=http://127.0.0.1:8086", "INFLUXDB_DATABASE=rds", "OUTPUT_DIR="+t.TempDir(), "ANALYTICS_EXTERNAL_ID=x", "OTLP_HTTP_ENDPOINT=https://otlp.example.com:4318")
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "%s", out)
		})
	}
}

// TestPrometheusEndpoint is `make demo` as a test: every simulated instance shows up on the
// Prometheus endpoint, labelled by identifier and engine, with the simulator's values at
// their CloudWatch timestamps.
func TestPrometheusEndpoint(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")

	simPort, promPort, healthPort, telemetryPort := freePort(t), freePort(t), freePort(t), freePort(t)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	start(t, nil, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort), "-fleet", smallFleet)
	waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })

	env := append(awsEnv(), "RDSSIM_ENDPOINT="+simURL, "STATE_DIRECTORY="+t.TempDir(), // file_storage
		fmt.Sprintf("PROMETHEUS_ENDPOINT=127.0.0.1:%d", promPort),
		fmt.Sprintf("HEALTH_ENDPOINT=127.0.0.1:%d", healthPort),
		fmt.Sprintf("TELEMETRY_PORT=%d", telemetryPort))
	start(t, env, otelcol, "--config", "../examples/demo.yaml")

	fleet, err := simulator.LoadFleet(smallFleet)
	require.NoError(t, err)
	truth := simulator.New(simulator.Config{Fleet: fleet})

	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", promPort)
	var body string
	waitFor(t, "aws_rds_* series of every instance", 60*time.Second, func() bool {
		_, body, _ = get(metricsURL)
		for _, in := range fleet.Instances {
			if !strings.Contains(body, fmt.Sprintf(`aws_rds_db_instance_identifier="%s"`, in.Identifier)) {
				return false
			}
		}
		return true
	})

	samples := parseSamples(t, body)
	for _, in := range fleet.Instances {
		t.Run(in.Identifier, func(t *testing.T) {
			cpu := find(samples, "aws_rds_cpu_utilization_percent", in.Identifier)
			require.NotNil(t, cpu, "no CPU series")
			assert.Equal(t, in.Engine, cpu.labels["aws_rds_engine"])
			require.NotZero(t, cpu.timestamp, "points carry their CloudWatch timestamp")
			ts := time.UnixMilli(cpu.timestamp)
			assert.Zero(t, ts.Unix()%60, "timestamp is a CloudWatch period start")
			want, ok := truth.Value("DBInstanceIdentifier", in.Identifier, "CPUUtilization", "Average", ts, time.Minute)
			require.True(t, ok)
			assert.InDelta(t, want, cpu.value, 1e-9)
		})
	}

	code, _, err := get(fmt.Sprintf("http://127.0.0.1:%d/", healthPort))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code, "health_check")

	_, own, err := get(fmt.Sprintf("http://127.0.0.1:%d/metrics", telemetryPort))
	require.NoError(t, err)
	assert.Regexp(t, `otelcol_receiver_awsrds_api_calls(_total)?\{[^}]*operation="GetMetricData"[^}]*outcome="success"[^}]*\} [1-9]`, own)
	assert.Regexp(t, `otelcol_receiver_awsrds_metrics_requested(_total)?(\{[^}]*\})? [1-9]`, own)
}

// selfSignedCA returns a PEM CA certificate, standing in for the RDS CA bundle.
func selfSignedCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "otelcol-rds test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

type sample struct {
	name      string
	labels    map[string]string
	value     float64
	timestamp int64
}

// parseSamples reads the Prometheus text format (enough of it for these tests).
func parseSamples(t *testing.T, body string) []sample {
	t.Helper()
	var out []sample
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s := sample{labels: map[string]string{}}
		rest := line
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			s.name = line[:i]
			for _, kv := range splitLabels(line[i+1 : j]) {
				k, v, _ := strings.Cut(kv, "=")
				s.labels[k] = strings.Trim(v, `"`)
			}
			rest = strings.TrimSpace(line[j+1:])
		} else {
			s.name, rest, _ = strings.Cut(line, " ")
		}
		fields := strings.Fields(rest)
		v, err := strconv.ParseFloat(fields[0], 64)
		require.NoError(t, err, line)
		s.value = v
		if len(fields) > 1 {
			s.timestamp, err = strconv.ParseInt(fields[1], 10, 64)
			require.NoError(t, err, line)
		}
		out = append(out, s)
	}
	return out
}

// splitLabels splits a="x",b="y" on the commas between labels (values may hold commas).
func splitLabels(s string) []string {
	var out []string
	inQuote, startAt := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case ',':
			if !inQuote {
				out = append(out, s[startAt:i])
				startAt = i + 1
			}
		}
	}
	if startAt < len(s) {
		out = append(out, s[startAt:])
	}
	return out
}

func find(samples []sample, name, identifier string) *sample {
	for i := range samples {
		if samples[i].name == name && samples[i].labels["aws_rds_db_instance_identifier"] == identifier {
			return &samples[i]
		}
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for a process's concurrent writes and the test's reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }
