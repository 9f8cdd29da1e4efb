package rdsprometheusexporter

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/resourcetotelemetry"
	prometheustranslator "github.com/open-telemetry/opentelemetry-collector-contrib/pkg/translator/prometheus"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// series is one Prometheus series: its label text, as written after the metric name,
// is also its identity within its family.
type series struct {
	tmpl    *labelTemplate
	key     string // appendSeriesKey: the template's id and the values of its slots
	value   float64
	ts      pcommon.Timestamp // of the point, for staleness and the written timestamp
	start   pcommon.Timestamp // for delta sums turned cumulative
	updated int64             // wall clock (Unix ns) of the last update, for expiration
}

// family is every series of one Prometheus metric name.
type family struct {
	name   string
	header string         // # HELP and # TYPE lines
	typ    string         // gauge, counter or untyped
	index  map[string]int // series key -> position in list
	list   []*series
	sorted bool
}

// store holds the last value of every series, as contrib's prometheus exporter's
// accumulator does, in the form they are written in.
type store struct {
	sendTimestamps bool
	expiration     time.Duration
	withoutScope   bool
	metricNamer    otlptranslator.MetricNamer
	labelNamer     otlptranslator.LabelNamer
	match          *attrMatcher
	matched        map[string]bool // resource attribute key -> is a constant label

	families map[string]*family
	names    []string          // family names, sorted
	labelFor map[string]string // attribute key -> label name (translation cache)
	nameFor  map[nameKey]string
	errs     []error // the last consume's dropped points, for the log

	templates    map[string]*labelTemplate // by context and point label names
	nextTemplate uint32
	tkey, ra, rb []byte // scratch
}

type nameKey struct {
	name, unit string
	typ        otlptranslator.MetricType
}

func newStore(c *Config) *store {
	permissive := prometheustranslator.DropSanitizationGate.IsEnabled()
	return &store{
		sendTimestamps: c.SendTimestamps,
		expiration:     c.MetricExpiration,
		withoutScope:   c.WithoutScopeInfo,
		// As contrib's prometheus exporter with its defaults (add_metric_suffixes,
		// UTF-8 escaped to underscores, no namespace).
		metricNamer: otlptranslator.MetricNamer{WithMetricSuffixes: true},
		labelNamer: otlptranslator.LabelNamer{
			UnderscoreLabelSanitization: !permissive, //nolint:staticcheck // as contrib's exporter, until it drops it
			PreserveMultipleUnderscores: permissive,
		},
		match:    newAttrMatcher(c.ResourceConstantLabels),
		matched:  map[string]bool{},
		families: map[string]*family{},
		labelFor: map[string]string{},
		nameFor:  map[nameKey]string{},

		templates: map[string]*labelTemplate{},
	}
}

// label is one label of a series before it is written.
type label struct{ name, value string }

