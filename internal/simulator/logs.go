package simulator

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// CloudWatch Logs as RDS publishes to it. Every exported log type of a non-Aurora
// instance is the group /aws/rds/instance/<instance>/<type> with one stream named after
// the instance; every exported type of an Aurora cluster is /aws/rds/cluster/<cluster>/<type>
// with one stream per member instance. Each stream holds one event every 10 seconds,
// at Unix times that are multiples of 10 s, from its instance's creation (not before the
// fleet's); events are a pure function of group, stream and time, like metric values.

// logSlot is the distance between two events of a stream, and the unit of "slots":
// slot n is the event time n*10 s after the Unix epoch.
const logSlot = 10 * time.Second

// LogEvent is one event of a CloudWatch Logs stream.
type LogEvent struct {
	Stream        string
	Message       string
	EventID       string
	Timestamp     time.Time
	IngestionTime time.Time
}

type logGroup struct {
	name    string
	owner   string // instance or cluster identifier
	engine  string
	logType string
	created time.Time
	streams []*logStream // sorted by name
}

type logStream struct {
	name      string // the instance identifier
	firstSlot int64  // slot of the first event
	seed      uint64
	late      time.Duration // extra ingestion delay (Config.LateLogStreams)
	db, user  string        // what its messages talk about
}

// logCatalog is every log group of one fleet.
type logCatalog struct {
	groups []*logGroup // sorted by name
	byName map[string]*logGroup
}

func buildLogCatalog(f Fleet, fleetCreated time.Time, late map[string]time.Duration) *logCatalog {
	cat := &logCatalog{byName: map[string]*logGroup{}}
	created := func(t time.Time) time.Time {
		if t.IsZero() || t.Before(fleetCreated) {
			return fleetCreated
		}
		return t
	}
	instances := make(map[string]*Instance, len(f.Instances))
	for i := range f.Instances {
		instances[f.Instances[i].Identifier] = &f.Instances[i]
	}
	newStream := func(group string, in *Instance) *logStream {
		app := in.Tags["app"]
		if app == "" {
			app = "app"
		}
		return &logStream{
			name:      in.Identifier,
			firstSlot: ceilDiv(created(in.CreateTime).UnixNano(), int64(logSlot)),
			seed:      hash64(group + "\x00" + in.Identifier),
			late:      late[in.Identifier],
			db:        app,
			user:      app + "_rw",
		}
	}
	add := func(g *logGroup) {
		sort.Slice(g.streams, func(i, j int) bool { return g.streams[i].name < g.streams[j].name })
		cat.groups = append(cat.groups, g)
		cat.byName[g.name] = g
	}
	for i := range f.Instances {
		in := &f.Instances[i]
		if IsAurora(in.Engine) {
			continue
		}
		for _, t := range in.LogExports {
			name := "/aws/rds/instance/" + in.Identifier + "/" + t
			add(&logGroup{name: name, owner: in.Identifier, engine: in.Engine, logType: t,
				created: created(in.CreateTime), streams: []*logStream{newStream(name, in)}})
		}
	}
	for i := range f.Clusters {
		c := &f.Clusters[i]
		for _, t := range c.LogExports {
			g := &logGroup{name: "/aws/rds/cluster/" + c.Identifier + "/" + t, owner: c.Identifier,
				engine: c.Engine, logType: t, created: created(c.CreateTime)}
			for _, m := range c.Members {
				if in := instances[m.InstanceIdentifier]; in != nil {
					g.streams = append(g.streams, newStream(g.name, in))
				}
			}
			add(g)
		}
	}
	sort.Slice(cat.groups, func(i, j int) bool { return cat.groups[i].name < cat.groups[j].name })
	return cat
}

// streamRange is the slots [lo, hi] of one stream that a scan visits (none if lo > hi).
type streamRange struct {
	st     *logStream
	lo, hi int64
}

