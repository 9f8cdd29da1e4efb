package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// The SQL workload of issue #11 on the Prometheus path: one PostgreSQL target, Q queries
// of R rows each, two metrics per row (2·Q·R series), one /metrics read per cycle; the
// debug exporter beside it as the reference.

// sqlBenchOptions are the flags of `rdsbench promsql`.
type sqlBenchOptions struct {
	bin, workdir, out string
	queries, rows     int
	interval          time.Duration
	cycles            int
	exporters         []string // rdsprometheus, prometheus (contrib), debug
	memLimit          string
	profile           bool
}

func parseSQLBenchFlags(args []string, stderr io.Writer) (sqlBenchOptions, error) {
	var o sqlBenchOptions
	fs := flag.NewFlagSet("rdsbench promsql", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.bin, "bin", os.Getenv("OTELCOL_RDS_BIN"), "otelcol-rds binary (default $OTELCOL_RDS_BIN)")
	fs.StringVar(&o.workdir, "workdir", "", "where configs, collector logs and profiles go (default: a temporary directory)")
	fs.StringVar(&o.out, "out", "", "markdown report file (default: standard output)")
	fs.IntVar(&o.queries, "queries", 50, "queries on the target")
	fs.IntVar(&o.rows, "rows", 1000, "rows per query (two series each)")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "collection_interval")
	fs.IntVar(&o.cycles, "cycles", 3, "cycles measured per exporter, each with one /metrics read, after a first one")
	exporters := fs.String("exporters", "rdsprometheus,prometheus,debug", "exporters: rdsprometheus (ours), prometheus (contrib), debug (the reference)")
	fs.StringVar(&o.memLimit, "gomemlimit", "", "GOMEMLIMIT of the collector (empty: unset)")
	fs.BoolVar(&o.profile, "profile", false, "save the heap and a CPU profile of one more cycle per exporter (heap-, cpu-<exporter>.pb.gz in -workdir)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.exporters = splitList(*exporters)
	for _, e := range o.exporters {
		if e != "rdsprometheus" && e != "prometheus" && e != "debug" {
			return o, fmt.Errorf("-exporters: unknown exporter %q", e)
		}
	}
	switch {
	case o.bin == "":
		return o, errors.New("no collector binary: set -bin or OTELCOL_RDS_BIN (make dist builds it)")
	case o.queries < 1 || o.rows < 1 || o.cycles < 1:
		return o, errors.New("-queries, -rows and -cycles: at least 1")
	case o.interval < time.Second:
		return o, errors.New("-interval: at least 1s")
	}
	return o, nil
}

// sqlBenchResult is one exporter's run.
type sqlBenchResult struct {
	exporter  string
	intervals []float64 // CPU from one read to the next: one cycle and one read
	reads     []promRead
	exports   []int // debug: datapoints per cycle
	mem       memory
	problems  []string
	config    string
}

func runPromSQL(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseSQLBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.workdir == "" {
		if o.workdir, err = os.MkdirTemp("", "rdsbench-sql-"); err != nil {
			return err
		}
		defer os.RemoveAll(o.workdir)
	}
	fmt.Fprintln(stderr, "rdsbench: starting PostgreSQL (internal/testdb)...")
	pg, err := testdb.LaunchPostgres()
	if err != nil {
		return err
	}
	defer pg.Close()
	var results []*sqlBenchResult
	for _, exp := range o.exporters {
		fmt.Fprintf(stderr, "rdsbench: SQL, %d queries x %d rows, %s exporter, %d cycles of %v...\n", o.queries, o.rows, exp, o.cycles, o.interval)
		dir := filepath.Join(o.workdir, "sql-"+exp)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		r, err := measurePromSQL(ctx, o, pg, exp, dir)
		if err != nil {
			return fmt.Errorf("SQL, %s: %w (collector log in %s)", exp, err, dir)
		}
		fmt.Fprintln(stderr, "rdsbench:", r.summary(o))
		results = append(results, r)
	}
	w := stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	writeSQLBenchReport(w, o, results)
	return nil
}

