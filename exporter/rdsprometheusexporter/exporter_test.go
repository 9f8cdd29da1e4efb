package rdsprometheusexporter

import (
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

func TestExporterServesMetrics(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	cfg := createDefaultConfig().(*Config)
	cfg.ServerConfig.NetAddr.Endpoint = addr
	cfg.SendTimestamps = true
	require.NoError(t, cfg.Validate())
	f := NewFactory()
	exp, err := f.CreateMetrics(context.Background(), exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { assert.NoError(t, exp.Shutdown(context.Background())) }()

	require.NoError(t, exp.ConsumeMetrics(context.Background(), metrics("a", func(ms pmetric.MetricSlice) {
		gauge(ms, "aws.rds.cpu.utilization", "%", "CPU.", t0, 3)
	})))
	read := func(gz bool) (string, http.Header) {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", http.NoBody)
		require.NoError(t, err)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		} else {
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := (&http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableCompression: true}}).Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var body io.Reader = resp.Body
		if gz {
			require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
			zr, err := gzip.NewReader(resp.Body)
			require.NoError(t, err)
			body = zr
		}
		b, err := io.ReadAll(body)
		require.NoError(t, err)
		return string(b), resp.Header
	}
	plain, h := read(false)
	assert.Equal(t, contentType, h.Get("Content-Type"))
	assert.Empty(t, h.Get("Content-Encoding"))
	// No resource_constant_labels: the resource's attributes are not labels.
	want := "# HELP aws_rds_cpu_utilization_percent CPU.\n# TYPE aws_rds_cpu_utilization_percent gauge\n" +
		`aws_rds_cpu_utilization_percent{otel_scope_name="awsrds",otel_scope_schema_url="",otel_scope_version="1.0"} 3 1796288400000` + "\n"
	assert.Equal(t, want, plain)
	zipped, _ := read(true)
	assert.Equal(t, want, zipped)
	again, _ := read(true)
	assert.Equal(t, want, again, "the cached body")

	// A new point replaces the cached body.
	require.NoError(t, exp.ConsumeMetrics(context.Background(), metrics("a", func(ms pmetric.MetricSlice) {
		gauge(ms, "aws.rds.cpu.utilization", "%", "CPU.", t0.Add(time.Minute), 4)
	})))
	after, _ := read(true)
	assert.Contains(t, after, "} 4 1796288460000\n")
}

func TestConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":                 "127.0.0.1:9464",
		"metric_expiration":        "10m",
		"resource_constant_labels": map[string]any{"included": []any{"aws.rds.*"}},
	}).Unmarshal(cfg))
	assert.NoError(t, cfg.Validate())
	assert.Equal(t, 10*time.Minute, cfg.MetricExpiration)
	assert.Equal(t, "127.0.0.1:9464", cfg.ServerConfig.NetAddr.Endpoint)

	// A setting of contrib's exporter that this one does not implement is refused.
	assert.ErrorContains(t, confmap.NewFromStringMap(map[string]any{"namespace": "x"}).Unmarshal(createDefaultConfig()), "namespace is not supported")

	cfg.ResourceConstantLabels.Enabled = true //nolint:staticcheck // the deprecated field is refused
	assert.ErrorContains(t, cfg.Validate(), "not supported")
	cfg = createDefaultConfig().(*Config)
	cfg.MetricExpiration = 0
	assert.Error(t, cfg.Validate())
}

func TestAcceptsGzip(t *testing.T) {
	assert.True(t, acceptsGzip("gzip"))
	assert.True(t, acceptsGzip("identity, GZIP;q=0.5"))
	assert.False(t, acceptsGzip("gzip;q=0"))
	assert.False(t, acceptsGzip(""))
	assert.False(t, acceptsGzip("zstd"))
}
