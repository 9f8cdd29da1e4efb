package awsrdsreceiver

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/emreader"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/osmetrics"
)

// EnhancedMonitoringConfig turns on reading Enhanced Monitoring (the OS metrics RDS writes
// to the CloudWatch Logs group RDSOSMetrics) for every discovered instance with
// MonitoringInterval > 0.
type EnhancedMonitoringConfig struct {
	// Enabled is off by default: it needs logs:FilterLogEvents on RDSOSMetrics, which
	// existing IAM policies for this receiver do not grant, and it uses the account's
	// FilterLogEvents quota (5 per second per region) that other readers share.
	Enabled bool `mapstructure:"enabled"`
	// Downsample is `none` (every document, each at its own timestamp: up to 60 points a
	// minute per series at a 1 s interval) or `newest` (per collection cycle, the newest
	// document of each instance).
	Downsample string `mapstructure:"downsample"`
	// Processes bounds the process list.
	Processes EnhancedMonitoringProcessesConfig `mapstructure:"processes"`
	// RequestsPerSecond is the client-side rate limit of these FilterLogEvents calls.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// MaxConcurrentRequests bounds the calls in flight.
	MaxConcurrentRequests int `mapstructure:"max_concurrent_requests"`
	// InitialLookback is how far back the first read of a stream reaches.
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
}

// EnhancedMonitoringProcessesConfig selects the processes that become series.
type EnhancedMonitoringProcessesConfig struct {
	// Top keeps, per instance and document, the Top processes by CPU and the Top by memory
	// (at most 2*Top rows) besides the "OS processes" and "RDS processes" summary rows;
	// 0 keeps the summary rows only.
	Top int `mapstructure:"top"`
}

// Downsampling modes.
const (
	downsampleNone   = "none"
	downsampleNewest = "newest"
)

func defaultEnhancedMonitoringConfig() EnhancedMonitoringConfig {
	return EnhancedMonitoringConfig{
		Downsample:            downsampleNone,
		Processes:             EnhancedMonitoringProcessesConfig{Top: 5},
		RequestsPerSecond:     1, // logs take 4 of the account's 5 by default
		MaxConcurrentRequests: 2,
		InitialLookback:       5 * time.Minute,
	}
}

func (e EnhancedMonitoringConfig) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if e.Downsample != downsampleNone && e.Downsample != downsampleNewest {
		add("enhanced_monitoring.downsample: %q is not one of none, newest", e.Downsample)
	}
	if e.Processes.Top < 0 || e.Processes.Top > 50 {
		add("enhanced_monitoring.processes.top: %d must be between 0 and 50 (each process is a set of series per instance)", e.Processes.Top)
	}
	if e.RequestsPerSecond <= 0 || e.RequestsPerSecond > 5 {
		add("enhanced_monitoring.requests_per_second: %v must be above 0 and at most 5 (the account's FilterLogEvents quota per region)", e.RequestsPerSecond)
	}
	if e.MaxConcurrentRequests < 1 {
		add("enhanced_monitoring.max_concurrent_requests: %d must be at least 1", e.MaxConcurrentRequests)
	}
	if e.InitialLookback < 0 || e.InitialLookback > time.Hour {
		add("enhanced_monitoring.initial_lookback: %v must be between 0 and 1h", e.InitialLookback)
	}
	return errors.Join(errs...)
}

// emCollector reads every region's Enhanced Monitoring and records it on the instances'
// resources. Its marks move on only when the pipeline takes the output (delivered).
type emCollector struct {
	cfg     EnhancedMonitoringConfig
	mb      *metadata.MetricsBuilder
	tb      *metadata.TelemetryBuilder
	logger  *zap.Logger
	regions map[string]*emRegion
	store   *stateStore // nil without a storage extension
}

type emRegion struct {
	name      string
	reader    *emreader.Reader
	rb        resourceBuilder
	streams   []emreader.Stream
	resources map[string]pcommon.Resource // by stream
	// leaving are streams of instances that left the set (Enhanced Monitoring turned
	// off, instance gone): read once more for what they wrote since the last read.
	leaving []emreader.Stream
	// saved are the marks before the read in flight, restored if the pipeline refuses it.
	saved map[string]int64
	read  bool
}

func newEMCollector(cfg EnhancedMonitoringConfig, mb *metadata.MetricsBuilder, tb *metadata.TelemetryBuilder, logger *zap.Logger) *emCollector {
	return &emCollector{cfg: cfg, mb: mb, tb: tb, logger: logger, regions: map[string]*emRegion{}}
}

