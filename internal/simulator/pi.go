package simulator

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Performance Insights (awsJson1_1, X-Amz-Target PerformanceInsightsv20180227.<Op>):
// GetResourceMetrics for instances with performance_insights, identified by their
// DbiResourceId. The load of an instance is deterministic: a total per minute split
// among the keys of each dimension (wait events, tokenized SQL, users, hosts) by
// per-minute weights, so the groups of a dimension add up to the total. Counters are
// deterministic per minute too. A period's value is the mean of its minutes; a
// period is visible once it has ended.

const (
	piMaxQueries = 15
	piMaxLimit   = 25
	// piMaxDimensionBytes is where the API cuts dimension values (SQL text).
	piMaxDimensionBytes = 500
)

var piPeriods = []int64{1, 60, 300, 3600, 86400}

// piKey is one group of a dimension: its dimension values by name.
type piKey [][2]string

// piDimensions are the groups of db.load.avg per engine family, in a fixed order.
func piDimensions(engine, group string) []piKey {
	pg := strings.Contains(engine, "postgres")
	switch group {
	case "db.wait_event":
		if pg {
			return []piKey{
				{{"db.wait_event.name", "CPU"}, {"db.wait_event.type", "CPU"}},
				{{"db.wait_event.name", "IO:DataFileRead"}, {"db.wait_event.type", "IO"}},
				{{"db.wait_event.name", "Lock:transactionid"}, {"db.wait_event.type", "Lock"}},
				{{"db.wait_event.name", "LWLock:WALWrite"}, {"db.wait_event.type", "LWLock"}},
				{{"db.wait_event.name", "Client:ClientRead"}, {"db.wait_event.type", "Client"}},
			}
		}
		return []piKey{
			{{"db.wait_event.name", "CPU"}, {"db.wait_event.type", "CPU"}},
			{{"db.wait_event.name", "io/table/sql/handler"}, {"db.wait_event.type", "io"}},
			{{"db.wait_event.name", "synch/mutex/innodb/trx_sys_mutex"}, {"db.wait_event.type", "synch"}},
			{{"db.wait_event.name", "io/file/innodb/innodb_log_file"}, {"db.wait_event.type", "io"}},
		}
	case "db.sql_tokenized":
		stmts := []string{
			"SELECT * FROM orders WHERE customer_id = ?",
			"UPDATE stock SET quantity = quantity - ? WHERE item_id = ?",
			"INSERT INTO events (kind, payload, created_at) VALUES (?, ?, ?)",
			"DELETE FROM sessions WHERE expires_at < ?",
			// Longer than the API's 500 bytes: it comes back cut.
			"SELECT o.id, o.status, c.name, c.email, " + strings.Repeat("o.col_xxxxxxxx, ", 40) + "o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.created_at > ?",
		}
		keys := make([]piKey, len(stmts))
		for i, s := range stmts {
			keys[i] = piKey{{"db.sql_tokenized.id", strings.ToUpper(shortHash("sql/"+s, 40))}, {"db.sql_tokenized.statement", truncateBytes(s, piMaxDimensionBytes)}}
		}
		return keys
	case "db.user":
		return []piKey{{{"db.user.name", "app"}}, {{"db.user.name", "reporting"}}, {{"db.user.name", "rdsadmin"}}}
	case "db.host":
		return []piKey{{{"db.host.name", "10.0.1.17"}}, {{"db.host.name", "10.0.2.33"}}, {{"db.host.name", "10.0.3.5"}}}
	}
	return nil
}

// piCounters are the counters an instance has, by engine family.
func piCounters(engine string) []string {
	os := []string{"os.cpuUtilization.total", "os.memory.free", "os.loadAverageMinute.one"}
	if strings.Contains(engine, "postgres") {
		return append(os, "db.Transactions.xact_commit", "db.Transactions.xact_rollback", "db.Concurrency.deadlocks",
			"db.Temp.temp_bytes", "db.Checkpoint.checkpoints_req")
	}
	return append(os, "db.SQL.Questions", "db.SQL.Slow_queries", "db.Locks.innodb_row_lock_waits",
		"db.Users.Threads_running", "db.Users.Threads_connected")
}

