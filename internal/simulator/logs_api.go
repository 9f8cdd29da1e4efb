package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The CloudWatch Logs operations (awsJson1_1, X-Amz-Target Logs_20140328.<Op>).
// Timestamps travel as epoch milliseconds.

const (
	maxLogEventsPage = 10000 // FilterLogEvents and GetLogEvents: default and maximum limit
	maxLogGroupsPage = 50    // DescribeLogGroups: default and maximum limit
	logStoredBytes   = 180   // average stored size of one event, for storedBytes
)

func errLogsInvalidParameter(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, "InvalidParameterException", "InvalidParameterException", format, args...)
}

func errLogsNotFound(what string) *apiError {
	return newAPIError(http.StatusBadRequest, "ResourceNotFoundException", "ResourceNotFoundException",
		"The specified %s does not exist.", what)
}

func (s *Server) describeLogGroups(c *call) (object, *apiError) {
	p := c.params
	prefix, _ := asString(p["logGroupNamePrefix"])
	pattern, _ := asString(p["logGroupNamePattern"])
	if prefix != "" && pattern != "" {
		return nil, errLogsInvalidParameter("logGroupNamePrefix and logGroupNamePattern are mutually exclusive. Only one of these parameters can be passed.")
	}
	limit, aerr := logLimit(p, maxLogGroupsPage)
	if aerr != nil {
		return nil, aerr
	}
	ids, err := asList(p["logGroupIdentifiers"])
	if err != nil {
		return nil, errLogsInvalidParameter("logGroupIdentifiers: %v", err)
	}
	wanted := map[string]bool{}
	for _, v := range ids {
		id, _ := asString(v)
		wanted[s.logGroupName(id)] = true
	}
	class, _ := asString(p["logGroupClass"])
	start := ""
	if tok, _ := asString(p["nextToken"]); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || !strings.HasPrefix(string(b), "group:") {
			return nil, errLogsInvalidParameter("The specified nextToken is invalid.")
		}
		start = strings.TrimPrefix(string(b), "group:")
	}
	now := s.now()
	var groups []any
	next := ""
	for _, g := range s.current().logs.groups {
		if g.name < start || !strings.HasPrefix(g.name, prefix) || !strings.Contains(g.name, pattern) ||
			(len(wanted) > 0 && !wanted[g.name]) || (class != "" && class != "STANDARD") {
			continue
		}
		if len(groups) == int(limit) {
			next = base64.RawURLEncoding.EncodeToString([]byte("group:" + g.name))
			break
		}
		arn := s.logGroupARN(g.name)
		o := object{
			{"logGroupName", g.name},
			{"creationTime", g.created.UnixMilli()},
			{"arn", arn + ":*"},
		}
		if pattern == "" { // with a pattern AWS returns only these three
			o = append(o,
				member{"metricFilterCount", int64(0)},
				member{"storedBytes", s.storedBytes(g, now)},
				member{"logGroupClass", "STANDARD"},
				member{"logGroupArn", arn},
			)
		}
		groups = append(groups, o)
	}
	return object{{"logGroups", list{item: "member", values: groups}}}.add("nextToken", next), nil
}

func (s *Server) logGroupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.cfg.Region, s.cfg.AccountID, name)
}

// logGroupName accepts a log group name or ARN (with or without the trailing ":*").
func (s *Server) logGroupName(id string) string {
	if rest, ok := strings.CutPrefix(id, s.logGroupARN("")); ok {
		return strings.TrimSuffix(rest, ":*")
	}
	return id
}

// storedBytes estimates the group's size from the events ingested by now.
func (s *Server) storedBytes(g *logGroup, now time.Time) int64 {
	if g.name == EMLogGroup {
		return s.emStoredBytes(now)
	}
	var n int64
	for _, r := range ranges(g.streams, 0, floorDiv(now.UnixNano(), int64(logSlot)), s.logLag, now) {
		if r.hi >= r.lo {
			n += r.hi - r.lo + 1
		}
	}
	return n * logStoredBytes
}

