//go:build unix

package sqlquery

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/cputime"
	"github.com/otelcol-rds/awsrdsreceiver/internal/testdb"
)

// benchRows is the benchmarks' query: 1,000 rows, one series each.
const (
	benchRows    = 1000
	benchRowsSQL = "select g as id, (g % 10)::text as bucket, g * 1.5 as value from generate_series(1, 1000) g"
)

var benchMetric = MetricConfig{Name: "bench.value", ValueColumn: "value", AttributeColumns: []string{"id", "bucket"}}

// benchCounters are what a benchmark loop used: this process's CPU time (every thread,
// the garbage collector's too) and its allocations.
type benchCounters struct {
	cpu     time.Duration
	mallocs uint64
}

func readBenchCounters() benchCounters {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return benchCounters{cpu: cputime.Process(), mallocs: ms.Mallocs}
}

// reportPerRow reports wall time, CPU time and allocations per row since before.
func reportPerRow(b *testing.B, before benchCounters, rowsPerOp int) {
	after := readBenchCounters()
	rows := float64(b.N) * float64(rowsPerOp)
	b.ReportMetric(float64(rowsPerOp), "rows/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rows, "ns/row")
	b.ReportMetric(float64((after.cpu-before.cpu).Nanoseconds())/rows, "cpu-ns/row")
	b.ReportMetric(float64(after.mallocs-before.mallocs)/rows, "allocs/row")
}

// BenchmarkEmitRows1000 turns 1,000 rows into one metric of 1,000 datapoints with two
// attributes, without a database. The rows hold what pgx's database/sql driver returns
// for the benchmark query: int4 as int64, text as string, NUMERIC as its decimal text.
func BenchmarkEmitRows1000(b *testing.B) {
	columns := []string{"id", "bucket", "value"}
	rows := make([][]any, benchRows)
	for g := 1; g <= benchRows; g++ {
		rows[g-1] = []any{int64(g), strconv.Itoa(g % 10), strconv.FormatFloat(float64(g)*1.5, 'f', 1, 64)}
	}
	ts := pcommon.NewTimestampFromTime(time.Now())
	before := readBenchCounters()
	for b.Loop() {
		r := newMetricRun(&benchMetric, columns, benchRows, DuplicatesFirst, nil, 0)
		for _, row := range rows {
			r.add(row)
		}
		ms := pmetric.NewMetricSlice()
		var starts seriesStarts
		r.appendTo(ms, ts, &starts)
		if ms.Len() != 1 || ms.At(0).Gauge().DataPoints().Len() != benchRows {
			b.Fatalf("emitted %d metrics, want 1 of %d datapoints", ms.Len(), benchRows)
		}
	}
	reportPerRow(b, before, benchRows)
}

// BenchmarkCollectPostgres runs the query through the Collector against a real
// PostgreSQL server (internal/testdb): once per cycle ("queries=1"), and 50 times per
// cycle at several max_concurrency values, which is also max_concurrency_per_target
// and the pool size since there is one target. Per row: wall time, this process's CPU
// time and allocations (the client side: driver, database/sql, conversion, pdata), and
// the CPU time of the server's backends that served the collector.
func BenchmarkCollectPostgres(b *testing.B) {
	srv := testdb.SharedPostgres(b)
	b.Run("queries=1", func(b *testing.B) { benchCollect(b, srv, 1, DefaultMaxConcurrency) })
	for _, conc := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("queries=50/max_concurrency=%d", conc), func(b *testing.B) { benchCollect(b, srv, 50, conc) })
	}
}

func benchCollect(b *testing.B, srv *testdb.Server, queries, concurrency int) {
	const interval = time.Minute
	creds := Credentials{Username: srv.User, Password: configopaque.String(srv.Password), Database: srv.Database,
		TLS: configtls.ClientConfig{Insecure: true}} // the test server speaks plaintext
	cfg := Config{
		MaxConcurrency: concurrency, MaxConcurrencyPerTarget: concurrency,
		Targets: []TargetConfig{{Name: "bench", Engine: srv.Engine, Host: srv.Host, Port: srv.Port, Credentials: creds}},
	}
	for i := range queries {
		cfg.Queries = append(cfg.Queries, QueryConfig{
			Name: fmt.Sprintf("rows_%02d", i), SQL: benchRowsSQL, Targets: []string{"bench"},
			MaxSeries: benchRows, Metrics: []MetricConfig{benchMetric},
		})
	}
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	c := NewCollector(cfg, interval, nil, zap.NewNop(), nil)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = c.Shutdown(ctx)
	})
	c.SetTargets([]Target{{Name: "bench", Engine: srv.Engine, Host: srv.Host, Port: srv.Port, Static: true, Credentials: creds}})

	ctx := context.Background()
	now := time.Now()
	collect := func() {
		now = now.Add(interval) // every query is due on every call
		results := c.Collect(ctx, now)
		if len(results) != 1 || len(results[0].Errs) > 0 || results[0].Metrics.Len() != queries {
			b.Fatalf("collect: %d results, want 1 with %d metrics and no error: %+v", len(results), queries, results)
		}
	}
	collect() // opens the pool's connections
	admin := srv.Admin(b)
	backendCPU := func() time.Duration {
		rows, err := admin.QueryContext(ctx, "select pid from pg_stat_activity where application_name = $1", ApplicationName)
		if err != nil {
			b.Fatal(err)
		}
		defer rows.Close()
		var total time.Duration
		for rows.Next() {
			var pid int
			if err := rows.Scan(&pid); err != nil {
				b.Fatal(err)
			}
			total += procCPU(pid)
		}
		return total
	}
	server0 := backendCPU()
	before := readBenchCounters()
	for b.Loop() {
		collect()
	}
	reportPerRow(b, before, queries*benchRows)
	rows := float64(b.N) * float64(queries*benchRows)
	b.ReportMetric(float64((backendCPU()-server0).Nanoseconds())/rows, "server-cpu-ns/row")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ms/cycle")
}

// procCPU is a process's utime+stime from /proc (10 ms ticks); 0 when unreadable.
func procCPU(pid int) time.Duration {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}
