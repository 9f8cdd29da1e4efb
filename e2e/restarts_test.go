package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// seriesPoint is one CloudWatch point as a backend sees it.
type seriesPoint struct {
	id, metric string
	ts         int64 // Unix seconds
}

// otlpMetrics is an OTLP/HTTP metrics endpoint that counts every CloudWatch point it
// receives (inventory metrics, stamped with the scrape time, are left out).
type otlpMetrics struct {
	mu     sync.Mutex
	count  map[seriesPoint]int
	values map[seriesPoint]float64
}

func (o *otlpMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := otlpBody(w, r)
	if !ok {
		return
	}
	if r.URL.Path != "/v1/metrics" {
		http.Error(w, "not a metrics request: "+r.URL.Path, http.StatusBadRequest)
		return
	}
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.add(req.Metrics())
	w.Header().Set("Content-Type", "application/x-protobuf")
	resp, _ := pmetricotlp.NewExportResponse().MarshalProto()
	_, _ = w.Write(resp)
}

func (o *otlpMetrics) add(md pmetric.Metrics) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		id, ok := rm.Resource().Attributes().Get("aws.rds.db_instance.identifier")
		if !ok {
			id, _ = rm.Resource().Attributes().Get("aws.rds.db_cluster.identifier")
		}
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if _, ok := catalog.ByName(m.Name()); !ok || m.Type() != pmetric.MetricTypeGauge {
					continue
				}
				dps := m.Gauge().DataPoints()
				for p := 0; p < dps.Len(); p++ {
					sp := seriesPoint{id.Str(), m.Name(), dps.At(p).Timestamp().AsTime().Unix()}
					o.count[sp]++
					o.values[sp] = dps.At(p).DoubleValue()
				}
			}
		}
	}
}

// collector is one otelcol-rds process of the test; the test kills and restarts it.
type collector struct {
	cmd *exec.Cmd
	out *syncBuffer
}

func startCollector(t *testing.T, bin string, env []string, config string) *collector {
	t.Helper()
	cmd := exec.Command(bin, "--config", config)
	cmd.Env = append(os.Environ(), env...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	c := &collector{cmd: cmd, out: out}
	go func() { _ = cmd.Wait() }()
	return c
}

func (c *collector) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Signal(sig))
}

// waitExit waits for the process to be gone (Wait runs in its own goroutine).
func (c *collector) waitExit(t *testing.T, timeout time.Duration) {
	t.Helper()
	waitFor(t, "the collector to exit", timeout, func() bool {
		return c.cmd.ProcessState != nil || c.cmd.Process.Signal(syscall.Signal(0)) != nil
	})
}