// findLogGroup resolves logGroupName or logGroupIdentifier (exactly one of them).
func (s *Server) findLogGroup(p map[string]any) (*logGroup, *apiError) {
	name, _ := asString(p["logGroupName"])
	ident, _ := asString(p["logGroupIdentifier"])
	switch {
	case name != "" && ident != "":
		return nil, errLogsInvalidParameter("logGroupName and logGroupIdentifier are mutually exclusive. Specify only one of them.")
	case name == "" && ident == "":
		return nil, errLogsInvalidParameter("Either logGroupName or logGroupIdentifier is required.")
	case ident != "":
		name = s.logGroupName(ident)
	}
	g := s.current().logs.byName[name]
	if g == nil {
		return nil, errLogsNotFound("log group")
	}
	return g, nil
}

func logLimit(p map[string]any, maxLimit int64) (int64, *apiError) {
	v, ok := p["limit"]
	if !ok || v == nil {
		return maxLimit, nil
	}
	n, err := asInt(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, errLogsInvalidParameter("1 validation error detected: Value '%v' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", v, maxLimit)
	}
	return n, nil
}

// optMillis reads an optional epoch-milliseconds parameter.
func optMillis(p map[string]any, name string) (int64, bool, *apiError) {
	v, ok := p[name]
	if !ok || v == nil {
		return 0, false, nil
	}
	n, err := asInt(v)
	if err != nil || n < 0 {
		return 0, false, errLogsInvalidParameter("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", v, name)
	}
	return n, true, nil
}

// logTimeRange reads the optional startTime and endTime (epoch ms) of a request; end is only
// meaningful when hasEnd.
func logTimeRange(p map[string]any) (start, end int64, hasEnd bool, aerr *apiError) {
	if start, _, aerr = optMillis(p, "startTime"); aerr != nil {
		return 0, 0, false, aerr
	}
	if end, hasEnd, aerr = optMillis(p, "endTime"); aerr != nil {
		return 0, 0, false, aerr
	}
	return start, end, hasEnd, nil
}

// getEventsRequest is what GetLogEvents asks for, validated; head is startFromHead
// (AWS's default, false, returns the newest events).
type getEventsRequest struct {
	limit, startMs, endMs int64
	hasEnd, head          bool
}

func parseGetLogEvents(p map[string]any) (getEventsRequest, *apiError) {
	var r getEventsRequest
	var aerr *apiError
	if r.limit, aerr = logLimit(p, maxLogEventsPage); aerr != nil {
		return r, aerr
	}
	if r.startMs, r.endMs, r.hasEnd, aerr = logTimeRange(p); aerr != nil {
		return r, aerr
	}
	if v, ok := p["startFromHead"]; ok && v != nil {
		var err error
		if r.head, err = asBool(v); err != nil {
			return r, errLogsInvalidParameter("startFromHead: %v", err)
		}
	}
	return r, nil
}

// filterRequest is what FilterLogEvents asks for, validated.
type filterRequest struct {
	limit, startMs, endMs int64
	hasEnd                bool
	prefix                string
	rawNames              []any
}

func parseFilterRequest(p map[string]any) (filterRequest, *apiError) {
	var r filterRequest
	if pat, _ := asString(p["filterPattern"]); strings.TrimSpace(pat) != "" {
		return r, errLogsInvalidParameter("filterPattern %q is not supported by the simulator: only an empty filterPattern (every event) is.", pat)
	}
	if v, ok := p["startFromHead"]; ok && v != nil {
		if b, err := asBool(v); err != nil || !b {
			return r, errLogsInvalidParameter("startFromHead=false (newest first) is not supported by the simulator.")
		}
	}
	var aerr *apiError
	if r.limit, aerr = logLimit(p, maxLogEventsPage); aerr != nil {
		return r, aerr
	}
	if r.startMs, r.endMs, r.hasEnd, aerr = logTimeRange(p); aerr != nil {
		return r, aerr
	}
	if r.hasEnd && r.endMs < r.startMs {
		return r, errLogsInvalidParameter("endTime (%d) must not be less than startTime (%d).", r.endMs, r.startMs)
	}
	r.prefix, _ = asString(p["logStreamNamePrefix"])
	var err error
	if r.rawNames, err = asList(p["logStreamNames"]); err != nil {
		return r, errLogsInvalidParameter("logStreamNames: %v", err)
	}
	if r.prefix != "" && len(r.rawNames) > 0 {
		return r, errLogsInvalidParameter("logStreamNames and logStreamNamePrefix are mutually exclusive. Specify only one of them.")
	}
	if len(r.rawNames) > 100 {
		return r, errLogsInvalidParameter("logStreamNames holds %d names; at most 100 are allowed.", len(r.rawNames))
	}
	return r, nil
}