func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (k piKey) dict() dict {
	d := make(dict, len(k))
	for i, kv := range k {
		d[i] = dictEntry{kv[0], kv[1]}
	}
	return d
}

func (k piKey) String() string {
	parts := make([]string, len(k))
	for i, kv := range k {
		parts[i] = kv[0] + "=" + kv[1]
	}
	return strings.Join(parts, ",")
}

// piMinuteLoad is an instance's total load (average active sessions) in one minute.
func piMinuteLoad(rid string, minute int64) float64 {
	base := 0.5 + 4*unit(hash64("piload/"+rid))
	return base * (0.5 + unit(splitmix64(hash64("piload/"+rid)^uint64(minute))))
}

// piMinuteGroup is one group's share of the minute's load.
func piMinuteGroup(rid string, keys []piKey, k int, minute int64) float64 {
	total := 0.0
	var mine float64
	for i, key := range keys {
		// Earlier keys weigh more, so the top N is stable but not fixed.
		w := float64(len(keys)-i) * (0.5 + unit(splitmix64(hash64("piw/"+rid+"/"+key.String())^uint64(minute))))
		total += w
		if i == k {
			mine = w
		}
	}
	return piMinuteLoad(rid, minute) * mine / total
}

func piMinuteCounter(rid, counter string, minute int64) float64 {
	h := hash64("pic/" + rid + "/" + counter)
	return float64(1+h%1000) * (0.5 + unit(splitmix64(h^uint64(minute))))
}

// piMean is the mean of f over the minutes of the period [t, t+p) (the minute holding t
// for periods under a minute), rounded like the API's values.
func piMean(t, p int64, f func(minute int64) float64) float64 {
	first, last := floorDiv(t, 60), floorDiv(t+p-1, 60)
	sum := 0.0
	for m := first; m <= last; m++ {
		sum += f(m)
	}
	return roundTo(sum/float64(last-first+1), 6)
}

func roundTo(v float64, digits int) float64 {
	f := math.Pow10(digits)
	return math.Round(v*f) / f
}

// PILoad is the ground truth of Performance Insights: the db.load.avg of one group of a
// dimension (group db.wait_event, db.sql_tokenized, db.user or db.host; key the group's
// dimension values as GetResourceMetrics returns them, e.g. {"db.user.name": "app"}) for
// the instance with DbiResourceId rid over the period starting at ts. False when the
// instance has no Performance Insights, the group or key is unknown, or the period is
// before the instance existed.
func (s *Server) PILoad(rid, group string, key map[string]string, ts time.Time, period time.Duration) (float64, bool) {
	in, ok := s.piInstance(rid)
	if !ok || ts.Before(s.piStart(in)) {
		return 0, false
	}
	keys := piDimensions(in.Engine, group)
	for k, pk := range keys {
		if pk.matches(key) {
			return piMean(ts.Unix(), int64(period/time.Second), func(m int64) float64 { return piMinuteGroup(rid, keys, k, m) }), true
		}
	}
	return 0, false
}

// PIStatement is the tokenized statement (as the API returns it, cut at 500 bytes) with
// the given db.sql_tokenized.id, or "".
func (s *Server) PIStatement(id string) string {
	for _, key := range piDimensions("", "db.sql_tokenized") {
		if key[0][1] == id {
			return key[1][1]
		}
	}
	return ""
}

// PICounter is the ground truth of one counter (without its .avg statistic).
func (s *Server) PICounter(rid, counter string, ts time.Time, period time.Duration) (float64, bool) {
	in, ok := s.piInstance(rid)
	if !ok || ts.Before(s.piStart(in)) || !slices.Contains(piCounters(in.Engine), counter) {
		return 0, false
	}
	return piMean(ts.Unix(), int64(period/time.Second), func(m int64) float64 { return piMinuteCounter(rid, counter, m) }), true
}

func (k piKey) matches(m map[string]string) bool {
	if len(m) != len(k) {
		return false
	}
	for _, kv := range k {
		if m[kv[0]] != kv[1] {
			return false
		}
	}
	return true
}

// piIndex maps DbiResourceId to instance for the newest fleet state it was asked about.
var piIndex struct {
	sync.Mutex
	state *fleetState
	byRID map[string]*Instance
}