// sqlBenchConfig is examples/prometheus.yaml reduced to SQL: the fake AWS has no
// instance, so CloudWatch costs nothing; the exporter's settings are the example's.
func sqlBenchConfig(o sqlBenchOptions, pg *testdb.Server, rdsURL, cwURL, exporter string, exporterPort, telemetryPort, pprofPort int) string {
	var q strings.Builder
	for i := 1; i <= o.queries; i++ {
		fmt.Fprintf(&q, `        - name: q%02[1]d
          targets: [pg]
          sql: "select g as id, g * 1.5 + %[1]d as a, (g * %[1]d) %% 97 as b from generate_series(1, %[2]d) g"
          max_series: %[2]d
          metrics:
            - {name: bench.q%02[1]d.a, value_column: a, attribute_columns: [id]}
            - {name: bench.q%02[1]d.b, value_column: b, attribute_columns: [id]}
`, i, o.rows)
	}
	exporterCfg := "  debug:\n    verbosity: basic\n"
	if exporter != "debug" {
		exporterCfg = fmt.Sprintf(`  %s:
    endpoint: 127.0.0.1:%d
    send_timestamps: true
    metric_expiration: 10m
%s`, exporter, exporterPort, exampleConstantLabels)
	}
	return fmt.Sprintf(`receivers:
  awsrds:
    region: us-east-1
    collection_interval: %[1]s
    initial_delay: 1s
    endpoints: {rds: %[2]s, cloudwatch: %[3]s}
    sql:
      # testdb's server takes 50 connections.
      max_concurrency_per_target: 8
      targets:
        - {name: pg, engine: postgresql, host: %[4]s, port: %[5]d, database: %[6]s, username: %[7]s, password: %[8]s, tls: {insecure: true}}
      queries:
%[9]s
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  batch:

exporters:
%[10]s
extensions:
  pprof:
    endpoint: 127.0.0.1:%[11]d

service:
  extensions: [pprof]
  telemetry:
    logs:
      encoding: json
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %[12]d
  pipelines:
    metrics:
      receivers: [awsrds]
      processors: [memory_limiter, batch]
      exporters: [%[13]s]
`, dur(o.interval), rdsURL, cwURL, pg.Host, pg.Port, pg.Database, pg.User, pg.Password, q.String(), exporterCfg,
		pprofPort, telemetryPort, exporter)
}

// measurePromSQL runs the collector behind one exporter. The first cycle shows as a
// burst of the collector's CPU; from then on, half an interval after each cycle starts
// (the collector idle), one read; the CPU from one read's start to the next's is one
// cycle and one read.
func measurePromSQL(ctx context.Context, o sqlBenchOptions, pg *testdb.Server, exporter, dir string) (*sqlBenchResult, error) {
	aws, err := startFakeAWS(0, 1, 0, func() {}, nil)
	if err != nil {
		return nil, err
	}
	defer aws.close()
	var ports [3]int
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	cfg := sqlBenchConfig(o, pg, aws.rdsURL, aws.cwURL, exporter, ports[0], ports[1], ports[2])
	var env []string
	if o.memLimit != "" {
		env = append(env, "GOMEMLIMIT="+o.memLimit)
	}
	col, err := startCollectorConfig(o.bin, dir, cfg, ports[1], ports[2], env)
	if err != nil {
		return nil, err
	}
	defer col.stop()
	if err := col.waitReady(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	first, err := waitCPUBurst(ctx, col, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("first cycle: %w", err)
	}
	res := &sqlBenchResult{exporter: exporter, config: strings.ReplaceAll(cfg, pg.Password, "${env:PG_PASSWORD}")}
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", ports[0])
	var prev float64
	for k := 0; k <= o.cycles; k++ {
		if err := sleepUntil(ctx, col, first.Add(time.Duration(k)*o.interval+o.interval/2)); err != nil {
			return nil, err
		}
		cpu, err := cpuSeconds(col.pid)
		if err != nil {
			return nil, err
		}
		if k > 0 {
			res.intervals = append(res.intervals, cpu-prev)
		}
		prev = cpu
		if exporter == "debug" {
			// The batch processor splits a cycle into several exports.
			sum := 0
			for drained := false; !drained; {
				select {
				case e := <-col.exports:
					sum += e.datapoints
				default:
					drained = true
				}
			}
			if k > 0 {
				res.exports = append(res.exports, sum)
			}
			continue
		}
		rd, err := readMetrics(ctx, col.pid, metricsURL)
		if err != nil {
			return nil, fmt.Errorf("read %d: %w", k, err)
		}
		res.reads = append(res.reads, rd)
	}
	if res.mem, err = memoryOf(col.pid); err != nil {
		return nil, err
	}
	if o.profile {
		// The next cycle, and no read, while the profile runs (httpGet gives up after 10 s).
		_ = saveHeap(ctx, col, filepath.Join(dir, "heap-"+exporter+".pb.gz"))
		prof, err := httpGet(ctx, "http://"+col.pprofAddr+"/debug/pprof/profile?seconds=8")
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "cpu-"+exporter+".pb.gz"), []byte(prof), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "rdsbench: CPU profile:", err)
		}
	}
	res.problems = col.loggedProblems()
	return res, nil
}

