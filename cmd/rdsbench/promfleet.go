package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// The Prometheus path: what users run (examples/prometheus.yaml, the package's
// config.yaml), measured per collection cycle and per /metrics read.

// promOptions are the flags of `rdsbench fleet` for the Prometheus path.
type promOptions struct {
	sizes     []int
	sets      []string // metric sets: "default", "yace20"
	exporters []string // "rdsprometheus" (ours, the default), "prometheus" (contrib's), "prometheus/noscope" (contrib's, without_scope_info)
	cycles    int      // cycles with one /metrics read each; the first is measured too
	memLimit  string   // GOMEMLIMIT of the collector, as the package sets it
}

type promFlags struct{ sizes, sets, exporters, memLimit *string }

func registerPromFlags(fs *flag.FlagSet) (*promFlags, *int) {
	return &promFlags{
		sizes:     fs.String("prometheus-instances", "1000,5000", "fleet sizes of the Prometheus path, comma-separated (empty: skip it)"),
		sets:      fs.String("prometheus-sets", "default,yace20", "metric sets of the Prometheus path: default, yace20"),
		exporters: fs.String("prometheus-exporters", "rdsprometheus,prometheus", "exporters of the Prometheus path: rdsprometheus (ours), prometheus (contrib), prometheus/noscope (contrib, without_scope_info)"),
		memLimit:  fs.String("prometheus-gomemlimit", "", "GOMEMLIMIT of the collector on the Prometheus path (empty: unset)"),
	}, fs.Int("prometheus-cycles", 2, "cycles measured per Prometheus configuration (at least 2)")
}