// piInstance finds an instance by DbiResourceId, and whether it has Performance Insights.
func (s *Server) piInstance(rid string) (*Instance, bool) {
	st := s.current()
	piIndex.Lock()
	if piIndex.state != st {
		piIndex.state, piIndex.byRID = st, make(map[string]*Instance, len(st.instances))
		for _, in := range st.instances {
			piIndex.byRID[in.DbiResourceID] = in
		}
	}
	in := piIndex.byRID[rid]
	piIndex.Unlock()
	return in, in != nil && in.PerformanceInsights
}

func (s *Server) piStart(in *Instance) time.Time {
	if in.CreateTime.After(s.created) {
		return in.CreateTime
	}
	return s.created
}

func errPIInvalidArgument(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidArgumentException", "InvalidArgumentException", format, args...)
}

func errPIValidation(field string) *apiError {
	return newAPIError(http.StatusBadRequest, "ValidationException", "ValidationException",
		"Validation error(s) detected: Value at '%s' failed to satisfy constraints.", field)
}

func errPINotAuthorized(rid string) *apiError {
	return newAPIError(http.StatusBadRequest, "NotAuthorizedException", "NotAuthorizedException",
		"The resource %s for service type RDS is not authorized for this account", rid)
}

type piQuery struct {
	metric  string // without the statistic: db.load, os.cpuUtilization.total
	stat    string
	group   string
	limit   int64
	counter bool
}

func (s *Server) getResourceMetrics(c *call) (object, *apiError) {
	p := c.params
	if st, _ := asString(p["ServiceType"]); st != "RDS" {
		return nil, errPIValidation("serviceType")
	}
	rid, _ := asString(p["Identifier"])
	s.counters.piRequest(rid)
	start, err1 := asTime(p["StartTime"])
	end, err2 := asTime(p["EndTime"])
	if err1 != nil || err2 != nil || p["StartTime"] == nil || p["EndTime"] == nil {
		return nil, errPIValidation("startTime")
	}
	period := int64(60)
	if v, ok := p["PeriodInSeconds"]; ok && v != nil {
		n, err := asInt(v)
		if err != nil || !slices.Contains(piPeriods, n) {
			return nil, errPIInvalidArgument("The specified period is not valid: PeriodInSeconds must be one of 1, 60, 300, 3600, 86400.")
		}
		period = n
	}
	raw, err := asList(p["MetricQueries"])
	if err != nil || len(raw) < 1 || len(raw) > piMaxQueries {
		return nil, errPIValidation("metricQueries")
	}
	if !start.Before(end) {
		return nil, errPIInvalidArgument("The StartTime must be before the EndTime.")
	}
	in, ok := s.piInstance(rid)
	if !ok { // unknown and PI-disabled instances answer alike
		return nil, errPINotAuthorized(rid)
	}
	if s.faults.failsAny([]string{rid}) {
		return nil, errServiceFailure(c.service)
	}
	queries := make([]piQuery, len(raw))
	for i, r := range raw {
		q, aerr := parsePIQuery(r, in.Engine)
		if aerr != nil {
			return nil, aerr
		}
		queries[i] = q
	}
	maxResults := int64(0)
	if v, ok := p["MaxResults"]; ok && v != nil {
		n, err := asInt(v)
		if err != nil || n < 0 || n > piMaxLimit {
			return nil, errPIValidation("maxResults")
		}
		maxResults = n
	}
	first := int64(0)
	if tok, _ := asString(p["NextToken"]); tok != "" {
		if _, err := fmt.Sscanf(tok, "page-%d", &first); err != nil || first < 0 {
			return nil, errPIInvalidArgument("The NextToken is not valid.")
		}
	}

	// Periods that have ended and follow the instance's start.
	alignedStart := floorDiv(start.Unix(), period) * period
	alignedEnd := ceilDiv(end.Unix(), period) * period
	from := max(alignedStart, ceilDiv(s.piStart(in).Unix(), period)*period)
	to := min(alignedEnd, floorDiv(s.now().Unix(), period)*period)
	var stamps []int64
	for t := from; t+period <= to; t += period {
		stamps = append(stamps, t)
	}
	points := func(f func(minute int64) float64) list {
		l := list{item: "member", values: make([]any, len(stamps))}
		for i, t := range stamps {
			l.values[i] = object{{"Timestamp", time.Unix(t, 0)}, {"Value", piMean(t, period, f)}}
		}
		return l
	}
	var entries []any
	for _, q := range queries {
		metric := q.metric + "." + q.stat
		if q.counter {
			entries = append(entries, object{{"Key", object{{"Metric", metric}}}, {"DataPoints", points(func(m int64) float64 { return piMinuteCounter(rid, q.metric, m) })}})
			continue
		}
		entries = append(entries, object{{"Key", object{{"Metric", metric}}}, {"DataPoints", points(func(m int64) float64 { return piMinuteLoad(rid, m) })}})
		if q.group == "" {
			continue
		}
		keys := piDimensions(in.Engine, q.group)
		// The top groups over the range, by load.
		order := make([]int, len(keys))
		sums := make([]float64, len(keys))
		for k := range keys {
			order[k] = k
			for _, t := range stamps {
				sums[k] += piMean(t, period, func(m int64) float64 { return piMinuteGroup(rid, keys, k, m) })
			}
		}
		slices.SortStableFunc(order, func(a, b int) int {
			switch {
			case sums[a] > sums[b]:
				return -1
			case sums[a] < sums[b]:
				return 1
			}
			return 0
		})
		for _, k := range order[:min(int64(len(order)), q.limit)] {
			entries = append(entries, object{{"Key", object{{"Metric", metric}, {"Dimensions", keys[k].dict()}}},
				{"DataPoints", points(func(m int64) float64 { return piMinuteGroup(rid, keys, k, m) })}})
		}
	}
	next := ""
	if first > int64(len(entries)) {
		return nil, errPIInvalidArgument("The NextToken is not valid.")
	}
	entries = entries[first:]
	if maxResults > 0 && int64(len(entries)) > maxResults {
		entries = entries[:maxResults]
		next = fmt.Sprintf("page-%d", first+maxResults)
	}
	s.counters.piPoints(len(stamps) * len(entries))
	return object{
		{"AlignedStartTime", time.Unix(alignedStart, 0)},
		{"AlignedEndTime", time.Unix(alignedEnd, 0)},
		{"Identifier", rid},
		{"MetricList", list{item: "member", values: entries}},
	}.add("NextToken", next), nil
}