// waitCPUBurst waits for the collector to use 50 ms of CPU within 100 ms: a cycle.
func waitCPUBurst(ctx context.Context, col *collector, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	prev, err := cpuSeconds(col.pid)
	if err != nil {
		return time.Time{}, err
	}
	for time.Now().Before(deadline) {
		at := time.Now()
		if err := sleepCtx(ctx, col, 100*time.Millisecond); err != nil {
			return time.Time{}, err
		}
		cpu, err := cpuSeconds(col.pid)
		if err != nil {
			return time.Time{}, err
		}
		if cpu-prev >= 0.05 {
			return at, nil
		}
		prev = cpu
	}
	return time.Time{}, fmt.Errorf("no burst of CPU within %v", timeout)
}

func sleepUntil(ctx context.Context, col *collector, t time.Time) error {
	if d := time.Until(t); d > 0 {
		return sleepCtx(ctx, col, d)
	}
	return nil
}

func (r *sqlBenchResult) rowsPerCycle(o sqlBenchOptions) int { return o.queries * o.rows }

// perRow is the CPU per row, in microseconds, of the cheapest and the dearest interval.
func (r *sqlBenchResult) perRow(o sqlBenchOptions) (lo, hi float64, ok bool) {
	us := make([]float64, len(r.intervals))
	for i, c := range r.intervals {
		us[i] = c / float64(r.rowsPerCycle(o)) * 1e6
	}
	return lowHigh(us)
}

func (r *sqlBenchResult) summary(o sqlBenchOptions) string {
	lo, hi, _ := r.perRow(o)
	return fmt.Sprintf("%s: %.1f-%.1f µs per row incl. one read, peak RSS %.0f MB, intervals %v", r.exporter, lo, hi, float64(r.mem.peak)/1e6, r.intervals)
}

// sqlExporterFigure is burningalchemist sql_exporter 0.24.6 on the same workload,
// measured elsewhere (issue #11): quoted, never measured here.
var sqlExporterFigure = struct{ rowLo, rowHi, rssLoMB, rssHiMB float64 }{10.4, 10.6, 143, 160}

