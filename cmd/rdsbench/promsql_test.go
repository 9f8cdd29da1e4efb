package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

func TestParseSQLBenchFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string // error substring; "" for none
	}{
		{[]string{"-bin", "x"}, ""},
		{[]string{"-bin", "x", "-exporters", "otlp"}, "unknown exporter"},
		{[]string{"-bin", "x", "-rows", "0"}, "at least 1"},
		{[]string{"-bin", "x", "-interval", "10ms"}, "at least 1s"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			o, err := parseSQLBenchFlags(tt.args, &bytes.Buffer{})
			if tt.want != "" {
				assert.ErrorContains(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"rdsprometheus", "prometheus", "debug"}, o.exporters)
			assert.Equal(t, 50, o.queries)
			assert.Equal(t, 1000, o.rows)
		})
	}
}

// The configuration has every query, two metrics each, and the exporter asked for.
func TestSQLBenchConfig(t *testing.T) {
	o := sqlBenchOptions{queries: 3, rows: 10, interval: 10e9}
	pg := &testdb.Server{Host: "127.0.0.1", Port: 5432, Database: "app", User: "otel", Password: "pw"}
	cfg := sqlBenchConfig(o, pg, "http://rds", "http://cw", "rdsprometheus", 1, 2, 3)
	assert.Equal(t, 3, strings.Count(cfg, "- name: q0"))
	assert.Equal(t, 6, strings.Count(cfg, "value_column:"))
	assert.Contains(t, cfg, "generate_series(1, 10)")
	assert.Contains(t, cfg, "exporters: [rdsprometheus]")
	assert.Contains(t, cfg, "  rdsprometheus:\n    endpoint: 127.0.0.1:1\n")
	assert.Contains(t, sqlBenchConfig(o, pg, "", "", "debug", 1, 2, 3), "  debug:\n    verbosity: basic\n")
}

// Each goal is met or missed by how much, against sql_exporter's lowest figures.
func TestSQLBenchVerdicts(t *testing.T) {
	o := sqlBenchOptions{queries: 50, rows: 1000, interval: 10e9}
	results := []*sqlBenchResult{
		{exporter: "rdsprometheus", intervals: []float64{0.2, 0.25}, reads: []promRead{{cpu: 0.04, series: 100000, bytes: 1e6}}, mem: memory{peak: 130e6}},
		{exporter: "prometheus", intervals: []float64{3.0}, reads: []promRead{{cpu: 1, series: 100000}}, mem: memory{peak: 450e6}},
		{exporter: "debug", intervals: []float64{0.1}, exports: []int{100000}, mem: memory{peak: 100e6}},
	}
	var b bytes.Buffer
	writeSQLBenchReport(&b, o, results)
	out := b.String()
	assert.Contains(t, out, "| CPU per row incl. one read ≤ sql_exporter's | rdsprometheus | 5.0 µs (0.48× sql_exporter) | 10.4 µs | **met** |")
	assert.Contains(t, out, "| peak RSS ≤ sql_exporter's | rdsprometheus | 130 MB (0.91× sql_exporter) | 143 MB | **met** |")
	assert.Contains(t, out, "| CPU per row incl. one read ≤ sql_exporter's | prometheus | 60.0 µs (5.77× sql_exporter) | 10.4 µs | **missed** by 49.6 µs (477%) |")
	assert.Contains(t, out, "| peak RSS ≤ sql_exporter's | prometheus | 450 MB (3.15× sql_exporter) | 143 MB | **missed** by 307 MB (215%) |")
	assert.Contains(t, out, "| debug | 100,000 (datapoints exported) |")
	assert.NotContains(t, out, "| debug | 2.0 µs", "the reference has no verdict")
}