// ranges clips every stream of streams to the slots [lo, hi] and, unless visibleAt is
// zero, to events ingested by then: an event is visible once its ingestion time
// (timestamp + lag + the stream's lateness) is <= visibleAt.
func ranges(streams []*logStream, lo, hi int64, lag time.Duration, visibleAt time.Time) []streamRange {
	out := make([]streamRange, len(streams))
	for i, st := range streams {
		r := streamRange{st: st, lo: max(lo, st.firstSlot), hi: hi}
		if !visibleAt.IsZero() {
			r.hi = min(r.hi, floorDiv(visibleAt.Add(-lag-st.late).UnixNano(), int64(logSlot)))
		}
		out[i] = r
	}
	return out
}

// scan visits the events of rs (sorted by stream name) in API order, by timestamp and
// then stream name, from slot from on, skipping in that first slot the streams named
// afterStream or before it; fn returns false to stop.
func scan(rs []streamRange, from int64, afterStream string, fn func(st *logStream, slot int64) bool) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, r := range rs {
		if r.lo <= r.hi {
			lo, hi = min(lo, r.lo), max(hi, r.hi)
		}
	}
	for slot := max(lo, from); slot <= hi; slot++ {
		for _, r := range rs {
			if slot < r.lo || slot > r.hi || (slot == from && afterStream != "" && r.st.name <= afterStream) {
				continue
			}
			if !fn(r.st, slot) {
				return
			}
		}
	}
}

// event builds the event of stream st at slot.
func (s *Server) event(g *logGroup, st *logStream, slot int64) LogEvent {
	ts := time.Unix(0, slot*int64(logSlot)).UTC()
	msg, set := s.logText.get(g.name, st.name, slot)
	if !set {
		msg = logMessage(g, st, slot, ts)
	}
	return LogEvent{
		Stream:        st.name,
		Message:       msg,
		EventID:       fmt.Sprintf("%016d%020d%020d", ts.UnixMilli(), st.seed, slot-st.firstSlot),
		Timestamp:     ts,
		IngestionTime: ts.Add(s.logLag + st.late),
	}
}

// LogGroups lists the log groups of the current fleet, sorted by name.
func (s *Server) LogGroups() []string {
	groups := s.current().logs.groups
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.name
	}
	return out
}

// LogEvents is the ground truth of CloudWatch Logs: every event of group with
// start <= Timestamp < end, in the order FilterLogEvents returns them (by timestamp,
// then stream name), whether or not it is ingested yet (the clock is ignored). Nil for
// an unknown group.
func (s *Server) LogEvents(group string, start, end time.Time) []LogEvent {
	if group == EMLogGroup {
		return s.emGroupEvents(start, end)
	}
	g := s.current().logs.byName[group]
	if g == nil {
		return nil
	}
	lo := ceilDiv(start.UnixNano(), int64(logSlot))
	hi := ceilDiv(end.UnixNano(), int64(logSlot)) - 1
	var out []LogEvent
	scan(ranges(g.streams, lo, hi, 0, time.Time{}), lo, "", func(st *logStream, slot int64) bool {
		out = append(out, s.event(g, st, slot))
		return true
	})
	return out
}

// LogIngestionLag is the effective delay between an event's timestamp and its
// ingestion (before Config.LateLogStreams).
func (s *Server) LogIngestionLag() time.Duration { return s.logLag }

// ---- messages ----