func (c *emCollector) addRegion(ctx context.Context, name string, api emreader.API, rb resourceBuilder, store *stateStore) {
	r := &emRegion{name: name, rb: rb, reader: emreader.NewReader(api, emreader.Options{
		Limiter:         rate.NewLimiter(rate.Limit(c.cfg.RequestsPerSecond), max(1, int(c.cfg.RequestsPerSecond))),
		Concurrency:     c.cfg.MaxConcurrentRequests,
		InitialLookback: c.cfg.InitialLookback,
	})}
	c.store = store
	if store != nil {
		if marks := store.loadEM(ctx, name, c.logger); marks != nil {
			r.reader.SetMarks(marks)
		}
	}
	c.regions[name] = r
}

// setFleet lists the streams of the region's instances with Enhanced Monitoring on.
func (c *emCollector) setFleet(region string, fleet discovery.Fleet) {
	if c == nil {
		return
	}
	r := c.regions[region]
	if r == nil {
		return
	}
	before, oldResources := r.streams, r.resources
	r.streams = nil
	r.resources = map[string]pcommon.Resource{}
	for i := range fleet.Instances {
		in := &fleet.Instances[i]
		if in.MonitoringIntervalSeconds <= 0 || in.ResourceID == "" {
			continue
		}
		r.streams = append(r.streams, emreader.Stream{Name: in.ResourceID, Instance: in.Identifier})
		r.resources[in.ResourceID] = r.rb.instanceResource(in)
	}
	for _, st := range before {
		if _, stays := r.resources[st.Name]; !stays {
			r.leaving = append(r.leaving, st)
			r.resources[st.Name] = oldResources[st.Name]
		}
	}
}