func writeSQLBenchReport(w io.Writer, o sqlBenchOptions, results []*sqlBenchResult) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	series := 2 * o.queries * o.rows
	p("## SQL on the Prometheus path")
	p("")
	p("`rdsbench promsql` ran the collector (`make dist`) against a PostgreSQL server of `internal/testdb` on the same "+
		"machine: one static target, %d queries of %s rows each (`generate_series`), two metrics per row, so %s series; "+
		"collection_interval %v, the processors of `examples/prometheus.yaml` (memory_limiter, batch) and its exporter "+
		"settings; the receiver's CloudWatch side has an empty fleet. %d cycles per exporter after a first one.",
		o.queries, num(o.rows), num(series), dur(o.interval), o.cycles)
	if o.memLimit != "" {
		p("The collector ran with GOMEMLIMIT=%s.", o.memLimit)
	}
	p("")
	p("- CPU per row including one read: the collector's utime+stime from one `GET /metrics` (half an interval after a " +
		"cycle started, the collector idle) to the next, so one cycle and one read, divided by the rows of a cycle; the " +
		"debug exporter has no read. The database server's CPU is not counted (nor is it in the quoted figures).")
	p("- peak RSS: VmHWM after the last cycle, in MB (10^6 bytes), as the quoted figures.")
	p("")
	p("| exporter | series on /metrics | body | CPU per cycle incl. one read | CPU per read | CPU per row incl. one read | peak RSS |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		lo, hi, ok := r.perRow(o)
		cyc := "-"
		if ok {
			cyc = rangeStr(lo*float64(r.rowsPerCycle(o))/1e6, hi*float64(r.rowsPerCycle(o))/1e6, true)
		}
		seriesCell, body, read := "-", "-", "-"
		if n := len(r.reads); n > 0 {
			last := r.reads[n-1]
			seriesCell, body = num(last.series), fmt.Sprintf("%.1f MB", float64(last.bytes)/1e6)
			rlo, rhi := last.cpu, last.cpu
			for _, rd := range r.reads[1:] {
				rlo, rhi = min(rlo, rd.cpu), max(rhi, rd.cpu)
			}
			read = rangeStr(rlo, rhi, true)
		} else if n := len(r.exports); n > 0 {
			seriesCell = num(r.exports[n-1]) + " (datapoints exported)"
		}
		p("| %s | %s | %s | %s | %s | %s | %.0f MB |", r.exporter, seriesCell, body, cyc, read, usRange(lo, hi, ok), float64(r.mem.peak)/1e6)
	}
	f := sqlExporterFigure
	p("| burningalchemist sql_exporter 0.24.6, measured elsewhere (quoted from issue #11) | - | - | - | - | %s | %.0f-%.0f MB |",
		usRange(f.rowLo, f.rowHi, true), f.rssLoMB, f.rssHiMB)
	p("| contrib sqlqueryreceiver v0.152.0 + prometheus exporter (quoted) | - | - | - | - | 56-67 µs | 494 MB |")
	p("| this receiver before issue #11 + contrib prometheus exporter (quoted) | - | - | - | - | 63-65 µs | 442-463 MB |")
	p("")
	p("### Targets (SQL, against burningalchemist sql_exporter as quoted)")
	p("")
	p("sql_exporter's figures at their lowest (%.1f µs per row, %.0f MB), ours at the dearest measured interval: the strict reading.", f.rowLo, f.rssLoMB)
	p("")
	p("| target | exporter | measured | limit | verdict |")
	p("|---|---|---:|---:|---|")
	for _, r := range results {
		if r.exporter == "debug" {
			continue
		}
		if _, hi, ok := r.perRow(o); ok {
			p("| CPU per row incl. one read ≤ sql_exporter's | %s | %.1f µs (%.2f× sql_exporter) | %.1f µs | %s |", r.exporter, hi, hi/f.rowLo, f.rowLo,
				verdictBool(hi <= f.rowLo, fmt.Sprintf("by %.1f µs (%.0f%%)", hi-f.rowLo, (hi/f.rowLo-1)*100)))
		}
		peak := float64(r.mem.peak) / 1e6
		p("| peak RSS ≤ sql_exporter's | %s | %.0f MB (%.2f× sql_exporter) | %.0f MB | %s |", r.exporter, peak, peak/f.rssLoMB, f.rssLoMB,
			verdictBool(peak <= f.rssLoMB, fmt.Sprintf("by %.0f MB (%.0f%%)", peak-f.rssLoMB, (peak/f.rssLoMB-1)*100)))
	}
	p("")
	for _, r := range results {
		if len(r.problems) > 0 {
			p("Warnings and errors the collector logged (%s):", r.exporter)
			for _, m := range r.problems {
				p("- `%s`", strings.ReplaceAll(m, "`", "'"))
			}
			p("")
		}
	}
	for _, r := range results {
		if r.exporter == "debug" {
			continue
		}
		cfg := r.config
		if i := strings.Index(cfg, "        - name: q02"); i >= 0 {
			if j := strings.Index(cfg, "\nprocessors:"); j > i {
				cfg = cfg[:i] + fmt.Sprintf("        # ... q02 to q%02d alike\n", o.queries) + cfg[j:]
			}
		}
		p("<details><summary>Collector configuration (%s; ports differ per run)</summary>", r.exporter)
		p("")
		p("```yaml")
		fmt.Fprint(w, cfg)
		p("```")
		p("</details>")
		p("")
		break
	}
}

func usRange(lo, hi float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case fmt.Sprintf("%.1f", lo) == fmt.Sprintf("%.1f", hi):
		return fmt.Sprintf("%.1f µs", lo)
	}
	return fmt.Sprintf("%.1f-%.1f µs", lo, hi)
}
