package sqlquery

import (
	"fmt"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// metricRun gathers one configured metric's datapoints over the rows of one run,
// applying the NULL policy, the duplicate policy and the series cap as rows stream by.
type metricRun struct {
	cfg        *MetricConfig
	valueCol   int
	startCol   int // -1: none
	attrCols   []int
	missing    []string // configured columns absent from the result
	maxSeries  int
	duplicates string

	index  map[string]int // attribute-set key -> points index
	points []point
	counts counts

	row     *rowAttributes // the current row's attribute values, shared by the run's metrics
	ownRow  bool           // row is this metric's alone: each add is a new row
	scratch []string       // the current row's attribute set, until it is kept
	slab    []string       // where kept attribute sets live, a chunk at a time
}

// rowAttributes converts each attribute column of the current row once, whatever the
// number of metrics that use it.
type rowAttributes struct {
	row  []any
	strs []string
	done []bool
}

func newRowAttributes(columns int) *rowAttributes {
	return &rowAttributes{strs: make([]string, columns), done: make([]bool, columns)}
}

// next makes row the current row.
func (a *rowAttributes) next(row []any) {
	a.row = row
	clear(a.done)
}

func (a *rowAttributes) get(c int) string {
	if !a.done[c] {
		a.strs[c], a.done[c] = toAttribute(a.row[c]), true
	}
	return a.strs[c]
}

// slabChunk is how many attribute values are allocated at once.
const slabChunk = 1024

// keep copies attrs where the run's points keep theirs.
func (r *metricRun) keep(attrs []string) []string {
	if len(attrs) == 0 {
		return nil
	}
	if cap(r.slab)-len(r.slab) < len(attrs) {
		r.slab = make([]string, 0, max(slabChunk, len(attrs)))
	}
	n := len(r.slab)
	r.slab = append(r.slab, attrs...)
	return r.slab[n:len(r.slab):len(r.slab)]
}

type point struct {
	key   string
	attrs []string
	value number
	start float64 // Unix seconds from the start time column; 0: none
}

// counts are the values and series a run could not turn into datapoints, by reason.
type counts map[string]int64

func (c counts) add(o counts) {
	for k, n := range o {
		c[k] += n
	}
}

// newMetricRun resolves the metric's columns among the result's: exactly, else ignoring
// case (PostgreSQL folds unquoted aliases to lower case). row is shared by the metrics of
// the run (nil: the metric's own); hint is how many series the last run had.
func newMetricRun(m *MetricConfig, columns []string, maxSeries int, duplicates string, row *rowAttributes, hint int) *metricRun {
	hint = min(hint, maxSeries)
	r := &metricRun{cfg: m, maxSeries: maxSeries, duplicates: duplicates, index: make(map[string]int, hint),
		points: make([]point, 0, hint), counts: counts{}, row: row}
	if row == nil {
		r.row, r.ownRow = newRowAttributes(len(columns)), true
	}
	resolve := func(name string) int {
		if i := indexOf(columns, name, false); i >= 0 {
			return i
		}
		if i := indexOf(columns, name, true); i >= 0 {
			return i
		}
		r.missing = append(r.missing, name)
		return -1
	}
	r.valueCol, r.startCol = resolve(m.ValueColumn), -1
	if m.StartTimeColumn != "" {
		r.startCol = resolve(m.StartTimeColumn)
	}
	for _, a := range m.AttributeColumns {
		r.attrCols = append(r.attrCols, resolve(a))
	}
	return r
}

func indexOf(columns []string, name string, fold bool) int {
	for i, c := range columns {
		if c == name || (fold && strings.EqualFold(c, name)) {
			return i
		}
	}
	return -1
}

// missingErr names the metric and the columns the result lacks, nil if none.
func (r *metricRun) missingErr(columns []string) error {
	if len(r.missing) == 0 {
		return nil
	}
	return fmt.Errorf("metric %q: column %s not in the result (columns: %s)", r.cfg.Name, quoteAll(r.missing), strings.Join(columns, ", "))
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// add takes one row.
func (r *metricRun) add(row []any) {
	if len(r.missing) > 0 {
		r.counts[reasonMissingColumn]++
		return
	}
	v, reason := toNumber(row[r.valueCol])
	switch {
	case reason == reasonNull:
		r.counts[reasonNull]++
		if r.cfg.null() != NullZero {
			return
		}
		v = intNumber(0)
	case reason != "":
		r.counts[reason]++
		return
	}
	if r.ownRow {
		r.row.next(row)
	}
	attrs := r.scratch[:0]
	for _, c := range r.attrCols {
		attrs = append(attrs, r.row.get(c))
	}
	r.scratch = attrs
	key := seriesKey(attrs)
	if i, ok := r.index[key]; ok {
		r.counts[reasonDuplicate]++
		switch r.duplicates {
		case DuplicatesLast:
			r.points[i].value = v
		case DuplicatesSum:
			r.points[i].value = r.points[i].value.plus(v)
		}
		return
	}
	if len(r.points) >= r.maxSeries {
		r.counts[reasonCardinality]++
		return
	}
	r.index[key] = len(r.points)
	p := point{key: key, attrs: r.keep(attrs), value: v}
	if r.startCol >= 0 {
		if st, reason := toNumber(row[r.startCol]); reason == "" {
			p.start = st.float()
		}
	}
	r.points = append(r.points, p)
}

// seriesKey encodes an attribute set unambiguously (length-prefixed values); a single
// value is its own key, as every set of the metric has as many values.
func seriesKey(attrs []string) string {
	switch len(attrs) {
	case 0:
		return ""
	case 1:
		return attrs[0]
	}
	var b strings.Builder
	for _, a := range attrs {
		b.WriteString(strconv.Itoa(len(a)))
		b.WriteByte(':')
		b.WriteString(a)
	}
	return b.String()
}

// appendTo adds the metric to ms, unless it has no datapoint. Counters take their start
// timestamps from starts, which it updates.
func (r *metricRun) appendTo(ms pmetric.MetricSlice, ts pcommon.Timestamp, starts *seriesStarts) {
	if len(r.points) == 0 {
		return
	}
	m := ms.AppendEmpty()
	m.SetName(r.cfg.Name)
	m.SetUnit(r.cfg.Unit)
	m.SetDescription(r.cfg.Description)
	var dps pmetric.NumberDataPointSlice
	counter := r.cfg.metricType() == TypeCounter
	if counter {
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(true)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dps = sum.DataPoints()
	} else {
		dps = m.SetEmptyGauge().DataPoints()
	}
	dps.EnsureCapacity(len(r.points))
	var next seriesStarts
	if counter {
		next = make(seriesStarts, len(r.points))
	}
	for _, p := range r.points {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(ts)
		if p.value.isFloat {
			dp.SetDoubleValue(p.value.f)
		} else {
			dp.SetIntValue(p.value.i)
		}
		attrs := dp.Attributes()
		attrs.EnsureCapacity(len(p.attrs))
		for i, a := range p.attrs {
			attrs.PutStr(r.cfg.AttributeColumns[i], a)
		}
		if counter {
			st := starts.next(p.key, p.value.float(), ts, unixTimestamp(p.start))
			dp.SetStartTimestamp(st.start)
			next[p.key] = st
		}
	}
	if counter {
		// Series not seen in this run are forgotten: if they come back, they may have
		// been reset in between, so they start anew.
		*starts = next
	}
}

// seriesStarts remembers, per series of a counter, when it was first seen.
type seriesStarts map[string]seriesStart

type seriesStart struct {
	start pcommon.Timestamp
	last  float64
	seen  pcommon.Timestamp
	col   pcommon.Timestamp // the start time column's value; 0: none
}

// next is the state of series key after observing value at ts. A decrease is a reset
// (say, a server restart): the series starts again after the previous observation. col,
// the start time the server reports (0: none), starts a new series when it changes, at
// that time.
func (s seriesStarts) next(key string, value float64, ts, col pcommon.Timestamp) seriesStart {
	prev, ok := s[key]
	switch {
	case !ok || col != 0 && col != prev.col:
		start := ts
		if col != 0 && col <= ts {
			start = col
		}
		return seriesStart{start: start, last: value, seen: ts, col: col}
	case value < prev.last:
		return seriesStart{start: prev.seen, last: value, seen: ts, col: col}
	}
	return seriesStart{start: prev.start, last: value, seen: ts, col: col}
}

// unixTimestamp converts Unix seconds to a timestamp; 0 stays 0.
func unixTimestamp(sec float64) pcommon.Timestamp {
	if sec <= 0 {
		return 0
	}
	return pcommon.Timestamp(sec * 1e9)
}
