package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestYACE20AreReceiverMetrics(t *testing.T) {
	names := metricNames()
	require.Greater(t, len(names), 50)
	require.Len(t, yace20, 20)
	for _, m := range yace20 {
		assert.Contains(t, names, m)
	}
	section := metricsSection("yace20")
	assert.Equal(t, 20, strings.Count(section, "{enabled: true}"))
	assert.Equal(t, len(names)-20, strings.Count(section, "{enabled: false}"))
	assert.Empty(t, metricsSection("default"))
}

func TestParsePromFlags(t *testing.T) {
	o, err := parseFleetFlags([]string{"-bin", "x", "-instances", "", "-prometheus-instances", "10, 20", "-prometheus-exporters", "prometheus/noscope"}, &bytes.Buffer{})
	require.NoError(t, err)
	assert.Empty(t, o.sizes)
	assert.Equal(t, []int{10, 20}, o.prom.sizes)
	assert.Equal(t, []string{"default", "yace20"}, o.prom.sets)
	assert.Equal(t, []string{"prometheus/noscope"}, o.prom.exporters)
	_, err = parseFleetFlags([]string{"-bin", "x", "-prometheus-sets", "all"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "unknown set")
	_, err = parseFleetFlags([]string{"-bin", "x", "-prometheus-exporters", "otlp"}, &bytes.Buffer{})
	assert.ErrorContains(t, err, "unknown exporter")
}

func TestPromCollectorConfig(t *testing.T) {
	s := promSettings{collectorSettings: collectorSettings{storageDir: "/tmp/x"}, set: "yace20", exporter: "prometheus/noscope", exporterPort: 9999}
	cfg := promCollectorConfig(s)
	assert.Contains(t, cfg, "    storage: file_storage\n")
	assert.Contains(t, cfg, "      processors: [memory_limiter, batch]\n")
	assert.Contains(t, cfg, "      aws.rds.cpu.utilization: {enabled: true}\n")
	assert.NotContains(t, cfg, "debug")
	assert.Contains(t, cfg, "  prometheus/noscope:\n    endpoint: 127.0.0.1:9999\n")
	assert.Contains(t, cfg, "    without_scope_info: true\n")
	assert.Contains(t, cfg, "exporters: [prometheus/noscope]")
	// The exporter's settings are examples/prometheus.yaml's.
	example, err := os.ReadFile("../../examples/prometheus.yaml")
	require.NoError(t, err)
	for _, line := range []string{"    send_timestamps: true\n", "    metric_expiration: 10m\n", "        - aws.rds.tag.*\n", "  rdsprometheus:\n"} {
		assert.Contains(t, string(example), line)
	}
	assert.NotContains(t, promCollectorConfig(promSettings{exporter: "rdsprometheus"}), "without_scope_info")
}

func TestReadMetrics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# HELP a x\n# TYPE a gauge\na{b=\"1\"} 1 1000\na{b=\"2\"} 2 1000\n")
	}))
	defer srv.Close()
	rd, err := readMetrics(context.Background(), os.Getpid(), srv.URL)
	require.NoError(t, err)
	assert.Equal(t, 2, rd.series)
	assert.Equal(t, 58, rd.bytes)
	assert.GreaterOrEqual(t, rd.cpu, 0.0)
}

func TestPromTargets(t *testing.T) {
	r := &promResult{instances: 1000, set: "yace20", mem: memory{peak: 100 << 20}, cycles: []promCycle{
		{index: 1, intervalCPU: 2, hasInterval: true},
		{index: 2, intervalCPU: 0.30, hasInterval: true, read: promRead{cpu: 0.05}},
		{index: 3, intervalCPU: 0.35, hasInterval: true},
	}}
	got := promTargets(r)
	require.Len(t, got, 2)
	assert.Equal(t, "**met**", got[0].verdict, "0.35 s <= 0.5 x 0.76 s (the first cycle is not steady)")
	assert.Equal(t, "0.38 s", got[0].limit)
	assert.Equal(t, "**met**", got[1].verdict)
	r.mem.peak = 120 << 20
	assert.Equal(t, "**missed** by 13 MiB", promTargets(r)[1].verdict)
	r.set = "default"
	got = promTargets(r)
	require.Len(t, got, 1)
	assert.Equal(t, "**met**", got[0].verdict, "120 MiB <= 1.2 x 107 MiB")
	r.instances = 100
	assert.Empty(t, promTargets(r), "no YACE figure at 100 instances")
	lo, hi, ok := r.cycleOnly()
	assert.True(t, ok)
	assert.InDelta(t, 0.25, lo, 1e-9)
	assert.InDelta(t, 0.35, hi, 1e-9)
}

func TestWritePromReport(t *testing.T) {
	var b bytes.Buffer
	r := &promResult{instances: 5000, set: "yace20", exporter: "rdsprometheus", mem: memory{peak: 200 << 20}, config: "x: 1\n",
		cycles: []promCycle{{index: 1, read: promRead{series: 100000, bytes: 2e7}}, {index: 2, intervalCPU: 1.5, hasInterval: true, read: promRead{cpu: 0.1, series: 100000}}}}
	writePromReport(&b, fleetOptions{prom: promOptions{cycles: 2}}, []*promResult{r}, nil)
	out := b.String()
	assert.Contains(t, out, "| 5,000 | yace20 | rdsprometheus | 100,000 |")
	assert.Contains(t, out, "| 5,000 | YACE's 20 | YACE v0.67.0, measured elsewhere")
	assert.Contains(t, out, "**met**")
	assert.True(t, slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
		return strings.HasPrefix(l, "| CPU per cycle incl. one read") && strings.Contains(l, "1.50 s (0.41× YACE)")
	}))
}