// consume stores md's points: the newest point of each series wins, as in contrib's
// accumulator (an older point is ignored, a point without a recorded value deletes
// its series), and returns whether anything changed.
func (s *store) consume(md pmetric.Metrics, now time.Time) bool {
	s.errs = s.errs[:0]
	changed := false
	var resLabels, scopeLabels, ctx, own []label
	var buf, ctxKey []byte
	rms := md.ResourceMetrics()
	for i := range rms.Len() {
		rm := rms.At(i)
		res := rm.Resource().Attributes()
		resLabels = resLabels[:0]
		resKeys := map[string]bool{}
		for k, v := range res.All() {
			m, ok := s.matched[k]
			if !ok {
				m = s.match.matches(k)
				s.matched[k] = m
			}
			if m {
				resLabels = append(resLabels, label{k, v.AsString()})
				resKeys[k] = true
			}
		}
		var jobInst []label
		if job, ok := extractJob(res); ok {
			jobInst = append(jobInst, label{"job", job})
		}
		if inst, ok := res.Get("service.instance.id"); ok {
			jobInst = append(jobInst, label{"instance", inst.AsString()})
		}
		sms := rm.ScopeMetrics()
		for j := range sms.Len() {
			sm := sms.At(j)
			scopeLabels = scopeLabels[:0]
			if !s.withoutScope {
				for k, v := range sm.Scope().Attributes().All() {
					if k == "name" || k == "version" || k == "schema_url" {
						continue
					}
					scopeLabels = append(scopeLabels, label{"otel_scope_" + k, v.AsString()})
				}
				scopeLabels = append(scopeLabels, label{"otel_scope_name", sm.Scope().Name()},
					label{"otel_scope_version", sm.Scope().Version()}, label{"otel_scope_schema_url", sm.SchemaUrl()})
			}
			// The context's labels, as pointLabels merged them into each point's before.
			ctx = ctx[:0]
			for _, l := range resLabels {
				ctx = append(ctx, label{s.labelName(l.name), l.value})
			}
			for _, l := range scopeLabels {
				ctx = append(ctx, label{s.labelName(l.name), l.value})
			}
			ctx = append(ctx, jobInst...)
			ctxKey = appendContextKey(ctxKey[:0], ctx)
			ms := sm.Metrics()
			for k := range ms.Len() {
				m := ms.At(k)
				var dps pmetric.NumberDataPointSlice
				delta := false
				switch m.Type() {
				case pmetric.MetricTypeGauge:
					dps = m.Gauge().DataPoints()
				case pmetric.MetricTypeSum:
					// As contrib: no unspecified temporality, no non-monotonic delta.
					t := m.Sum().AggregationTemporality()
					if t == pmetric.AggregationTemporalityUnspecified || (t == pmetric.AggregationTemporalityDelta && !m.Sum().IsMonotonic()) {
						continue
					}
					dps, delta = m.Sum().DataPoints(), t == pmetric.AggregationTemporalityDelta
				default:
					s.errs = append(s.errs, fmt.Errorf("metric %s: type %s is not supported by this exporter", m.Name(), m.Type()))
					continue
				}
				fam, err := s.family(m)
				if err != nil {
					s.errs = append(s.errs, err)
					continue
				}
				for d := range dps.Len() {
					dp := dps.At(d)
					own = s.ownLabels(own[:0], dp.Attributes(), resKeys)
					tmpl, err := s.template(ctxKey, ctx, own)
					if err != nil {
						s.errs = append(s.errs, fmt.Errorf("metric %s: %w", fam.name, err))
						continue
					}
					buf = appendSeriesKey(buf[:0], tmpl, own)
					pos, ok := fam.index[string(buf)] // no allocation for the lookup
					if dp.Flags().NoRecordedValue() {
						if ok {
							s.remove(fam, pos)
							changed = true
						}
						break // as contrib: the metric's other points are not looked at
					}
					var v float64
					if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
						v = float64(dp.IntValue())
					} else {
						v = dp.DoubleValue()
					}
					if !ok {
						tmpl.refs++
						fam.add(&series{tmpl: tmpl, key: string(buf), value: v, ts: dp.Timestamp(), start: dp.StartTimestamp(), updated: now.UnixNano()})
						changed = true
						continue
					}
					sr := fam.list[pos]
					if dp.Timestamp() < sr.ts {
						continue // only the newest point
					}
					start := dp.StartTimestamp()
					if delta && start == sr.ts {
						v += sr.value
						start = sr.start
					}
					sr.value, sr.ts, sr.start, sr.updated = v, dp.Timestamp(), start, now.UnixNano()
					changed = true
				}
				if len(fam.list) == 0 {
					s.dropFamily(fam.name)
				}
			}
		}
	}
	return changed
}

// ownLabels are a point's own labels, sorted by name: its attributes but those the
// resource's constant labels override (as contrib's resource_constant_labels copies them
// onto the point). The context's labels are in the point's template.
func (s *store) ownLabels(out []label, attrs pcommon.Map, resKeys map[string]bool) []label {
	for k, v := range attrs.All() {
		if !resKeys[k] {
			out = append(out, label{s.labelName(k), v.AsString()})
		}
	}
	slices.SortFunc(out, func(a, b label) int { return cmp.Compare(a.name, b.name) })
	return out
}

// labelName translates an attribute key as contrib's exporter does; a key the
// translator refuses, or a name client_golang refuses, gives "", which template rejects.
func (s *store) labelName(key string) string {
	if n, ok := s.labelFor[key]; ok {
		return n
	}
	n, err := s.labelNamer.Build(key)
	if err != nil || strings.HasPrefix(n, "__") || !validLabelName.MatchString(n) {
		n = ""
	}
	s.labelFor[key] = n
	return n
}

// appendEscaped is the text format's escaping (github.com/prometheus/common/expfmt):
// backslash and newline, and the double quote in label values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

var validLabelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// family returns m's family, created with m's description as its help; a family of
// another type under the same name refuses m, as client_golang's registry does.
func (s *store) family(m pmetric.Metric) (*family, error) {
	tm := otlptranslator.Metric{Name: m.Name(), Unit: m.Unit(), Type: otlptranslator.MetricTypeGauge}
	mono := false
	if m.Type() == pmetric.MetricTypeSum {
		mono = m.Sum().IsMonotonic()
		tm.Type = otlptranslator.MetricTypeNonMonotonicCounter
		if mono {
			tm.Type = otlptranslator.MetricTypeMonotonicCounter
		}
	}
	key := nameKey{tm.Name, tm.Unit, tm.Type}
	name, ok := s.nameFor[key]
	if !ok {
		var err error
		if name, err = s.metricNamer.Build(tm); err != nil {
			return nil, fmt.Errorf("metric %s: %w", m.Name(), err)
		}
		s.nameFor[key] = name
	}
	typ := "gauge"
	if mono {
		typ = "counter"
	} else if t, ok := m.Metadata().Get(prometheustranslator.MetricMetadataTypeKey); ok && t.Str() == "unknown" && m.Type() == pmetric.MetricTypeGauge {
		typ = "untyped"
	}
	if f, ok := s.families[name]; ok {
		if f.typ != typ {
			return nil, fmt.Errorf("metric %s: type conflict, %s is already a %s", m.Name(), name, f.typ)
		}
		return f, nil
	}
	h := appendEscaped([]byte("# HELP "+name+" "), m.Description(), false)
	h = append(h, "\n# TYPE "+name+" "+typ+"\n"...)
	f := &family{name: name, header: string(h), typ: typ, index: map[string]int{}}
	s.families[name] = f
	i, _ := slices.BinarySearch(s.names, name)
	s.names = slices.Insert(s.names, i, name)
	return f, nil
}