// TestEveryPointOnceThroughKillsReloadsAndFailures runs the built distribution with
// file_storage against the simulator (200 instances) on a clock 30 times faster than real
// time, and a backend of the test's own that counts every point. It kills the collector
// with SIGKILL 20 times (a third of them while GetMetricData calls are in flight), keeps
// it down for 10 s to 3 min of simulated time, sends SIGHUP reloads in between and makes
// GetMetricData calls fail: every point the simulator published in the run must arrive
// exactly once, with the simulator's value.
func TestEveryPointOnceThroughKillsReloadsAndFailures(t *testing.T) {
	otelcol := binary(t, "OTELCOL_RDS_BIN")
	rdssim := binary(t, "RDSSIM_BIN")
	const speed = 30
	const instances, seed = 200, 7
	t0 := time.Now().UTC().Truncate(time.Hour).Add(-time.Hour)
	clk := clock.Clock{Start: t0, At: time.Now(), Speed: speed}
	clockEnv := clock.EnvVar + "=" + clk.String()

	simPort := freePort(t)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", simPort)
	start(t, []string{clockEnv}, rdssim, "-listen", fmt.Sprintf("127.0.0.1:%d", simPort),
		"-instances", strconv.Itoa(instances), "-seed", strconv.Itoa(seed), "-latency", "100ms")
	waitFor(t, "the simulator", 10*time.Second, func() bool { code, _, _ := get(simURL + "/_sim/counters"); return code == 200 })

	sink := &otlpMetrics{count: map[seriesPoint]int{}, values: map[seriesPoint]float64{}}
	backend := httptest.NewServer(sink)
	defer backend.Close()

	dir := t.TempDir()
	config := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(config, []byte(exactlyOnceConfig(filepath.Join(dir, "state"), simURL, backend.URL, "")), 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "state"), 0o700))
	env := append(awsEnv(), clockEnv)

	gmdCalls := func() int64 { return simCalls(t, simURL, "GetMetricData") }
	fault := func(body string) {
		resp, err := http.Post(simURL+"/_sim/faults", "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		require.Less(t, resp.StatusCode, 300, "POST /_sim/faults")
	}
	wall := clk.Real

	rng := rand.New(rand.NewPCG(seed, uint64(time.Now().UnixNano())))
	col := startCollector(t, otelcol, env, config)
	var outputs []*syncBuffer
	outputs = append(outputs, col.out)
	defer func() {
		if t.Failed() {
			for i, o := range outputs {
				t.Logf("collector run %d:\n%s", i, o.String())
			}
		}
	}()
	first := clk.Now()
	kills, midScrape, reloads, failures := 0, 0, 0, 0
	for kills < 20 {
		// Run one to three cycles, with a reload or failed calls now and then.
		time.Sleep(wall(time.Duration(60+rng.IntN(120)) * time.Second))
		switch rng.IntN(4) {
		case 0:
			col.signal(t, syscall.SIGHUP)
			reloads++
			time.Sleep(wall(90 * time.Second))
		case 1:
			fault(`{"fail": {"GetMetricData": 3}}`) // one call fails after its 2 attempts
			failures++
			time.Sleep(wall(70 * time.Second))
		}
		if kills%3 == 0 { // in the middle of a scrape: as soon as a call is in flight
			before := gmdCalls()
			waitFor(t, "a GetMetricData call", wall(3*time.Minute), func() bool { return gmdCalls() > before })
			midScrape++
		}
		col.signal(t, syscall.SIGKILL)
		col.waitExit(t, 10*time.Second)
		kills++
		time.Sleep(wall(time.Duration(10+rng.IntN(170)) * time.Second))
		col = startCollector(t, otelcol, env, config)
		outputs = append(outputs, col.out)
	}
	// Let it catch up, then stop it the way systemd does.
	time.Sleep(wall(5 * time.Minute))
	col.signal(t, syscall.SIGTERM)
	col.waitExit(t, 30*time.Second)
	last := clk.Now()

	queries := regexp.MustCompile(`"queries_per_cycle": (\d+)`).FindStringSubmatch(col.out.String())
	require.NotNil(t, queries, "the collector logs its plan")
	series, _ := strconv.Atoi(queries[1])

	// The ground truth: the simulator's values are a function of (series, minute).
	truth := simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(instances, seed), CreatedAt: t0.Add(-3 * time.Hour)})
	lag := truth.PublicationLag()
	// From the first window (one interval and the 5-minute overlap before the first
	// scrape) to the newest minute published a cycle before the end.
	from := first.Add(30 * time.Second).Truncate(time.Minute).Add(-6 * time.Minute)
	to := last.Add(-lag - 2*time.Minute).Truncate(time.Minute)

	sink.mu.Lock()
	defer sink.mu.Unlock()
	d := checkDelivery(t, sink.count, sink.values, truth, from, to)
	assert.Equal(t, series, d.series, "every series the collector asks for arrived")
	t.Logf("%d SIGKILLs (%d during GetMetricData calls), %d SIGHUP reloads, %d injected call failures over %v of simulated time",
		kills, midScrape, reloads, failures, last.Sub(first).Round(time.Minute))
	t.Logf("%s; %d points received in all", d, len(sink.count))
	assert.Zero(t, d.missing, "points never delivered")
	// A kill between the backend's acknowledgement and the state write (a few ms) repeats
	// that one scrape: at most one scrape's points per kill, each at most twice.
	assert.LessOrEqual(t, d.dups, kills*d.series*3, "points delivered twice beyond one scrape per kill")
	assert.Zero(t, d.thrice, "points delivered more than twice")
	assert.Zero(t, d.wrong, "points with another value than the simulator's")
}