// filterToken is the nextToken of FilterLogEvents: the last returned event (slot and
// stream) and a hash of the request it belongs to.
type filterToken struct {
	Slot   int64  `json:"t"`
	Stream string `json:"s"`
	Hash   uint64 `json:"h"`
}

// filterLogEvents returns the events of one log group, all of its streams interleaved,
// sorted by timestamp and then stream name.
//
// Time bounds, as AWS documents them: startTime is inclusive ("Events with a timestamp
// before this time are not returned") and so is endTime ("Events with a timestamp later
// than this time are not returned"): an event is returned when
// startTime <= timestamp <= endTime (epoch ms). Omitted bounds are open. So
// FilterLogEvents(startTime=S, endTime=E) returns LogEvents(group, S, E+1 ms), less the
// events not ingested yet.
//
// Only events ingested by now (ingestionTime <= the simulator's clock) are visible.
// Each page is evaluated at the time of its call: nextToken continues after the last
// returned event, so an event ingested late with a timestamp before that point is not
// returned by later pages, as with AWS. nextToken is present only when more visible
// events follow; the final page has none. filterPattern must be empty.
func (s *Server) filterLogEvents(c *call) (object, *apiError) {
	p := c.params
	g, aerr := s.findLogGroup(p)
	if aerr != nil {
		return nil, aerr
	}
	req, aerr := parseFilterRequest(p)
	if aerr != nil {
		return nil, aerr
	}
	if g.name == EMLogGroup {
		return s.filterEM(req, p)
	}
	limit, startMs, endMs, hasEnd, prefix, rawNames := req.limit, req.startMs, req.endMs, req.hasEnd, req.prefix, req.rawNames
	names := map[string]bool{}
	for _, v := range rawNames {
		n, _ := asString(v)
		names[n] = true
	}
	var streams []*logStream
	for _, st := range g.streams {
		if strings.HasPrefix(st.name, prefix) && (len(names) == 0 || names[st.name]) {
			streams = append(streams, st)
		}
	}

	now := s.now()
	lo := ceilDiv(startMs, logSlot.Milliseconds())
	hi := floorDiv(now.UnixMilli(), logSlot.Milliseconds()) // nothing later is ingested
	if hasEnd {
		hi = min(hi, floorDiv(endMs, logSlot.Milliseconds()))
	}
	hash := hash64(fmt.Sprintf("%s|%q|%s|%d|%d|%v", g.name, rawNames, prefix, startMs, endMs, hasEnd))
	from, after := lo, ""
	if tok, _ := asString(p["nextToken"]); tok != "" {
		t, ok := decodeFilterToken(tok, hash)
		if !ok {
			return nil, errLogsInvalidParameter("The specified nextToken is invalid.")
		}
		from, after = t.Slot, t.Stream
	}

	var (
		events []any
		last   filterToken
		more   bool
	)
	scan(ranges(streams, lo, hi, s.logLag, now), from, after, func(st *logStream, slot int64) bool {
		if int64(len(events)) == limit {
			more = true
			return false
		}
		events = append(events, logEventObject(s.event(g, st, slot), true))
		last = filterToken{Slot: slot, Stream: st.name, Hash: hash}
		return true
	})
	s.counters.logEvents(int64(len(events)))
	out := object{{"events", list{item: "member", values: events}}}
	if more {
		out = out.add("nextToken", last.encode())
	}
	return out, nil
}

func (t filterToken) encode() string {
	b, _ := json.Marshal(t) // plain struct: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeFilterToken(s string, hash uint64) (filterToken, bool) {
	var t filterToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Hash != hash || t.Stream == "" {
		return filterToken{}, false
	}
	return t, true
}