func (s *store) dropFamily(name string) {
	delete(s.families, name)
	if i, ok := slices.BinarySearch(s.names, name); ok {
		s.names = slices.Delete(s.names, i, i+1)
	}
}

func (f *family) add(sr *series) {
	f.index[sr.key] = len(f.list)
	f.list = append(f.list, sr)
	f.sorted = false
}

func (s *store) remove(f *family, pos int) {
	last := len(f.list) - 1
	s.release(f.list[pos].tmpl)
	delete(f.index, f.list[pos].key)
	if pos != last {
		f.list[pos] = f.list[last]
		f.index[f.list[pos].key] = pos
		f.sorted = false
	}
	f.list[last] = nil
	f.list = f.list[:last]
}

// expire drops the series not updated since now - expiration and returns when the
// next one will expire (the zero time if none is held).
func (s *store) expire(now time.Time) (next time.Time) {
	cutoff := now.Add(-s.expiration).UnixNano()
	var oldest int64 = math.MaxInt64
	for _, name := range slices.Clone(s.names) {
		f := s.families[name]
		for i := 0; i < len(f.list); {
			if f.list[i].updated < cutoff {
				s.remove(f, i)
				continue
			}
			oldest = min(oldest, f.list[i].updated)
			i++
		}
		if len(f.list) == 0 {
			s.dropFamily(name)
		}
	}
	if oldest == math.MaxInt64 {
		return time.Time{}
	}
	return time.Unix(0, oldest).Add(s.expiration)
}

// write renders every series in the text format (version 0.0.4): families by name,
// series by label text, values and timestamps written as client_golang writes them.
func (s *store) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	num := make([]byte, 0, 32)
	for _, name := range s.names {
		f := s.families[name]
		if !f.sorted {
			slices.SortFunc(f.list, s.compareSeries)
			for i, sr := range f.list {
				f.index[sr.key] = i
			}
			f.sorted = true
		}
		bw.WriteString(f.header)
		for _, sr := range f.list {
			bw.WriteString(name)
			s.ra = sr.tmpl.render(s.ra[:0], sr.key[seriesKeyPrefix:])
			bw.Write(s.ra)
			bw.WriteByte(' ')
			num = appendFloat(num[:0], sr.value)
			if s.sendTimestamps {
				num = append(num, ' ')
				num = strconv.AppendInt(num, timestampMs(sr.ts), 10)
			}
			num = append(num, '\n')
			bw.Write(num)
		}
	}
	return bw.Flush()
}

// timestampMs is client_golang's NewMetricWithTimestamp: Unix milliseconds.
func timestampMs(ts pcommon.Timestamp) int64 {
	t := ts.AsTime()
	return t.Unix()*1000 + int64(t.Nanosecond()/1e6)
}

// appendFloat is expfmt's writeFloat.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// extractJob is contrib's: service.namespace/service.name.
func extractJob(res pcommon.Map) (string, bool) {
	name, ok := res.Get("service.name")
	if !ok {
		return "", false
	}
	if ns, ok := res.Get("service.namespace"); ok {
		return ns.AsString() + "/" + name.AsString(), true
	}
	return name.AsString(), true
}

// attrMatcher is resource_constant_labels' included and excluded patterns, with the
// semantics of contrib's pkg/resourcetotelemetry.
type attrMatcher struct {
	included, excluded []*regexp.Regexp
	all                bool
}

func newAttrMatcher(set resourcetotelemetry.Settings) *attrMatcher {
	m := &attrMatcher{all: len(set.Included) == 0 && len(set.Excluded) > 0}
	for _, p := range set.Included {
		m.included = append(m.included, globRegexp(p))
	}
	for _, p := range set.Excluded {
		m.excluded = append(m.excluded, globRegexp(p))
	}
	return m
}

func globRegexp(p string) *regexp.Regexp {
	q := regexp.QuoteMeta(p)
	return regexp.MustCompile("(?s)^" + strings.ReplaceAll(strings.ReplaceAll(q, `\*`, `.*`), `\?`, `.`) + "$")
}

func (m *attrMatcher) matches(key string) bool {
	for _, re := range m.excluded {
		if re.MatchString(key) {
			return false
		}
	}
	if m.all {
		return true
	}
	for _, re := range m.included {
		if re.MatchString(key) {
			return true
		}
	}
	return false
}