// delivery is what a backend received, checked against the simulator's ground truth.
type delivery struct {
	from, to                                     time.Time
	series, points, missing, dups, thrice, wrong int
}

func (d delivery) String() string {
	return fmt.Sprintf("%d series, %d points published in [%v, %v]: %d missing, %d duplicated (%d more than twice), %d with a wrong value",
		d.series, d.points, d.from.Format(time.TimeOnly), d.to.Format(time.TimeOnly), d.missing, d.dups, d.thrice, d.wrong)
}

// checkDelivery compares the points a backend received (count and newest value per
// point) with the simulator's: every point of every received series published in
// [from, to] must be there, with the simulator's value. Up to 5 of each kind of error are
// reported; the counts are returned for the test's own bounds.
func checkDelivery(t *testing.T, count map[seriesPoint]int, values map[seriesPoint]float64, truth *simulator.Server, from, to time.Time) delivery {
	t.Helper()
	d := delivery{from: from, to: to}
	dimension := func(metric string) (catalog.Entry, string) {
		e, _ := catalog.ByName(metric)
		if e.Scope == catalog.ClusterScope {
			return e, "DBClusterIdentifier"
		}
		return e, "DBInstanceIdentifier"
	}
	seen := map[[2]string]bool{}
	for sp, n := range count {
		seen[[2]string{sp.id, sp.metric}] = true
		if n > 1 {
			d.dups++
		}
		if n > 2 {
			d.thrice++
		}
		e, dim := dimension(sp.metric)
		want, ok := truth.Value(dim, sp.id, e.CloudWatchName, "Average", time.Unix(sp.ts, 0), time.Minute)
		if !ok || want*e.Scale != values[sp] {
			d.wrong++
			if d.wrong <= 5 {
				t.Errorf("%v: got %v, the simulator has %v (%v)", sp, values[sp], want*e.Scale, ok)
			}
		}
	}
	d.series = len(seen)
	for k := range seen {
		e, dim := dimension(k[1])
		for ts := from; !ts.After(to); ts = ts.Add(time.Minute) {
			if _, ok := truth.Value(dim, k[0], e.CloudWatchName, "Average", ts, time.Minute); !ok {
				continue
			}
			d.points++
			if count[seriesPoint{k[0], k[1], ts.Unix()}] == 0 {
				d.missing++
				if d.missing <= 5 {
					t.Errorf("%s %s at %v never arrived", k[0], k[1], ts)
				}
			}
		}
	}
	return d
}

// exactlyOnceConfig is a collector with file_storage in stateDir, reading the simulator at
// simURL and exporting OTLP to backend; extra is more receiver settings, indented by 4.
func exactlyOnceConfig(stateDir, simURL, backend, extra string) string {
	return fmt.Sprintf(`
extensions:
  file_storage:
    directory: %[1]s
receivers:
  awsrds:
    collection_interval: 60s
    region: us-east-1
    storage: file_storage
%[4]s    endpoints: {rds: %[2]s, cloudwatch: %[2]s, logs: %[2]s}
    cloudwatch:
      max_attempts: 2
      max_backoff: 1s
exporters:
  otlp_http:
    endpoint: %[3]s
    compression: none
    # Exactly once across SIGKILL needs a pipeline that hands the points on before the
    # scrape's state is written: no batch processor, no in-memory queue.
    sending_queue: {enabled: false}
service:
  extensions: [file_storage]
  pipelines:
    metrics: {receivers: [awsrds], exporters: [otlp_http]}
  telemetry:
    metrics: {level: none}
`, stateDir, simURL, backend, extra)
}

// simCalls is how many calls of an operation the simulator at simURL has answered.
func simCalls(t *testing.T, simURL, operation string) int64 {
	t.Helper()
	_, body, err := get(simURL + "/_sim/counters")
	require.NoError(t, err)
	var c struct {
		Calls map[string]int64 `json:"calls"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &c))
	return c.Calls[operation]
}
