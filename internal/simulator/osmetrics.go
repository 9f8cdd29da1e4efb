package simulator

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// Enhanced Monitoring as RDS publishes it: the log group RDSOSMetrics holds one stream per
// instance with MonitoringInterval > 0, named by its DbiResourceId, with one JSON document
// every MonitoringInterval seconds at Unix times that are multiples of the interval. The
// document is in the Linux format, the Aurora variant (a device-less diskIO entry with
// latency and throughput, and rdstemp) or the SQL Server (Windows) format, and is a pure
// function of the stream and the time. Turning EM off (StopEnhancedMonitoring) ends the
// stream's events but keeps the stream; DeleteEnhancedMonitoringStream removes the stream,
// as after a deletion or a blue/green switchover.

// EMLogGroup is the log group of Enhanced Monitoring.
const EMLogGroup = "RDSOSMetrics"

// emStream is one instance's stream.
type emStream struct {
	name       string // DbiResourceId
	identifier string
	engine     string
	class      string
	interval   int64 // seconds
	first      int64 // slot (time / interval) of the first event
	last       int64 // slot of the last event (math.MaxInt64: open)
	late       time.Duration
	seed       uint64
}

// emControl remembers what StopEnhancedMonitoring and DeleteEnhancedMonitoringStream did,
// across SetFleet.
type emControl struct {
	mu      sync.Mutex
	stopped map[string]emStop // DbiResourceId -> the stream as it was when stopped
	deleted map[string]bool   // DbiResourceId
}

type emStop struct {
	identifier, engine, class string
	interval                  int64
	created                   time.Time
	at                        time.Time
}

// emCatalog is the RDSOSMetrics streams of one fleet, sorted by name.
type emCatalog struct {
	streams []*emStream
	byName  map[string]*emStream
}

func (c *emControl) build(f Fleet, fleetCreated time.Time, late map[string]time.Duration) *emCatalog {
	c.mu.Lock()
	defer c.mu.Unlock()
	cat := &emCatalog{byName: map[string]*emStream{}}
	add := func(dbi, id, engine, class string, interval int64, created time.Time, stop time.Time) {
		if c.deleted[dbi] || cat.byName[dbi] != nil {
			return
		}
		if created.IsZero() || created.Before(fleetCreated) {
			created = fleetCreated
		}
		st := &emStream{name: dbi, identifier: id, engine: engine, class: class, interval: interval,
			first: ceilDiv(created.UnixNano(), interval*int64(time.Second)), last: math.MaxInt64,
			late: late[id], seed: hash64("em\x00" + dbi)}
		if !stop.IsZero() {
			st.last = floorDiv(stop.UnixNano(), interval*int64(time.Second))
		}
		cat.streams = append(cat.streams, st)
		cat.byName[dbi] = st
	}
	for i := range f.Instances {
		in := &f.Instances[i]
		if in.MonitoringInterval > 0 {
			add(in.DbiResourceID, in.Identifier, in.Engine, in.Class, int64(in.MonitoringInterval), in.CreateTime, time.Time{})
		}
	}
	for dbi, s := range c.stopped {
		add(dbi, s.identifier, s.engine, s.class, s.interval, s.created, s.at)
	}
	sort.Slice(cat.streams, func(i, j int) bool { return cat.streams[i].name < cat.streams[j].name })
	return cat
}

// StopEnhancedMonitoring turns EM off for an instance now: DescribeDBInstances reports
// MonitoringInterval 0 and its stream keeps the events written until now, and no more.
func (s *Server) StopEnhancedMonitoring(identifier string) error {
	f := s.current().fleet.clone()
	for i := range f.Instances {
		in := &f.Instances[i]
		if in.Identifier != identifier {
			continue
		}
		if in.MonitoringInterval == 0 {
			return fmt.Errorf("instance %q: Enhanced Monitoring is already off", identifier)
		}
		s.em.mu.Lock()
		s.em.stopped[in.DbiResourceID] = emStop{identifier: in.Identifier, engine: in.Engine, class: in.Class,
			interval: int64(in.MonitoringInterval), created: in.CreateTime, at: s.now()}
		s.em.mu.Unlock()
		in.MonitoringInterval = 0
		s.SetFleet(f)
		return nil
	}
	return fmt.Errorf("instance %q does not exist", identifier)
}

// DeleteEnhancedMonitoringStream removes an instance's RDSOSMetrics stream now (the
// instance keeps MonitoringInterval): reading it fails with ResourceNotFoundException.
func (s *Server) DeleteEnhancedMonitoringStream(identifier string) error {
	in := s.current().instances[identifier]
	if in == nil {
		return fmt.Errorf("instance %q does not exist", identifier)
	}
	s.em.mu.Lock()
	s.em.deleted[in.DbiResourceID] = true
	s.em.mu.Unlock()
	s.SetFleet(s.current().fleet.clone())
	return nil
}

