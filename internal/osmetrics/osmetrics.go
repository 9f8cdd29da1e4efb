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
	var top map[string]json.RawMessage
	if err := json.Unmarshal(message, &top); err != nil {
		return Sample{}, fmt.Errorf("not an Enhanced Monitoring document: %w", err)
	}
	var s Sample
	p := parser{s: &s}
	ts, ok := top["timestamp"]
	if !ok {
		return Sample{}, fmt.Errorf("no timestamp")
	}
	var tss string
	if err := json.Unmarshal(ts, &tss); err != nil {
		return Sample{}, fmt.Errorf("timestamp: %w", err)
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
				name := map[string]string{"one": "1m", "five": "5m", "fifteen": "15m"}[k]
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
			p.list(raw, func(e map[string]json.RawMessage) { p.disk(e, false) })
		case "physicalDeviceIO":
			p.list(raw, func(e map[string]json.RawMessage) { p.disk(e, true) })
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

func (p parser) str(raw json.RawMessage, dst *string) bool {
	if json.Unmarshal(raw, dst) != nil {
		p.s.Unknown++
		return false
	}
	return true
}

// num reads a number; anything else (null, "unlimited") is counted as unknown.
func (p parser) num(raw json.RawMessage) *float64 {
	var v float64
	if json.Unmarshal(raw, &v) != nil {
		p.s.Unknown++
		return nil
	}
	return &v
}

// group reads an object of numbers; known reports whether fn took the field.
func (p parser) group(raw json.RawMessage, known func(k string, v float64) bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
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

func (p parser) list(raw json.RawMessage, fn func(map[string]json.RawMessage)) {
	var l []map[string]json.RawMessage
	if json.Unmarshal(raw, &l) != nil {
		p.s.Unknown++
		return
	}
	for _, e := range l {
		fn(e)
	}
}

// fields reads the named fields of an entry into their targets (scaled) and counts the
// others, except those in skip (strings the caller reads itself).
func (p parser) fields(e map[string]json.RawMessage, targets map[string]target, skip ...string) {
	for _, k := range sortedKeys(e) {
		if contains(skip, k) {
			continue
		}
		t, ok := targets[k]
		if !ok {
			p.s.Unknown++
			continue
		}
		if v := p.num(e[k]); v != nil && t.dst != nil {
			x := *v * t.scale
			*t.dst = &x
		}
	}
}

type target struct {
	dst   **float64
	scale float64
}

func to(dst **float64) target                { return target{dst, 1} }
func scaled(dst **float64, f float64) target { return target{dst, f} }

func (p parser) memory(k string, v float64) bool {
	names := map[string]string{
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
	if n, ok := names[k]; ok {
		p.s.Memory = append(p.s.Memory, Value{n, v * kb})
		return true
	}
	huge := map[string]string{"hugePagesFree": "free", "hugePagesRsvd": "reserved", "hugePagesSurp": "surplus", "hugePagesTotal": "total"}
	if n, ok := huge[k]; ok {
		p.s.HugePages = append(p.s.HugePages, Value{n, v})
		return true
	}
	if k == "pageSize" { // Windows page size in bytes
		p.s.Memory = append(p.s.Memory, Value{"page_size", v})
		return true
	}
	return false
}

func (p parser) network(e map[string]json.RawMessage) {
	var in Interface
	p.str(e["interface"], &in.Name)
	p.fields(e, map[string]target{
		"rx": to(&in.Receive), "tx": to(&in.Transmit), // Linux, bytes per second
		"rdBytesPS": to(&in.Receive), "wrBytesPS": to(&in.Transmit), // Windows
	}, "interface")
	p.s.Network = append(p.s.Network, in)
}

// auroraDisks reports whether diskIO has an entry without a device (Aurora's storage).
func (p parser) auroraDisks(raw json.RawMessage) bool {
	var l []map[string]json.RawMessage
	if raw == nil || json.Unmarshal(raw, &l) != nil {
		return false
	}
	for _, e := range l {
		if _, ok := e["device"]; !ok {
			return true
		}
	}
	return false
}

func (p parser) disk(e map[string]json.RawMessage, physical bool) {
	d := Disk{Device: AuroraStorage, Physical: physical}
	if raw, ok := e["device"]; ok {
		p.str(raw, &d.Device)
	}
	const ms = 1e-3
	p.fields(e, map[string]target{
		"readIOsPS": to(&d.ReadOps), "writeIOsPS": to(&d.WriteOps),
		"readKbPS": scaled(&d.ReadBytes, kb), "writeKbPS": scaled(&d.WriteBytes, kb),
		"readThroughput": to(&d.ReadBytes), "writeThroughput": to(&d.WriteBytes),
		"rrqmPS": to(&d.ReadMerged), "wrqmPS": to(&d.WriteMerged), "tps": to(&d.Transfers),
		"readKb": scaled(&d.ReadTotal, kb), "writeKb": scaled(&d.WriteTotal, kb),
		"avgQueueLen": to(&d.QueueLength), "diskQueueDepth": to(&d.QueueLength),
		"avgReqSz": scaled(&d.RequestSize, kb), "await": scaled(&d.Await, ms),
		"readLatency": scaled(&d.ReadLatency, ms), "writeLatency": scaled(&d.WriteLatency, ms),
		"util": to(&d.Utilization),
	}, "device")
	p.s.Disks = append(p.s.Disks, d)
}

func (p parser) fileSys(e map[string]json.RawMessage) {
	var f FileSystem
	p.str(e["name"], &f.Name)
	p.str(e["mountPoint"], &f.MountPoint)
	p.fields(e, map[string]target{
		"total": scaled(&f.Total, kb), "used": scaled(&f.Used, kb), "usedPercent": to(&f.UsedPercent),
		"maxFiles": to(&f.MaxFiles), "usedFiles": to(&f.UsedFiles), "usedFilePercent": to(&f.UsedFilePercent),
	}, "name", "mountPoint")
	p.s.FileSystems = append(p.s.FileSystems, f)
}

// windowsDisk splits a disks entry into its I/O (Disks) and its space (FileSystems).
func (p parser) windowsDisk(e map[string]json.RawMessage) {
	var name string
	p.str(e["name"], &name)
	d := Disk{Device: name}
	f := FileSystem{Name: name, MountPoint: name}
	var availPc *float64
	p.fields(e, map[string]target{
		"rdCountPS": to(&d.ReadOps), "wrCountPS": to(&d.WriteOps),
		"rdBytesPS": to(&d.ReadBytes), "wrBytesPS": to(&d.WriteBytes),
		"totalKb": scaled(&f.Total, kb), "usedKb": scaled(&f.Used, kb), "availKb": scaled(&f.Available, kb),
		"usedPc": to(&f.UsedPercent), "availPc": to(&availPc), // availPc is 100 - usedPc
	}, "name")
	p.s.Disks = append(p.s.Disks, d)
	p.s.FileSystems = append(p.s.FileSystems, f)
}

func (p parser) process(e map[string]json.RawMessage) {
	var pr Process
	p.str(e["name"], &pr.Name)
	var id, tgid, parent, pid, ppid, tid *float64
	p.fields(e, map[string]target{
		"cpuUsedPc": to(&pr.CPUPercent), "memoryUsedPc": to(&pr.MemoryPercent), "memUsedPc": to(&pr.MemoryPercent),
		"rss": scaled(&pr.RSS, kb), "vss": scaled(&pr.Virtual, kb),
		"workingSetKb": scaled(&pr.RSS, kb), "virtKb": scaled(&pr.Virtual, kb),
		"workingSetPrivKb": scaled(&pr.Private, kb), "workingSetShareableKb": scaled(&pr.Shareable, kb),
		"id": to(&id), "tgid": to(&tgid), "parentID": to(&parent), "pid": to(&pid), "ppid": to(&ppid), "tid": to(&tid),
	}, "name", "vmlimit") // vmlimit is 0 or "unlimited": not a metric
	first := func(xs ...*float64) int64 {
		for _, x := range xs {
			if x != nil {
				return int64(*x)
			}
		}
		return 0
	}
	pr.PID = first(tgid, pid, id)
	pr.Thread = first(id, tid)
	pr.ParentPID = first(parent, ppid)
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

func sortedKeys(m map[string]json.RawMessage) []string {
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