// collect reads what every stream got since the last read and records it.
func (c *emCollector) collect(ctx context.Context, now time.Time, errs *scrapererror.ScrapeErrors) {
	if c == nil {
		return
	}
	names := make([]string, 0, len(c.regions))
	for n := range c.regions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		r := c.regions[name]
		r.saved, r.read = r.reader.Marks(), true
		asked := append(append([]emreader.Stream(nil), r.streams...), r.leaving...)
		leaving := map[string]bool{}
		for _, st := range r.leaving {
			leaving[st.Name] = true
		}
		r.leaving = nil
		res := r.reader.Read(ctx, asked, now)
		regionAttr := metric.WithAttributes(attribute.String("region", r.name))
		c.tb.ReceiverAwsrdsEmCalls.Add(ctx, int64(res.Calls), regionAttr)
		c.tb.ReceiverAwsrdsEmStreamsMissing.Record(ctx, int64(r.reader.Missing()), regionAttr)
		for _, p := range res.Problems {
			if leaving[p.Stream.Name] {
				continue // its instance left: nothing more was expected of it
			}
			// Reported once, when found; the stream is tried again alone now and then.
			c.logger.Warn("Enhanced Monitoring cannot be read for an instance", zap.String("region", r.name),
				zap.String("instance", p.Stream.Instance), zap.String("log_stream", p.Stream.Name), zap.Error(p.Err))
			errs.AddPartial(0, fmt.Errorf("region %s: %w", r.name, p))
		}
		for _, err := range res.Errs {
			errs.AddPartial(0, fmt.Errorf("region %s: Enhanced Monitoring: %w (read again next cycle)", r.name, err))
		}
		for _, st := range asked {
			evs := res.Events[st.Name]
			if len(evs) == 0 {
				continue
			}
			c.tb.ReceiverAwsrdsEmEvents.Add(ctx, int64(len(evs)))
			if c.cfg.Downsample == downsampleNewest {
				evs = evs[len(evs)-1:]
			}
			bad := 0
			var firstErr error
			for _, e := range evs {
				s, err := osmetrics.Parse([]byte(e.Message))
				if err != nil {
					bad++
					firstErr = cmpOr(firstErr, err)
					continue
				}
				c.tb.ReceiverAwsrdsEmUnknownFields.Add(ctx, int64(s.Unknown))
				c.record(&s, e.Timestamp)
				// One emission per document: the builder compares each new point with every
				// point of its metric pending, which is quadratic in the documents held.
				c.mb.EmitForResource(metadata.WithResource(r.resources[st.Name]))
			}
			if bad > 0 {
				errs.AddPartial(bad, fmt.Errorf("region %s: Enhanced Monitoring of instance %s: %d documents unreadable: %w", r.name, st.Instance, bad, firstErr))
			}
		}
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// rollBack returns the marks to before the last read: the pipeline refused its output.
func (c *emCollector) rollBack() {
	if c == nil {
		return
	}
	for _, r := range c.regions {
		if r.read {
			r.reader.SetMarks(r.saved)
			r.read = false
		}
	}
}

// delivered keeps the marks of the read the pipeline took, in storage when configured.
func (c *emCollector) delivered(ctx context.Context, err error) {
	if c == nil {
		return
	}
	if err != nil {
		c.rollBack()
		return
	}
	for _, r := range c.regions {
		if !r.read {
			continue
		}
		r.read = false
		if c.store == nil {
			continue
		}
		if werr := c.store.saveEM(ctx, r.name, r.reader.Marks()); werr != nil {
			c.logger.Warn("Writing the Enhanced Monitoring state failed: after a restart, documents since the last write may be read again",
				zap.String("region", r.name), zap.Error(werr))
		}
	}
}

// record writes one document's values with its own timestamp.
func (c *emCollector) record(s *osmetrics.Sample, at time.Time) {
	mb, ts := c.mb, pcommon.NewTimestampFromTime(at)
	if s.NumVCPUs != nil {
		mb.RecordAwsRdsOsCPUCountDataPoint(ts, int64(*s.NumVCPUs))
	}
	if s.Uptime != nil {
		mb.RecordAwsRdsOsUptimeDataPoint(ts, *s.Uptime)
	}
	for _, v := range s.CPU {
		mb.RecordAwsRdsOsCPUUtilizationDataPoint(ts, v.Value, v.Name)
	}
	for _, v := range s.Load {
		switch v.Name {
		case "1m":
			mb.RecordAwsRdsOsLoadAverage1mDataPoint(ts, v.Value)
		case "5m":
			mb.RecordAwsRdsOsLoadAverage5mDataPoint(ts, v.Value)
		case "15m":
			mb.RecordAwsRdsOsLoadAverage15mDataPoint(ts, v.Value)
		}
	}
	for _, v := range s.Memory {
		mb.RecordAwsRdsOsMemoryUsageDataPoint(ts, v.Value, v.Name)
	}
	for _, v := range s.HugePages {
		mb.RecordAwsRdsOsMemoryHugePagesDataPoint(ts, v.Value, v.Name)
	}
	for _, v := range s.Swap {
		mb.RecordAwsRdsOsSwapUsageDataPoint(ts, v.Value, v.Name)
	}
	for _, v := range s.SwapIO {
		mb.RecordAwsRdsOsSwapIoDataPoint(ts, v.Value, v.Name)
	}
	for _, v := range s.Tasks {
		mb.RecordAwsRdsOsTasksDataPoint(ts, v.Value, v.Name)
	}
	for _, v := range s.System {
		mb.RecordAwsRdsOsSystemObjectsDataPoint(ts, v.Value, v.Name)
	}
	for _, n := range s.Network {
		recordIf(n.Receive, func(v float64) { mb.RecordAwsRdsOsNetworkIoDataPoint(ts, v, n.Name, "receive") })
		recordIf(n.Transmit, func(v float64) { mb.RecordAwsRdsOsNetworkIoDataPoint(ts, v, n.Name, "transmit") })
	}
	for i := range s.Disks {
		c.recordDisk(ts, &s.Disks[i])
	}
	for _, f := range s.FileSystems {
		recordIf(f.Total, func(v float64) { mb.RecordAwsRdsOsFilesystemLimitDataPoint(ts, v, f.MountPoint, f.Name) })
		recordIf(f.Used, func(v float64) { mb.RecordAwsRdsOsFilesystemUsageDataPoint(ts, v, f.MountPoint, f.Name, "used") })
		recordIf(f.Available, func(v float64) { mb.RecordAwsRdsOsFilesystemUsageDataPoint(ts, v, f.MountPoint, f.Name, "free") })
		recordIf(f.UsedPercent, func(v float64) { mb.RecordAwsRdsOsFilesystemUtilizationDataPoint(ts, v, f.MountPoint, f.Name) })
		recordIf(f.MaxFiles, func(v float64) { mb.RecordAwsRdsOsFilesystemInodesLimitDataPoint(ts, v, f.MountPoint, f.Name) })
		recordIf(f.UsedFiles, func(v float64) { mb.RecordAwsRdsOsFilesystemInodesUsageDataPoint(ts, v, f.MountPoint, f.Name) })
		recordIf(f.UsedFilePercent, func(v float64) {
			mb.RecordAwsRdsOsFilesystemInodesUtilizationDataPoint(ts, v, f.MountPoint, f.Name)
		})
	}
	for _, p := range osmetrics.Top(s.Processes, c.cfg.Processes.Top) {
		recordIf(p.CPUPercent, func(v float64) {
			mb.RecordAwsRdsOsProcessCPUUtilizationDataPoint(ts, v, p.Name, p.PID, p.ParentPID, p.Thread)
		})
		recordIf(p.MemoryPercent, func(v float64) {
			mb.RecordAwsRdsOsProcessMemoryUtilizationDataPoint(ts, v, p.Name, p.PID, p.ParentPID, p.Thread)
		})
		recordIf(p.RSS, func(v float64) {
			mb.RecordAwsRdsOsProcessMemoryUsageDataPoint(ts, v, p.Name, p.PID, p.ParentPID, p.Thread, "resident")
		})
		recordIf(p.Private, func(v float64) {
			mb.RecordAwsRdsOsProcessMemoryUsageDataPoint(ts, v, p.Name, p.PID, p.ParentPID, p.Thread, "private")
		})
		recordIf(p.Shareable, func(v float64) {
			mb.RecordAwsRdsOsProcessMemoryUsageDataPoint(ts, v, p.Name, p.PID, p.ParentPID, p.Thread, "shareable")
		})
		recordIf(p.Virtual, func(v float64) {
			mb.RecordAwsRdsOsProcessMemoryVirtualDataPoint(ts, v, p.Name, p.PID, p.ParentPID, p.Thread)
		})
	}
}

func (c *emCollector) recordDisk(ts pcommon.Timestamp, d *osmetrics.Disk) {
	mb := c.mb
	layer := "logical"
	if d.Physical {
		layer = "physical"
	}
	dir := func(read, write *float64, rec func(float64, string, string, string)) {
		recordIf(read, func(v float64) { rec(v, d.Device, layer, "read") })
		recordIf(write, func(v float64) { rec(v, d.Device, layer, "write") })
	}
	one := func(x *float64, rec func(pcommon.Timestamp, float64, string, string)) {
		recordIf(x, func(v float64) { rec(ts, v, d.Device, layer) })
	}
	at := func(rec func(pcommon.Timestamp, float64, string, string, string)) func(float64, string, string, string) {
		return func(v float64, a, b, c string) { rec(ts, v, a, b, c) }
	}
	dir(d.ReadOps, d.WriteOps, at(mb.RecordAwsRdsOsDiskOperationsDataPoint))
	dir(d.ReadBytes, d.WriteBytes, at(mb.RecordAwsRdsOsDiskIoDataPoint))
	dir(d.ReadMerged, d.WriteMerged, at(mb.RecordAwsRdsOsDiskMergedDataPoint))
	dir(d.ReadTotal, d.WriteTotal, at(mb.RecordAwsRdsOsDiskTransferredDataPoint))
	dir(d.ReadLatency, d.WriteLatency, at(mb.RecordAwsRdsOsDiskLatencyDataPoint))
	one(d.Transfers, mb.RecordAwsRdsOsDiskTransfersDataPoint)
	one(d.QueueLength, mb.RecordAwsRdsOsDiskQueueLengthDataPoint)
	one(d.RequestSize, mb.RecordAwsRdsOsDiskRequestSizeDataPoint)
	one(d.Await, mb.RecordAwsRdsOsDiskAwaitDataPoint)
	one(d.Utilization, mb.RecordAwsRdsOsDiskUtilizationDataPoint)
}

func recordIf(x *float64, rec func(float64)) {
	if x != nil {
		rec(*x)
	}
}

// ---- state ----

func emStateKey(region string) string { return "enhanced_monitoring/" + region }

// emStateVersion is the first byte of an encoded EM state.
const emStateVersion = 1

// encodeEMState writes the marks: for each stream its name and mark (epoch ms).
func encodeEMState(marks map[string]int64) []byte {
	names := make([]string, 0, len(marks))
	for n := range marks {
		names = append(names, n)
	}
	sort.Strings(names)
	buf := []byte{emStateVersion}
	buf = binary.AppendUvarint(buf, uint64(len(names)))
	for _, n := range names {
		buf = binary.AppendUvarint(buf, uint64(len(n)))
		buf = append(buf, n...)
		buf = binary.AppendVarint(buf, marks[n])
	}
	return buf
}

func decodeEMState(data []byte) (map[string]int64, error) {
	d := decoder{b: data}
	if v := d.byte(); d.err == nil && v != emStateVersion {
		return nil, fmt.Errorf("format version %d, this receiver reads %d", v, emStateVersion)
	}
	n := d.uvarint()
	marks := make(map[string]int64, min(n, uint64(len(data))))
	for range n {
		if d.err != nil {
			break
		}
		name := d.string()
		marks[name] = d.varint()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return marks, d.err
}

func (st *stateStore) loadEM(ctx context.Context, region string, logger *zap.Logger) map[string]int64 {
	data, err := st.client.Get(ctx, emStateKey(region))
	if err != nil || data == nil {
		if err != nil {
			logger.Warn("Reading the Enhanced Monitoring state failed: starting afresh", zap.String("region", region), zap.Error(err))
		}
		return nil
	}
	marks, err := decodeEMState(data)
	if err != nil {
		logger.Warn("The stored Enhanced Monitoring state cannot be used: starting afresh", zap.String("region", region), zap.Error(err))
		return nil
	}
	return marks
}

func (st *stateStore) saveEM(ctx context.Context, region string, marks map[string]int64) error {
	return st.client.Set(ctx, emStateKey(region), encodeEMState(marks))
}