// EMEvents is the ground truth of Enhanced Monitoring: every event of the instance's
// stream with start <= Timestamp < end, oldest first, whether or not it is ingested yet.
// Nil when the instance has no stream.
func (s *Server) EMEvents(identifier string, start, end time.Time) []LogEvent {
	st := s.emStreamOf(identifier)
	if st == nil {
		return nil
	}
	step := st.interval * int64(time.Second)
	lo := max(ceilDiv(start.UnixNano(), step), st.first)
	hi := min(ceilDiv(end.UnixNano(), step)-1, st.last)
	var out []LogEvent
	for slot := lo; slot <= hi; slot++ {
		out = append(out, s.emEvent(st, slot))
	}
	return out
}

// EMStream is the name of an instance's RDSOSMetrics stream ("" when it has none).
func (s *Server) EMStream(identifier string) string {
	if st := s.emStreamOf(identifier); st != nil {
		return st.name
	}
	return ""
}

func (s *Server) emStreamOf(identifier string) *emStream {
	for _, st := range s.current().em.streams {
		if st.identifier == identifier {
			return st
		}
	}
	return nil
}

func (s *Server) emEvent(st *emStream, slot int64) LogEvent {
	ts := time.Unix(slot*st.interval, 0).UTC()
	return LogEvent{
		Stream:        st.name,
		Message:       emDocument(st, slot, ts),
		EventID:       fmt.Sprintf("%016d%020d%020d", ts.UnixMilli(), st.seed, slot-st.first),
		Timestamp:     ts,
		IngestionTime: ts.Add(s.logLag + st.late),
	}
}

// ---- documents ----

// emDraw returns deterministic draws for one event: r(lo, hi) is a value in [lo, hi)
// rounded to 2 decimals, as RDS writes them.
func emDraw(st *emStream, slot int64) func(lo, hi float64) float64 {
	h := splitmix64(st.seed ^ uint64(slot)*0x9e3779b97f4a7c15)
	return func(lo, hi float64) float64 {
		h = splitmix64(h)
		return math.Round((lo+unit(h)*(hi-lo))*100) / 100
	}
}

// emUptime writes an uptime as RDS does: "<d> days, hh:mm:ss" (Linux) or "<d> days hh:mm:ss" (Windows).
func emUptime(sec int64, windows bool) string {
	sep := ","
	if windows {
		sep = ""
	}
	return fmt.Sprintf("%d days%s %02d:%02d:%02d", sec/86400, sep, sec%86400/3600, sec%3600/60, sec%60)
}

// IsSQLServer reports whether the engine is an RDS for SQL Server engine.
func IsSQLServer(engine string) bool { return strings.HasPrefix(engine, "sqlserver") }

func emDocument(st *emStream, slot int64, ts time.Time) string {
	r := emDraw(st, slot)
	memGiB, vcpus := classShape(st.class)
	uptime := slot*st.interval - st.first*st.interval + 3600
	head := map[string]any{
		"instanceID":         st.identifier,
		"instanceResourceID": st.name,
		"timestamp":          ts.Format(time.RFC3339),
		"version":            1.0,
		"uptime":             emUptime(uptime, IsSQLServer(st.engine)),
		"numVCPUs":           int(vcpus),
	}
	var doc map[string]any
	switch {
	case IsSQLServer(st.engine):
		doc = windowsDocument(r, memGiB)
		head["engine"] = "SQLSERVER"
	default:
		doc = linuxDocument(r, memGiB, IsAurora(st.engine), strings.Contains(st.engine, "postgres"))
		switch {
		case IsAurora(st.engine):
			head["engine"] = "Aurora"
		case strings.Contains(st.engine, "postgres"):
			head["engine"] = "POSTGRES"
		default:
			head["engine"] = "MYSQL"
		}
	}
	for k, v := range head {
		doc[k] = v
	}
	b, _ := json.Marshal(doc) // maps of numbers and strings: cannot fail
	return string(b)
}

