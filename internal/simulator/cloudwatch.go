package simulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The CloudWatch evaluator: one implementation behind all three protocols.

const day = 86400

// dataPeriod is the bucket width actually served: RDS publishes 60-second data, so a
// high-resolution period (1..30 s) gets the 60-second points.
func dataPeriod(p int64) int64 { return max(p, 60) }

// retention is how far back CloudWatch keeps data of a period: 60-second data for 15
// days, 5-minute data for 63 days, hourly data for 455 days.
func retention(p int64) int64 {
	switch {
	case p < 300:
		return 15 * day
	case p < 3600:
		return 63 * day
	}
	return 455 * day
}

// window is the visible buckets of one series for one query: n buckets of width
// period, the earliest starting at first (Unix seconds, a multiple of period), and
// pubEnd, the end (exclusive, Unix minutes) of the minutes published by the cutoff: a
// bucket aggregates its minutes before pubEnd only (they all are, unless PartialPeriods).
type window struct{ first, period, n, pubEnd int64 }

func (w window) at(k int64, ascending bool) int64 {
	if ascending {
		return w.first + k*w.period
	}
	return w.first + (w.n-1-k)*w.period
}

// window applies CloudWatch's rules: buckets aligned to the period, starting at or
// before StartTime and before EndTime, not before the series' data begins nor past
// retention, and only those published by cutoff. A minute [m, m+60s) is published at
// m+60s+lag (+ extra lateness); a bucket is published when its last minute is, or with
// PartialPeriods when its first minute is (buckets may still be empty because of the
// instance's status history: evaluate skips them).
func (s *Server) window(se *series, start, end time.Time, period int64, cutoff time.Time) window {
	p := dataPeriod(period)
	lo := max(
		floorDiv(start.Unix(), p)*p,
		floorDiv(se.firstMinute(s.created)*60, p)*p,
		ceilDiv(cutoff.Unix()-retention(p), p)*p,
	)
	published := cutoff.Add(-s.lag - s.faults.lateBy(se.id.Identifier, se.id.Metric)).Unix()
	pubEnd := floorDiv(published, 60) // minutes before it are published
	newest := floorDiv(published-p, p) * p
	if s.cfg.PartialPeriods {
		newest = floorDiv((pubEnd-1)*60, p) * p // the bucket of the newest published minute
	}
	hi := min(ceilDiv(end.Unix(), p)*p-p, newest)
	if hi < lo {
		return window{period: p, pubEnd: pubEnd}
	}
	return window{first: lo, period: p, n: (hi-lo)/p + 1, pubEnd: pubEnd}
}

// hasData reports whether bucket k of w has a minute with data under timeline tl.
func (w window) hasData(k int64, ascending bool, first int64, tl timeline) bool {
	if tl == nil {
		return true // every bucket of a window has data when no status gates it
	}
	t := w.at(k, ascending)
	for m := max(t/60, first); m < min((t+w.period)/60, w.pubEnd); m++ {
		if tl.hasMinute(m) {
			return true
		}
	}
	return false
}

// pageToken is the NextToken of GetMetricData: where the next page starts, the
// visibility cutoff of the first page (so pages do not shift as time passes) and a
// hash of the request it belongs to.
type pageToken struct {
	Query  int    `json:"q"`
	Offset int64  `json:"o"`
	Cutoff int64  `json:"c"` // Unix milliseconds
	Hash   uint64 `json:"h"`
}

func (t pageToken) encode() string {
	b, _ := json.Marshal(t) // plain struct: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string, hash uint64) (pageToken, bool) {
	var t pageToken
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &t) != nil || t.Hash != hash || t.Query < 0 || t.Offset < 0 {
		return pageToken{}, false
	}
	return t, true
}

func (r *getMetricDataRequest) hash() uint64 {
	return hash64(fmt.Sprintf("%v|%d|%d|%v|%d", r.queries, r.start.UnixMilli(), r.end.UnixMilli(), r.ascending, r.maxDatapoints))
}

func (r *getMetricDataRequest) identifiers() []string {
	var ids []string
	for _, q := range r.queries {
		for _, d := range q.ref.dims {
			ids = append(ids, d.value)
		}
	}
	return ids
}