// logMessage writes a realistic line (or multi-line entry) of the group's log type.
func logMessage(g *logGroup, st *logStream, slot int64, ts time.Time) string {
	h := splitmix64(st.seed ^ uint64(slot)*0x9e3779b97f4a7c15)
	r := func(n int) int { // a fresh deterministic draw in [0, n)
		h = splitmix64(h)
		return int(h % uint64(n))
	}
	host := fmt.Sprintf("10.0.%d.%d", 1+r(3), 10+r(200))
	thread := 10 + r(990)
	q := sampleQueries[r(len(sampleQueries))]
	mysqlish := !strings.Contains(g.engine, "postgres")
	switch {
	case g.logType == "iam-db-auth-error":
		return fmt.Sprintf("%s [ERROR] [IAM-DB-AUTH] Failed to authenticate user '%s' from %s: %s",
			ts.Format("2006-01-02T15:04:05.000Z"), st.user, host,
			[]string{"the authentication token has expired", "the signature does not match", "IAM policy does not allow rds-db:connect"}[r(3)])
	case g.logType == "audit":
		return fmt.Sprintf("%s,ip-10-0-0-%d,%s,%s,%d,%d,QUERY,%s,'%s',0",
			ts.Format("20060102 15:04:05"), 1+r(250), st.user, host, thread, 1000+r(90000), st.db, q)
	case mysqlish && g.logType == "error":
		return mysqlErrorLine(g.engine, st, ts, thread, host, r)
	case mysqlish && g.logType == "slowquery":
		return mysqlSlowEntry(g.engine, st, ts, thread, host, q, r)
	case mysqlish && g.logType == "general":
		stamp := ts.Format("2006-01-02T15:04:05.000000Z")
		switch r(8) {
		case 0:
			return fmt.Sprintf("%s\t%5d Connect\t%s@%s on %s using SSL/TLS", stamp, thread, st.user, host, st.db)
		case 1:
			return fmt.Sprintf("%s\t%5d Quit\t", stamp, thread)
		}
		return fmt.Sprintf("%s\t%5d Query\t%s", stamp, thread, q)
	case g.logType == "upgrade":
		return fmt.Sprintf("%s UTC::@:[%d]:LOG:  %s", ts.Format("2006-01-02 15:04:05"), 300+r(200), upgradeLines[r(len(upgradeLines))])
	}
	return postgresLine(st, ts, host, q, r)
}

var sampleQueries = []string{
	"SELECT * FROM orders WHERE customer_id = 42 ORDER BY created_at DESC LIMIT 20",
	"SELECT o.id, SUM(i.amount) FROM orders o JOIN items i ON i.order_id = o.id GROUP BY o.id",
	"UPDATE accounts SET balance = balance - 10.00 WHERE id = 1017",
	"INSERT INTO events (kind, payload) VALUES ('checkout', '{}')",
	"DELETE FROM sessions WHERE expires_at < NOW()",
	"SELECT COUNT(*) FROM customers WHERE country = 'DE'",
}

var upgradeLines = []string{
	"Performing Consistency Checks",
	"Checking cluster versions                                     ok",
	"Checking database user is the install user                    ok",
	"Checking for prepared transactions                            ok",
	"Upgrade Complete",
}

func mysqlErrorLine(engine string, st *logStream, ts time.Time, thread int, host string, r func(int) int) string {
	if engine == EngineMariaDB {
		prefix := fmt.Sprintf("%s %d ", ts.Format("2006-01-02 15:04:05"), thread)
		switch r(10) {
		case 0, 1, 2, 3:
			return prefix + fmt.Sprintf("[Warning] Aborted connection %d to db: '%s' user: '%s' host: '%s' (Got an error reading communication packets)", thread, st.db, st.user, host)
		case 4, 5:
			return prefix + fmt.Sprintf("[Warning] Access denied for user '%s'@'%s' (using password: YES)", st.user, host)
		case 6, 7:
			return prefix + "[Note] InnoDB: Buffer pool(s) load completed at " + ts.Format("060102 15:04:05")
		case 8:
			return prefix + fmt.Sprintf("[ERROR] Got error 28 \"No space left on device\" when writing to table '%s'.'events'", st.db)
		}
		return prefix + "[Note] Detected table cache mutex contention at instance 1: 32% waits. Additional table cache instance activated."
	}
	prefix := fmt.Sprintf("%s %d ", ts.Format("2006-01-02T15:04:05.000000Z"), thread)
	switch r(10) {
	case 0, 1, 2, 3:
		return prefix + fmt.Sprintf("[Note] [MY-010914] [Server] Aborted connection %d to db: '%s' user: '%s' host: '%s' (Got an error reading communication packets).", thread, st.db, st.user, host)
	case 4, 5:
		return prefix + "[Warning] [MY-013360] [Server] Plugin mysql_native_password reported: ''mysql_native_password' is deprecated and will be removed in a future release. Please use caching_sha2_password instead'"
	case 6:
		return prefix + fmt.Sprintf("[Warning] [MY-010055] [Server] IP address '%s' could not be resolved: Name or service not known", host)
	case 7:
		return prefix + fmt.Sprintf("[Note] [MY-010926] [Server] Access denied for user '%s'@'%s' (using password: YES)", st.user, host)
	case 8:
		return prefix + fmt.Sprintf("[ERROR] [MY-012592] [InnoDB] Operating system error number 28 in a file operation. Table '%s'.'events' is full", st.db)
	}
	return prefix + "[Warning] [MY-010957] [Server] The transaction log files are getting full: consider increasing innodb_redo_log_capacity."
}