func linuxDocument(r func(lo, hi float64) float64, memGiB float64, aurora, postgres bool) map[string]any {
	user, system, wait, steal, nice, irq := r(5, 60), r(1, 15), r(0, 10), r(0, 3), r(0, 1), r(0, 0.5)
	total := math.Round((user+system+wait+steal+nice+irq)*100) / 100
	totalKB := math.Round(memGiB * 1024 * 1024)
	free := math.Round(totalKB * r(0.05, 0.4))
	swapTotal := 4194300.0
	swapFree := math.Round(swapTotal * r(0.8, 1))
	dev := func(name string) map[string]any {
		rk, wk := r(0, 5000), r(0, 20000)
		m := map[string]any{
			"readIOsPS": r(0, 500), "writeIOsPS": r(0, 2000), "avgQueueLen": r(0, 8), "avgReqSz": r(4, 64),
			"await": r(0.2, 20), "readKb": math.Round(rk * 60), "readKbPS": rk, "rrqmPS": r(0, 5), "tps": r(0, 2500),
			"util": r(0, 100), "writeKb": math.Round(wk * 60), "writeKbPS": wk, "wrqmPS": r(0, 50),
		}
		if name != "" {
			m["device"] = name
		}
		return m
	}
	var diskIO []any
	if aurora {
		diskIO = []any{
			map[string]any{"readLatency": r(0, 5), "writeLatency": r(0, 10), "readThroughput": r(0, 5e7),
				"writeThroughput": r(0, 5e7), "readIOsPS": r(0, 3000), "writeIOsPS": r(0, 3000), "diskQueueDepth": r(0, 10)},
			dev("rdstemp"),
		}
	} else {
		diskIO = []any{dev("rdsdev"), dev("filesystem")}
	}
	fs := func(name, mount string, totalKB float64) map[string]any {
		used := math.Round(totalKB * r(0.1, 0.95))
		maxFiles := math.Round(totalKB / 16)
		usedFiles := math.Round(maxFiles * r(0, 0.2))
		return map[string]any{"name": name, "mountPoint": mount, "total": totalKB, "used": used,
			"usedPercent": math.Round(used/totalKB*10000) / 100, "maxFiles": maxFiles, "usedFiles": usedFiles,
			"usedFilePercent": math.Round(usedFiles/maxFiles*10000) / 100}
	}
	fileSys := []any{fs("rdsfilesys", "/rdsdbdata", 104857600), fs("root", "/", 10475520)}
	if aurora {
		fileSys = append(fileSys, fs("rdstemp", "/rdstemp", 33554432))
	}
	engineProc := "mysqld"
	if postgres {
		engineProc = "postgres"
	}
	var procs []any
	proc := func(name string, id, parent int) {
		cpu, mem := r(0, 30), r(0, 20)
		procs = append(procs, map[string]any{"name": name, "id": id, "parentID": parent, "tgid": id,
			"cpuUsedPc": cpu, "memoryUsedPc": mem, "rss": math.Round(totalKB * mem / 100), "vss": math.Round(totalKB * mem / 50)})
	}
	// Busy instances list dozens of engine processes (one per connection for PostgreSQL).
	for i := range 40 {
		proc(engineProc, 4000+i*17, 4000)
	}
	proc("OS processes", 0, 0)
	proc("RDS processes", 0, 0)
	doc := map[string]any{
		"cpuUtilization": map[string]any{"guest": 0.0, "idle": math.Round((100-total)*100) / 100, "irq": irq,
			"nice": nice, "steal": steal, "system": system, "total": total, "user": user, "wait": wait},
		"loadAverageMinute": map[string]any{"one": r(0, 8), "five": r(0, 6), "fifteen": r(0, 4)},
		"memory": map[string]any{"active": math.Round(totalKB * r(0.2, 0.5)), "buffers": math.Round(totalKB * r(0, 0.05)),
			"cached": math.Round(totalKB * r(0.1, 0.4)), "dirty": math.Round(r(0, 50000)), "free": free,
			"hugePagesFree": 0.0, "hugePagesRsvd": 0.0, "hugePagesSize": 2048.0, "hugePagesSurp": 0.0, "hugePagesTotal": 0.0,
			"inactive": math.Round(totalKB * r(0.1, 0.3)), "mapped": math.Round(totalKB * r(0, 0.1)),
			"pageTables": math.Round(r(5000, 50000)), "slab": math.Round(r(50000, 300000)), "total": totalKB,
			"writeback": math.Round(r(0, 100))},
		"swap":        map[string]any{"cached": math.Round(r(0, 1000)), "free": swapFree, "total": swapTotal, "in": r(0, 50), "out": r(0, 50)},
		"tasks":       map[string]any{"blocked": math.Round(r(0, 3)), "running": math.Round(r(1, 8)), "sleeping": math.Round(r(200, 400)), "stopped": 0.0, "total": 0.0, "zombie": 0.0},
		"network":     []any{map[string]any{"interface": "eth0", "rx": r(0, 1e7), "tx": r(0, 1e7)}},
		"diskIO":      diskIO,
		"fileSys":     fileSys,
		"processList": procs,
	}
	t := doc["tasks"].(map[string]any)
	t["total"] = t["blocked"].(float64) + t["running"].(float64) + t["sleeping"].(float64)
	if !aurora {
		doc["physicalDeviceIO"] = []any{dev("nvme1n1"), dev("nvme2n1")}
	}
	return doc
}