func (s *Server) getMetricData(c *call) (object, *apiError) {
	req, aerr := parseGetMetricData(c.params)
	if aerr != nil {
		return nil, aerr
	}
	if s.faults.failsAny(req.identifiers()) {
		return nil, errInternalFailure()
	}
	cur := pageToken{Cutoff: s.now().UnixMilli(), Hash: req.hash()}
	if req.nextToken != "" {
		var ok bool
		if cur, ok = decodePageToken(req.nextToken, cur.Hash); !ok {
			return nil, errInvalidNextToken()
		}
	}
	cutoff := time.UnixMilli(cur.Cutoff)
	budget := int64(maxDatapointsPerCall)
	if req.maxDatapoints > 0 {
		budget = min(budget, req.maxDatapoints)
	}
	if limit := s.faults.pageLimit(); limit > 0 {
		budget = min(budget, limit)
	}

	cat := s.current().cat
	var (
		results  []any
		points   int64
		next     string
		queried  = make([]SeriesID, 0, len(req.queries))
		phantoms []PhantomQuery
		inactive []string
		statuses = map[string]int64{}
		taken    = map[*queryFault]bool{} // faults this call has consumed
	)
	for i, q := range req.queries {
		id := q.ref.seriesID()
		queried = append(queried, id)
		se := q.ref.series(cat)
		if se == nil {
			phantoms = append(phantoms, q.ref.phantom())
		} else if id.DimensionName == DimInstance {
			if st, ok := s.life.current(id.Identifier); ok && !PublishesMetrics(st.Status) {
				inactive = append(inactive, id.Identifier)
			}
		}
		if i < cur.Query || !q.returnData || next != "" {
			continue // billed all the same
		}
		off := int64(0)
		if i == cur.Query {
			off = cur.Offset
		}
		fault := s.faults.queryFault(id.Identifier, id.Metric, taken)
		result, n, nextOff, more := s.evaluate(q, se, req, cutoff, off, budget, fault)
		results = append(results, result)
		statuses[result.status()]++
		budget -= n
		points += n
		switch {
		case more:
			next = pageToken{Query: i, Offset: nextOff, Cutoff: cur.Cutoff, Hash: cur.Hash}.encode()
		case budget == 0 && i+1 < len(req.queries):
			next = pageToken{Query: i + 1, Cutoff: cur.Cutoff, Hash: cur.Hash}.encode()
		}
	}
	s.counters.metricCall(int64(len(req.queries)), points, queried, phantoms)
	s.counters.metricResults(statuses, inactive)
	out := object{{"MetricDataResults", list{item: "member", values: results}}}
	return append(out.add("NextToken", next), member{"Messages", list{item: "member", values: s.faults.callMessages()}}), nil
}

// status is the StatusCode member of a MetricDataResult.
func (o object) status() string {
	for _, m := range o {
		if m.name == "StatusCode" {
			s, _ := m.value.(string)
			return s
		}
	}
	return ""
}

func messageList(msgs []Message) list {
	l := list{item: "member", values: make([]any, 0, len(msgs))}
	for _, m := range msgs {
		l.values = append(l.values, object{{"Code", m.Code}, {"Value", m.Value}})
	}
	return l
}

// evaluate answers one query from bucket off with at most budget points; nextOff is the
// bucket the next page starts from and more reports points left for it. se is nil for
// a phantom series; fault, when not nil, is the query's injected status.
func (s *Server) evaluate(q metricQuery, se *series, req *getMetricDataRequest, cutoff time.Time, off, budget int64, fault *queryFault) (result object, taken, nextOff int64, more bool) {
	label := q.label
	if label == "" {
		label = q.ref.metric
	}
	status := "Complete"
	var msgs []Message
	if fault != nil {
		msgs = fault.messages()
		if fault.Status == StatusForbidden || fault.Status == StatusInternalError {
			se = nil // no data at all, no NextToken for it
			status = fault.Status
		} else if fault.Status == StatusPartialData {
			budget = min(budget, max(fault.Points, 1))
		}
	}
	var w window
	var tl timeline
	var first int64
	if se != nil {
		w = s.window(se, req.start, req.end, q.period, cutoff)
		tl = s.gate(se)
		first = se.firstMinute(s.created)
	}
	k := min(off, w.n)
	times, values := []any{}, []any{}
	for ; k < w.n && taken < budget; k++ {
		t := w.at(k, req.ascending)
		v, ok := se.aggregate(q.stat, t/60, min((t+w.period)/60, w.pubEnd), first, tl)
		if !ok {
			continue
		}
		times, values = append(times, time.Unix(t, 0).UTC()), append(values, v)
		taken++
	}
	for j := k; j < w.n && !more; j++ {
		more = w.hasData(j, req.ascending, first, tl)
	}
	if more {
		status = StatusPartialData
	}
	result = object{
		{"Id", q.id},
		{"Label", label},
		{"Timestamps", list{item: "member", values: times}},
		{"Values", list{item: "member", values: values}},
		{"StatusCode", status},
	}
	if len(msgs) > 0 {
		result = append(result, member{"Messages", messageList(msgs)})
	}
	return result, taken, k, more
}

