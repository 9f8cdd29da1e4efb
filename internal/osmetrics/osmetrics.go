// Package osmetrics parses the Enhanced Monitoring documents RDS writes to the CloudWatch
// Logs group RDSOSMetrics: the Linux format, its Aurora variant and the SQL Server
// (Windows) format. Values come out in OpenTelemetry units (bytes, seconds, percent as
// RDS reports it); fields this package does not know are skipped and counted.
package osmetrics

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Format is the layout of a document.
type Format string

const (
	Linux   Format = "linux"
	Aurora  Format = "aurora"
	Windows Format = "windows"
)

// AuroraStorage is the device name given to Aurora's cluster-volume diskIO entry, which
// RDS writes without a device.
const AuroraStorage = "aurora-storage"

// Value is one number of a group, named by its state (cpu state, memory kind, ...).
type Value struct {
	Name  string
	Value float64
}

// Sample is one parsed document.
type Sample struct {
	Timestamp  time.Time
	Format     Format
	Engine     string
	InstanceID string
	ResourceID string

	NumVCPUs  *float64
	Uptime    *float64 // seconds
	CPU       []Value  // percent by state (Linux: guest, idle, irq, nice, steal, system, total, user, wait; Windows: idle, kern, user)
	Load      []Value  // 1m, 5m, 15m
	Memory    []Value  // bytes by kind (Linux: active, cached, free, ...; Windows: commit_total, physical_available, ...)
	HugePages []Value  // pages by state (free, reserved, surplus, total); hugePagesSize goes to Memory as huge_page_size
	Swap      []Value  // bytes: cached, free, total
	SwapIO    []Value  // bytes per second: in, out
	Tasks     []Value  // count by state
	System    []Value  // Windows: handles, processes, threads

	Network     []Interface
	Disks       []Disk
	FileSystems []FileSystem
	Processes   []Process

	// Unknown counts the fields skipped because this package does not know them (or
	// found them with a type it does not expect).
	Unknown int
}

// Interface is one network interface: bytes per second received and transmitted.
type Interface struct {
	Name     string
	Receive  *float64
	Transmit *float64
}

// Disk is one diskIO, physicalDeviceIO (Physical) or Windows disks entry. Each field is
// nil when the document does not carry it.
type Disk struct {
	Device   string
	Physical bool
	// Per second.
	ReadOps, WriteOps         *float64 // operations
	ReadBytes, WriteBytes     *float64 // bytes
	ReadMerged, WriteMerged   *float64 // merged requests
	Transfers                 *float64 // tps
	ReadTotal, WriteTotal     *float64 // bytes read and written in the interval (readKb, writeKb)
	QueueLength               *float64 // requests (avgQueueLen, Aurora diskQueueDepth)
	RequestSize               *float64 // bytes (avgReqSz)
	Await                     *float64 // seconds
	ReadLatency, WriteLatency *float64 // seconds (Aurora)
	Utilization               *float64 // percent
}

// FileSystem is one fileSys entry or a Windows disks entry's space figures.
type FileSystem struct {
	Name, MountPoint       string
	Total, Used, Available *float64 // bytes
	UsedPercent            *float64
	MaxFiles, UsedFiles    *float64
	UsedFilePercent        *float64
}

// Process is one processList row. PID is the process (Linux tgid, Windows pid), Thread the
// Linux id (a thread of PID, equal to it for the main thread) or the Windows tid; the
// summary rows "OS processes" and "RDS processes" have PID 0 and Summary set.
type Process struct {
	Name               string
	PID, ParentPID     int64
	Thread             int64
	Summary            bool
	CPUPercent         *float64
	MemoryPercent      *float64
	RSS                *float64 // bytes (Linux rss, Windows workingSetKb)
	Virtual            *float64 // bytes (Linux vss, Windows virtKb)
	Private, Shareable *float64 // bytes (Windows working set parts)
}

// Summary rows of processList.
const (
	OSProcesses  = "OS processes"
	RDSProcesses = "RDS processes"
)

const kb = 1024