func mysqlSlowEntry(engine string, st *logStream, ts time.Time, thread int, host, q string, r func(int) int) string {
	queryTime := 1 + float64(r(9000000))/1e6
	lockTime := float64(r(2000)) / 1e6
	sent, examined := 1+r(500), 1000+r(2000000)
	if engine == EngineMariaDB {
		return fmt.Sprintf("# Time: %s\n# User@Host: %s[%s] @  [%s]\n# Thread_id: %d  Schema: %s  QC_hit: No\n"+
			"# Query_time: %.6f  Lock_time: %.6f  Rows_sent: %d  Rows_examined: %d\n# Rows_affected: 0  Bytes_sent: %d\n"+
			"SET timestamp=%d;\n%s;",
			ts.Format("060102 15:04:05"), st.user, st.user, host, thread, st.db,
			queryTime, lockTime, sent, examined, 64*sent, ts.Unix(), q)
	}
	return fmt.Sprintf("# Time: %s\n# User@Host: %s[%s] @  [%s]  Id: %6d\n"+
		"# Query_time: %.6f  Lock_time: %.6f Rows_sent: %d  Rows_examined: %d\nuse %s;\nSET timestamp=%d;\n%s;",
		ts.Format("2006-01-02T15:04:05.000000Z"), st.user, st.user, host, thread,
		queryTime, lockTime, sent, examined, st.db, ts.Unix(), q)
}

// postgresLine uses RDS's default log_line_prefix %t:%r:%u@%d:[%p]:.
func postgresLine(st *logStream, ts time.Time, host, q string, r func(int) int) string {
	stamp := ts.Format("2006-01-02 15:04:05") + " UTC"
	pid := 1000 + r(30000)
	prefix := fmt.Sprintf("%s:%s(%d):%s@%s:[%d]:", stamp, host, 30000+r(35000), st.user, st.db, pid)
	switch r(20) {
	case 0, 1, 2, 3, 4, 5, 6, 7, 8, 9:
		return fmt.Sprintf("%sLOG:  duration: %d.%03d ms  statement: %s", prefix, 1000+r(9000), r(1000), q)
	case 10, 11:
		return prefix + "ERROR:  duplicate key value violates unique constraint \"orders_pkey\"\n" +
			prefix + "DETAIL:  Key (id)=(" + fmt.Sprint(1000+r(100000)) + ") already exists.\n" +
			prefix + "STATEMENT:  INSERT INTO orders (id, customer_id) VALUES ($1, $2)"
	case 12:
		return prefix + "ERROR:  canceling statement due to statement timeout\n" + prefix + "STATEMENT:  " + q
	case 13, 14:
		return prefix + "WARNING:  there is no transaction in progress"
	case 15:
		return prefix + fmt.Sprintf("FATAL:  password authentication failed for user \"%s\"\n", st.user) +
			prefix + "DETAIL:  Connection matched file \"/rdsdbdata/config/pg_hba.conf\" line 13: \"host	all	all	0.0.0.0/0	md5\""
	case 16, 17:
		return prefix + fmt.Sprintf("LOG:  connection authorized: user=%s database=%s SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)", st.user, st.db)
	}
	return fmt.Sprintf("%s::@:[%d]:LOG:  checkpoint complete: wrote %d buffers (%.1f%%); 0 WAL file(s) added, 0 removed, 1 recycled; write=%d.%03d s, sync=0.002 s, total=%d.%03d s",
		stamp, 400+r(100), 10+r(5000), float64(r(100))/10, r(30), r(1000), r(30), r(1000))
}

// logExportsFor is what GenerateFleet exports for an engine.
func logExportsFor(engine string) []string {
	if strings.Contains(engine, "postgres") {
		return []string{"postgresql"}
	}
	return []string{"error", "slowquery"}
}