// getMetricStatistics serves the older one-metric API from the same series.
func (s *Server) getMetricStatistics(c *call) (object, *apiError) {
	p := c.params
	ref, err := parseMetricRef(p["Namespace"], p["MetricName"], p["Dimensions"])
	if err != nil {
		return nil, errInvalidParameter("%v", err)
	}
	start, end, err := timeRange(p)
	if err != nil {
		return nil, errInvalidParameter("%v", err)
	}
	period, err := parsePeriod(p["Period"])
	if err != nil {
		return nil, errInvalidParameter("%v", err)
	}
	stats, aerr := parseStatisticLists(p)
	if aerr != nil {
		return nil, aerr
	}
	if n := ceilDiv(end.Unix()-start.Unix(), dataPeriod(period)); n > 1440 {
		return nil, errInvalidParameterCombination("You have requested up to %d datapoints, which exceeds the limit of 1,440.", n)
	}
	if s.faults.failsAny(dimValues(ref.dims)) {
		return nil, errInternalFailure()
	}
	se := ref.series(s.current().cat)
	var phantoms []PhantomQuery
	var w window
	if se == nil {
		phantoms = append(phantoms, ref.phantom())
	} else {
		w = s.window(se, start, end, period, s.now())
	}
	dps := make([]any, 0, w.n)
	var tl timeline
	if se != nil {
		tl = s.gate(se)
	}
	for k := range w.n {
		t := w.at(k, true)
		if !w.hasData(k, true, se.firstMinute(s.created), tl) {
			continue
		}
		dp := object{{"Timestamp", time.Unix(t, 0).UTC()}}
		var ext dict
		for _, st := range stats {
			v, _ := se.aggregate(st, t/60, min((t+w.period)/60, w.pubEnd), se.firstMinute(s.created), tl)
			if st.pct > 0 {
				ext = append(ext, dictEntry{st.name, v})
			} else {
				dp = append(dp, member{st.name, v})
			}
		}
		if ext != nil {
			dp = append(dp, member{"ExtendedStatistics", ext})
		}
		dps = append(dps, dp)
	}
	s.counters.metricCall(0, int64(len(dps)), []SeriesID{ref.seriesID()}, phantoms)
	return object{{"Label", ref.metric}, {"Datapoints", list{item: "member", values: dps}}}, nil
}

func parseStatisticLists(p map[string]any) ([]statistic, *apiError) {
	var out []statistic
	for _, key := range []string{"Statistics", "ExtendedStatistics"} {
		raw, err := asList(p[key])
		if err != nil {
			return nil, errInvalidParameter("%s: %v", key, err)
		}
		for _, r := range raw {
			name, _ := asString(r)
			st, ok := parseStatistic(name)
			if !ok || (st.pct > 0) != (key == "ExtendedStatistics") {
				return nil, errInvalidParameter("The value %q for parameter %s is not valid.", name, key)
			}
			out = append(out, st)
		}
	}
	if len(out) == 0 {
		return nil, errInvalidParameterCombination("Must specify either Statistics or ExtendedStatistics.")
	}
	return out, nil
}

func dimValues(dims []dimension) []string {
	out := make([]string, len(dims))
	for i, d := range dims {
		out[i] = d.value
	}
	return out
}

const listMetricsPage = 500

// listMetrics lists existing series (no aggregate dimension sets, no deleted
// resources), 500 a page.
func (s *Server) listMetrics(c *call) (object, *apiError) {
	p := c.params
	ns, _ := asString(p["Namespace"])
	name, _ := asString(p["MetricName"])
	raw, err := asList(p["Dimensions"])
	if err != nil {
		return nil, errInvalidParameter("Dimensions: %v", err)
	}
	var filters []dimension
	for _, r := range raw {
		m, err := asObject(r)
		if err != nil {
			return nil, errInvalidParameter("Dimensions: %v", err)
		}
		n, _ := asString(m["Name"])
		v, _ := asString(m["Value"])
		filters = append(filters, dimension{n, v})
	}
	offset := 0
	if tok, _ := asString(p["NextToken"]); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if offset, err = strconv.Atoi(string(b)); err != nil || offset < 0 {
			return nil, errInvalidNextToken()
		}
	}
	var metrics []any
	next := ""
	matched := 0
	for _, id := range s.current().cat.ids {
		if (ns != "" && ns != Namespace) || (name != "" && name != id.Metric) || !dimsMatch(id, filters) {
			continue
		}
		matched++
		if matched <= offset {
			continue
		}
		if len(metrics) == listMetricsPage {
			next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset + listMetricsPage)))
			break
		}
		metrics = append(metrics, object{
			{"Namespace", Namespace},
			{"MetricName", id.Metric},
			{"Dimensions", dimensionList(id)},
		})
	}
	return object{{"Metrics", list{item: "member", values: metrics}}}.add("NextToken", next), nil
}

func dimensionList(id SeriesID) list {
	dims := id.dimensions()
	l := list{item: "member", values: make([]any, len(dims))}
	for i, d := range dims {
		l.values[i] = object{{"Name", d.name}, {"Value", d.value}}
	}
	return l
}

// dimsMatch: every filter names one of the series' dimensions (and its value, if given).
func dimsMatch(id SeriesID, filters []dimension) bool {
	dims := id.dimensions()
	for _, f := range filters {
		if !slices.ContainsFunc(dims, func(d dimension) bool { return d.name == f.name && (f.value == "" || f.value == d.value) }) {
			return false
		}
	}
	return true
}