func parsePIQuery(r any, engine string) (piQuery, *apiError) {
	o, err := asObject(r)
	if err != nil {
		return piQuery{}, errPIValidation("metricQueries")
	}
	full, _ := asString(o["Metric"])
	i := strings.LastIndexByte(full, '.')
	if i < 0 {
		return piQuery{}, errPIInvalidArgument("The specified metric is not a known metric: %s", full)
	}
	q := piQuery{metric: full[:i], stat: full[i+1:], limit: 10}
	if !slices.Contains([]string{"avg", "min", "max", "sum"}, q.stat) {
		return piQuery{}, errPIInvalidArgument("The specified statistic is not a known statistic")
	}
	if q.metric != "db.load" {
		if !slices.Contains(piCounters(engine), q.metric) {
			return piQuery{}, errPIInvalidArgument("The specified metric is not a known metric: %s", full)
		}
		q.counter = true
	}
	if gb, ok := o["GroupBy"]; ok && gb != nil {
		g, err := asObject(gb)
		if err != nil {
			return piQuery{}, errPIValidation("metricQueries.groupBy")
		}
		q.group, _ = asString(g["Group"])
		if q.counter || piDimensions(engine, q.group) == nil {
			return piQuery{}, errPIInvalidArgument("This group is not a known group: %s is not valid for current resource", q.group)
		}
		if v, ok := g["Limit"]; ok && v != nil {
			n, err := asInt(v)
			if err != nil || n < 1 || n > piMaxLimit {
				return piQuery{}, errPIValidation("metricQueries.groupBy.limit")
			}
			q.limit = n
		}
	}
	return q, nil
}

func (c *counters) piRequest(rid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.PICallsByIdentifier[rid]++
}

func (c *counters) piPoints(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.PIDatapoints += int64(n)
}