// Parse reads one document.
func Parse(message []byte) (Sample, error) {
	// One decode into plain values: decoding each field again from raw bytes costs
	// several times more (a document is ~7 KB with dozens of process rows).
	var top map[string]any
	if err := json.Unmarshal(message, &top); err != nil {
		return Sample{}, fmt.Errorf("not an Enhanced Monitoring document: %w", err)
	}
	var s Sample
	p := parser{s: &s}
	ts, ok := top["timestamp"]
	if !ok {
		return Sample{}, fmt.Errorf("no timestamp")
	}
	tss, ok := ts.(string)
	if !ok {
		return Sample{}, fmt.Errorf("timestamp: %v is not a string", ts)
	}
	t, err := time.Parse(time.RFC3339Nano, tss)
	if err != nil {
		return Sample{}, fmt.Errorf("timestamp %q: %w", tss, err)
	}
	s.Timestamp = t
	s.Format = Linux
	if _, win := top["disks"]; win {
		s.Format = Windows
	} else if _, phys := top["physicalDeviceIO"]; !phys && p.auroraDisks(top["diskIO"]) {
		s.Format = Aurora
	}
	keys := make([]string, 0, len(top))
	for k := range top {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic Unknown accounting and order
	for _, k := range keys {
		raw := top[k]
		switch k {
		case "timestamp", "version":
		case "engine":
			p.str(raw, &s.Engine)
		case "instanceID":
			p.str(raw, &s.InstanceID)
		case "instanceResourceID":
			p.str(raw, &s.ResourceID)
		case "numVCPUs":
			s.NumVCPUs = p.num(raw)
		case "uptime":
			var u string
			if p.str(raw, &u) {
				if sec, ok := parseUptime(u); ok {
					s.Uptime = &sec
				} else {
					s.Unknown++
				}
			}
		case "cpuUtilization":
			p.group(raw, func(k string, v float64) bool {
				switch k {
				case "guest", "idle", "irq", "nice", "steal", "system", "total", "user", "wait", "kern":
					s.CPU = append(s.CPU, Value{k, v})
					return true
				}
				return false
			})
		case "loadAverageMinute":
			p.group(raw, func(k string, v float64) bool {
				name := loadNames[k]
				if name != "" {
					s.Load = append(s.Load, Value{name, v})
				}
				return name != ""
			})
		case "memory":
			p.group(raw, p.memory)
		case "swap":
			p.group(raw, func(k string, v float64) bool {
				switch k {
				case "cached", "free", "total":
					s.Swap = append(s.Swap, Value{k, v * kb})
				case "in", "out":
					s.SwapIO = append(s.SwapIO, Value{k, v * kb})
				default:
					return false
				}
				return true
			})
		case "tasks":
			p.group(raw, func(k string, v float64) bool {
				switch k {
				case "blocked", "running", "sleeping", "stopped", "total", "zombie":
					s.Tasks = append(s.Tasks, Value{k, v})
					return true
				}
				return false
			})
		case "system":
			p.group(raw, func(k string, v float64) bool {
				switch k {
				case "handles", "processes", "threads":
					s.System = append(s.System, Value{k, v})
					return true
				}
				return false
			})
		case "network":
			p.list(raw, p.network)
		case "diskIO":
			p.list(raw, func(e map[string]any) { p.disk(e, false) })
		case "physicalDeviceIO":
			p.list(raw, func(e map[string]any) { p.disk(e, true) })
		case "fileSys":
			p.list(raw, p.fileSys)
		case "disks":
			p.list(raw, p.windowsDisk)
		case "processList":
			p.list(raw, p.process)
		default:
			s.Unknown++
		}
	}
	return s, nil
}

type parser struct{ s *Sample }

func (p parser) str(raw any, dst *string) bool {
	s, ok := raw.(string)
	if !ok {
		p.s.Unknown++
		return false
	}
	*dst = s
	return true
}

// num reads a number; anything else (null, "unlimited") is counted as unknown.
func (p parser) num(raw any) *float64 {
	v, ok := raw.(float64)
	if !ok {
		p.s.Unknown++
		return nil
	}
	return &v
}

// group reads an object of numbers; known reports whether fn took the field.
func (p parser) group(raw any, known func(k string, v float64) bool) {
	m, ok := raw.(map[string]any)
	if !ok {
		p.s.Unknown++
		return
	}
	for _, k := range sortedKeys(m) {
		v := p.num(m[k])
		if v != nil && !known(k, *v) {
			p.s.Unknown++
		}
	}
}

func (p parser) list(raw any, fn func(map[string]any)) {
	l, ok := raw.([]any)
	if !ok {
		p.s.Unknown++
		return
	}
	for _, x := range l {
		e, ok := x.(map[string]any)
		if !ok {
			p.s.Unknown++
			continue
		}
		fn(e)
	}
}

// spec says where a numeric field of an entry goes in T, and its scale.
type spec[T any] struct {
	at    func(*T) **float64
	scale float64
}

// fields reads the numeric fields of an entry into dst by specs and counts the others,
// except those in skip (strings the caller reads itself).
func fields[T any](p parser, e map[string]any, dst *T, specs map[string]spec[T], skip ...string) {
	for k, raw := range e {
		if contains(skip, k) {
			continue
		}
		sp, ok := specs[k]
		if !ok {
			p.s.Unknown++
			continue
		}
		if v := p.num(raw); v != nil {
			x := *v * sp.scale
			*sp.at(dst) = &x
		}
	}
}

var memoryNames = map[string]string{
	// Linux, kilobytes.
	"active": "active", "buffers": "buffers", "cached": "cached", "dirty": "dirty", "free": "free",
	"inactive": "inactive", "mapped": "mapped", "pageTables": "page_tables", "slab": "slab",
	"total": "total", "writeback": "writeback", "hugePagesSize": "huge_page_size",
	// Windows, kilobytes.
	"commitTotKb": "commit_total", "commitLimitKb": "commit_limit", "commitPeakKb": "commit_peak",
	"kernTotKb": "kernel_total", "kernPagedKb": "kernel_paged", "kernNonpagedKb": "kernel_nonpaged",
	"physTotKb": "physical_total", "physAvailKb": "physical_available", "sqlServerTotKb": "sql_server_total",
	"sysCacheKb": "system_cache",
}

var hugePageNames = map[string]string{"hugePagesFree": "free", "hugePagesRsvd": "reserved", "hugePagesSurp": "surplus", "hugePagesTotal": "total"}

var loadNames = map[string]string{"one": "1m", "five": "5m", "fifteen": "15m"}

func (p parser) memory(k string, v float64) bool {
	if n, ok := memoryNames[k]; ok {
		p.s.Memory = append(p.s.Memory, Value{n, v * kb})
		return true
	}
	if n, ok := hugePageNames[k]; ok {
		p.s.HugePages = append(p.s.HugePages, Value{n, v})
		return true
	}
	if k == "pageSize" { // Windows page size in bytes
		p.s.Memory = append(p.s.Memory, Value{"page_size", v})
		return true
	}
	return false
}

var interfaceSpecs = map[string]spec[Interface]{
	"rx":        {func(i *Interface) **float64 { return &i.Receive }, 1}, // Linux, bytes per second
	"tx":        {func(i *Interface) **float64 { return &i.Transmit }, 1},
	"rdBytesPS": {func(i *Interface) **float64 { return &i.Receive }, 1}, // Windows
	"wrBytesPS": {func(i *Interface) **float64 { return &i.Transmit }, 1},
}

func (p parser) network(e map[string]any) {
	var in Interface
	p.str(e["interface"], &in.Name)
	fields(p, e, &in, interfaceSpecs, "interface")
	p.s.Network = append(p.s.Network, in)
}

// auroraDisks reports whether diskIO has an entry without a device (Aurora's storage).
func (p parser) auroraDisks(raw any) bool {
	l, _ := raw.([]any)
	for _, x := range l {
		if e, ok := x.(map[string]any); ok && e["device"] == nil {
			return true
		}
	}
	return false
}

const ms = 1e-3

func diskField(at func(*Disk) **float64, scale float64) spec[Disk] { return spec[Disk]{at, scale} }

var diskSpecs = map[string]spec[Disk]{
	"readIOsPS":       diskField(func(d *Disk) **float64 { return &d.ReadOps }, 1),
	"writeIOsPS":      diskField(func(d *Disk) **float64 { return &d.WriteOps }, 1),
	"readKbPS":        diskField(func(d *Disk) **float64 { return &d.ReadBytes }, kb),
	"writeKbPS":       diskField(func(d *Disk) **float64 { return &d.WriteBytes }, kb),
	"readThroughput":  diskField(func(d *Disk) **float64 { return &d.ReadBytes }, 1),
	"writeThroughput": diskField(func(d *Disk) **float64 { return &d.WriteBytes }, 1),
	"rrqmPS":          diskField(func(d *Disk) **float64 { return &d.ReadMerged }, 1),
	"wrqmPS":          diskField(func(d *Disk) **float64 { return &d.WriteMerged }, 1),
	"tps":             diskField(func(d *Disk) **float64 { return &d.Transfers }, 1),
	"readKb":          diskField(func(d *Disk) **float64 { return &d.ReadTotal }, kb),
	"writeKb":         diskField(func(d *Disk) **float64 { return &d.WriteTotal }, kb),
	"avgQueueLen":     diskField(func(d *Disk) **float64 { return &d.QueueLength }, 1),
	"diskQueueDepth":  diskField(func(d *Disk) **float64 { return &d.QueueLength }, 1),
	"avgReqSz":        diskField(func(d *Disk) **float64 { return &d.RequestSize }, kb),
	"await":           diskField(func(d *Disk) **float64 { return &d.Await }, ms),
	"readLatency":     diskField(func(d *Disk) **float64 { return &d.ReadLatency }, ms),
	"writeLatency":    diskField(func(d *Disk) **float64 { return &d.WriteLatency }, ms),
	"util":            diskField(func(d *Disk) **float64 { return &d.Utilization }, 1),
}

func (p parser) disk(e map[string]any, physical bool) {
	d := Disk{Device: AuroraStorage, Physical: physical}
	if raw, ok := e["device"]; ok {
		p.str(raw, &d.Device)
	}
	fields(p, e, &d, diskSpecs, "device")
	p.s.Disks = append(p.s.Disks, d)
}

func fsField(at func(*FileSystem) **float64, scale float64) spec[FileSystem] {
	return spec[FileSystem]{at, scale}
}

var fileSysSpecs = map[string]spec[FileSystem]{
	"total":           fsField(func(f *FileSystem) **float64 { return &f.Total }, kb),
	"used":            fsField(func(f *FileSystem) **float64 { return &f.Used }, kb),
	"usedPercent":     fsField(func(f *FileSystem) **float64 { return &f.UsedPercent }, 1),
	"maxFiles":        fsField(func(f *FileSystem) **float64 { return &f.MaxFiles }, 1),
	"usedFiles":       fsField(func(f *FileSystem) **float64 { return &f.UsedFiles }, 1),
	"usedFilePercent": fsField(func(f *FileSystem) **float64 { return &f.UsedFilePercent }, 1),
}

func (p parser) fileSys(e map[string]any) {
	var f FileSystem
	p.str(e["name"], &f.Name)
	p.str(e["mountPoint"], &f.MountPoint)
	fields(p, e, &f, fileSysSpecs, "name", "mountPoint")
	p.s.FileSystems = append(p.s.FileSystems, f)
}

// windowsDiskEntry is a SQL Server disks entry: its I/O and its space.
type windowsDiskEntry struct {
	d       Disk
	f       FileSystem
	availPc *float64 // 100 - usedPc: not a metric of its own
}

func wdField(at func(*windowsDiskEntry) **float64, scale float64) spec[windowsDiskEntry] {
	return spec[windowsDiskEntry]{at, scale}
}

var windowsDiskSpecs = map[string]spec[windowsDiskEntry]{
	"rdCountPS": wdField(func(w *windowsDiskEntry) **float64 { return &w.d.ReadOps }, 1),
	"wrCountPS": wdField(func(w *windowsDiskEntry) **float64 { return &w.d.WriteOps }, 1),
	"rdBytesPS": wdField(func(w *windowsDiskEntry) **float64 { return &w.d.ReadBytes }, 1),
	"wrBytesPS": wdField(func(w *windowsDiskEntry) **float64 { return &w.d.WriteBytes }, 1),
	"totalKb":   wdField(func(w *windowsDiskEntry) **float64 { return &w.f.Total }, kb),
	"usedKb":    wdField(func(w *windowsDiskEntry) **float64 { return &w.f.Used }, kb),
	"availKb":   wdField(func(w *windowsDiskEntry) **float64 { return &w.f.Available }, kb),
	"usedPc":    wdField(func(w *windowsDiskEntry) **float64 { return &w.f.UsedPercent }, 1),
	"availPc":   wdField(func(w *windowsDiskEntry) **float64 { return &w.availPc }, 1),
}

// windowsDisk splits a disks entry into its I/O (Disks) and its space (FileSystems).
func (p parser) windowsDisk(e map[string]any) {
	var name string
	p.str(e["name"], &name)
	w := windowsDiskEntry{d: Disk{Device: name}, f: FileSystem{Name: name, MountPoint: name}}
	fields(p, e, &w, windowsDiskSpecs, "name")
	p.s.Disks = append(p.s.Disks, w.d)
	p.s.FileSystems = append(p.s.FileSystems, w.f)
}

// processEntry is a processList row with its ids before they are resolved.
type processEntry struct {
	p                                Process
	id, tgid, parent, pid, ppid, tid *float64
}

func peField(at func(*processEntry) **float64, scale float64) spec[processEntry] {
	return spec[processEntry]{at, scale}
}

var processSpecs = map[string]spec[processEntry]{
	"cpuUsedPc":             peField(func(e *processEntry) **float64 { return &e.p.CPUPercent }, 1),
	"memoryUsedPc":          peField(func(e *processEntry) **float64 { return &e.p.MemoryPercent }, 1),
	"memUsedPc":             peField(func(e *processEntry) **float64 { return &e.p.MemoryPercent }, 1),
	"rss":                   peField(func(e *processEntry) **float64 { return &e.p.RSS }, kb),
	"vss":                   peField(func(e *processEntry) **float64 { return &e.p.Virtual }, kb),
	"workingSetKb":          peField(func(e *processEntry) **float64 { return &e.p.RSS }, kb),
	"virtKb":                peField(func(e *processEntry) **float64 { return &e.p.Virtual }, kb),
	"workingSetPrivKb":      peField(func(e *processEntry) **float64 { return &e.p.Private }, kb),
	"workingSetShareableKb": peField(func(e *processEntry) **float64 { return &e.p.Shareable }, kb),
	"id":                    peField(func(e *processEntry) **float64 { return &e.id }, 1),
	"tgid":                  peField(func(e *processEntry) **float64 { return &e.tgid }, 1),
	"parentID":              peField(func(e *processEntry) **float64 { return &e.parent }, 1),
	"pid":                   peField(func(e *processEntry) **float64 { return &e.pid }, 1),
	"ppid":                  peField(func(e *processEntry) **float64 { return &e.ppid }, 1),
	"tid":                   peField(func(e *processEntry) **float64 { return &e.tid }, 1),
}

func (p parser) process(e map[string]any) {
	var pe processEntry
	p.str(e["name"], &pe.p.Name)
	fields(p, e, &pe, processSpecs, "name", "vmlimit") // vmlimit is 0 or "unlimited": not a metric
	first := func(xs ...*float64) int64 {
		for _, x := range xs {
			if x != nil {
				return int64(*x)
			}
		}
		return 0
	}
	pr := pe.p
	pr.PID = first(pe.tgid, pe.pid, pe.id)
	pr.Thread = first(pe.id, pe.tid)
	pr.ParentPID = first(pe.parent, pe.ppid)
	pr.Summary = pr.Name == OSProcesses || pr.Name == RDSProcesses
	p.s.Processes = append(p.s.Processes, pr)
}

var uptimeRE = regexp.MustCompile(`^\s*(?:(\d+)\s+days?,?\s*)?(\d+):(\d{2}):(\d{2})\s*$`)

// parseUptime reads "12 days, 03:04:05" (Linux), "12 days 03:04:05" (Windows) or "03:04:05".
func parseUptime(s string) (float64, bool) {
	m := uptimeRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n := func(x string) float64 {
		v, _ := strconv.ParseFloat(x, 64)
		return v
	}
	return n(m[1])*86400 + n(m[2])*3600 + n(m[3])*60 + n(m[4]), true
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