func (f *promFlags) options(cycles int) (promOptions, error) {
	o := promOptions{cycles: cycles, memLimit: *f.memLimit}
	var err error
	if o.sizes, err = parseSizes("prometheus-instances", *f.sizes); err != nil {
		return o, err
	}
	o.sets = splitList(*f.sets)
	for _, s := range o.sets {
		if s != "default" && s != "yace20" {
			return o, fmt.Errorf("-prometheus-sets: unknown set %q", s)
		}
	}
	o.exporters = splitList(*f.exporters)
	for _, e := range o.exporters {
		if e != "rdsprometheus" && e != "prometheus" && e != "prometheus/noscope" {
			return o, fmt.Errorf("-prometheus-exporters: unknown exporter %q", e)
		}
	}
	if cycles < 2 {
		return o, errors.New("-prometheus-cycles: at least 2")
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// yace20 is the 20-metric set compared with YACE: the instance metrics of YACE's RDS
// example, which our receiver requests only where they apply (BurstBalance for gp2,
// CPU credits for burstable classes, ReplicaLag for replicas, ...).
var yace20 = []string{
	"aws.rds.cpu.utilization", "aws.rds.connections", "aws.rds.memory.freeable", "aws.rds.storage.free",
	"aws.rds.swap.usage", "aws.rds.read.iops", "aws.rds.write.iops", "aws.rds.read.latency",
	"aws.rds.write.latency", "aws.rds.read.throughput", "aws.rds.write.throughput",
	"aws.rds.network.receive.throughput", "aws.rds.network.transmit.throughput", "aws.rds.disk.queue_depth",
	"aws.rds.replica.lag", "aws.rds.storage.burst_balance", "aws.rds.cpu.credit.balance",
	"aws.rds.cpu.credit.usage", "aws.rds.mysql.binlog.disk_usage", "aws.rds.postgresql.transaction_logs.disk_usage",
}

// metricNames are every metric of the receiver (metadata.yaml), by their config keys.
func metricNames() []string {
	t := reflect.TypeFor[metadata.MetricsConfig]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("mapstructure"); tag != "" {
			names = append(names, tag)
		}
	}
	return names
}

// metricsSection is the receiver's `metrics:` block for a set ("" for the default set).
func metricsSection(set string) string {
	if set != "yace20" {
		return ""
	}
	var b strings.Builder
	b.WriteString("    metrics:\n")
	for _, name := range metricNames() {
		fmt.Fprintf(&b, "      %s: {enabled: %t}\n", name, slices.Contains(yace20, name))
	}
	return b.String()
}

// promSettings is one configuration of the Prometheus path.
type promSettings struct {
	collectorSettings // with storageDir: file storage, as the example
	set, exporter     string
	exporterPort      int
}

// promCollectorConfig is examples/prometheus.yaml (without SQL) for the simulator: the
// fleet benchmark's configuration (collectorConfig) with the example's memory_limiter and
// batch processors and its Prometheus exporter settings instead of the debug exporter.
func promCollectorConfig(s promSettings) string {
	cfg := collectorConfig(s.collectorSettings)
	for _, r := range []struct{ old, new string }{
		{"    resource_tags: [env, team]\n", "    resource_tags: [env, team]\n" + metricsSection(s.set) + `
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
    spike_limit_percentage: 20
  batch:
`},
		{"  debug:\n    verbosity: basic\n    sending_queue:\n      enabled: false\n", fmt.Sprintf(`  %s:
    endpoint: 127.0.0.1:%d
    send_timestamps: true
    metric_expiration: 10m
%s%s`, s.exporter, s.exporterPort, exporterExtra(s.exporter), exampleConstantLabels)},
		{"      exporters: [debug]\n", "      processors: [memory_limiter, batch]\n      exporters: [" + s.exporter + "]\n"},
	} {
		if !strings.Contains(cfg, r.old) {
			panic("rdsbench: collectorConfig no longer has " + strconv.Quote(r.old))
		}
		cfg = strings.Replace(cfg, r.old, r.new, 1)
	}
	return cfg
}

// exampleConstantLabels are the resource attributes examples/prometheus.yaml makes labels.
const exampleConstantLabels = `    resource_constant_labels:
      included:
        - aws.rds.db_instance.identifier
        - aws.rds.db_cluster.identifier
        - aws.rds.proxy.name
        - aws.rds.proxy.target_group
        - aws.rds.db_shard_group.identifier
        - aws.rds.engine
        - aws.rds.role
        - cloud.account.id
        - cloud.region
        - aws.rds.tag.*
        - sql.target.name
`

// exporterExtra is what an exporter variant adds to the example's settings.
func exporterExtra(exporter string) string {
	if exporter == "prometheus/noscope" {
		return "    without_scope_info: true\n"
	}
	return ""
}

// promCycle is one cycle on the Prometheus path.
type promCycle struct {
	index       int
	intervalCPU float64 // from this cycle's first AWS request to the next one's: the cycle and one read
	hasInterval bool
	read        promRead
}

// promRead is one GET /metrics, the collector otherwise idle.
type promRead struct {
	cpu    float64 // the collector's CPU during the read
	wall   time.Duration
	bytes  int // uncompressed
	series int // sample lines
}

// cycleCPU is the cycle without its read.
func (c promCycle) cycleCPU() float64 { return c.intervalCPU - c.read.cpu }

type promResult struct {
	instances     int
	set, exporter string
	cycles        []promCycle
	mem           memory
	problems      []string
	config        string
}

func runPromFleet(ctx context.Context, o fleetOptions, stderr io.Writer) ([]*promResult, error) {
	var out []*promResult
	for _, n := range o.prom.sizes {
		for _, set := range o.prom.sets {
			for _, exp := range o.prom.exporters {
				fmt.Fprintf(stderr, "rdsbench: Prometheus path, %d instances, %s metrics, %s exporter, %d cycles...\n", n, set, exp, o.prom.cycles)
				dir := filepath.Join(o.workdir, fmt.Sprintf("prom-%d-%s-%s", n, set, strings.ReplaceAll(exp, "/", "-")))
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, err
				}
				r, err := measurePromFleet(ctx, o, n, set, exp, dir)
				if err != nil {
					return nil, fmt.Errorf("Prometheus path, %d instances, %s, %s: %w (collector log in %s)", n, set, exp, err, dir)
				}
				fmt.Fprintln(stderr, "rdsbench:", r.summary())
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (r *promResult) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d instances, %s, %s: peak RSS %.0f MiB;", r.instances, r.set, r.exporter, mib(r.mem.peak))
	for _, c := range r.cycles {
		fmt.Fprintf(&b, " cycle %d: read %.2fs CPU (%s series, %.1f MB)", c.index, c.read.cpu, num(c.read.series), float64(c.read.bytes)/1e6)
		if c.hasInterval {
			fmt.Fprintf(&b, ", cycle+read %.2fs CPU", c.intervalCPU)
		}
		b.WriteString(";")
	}
	return b.String()
}

// measurePromFleet runs the simulator and the collector behind one exporter. Each cycle:
// its first AWS request marks its start; half an interval later, when the cycle is long
// done and the collector idle, one GET /metrics; the next cycle's first request ends it.
func measurePromFleet(ctx context.Context, o fleetOptions, n int, set, exporter, dir string) (*promResult, error) {
	var bs bursts
	aws, err := startFakeAWS(n, o.seed, o.latency, bs.record, nil)
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
	s := promSettings{
		collectorSettings: collectorSettings{
			rdsURL: aws.rdsURL, cloudWatchURL: aws.cwURL,
			interval: o.interval, initialDelay: o.initialDelay,
			refreshInterval:   o.interval * 3 / 2,
			requestsPerSecond: o.rps, maxConcurrent: o.concurrency,
			telemetryPort: ports[0], pprofPort: ports[1],
		},
		set: set, exporter: exporter, exporterPort: ports[2],
	}
	s.storageDir = filepath.Join(dir, "state")
	if err := os.MkdirAll(s.storageDir, 0o755); err != nil {
		return nil, err
	}
	cfg := promCollectorConfig(s)
	var env []string
	if o.prom.memLimit != "" {
		env = append(env, "GOMEMLIMIT="+o.prom.memLimit)
	}
	col, err := launch(ctx, o.bin, dir, cfg, s.telemetryPort, s.pprofPort, env, &bs)
	if err != nil {
		return nil, err
	}
	defer col.stop()
	res := &promResult{instances: aws.instances, set: set, exporter: exporter, config: cfg}
	metricsURL := fmt.Sprintf("http://127.0.0.1:%d/metrics", s.exporterPort)
	var prevStart time.Time
	var prevCPU float64
	for k := 1; k <= o.prom.cycles+1; k++ {
		start, cpu, err := waitBurst(ctx, &bs, col, prevStart, o.initialDelay+o.interval+2*time.Minute)
		if err != nil {
			return nil, fmt.Errorf("cycle %d: %w", k, err)
		}
		if k > 1 {
			last := &res.cycles[len(res.cycles)-1]
			last.intervalCPU, last.hasInterval = cpu-prevCPU, true
		}
		if k > o.prom.cycles {
			break
		}
		// The read, half an interval after the cycle started: a 5,000-instance cycle
		// takes seconds, and the batch processor has long flushed.
		if err := sleepCtx(ctx, col, o.interval/2); err != nil {
			return nil, err
		}
		if idle := aws.rec.idleFor(); idle < 2*time.Second {
			return nil, fmt.Errorf("cycle %d: still calling AWS half an interval after it started", k)
		}
		rd, err := readMetrics(ctx, col.pid, metricsURL)
		if err != nil {
			return nil, fmt.Errorf("cycle %d: %w", k, err)
		}
		res.cycles = append(res.cycles, promCycle{index: k, read: rd})
		prevStart, prevCPU = start, cpu
	}
	if res.mem, err = memoryOf(col.pid); err != nil {
		return nil, err
	}
	_ = saveHeap(ctx, col, filepath.Join(dir, "heap.pb.gz"))
	res.problems = col.loggedProblems()
	return res, nil
}

// launch starts the collector, has bs follow its CPU and waits until it answers.
func launch(ctx context.Context, bin, dir, config string, telemetryPort, pprofPort int, env []string, bs *bursts) (*collector, error) {
	col, err := startCollectorConfig(bin, dir, config, telemetryPort, pprofPort, env)
	if err != nil {
		return nil, err
	}
	bs.setPID(col.pid)
	if err := col.waitReady(ctx, 30*time.Second); err != nil {
		col.stop()
		return nil, err
	}
	return col, nil
}

// waitBurst waits at most timeout for a burst of AWS requests that starts after t.
func waitBurst(ctx context.Context, bs *bursts, col *collector, after time.Time, timeout time.Duration) (time.Time, float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		if at, cpu, ok := bs.firstAfter(after); ok {
			return at, cpu, nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, 0, fmt.Errorf("no collection cycle started within %v", timeout)
		}
		if err := sleepCtx(ctx, col, 100*time.Millisecond); err != nil {
			return time.Time{}, 0, err
		}
	}
}

func sleepCtx(ctx context.Context, col *collector, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-col.exited:
		return fmt.Errorf("%w: %v", errExited, col.exitErr)
	case <-time.After(d):
		return nil
	}
}

// readMetrics GETs /metrics as Prometheus does (gzip accepted) and counts its samples.
func readMetrics(ctx context.Context, pid int, url string) (promRead, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return promRead{}, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	before, err := cpuSeconds(pid)
	if err != nil {
		return promRead{}, err
	}
	t0 := time.Now()
	// The transport asks for gzip and decompresses (in this process, not the collector).
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return promRead{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return promRead{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var rd promRead
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		rd.bytes += len(line) + 1
		if len(line) > 0 && line[0] != '#' {
			rd.series++
		}
	}
	if err := sc.Err(); err != nil {
		return promRead{}, err
	}
	rd.wall = time.Since(t0)
	after, err := cpuSeconds(pid)
	if err != nil {
		return promRead{}, err
	}
	rd.cpu = after - before
	return rd, nil
}

// idleFor is how long no AWS request has been in flight (0 while one is).
func (r *recorder) idleFor() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inFlight > 0 || r.last.IsZero() {
		return 0
	}
	return time.Since(r.last)
}