func logEventObject(e LogEvent, withStream bool) object {
	o := object{}
	if withStream {
		o = append(o, member{"logStreamName", e.Stream})
	}
	o = append(o,
		member{"timestamp", e.Timestamp.UnixMilli()},
		member{"message", e.Message},
		member{"ingestionTime", e.IngestionTime.UnixMilli()},
	)
	if withStream {
		o = append(o, member{"eventId", e.EventID})
	}
	return o
}

// getLogEvents reads one stream. startTime is inclusive and endTime exclusive, as
// documented for GetLogEvents. Without a token the first page is the oldest events
// (startFromHead true) or the newest (the default). nextForwardToken continues after
// the page and nextBackwardToken before it; at either end the token passed in comes
// back unchanged. Tokens name a time, so a forward token keeps returning events as they
// are ingested.
func (s *Server) getLogEvents(c *call) (object, *apiError) {
	p := c.params
	g, aerr := s.findLogGroup(p)
	if aerr != nil {
		return nil, aerr
	}
	name, _ := asString(p["logStreamName"])
	if name == "" {
		return nil, errLogsInvalidParameter("1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null")
	}
	if g.name == EMLogGroup {
		return s.getEM(c, name)
	}
	var st *logStream
	for _, x := range g.streams {
		if x.name == name {
			st = x
		}
	}
	if st == nil {
		return nil, errLogsNotFound("log stream")
	}
	req, aerr := parseGetLogEvents(p)
	if aerr != nil {
		return nil, aerr
	}
	limit, startMs, endMs, hasEnd, head := req.limit, req.startMs, req.endMs, req.hasEnd, req.head
	now := s.now()
	lo := ceilDiv(startMs, logSlot.Milliseconds())
	hi := floorDiv(now.UnixMilli(), logSlot.Milliseconds())
	if hasEnd {
		hi = min(hi, ceilDiv(endMs, logSlot.Milliseconds())-1)
	}
	r := ranges([]*logStream{st}, lo, hi, s.logLag, now)[0]

	// The page is the slots [a, b).
	var a, b int64
	tok, _ := asString(p["nextToken"])
	switch {
	case tok == "" && head:
		a = r.lo
		b = min(a+limit, r.hi+1)
	case tok == "":
		b = r.hi + 1
		a = max(b-limit, r.lo)
	default:
		dir, slot, ok := parseStreamToken(tok)
		if !ok {
			return nil, errLogsInvalidParameter("The specified nextToken is invalid.")
		}
		if dir == 'f' {
			a = max(slot, r.lo)
			b = min(a+limit, r.hi+1)
			if b <= a { // at the end: the same token again
				return object{{"events", list{item: "member"}}, {"nextForwardToken", tok}, {"nextBackwardToken", streamToken('b', slot)}}, nil
			}
		} else {
			b = min(slot, r.hi+1)
			a = max(b-limit, r.lo)
			if b <= a {
				return object{{"events", list{item: "member"}}, {"nextForwardToken", streamToken('f', slot)}, {"nextBackwardToken", tok}}, nil
			}
		}
	}
	events := make([]any, 0, max(b-a, 0))
	for slot := a; slot < b; slot++ {
		events = append(events, logEventObject(s.event(g, st, slot), false))
	}
	s.counters.logEvents(int64(len(events)))
	if b < a {
		a, b = r.lo, r.lo // empty stream range: both tokens at its start
	}
	return object{
		{"events", list{item: "member", values: events}},
		{"nextForwardToken", streamToken('f', b)},
		{"nextBackwardToken", streamToken('b', a)},
	}, nil
}

// streamToken is a GetLogEvents token in AWS's shape: "f/<56 digits>/s" forward, "b/..."
// backward; the digits are the slot where the next page starts (forward) or ends.
func streamToken(dir byte, slot int64) string {
	return fmt.Sprintf("%c/%056d/s", dir, slot)
}

func parseStreamToken(tok string) (dir byte, slot int64, ok bool) {
	if len(tok) != 60 || (tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' || !strings.HasSuffix(tok, "/s") {
		return 0, 0, false
	}
	n, err := strconv.ParseInt(strings.TrimLeft(tok[2:58], "0"), 10, 64)
	if err != nil && strings.TrimLeft(tok[2:58], "0") != "" {
		return 0, 0, false
	}
	return tok[0], n, true
}