func windowsDocument(r func(lo, hi float64) float64, memGiB float64) map[string]any {
	kern, user := r(1, 20), r(5, 60)
	physKB := math.Round(memGiB * 1024 * 1024)
	disk := func(name string, totalKB float64) map[string]any {
		used := math.Round(totalKB * r(0.05, 0.9))
		return map[string]any{"name": name, "totalKb": totalKB, "usedKb": used, "availKb": totalKB - used,
			"usedPc": math.Round(used/totalKB*10000) / 100, "availPc": math.Round((totalKB-used)/totalKB*10000) / 100,
			"rdCountPS": r(0, 500), "rdBytesPS": r(0, 2e7), "wrCountPS": r(0, 1000), "wrBytesPS": r(0, 4e7)}
	}
	var procs []any
	proc := func(name string, pid, ppid int) {
		cpu, mem := r(0, 30), r(0, 20)
		ws := math.Round(physKB * mem / 100)
		priv := math.Round(ws * 0.8)
		procs = append(procs, map[string]any{"name": name, "pid": pid, "ppid": ppid, "tid": 0,
			"cpuUsedPc": cpu, "memUsedPc": mem, "workingSetKb": ws, "workingSetPrivKb": priv,
			"workingSetShareableKb": ws - priv, "virtKb": math.Round(ws * 3)})
	}
	for i, name := range []string{"sqlservr", "sqlagent", "SQLWriter", "rdsagent", "svchost", "lsass", "fdlauncher"} {
		proc(name, 1200+i*64, 600)
	}
	proc("OS processes", 0, 0)
	proc("RDS processes", 0, 0)
	commit := math.Round(physKB * r(0.3, 0.9))
	return map[string]any{
		"cpuUtilization": map[string]any{"idle": math.Round((100-kern-user)*100) / 100, "kern": kern, "user": user},
		"memory": map[string]any{"commitTotKb": commit, "commitLimitKb": physKB * 1.25, "commitPeakKb": commit + 1024,
			"kernTotKb": math.Round(r(100000, 400000)), "kernPagedKb": math.Round(r(50000, 200000)),
			"kernNonpagedKb": math.Round(r(50000, 200000)), "pageSize": 4096.0, "physTotKb": physKB,
			"physAvailKb": math.Round(physKB * r(0.1, 0.5)), "sqlServerTotKb": math.Round(physKB * r(0.3, 0.7)),
			"sysCacheKb": math.Round(r(100000, 500000))},
		"system":      map[string]any{"handles": math.Round(r(15000, 30000)), "processes": math.Round(r(50, 80)), "threads": math.Round(r(800, 1500))},
		"disks":       []any{disk("rdsdbdata", 209715200), disk("C:", 31457280)},
		"network":     []any{map[string]any{"interface": "Ethernet 4", "rdBytesPS": r(0, 1e7), "wrBytesPS": r(0, 1e7)}},
		"processList": procs,
	}
}

// addEM adds the RDSOSMetrics group to the log groups once some instance has a stream.
func (cat *logCatalog) addEM(em *emCatalog, fleetCreated time.Time) {
	if len(em.streams) == 0 {
		return
	}
	g := &logGroup{name: EMLogGroup, created: fleetCreated}
	cat.groups = append(cat.groups, g)
	cat.byName[g.name] = g
	sort.Slice(cat.groups, func(i, j int) bool { return cat.groups[i].name < cat.groups[j].name })
}

// emGroupEvents is every event of RDSOSMetrics with start <= Timestamp < end, by timestamp
// and then stream name (FilterLogEvents' order).
func (s *Server) emGroupEvents(start, end time.Time) []LogEvent {
	var out []LogEvent
	for _, st := range s.current().em.streams {
		out = append(out, s.EMEvents(st.identifier, start, end)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Timestamp.Before(out[j].Timestamp) ||
			(out[i].Timestamp.Equal(out[j].Timestamp) && out[i].Stream < out[j].Stream)
	})
	return out
}

// emStoredBytes estimates the group's size from the events ingested by now.
func (s *Server) emStoredBytes(now time.Time) int64 {
	var n int64
	for _, st := range s.current().em.streams {
		if lo, hi := s.emSlots(st, 0, now.UnixMilli(), now); hi >= lo {
			n += hi - lo + 1
		}
	}
	return n * 7000
}
