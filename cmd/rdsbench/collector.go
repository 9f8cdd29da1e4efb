package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/clock"
)

// collectorSettings is what the benchmark varies in the collector's configuration.
type collectorSettings struct {
	rdsURL, cloudWatchURL string
	interval              time.Duration
	initialDelay          time.Duration
	refreshInterval       time.Duration
	requestsPerSecond     float64
	maxConcurrent         int
	telemetryPort         int
	pprofPort             int
	// storageDir, when set, is file_storage's directory and the receiver's storage.
	storageDir string
	// clock is the OTELCOL_RDS_CLOCK spec the collector runs on ("": the wall clock).
	clock string
}

// collectorConfig is examples/demo.yaml minus what would blur the measurement: the
// debug exporter (counts only, synchronous: its log line marks the end of the scrape)
// instead of Prometheus, no batch processor (it would hold the data back up to 200 ms),
// JSON logs for this program to read, and the pprof extension for allocation counts.
// With a storage directory, the receiver keeps its CloudWatch windows in file_storage.
func collectorConfig(s collectorSettings) string {
	storage, storageExt, extensions := "", "", "pprof"
	if s.storageDir != "" {
		storage = "\n    storage: file_storage"
		storageExt = fmt.Sprintf("\n  file_storage:\n    directory: %s", s.storageDir)
		extensions += ", file_storage"
	}
	return fmt.Sprintf(`receivers:
  awsrds:
    region: us-east-1%s
    collection_interval: %s
    initial_delay: %s
    endpoints:
      rds: %s
      cloudwatch: %s
    discovery:
      refresh_interval: %s
    cloudwatch:
      statistic: Average
      requests_per_second: %g
      max_concurrent_requests: %d
    resource_tags: [env, team]

exporters:
  debug:
    verbosity: basic
    sending_queue:
      enabled: false

extensions:
  pprof:
    endpoint: 127.0.0.1:%d%s

service:
  extensions: [%s]
  telemetry:
    logs:
      encoding: json
    metrics:
      level: detailed
      readers:
        - pull:
            exporter:
              prometheus:
                host: 127.0.0.1
                port: %d
  pipelines:
    metrics:
      receivers: [awsrds]
      exporters: [debug]
`, storage, dur(s.interval), dur(s.initialDelay), s.rdsURL, s.cloudWatchURL, dur(s.refreshInterval),
		s.requestsPerSecond, s.maxConcurrent, s.pprofPort, storageExt, extensions, s.telemetryPort)
}

// export is one "Metrics" line of the debug exporter: the end of one scrape.
type export struct {
	at         time.Time
	datapoints int
}

// planLog is the receiver's "Discovered RDS fleet" log line: what a cycle will cost.
type planLog struct {
	instances, clusters int
	queries, calls      int
	usdPerMonth         float64
}

// collector is a running otelcol-rds process.
type collector struct {
	cmd           *exec.Cmd
	pid           int
	telemetryAddr string
	pprofAddr     string
	exports       chan export
	exited        chan struct{} // closed once the process has been reaped
	exitErr       error

	mu       sync.Mutex
	plan     *planLog
	problems []string // warnings and errors the collector logged
}

// startCollector runs bin with the config in dir; its log goes to dir/otelcol-rds.log.
func startCollector(bin, dir string, s collectorSettings) (*collector, error) {
	var env []string
	if s.clock != "" {
		env = append(env, clock.EnvVar+"="+s.clock)
	}
	return startCollectorConfig(bin, dir, collectorConfig(s), s.telemetryPort, s.pprofPort, env)
}

// startCollectorConfig runs bin with config written to dir, extraEnv added to its environment.
func startCollectorConfig(bin, dir, config string, telemetryPort, pprofPort int, extraEnv []string) (*collector, error) {
	cfgPath := dir + "/config.yaml"
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.Create(dir + "/otelcol-rds.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	// A fake account and nothing from this environment: no profile, no instance metadata.
	cmd.Env = []string{
		"PATH=/usr/bin:/bin", "HOME=" + dir,
		"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.SysProcAttr = sysProcAttr()
	out, err := cmd.StderrPipe()
	if err != nil {
		logFile.Close()
		return nil, err
	}
	cmd.Stdout = cmd.Stderr // the same pipe: one log, in order
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &collector{
		cmd: cmd, pid: cmd.Process.Pid,
		telemetryAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(telemetryPort)),
		pprofAddr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(pprofPort)),
		exports:       make(chan export, 64),
		exited:        make(chan struct{}),
	}
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		c.readLogs(io.TeeReader(out, logFile))
	}()
	go func() {
		<-logsDone // Wait closes the pipe: read it to the end first
		c.exitErr = cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	return c, nil
}

// readLogs follows the collector's JSON log lines.
func (c *collector) readLogs(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		arrived := time.Now()
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		msg, _ := line["msg"].(string)
		level, _ := line["level"].(string)
		switch {
		case msg == "Metrics":
			at, ok := logTime(line["ts"])
			if !ok {
				at = arrived
			}
			select {
			case c.exports <- export{at: at, datapoints: intField(line, "data points")}:
			default: // nobody is waiting for that many cycles
			}
		case msg == "Discovered RDS fleet":
			c.mu.Lock()
			c.plan = &planLog{
				instances: intField(line, "instances"), clusters: intField(line, "clusters"),
				queries: intField(line, "queries_per_cycle"), calls: intField(line, "get_metric_data_calls_per_cycle"),
				usdPerMonth: floatField(line, "estimated_usd_per_month"),
			}
			c.mu.Unlock()
		case level == "warn" || level == "error":
			c.mu.Lock()
			if len(c.problems) < 20 {
				c.problems = append(c.problems, fmt.Sprintf("%s: %s %v", level, msg, line["error"]))
			}
			c.mu.Unlock()
		}
	}
}

// logTime reads zap's "ts": epoch seconds or an ISO 8601 string, by encoder config.
func logTime(v any) (time.Time, bool) {
	switch ts := v.(type) {
	case float64:
		sec := int64(ts)
		return time.Unix(sec, int64((ts-float64(sec))*1e9)), true
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700"} {
			if t, err := time.Parse(layout, ts); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

func intField(line map[string]any, key string) int {
	f, _ := line[key].(float64)
	return int(f)
}

func floatField(line map[string]any, key string) float64 {
	f, _ := line[key].(float64)
	return f
}

func (c *collector) lastPlan() *planLog {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.plan
}

func (c *collector) loggedProblems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...)
}

var errExited = errors.New("otelcol-rds exited")

// waitReady waits until the collector's own telemetry endpoint answers.
func (c *collector) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if _, err := httpGet(ctx, "http://"+c.telemetryAddr+"/metrics"); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("otelcol-rds telemetry not answering on %s after %v", c.telemetryAddr, timeout)
		}
		select {
		case <-c.exited:
			return fmt.Errorf("%w during startup: %v", errExited, c.exitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// nextExport waits at most timeout for the end of the next scrape.
func (c *collector) nextExport(ctx context.Context, timeout time.Duration) (export, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case e := <-c.exports:
		return e, nil
	case <-c.exited:
		return export{}, fmt.Errorf("%w: %v", errExited, c.exitErr)
	case <-timer.C:
		return export{}, fmt.Errorf("no scrape finished within %v", timeout)
	case <-ctx.Done():
		return export{}, ctx.Err()
	}
}

// stop asks the collector to shut down as systemd does (SIGTERM) and kills it if it has
// not within 15 s.
func (c *collector) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
		return
	case <-time.After(15 * time.Second):
	}
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
	}
}

// dur writes whole seconds as "60s" rather than "1m0s".
func dur(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
