package simulator

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// The CloudWatch requests every protocol decodes into.

type dimension struct{ name, value string }

// metricRef is a metric and its dimensions, as in a MetricStat or GetMetricStatistics.
type metricRef struct {
	namespace string
	metric    string
	dims      []dimension
}

type metricQuery struct {
	id, label  string
	returnData bool
	ref        metricRef
	period     int64 // seconds
	stat       statistic
}

type getMetricDataRequest struct {
	queries       []metricQuery
	start, end    time.Time
	nextToken     string
	ascending     bool
	maxDatapoints int64
}

const (
	maxQueriesPerCall    = 500
	maxDatapointsPerCall = 100_800
)

var queryIDPattern = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

func parseGetMetricData(p map[string]any) (*getMetricDataRequest, *apiError) {
	req := &getMetricDataRequest{}
	raw, err := asList(p["MetricDataQueries"])
	if err != nil {
		return nil, errValidation("MetricDataQueries: %v", err)
	}
	if len(raw) == 0 || len(raw) > maxQueriesPerCall {
		return nil, errValidation("1 validation error detected: Value at 'metricDataQueries' failed to satisfy constraint: "+
			"Member must have length between 1 and %d (got %d)", maxQueriesPerCall, len(raw))
	}
	seen := map[string]bool{}
	for i, r := range raw {
		q, aerr := parseMetricQuery(r)
		if aerr != nil {
			aerr.message = fmt.Sprintf("MetricDataQueries[%d]: %s", i, aerr.message)
			return nil, aerr
		}
		if seen[q.id] {
			return nil, errValidation("The value %s for parameter MetricDataQueries.member.%d.Id is already used.", q.id, i+1)
		}
		seen[q.id] = true
		req.queries = append(req.queries, q)
	}
	if req.start, req.end, err = timeRange(p); err != nil {
		return nil, errValidation("%v", err)
	}
	req.nextToken, _ = asString(p["NextToken"])
	switch scan, _ := asString(p["ScanBy"]); scan {
	case "", "TimestampDescending":
	case "TimestampAscending":
		req.ascending = true
	default:
		return nil, errValidation("ScanBy must be TimestampDescending or TimestampAscending, not %q", scan)
	}
	if v, ok := p["MaxDatapoints"]; ok && v != nil {
		n, err := asInt(v)
		if err != nil || n < 0 {
			return nil, errValidation("MaxDatapoints must be a non-negative integer")
		}
		req.maxDatapoints = n
	}
	return req, nil
}

func parseMetricQuery(r any) (metricQuery, *apiError) {
	m, err := asObject(r)
	if err != nil {
		return metricQuery{}, errValidation("%v", err)
	}
	q := metricQuery{returnData: true}
	q.id, _ = asString(m["Id"])
	if !queryIDPattern.MatchString(q.id) || len(q.id) > 255 {
		return q, errValidation("The value %q for parameter Id is not valid: it must start with a lowercase letter "+
			"and contain only letters, digits and underscores.", q.id)
	}
	q.label, _ = asString(m["Label"])
	if v, ok := m["ReturnData"]; ok && v != nil {
		if q.returnData, err = asBool(v); err != nil {
			return q, errValidation("ReturnData: %v", err)
		}
	}
	if expr, _ := asString(m["Expression"]); expr != "" {
		return q, errValidation("Metric math expressions are not supported by the simulator (query %s)", q.id)
	}
	statRaw, ok := m["MetricStat"]
	if !ok || statRaw == nil {
		return q, errValidation("Query %s must have either an Expression or a MetricStat", q.id)
	}
	ms, err := asObject(statRaw)
	if err != nil {
		return q, errValidation("MetricStat: %v", err)
	}
	metric, err := asObject(ms["Metric"])
	if err != nil {
		return q, errValidation("MetricStat.Metric: %v", err)
	}
	if q.ref, err = parseMetricRef(metric["Namespace"], metric["MetricName"], metric["Dimensions"]); err != nil {
		return q, errValidation("%v", err)
	}
	if q.period, err = parsePeriod(ms["Period"]); err != nil {
		return q, errValidation("%v", err)
	}
	statName, _ := asString(ms["Stat"])
	if q.stat, ok = parseStatistic(statName); !ok {
		return q, errValidation("The value %q for parameter MetricStat.Stat is not a valid statistic.", statName)
	}
	return q, nil
}

func parseMetricRef(ns, name, dims any) (metricRef, error) {
	var ref metricRef
	var err error
	if ref.namespace, err = asString(ns); err != nil || ref.namespace == "" {
		return ref, fmt.Errorf("the parameter Namespace is required")
	}
	if ref.metric, err = asString(name); err != nil || ref.metric == "" {
		return ref, fmt.Errorf("the parameter MetricName is required")
	}
	raw, err := asList(dims)
	if err != nil {
		return ref, fmt.Errorf("dimensions: %w", err)
	}
	if len(raw) > 30 {
		return ref, fmt.Errorf("at most 30 dimensions are allowed")
	}
	for _, r := range raw {
		dm, err := asObject(r)
		if err != nil {
			return ref, fmt.Errorf("dimension: %w", err)
		}
		n, _ := asString(dm["Name"])
		v, _ := asString(dm["Value"])
		if n == "" || v == "" {
			return ref, fmt.Errorf("every dimension needs a Name and a Value")
		}
		ref.dims = append(ref.dims, dimension{n, v})
	}
	return ref, nil
}

// parsePeriod accepts the high-resolution periods 1, 5, 10 and 30 s and multiples of 60 s.
func parsePeriod(v any) (int64, error) {
	if v == nil {
		return 0, fmt.Errorf("the parameter Period is required")
	}
	p, err := asInt(v)
	if err != nil || p <= 0 || (p%60 != 0 && p != 1 && p != 5 && p != 10 && p != 30) {
		return 0, fmt.Errorf("the parameter Period must be 1, 5, 10, 30 or a multiple of 60 (got %v)", v)
	}
	return p, nil
}

func timeRange(p map[string]any) (start, end time.Time, err error) {
	if p["StartTime"] == nil || p["EndTime"] == nil {
		return start, end, fmt.Errorf("the parameters StartTime and EndTime are required")
	}
	if start, err = asTime(p["StartTime"]); err != nil {
		return start, end, fmt.Errorf("StartTime: %w", err)
	}
	if end, err = asTime(p["EndTime"]); err != nil {
		return start, end, fmt.Errorf("EndTime: %w", err)
	}
	if !start.Before(end) {
		return start, end, fmt.Errorf("the parameter StartTime must be less than the parameter EndTime")
	}
	return start, end, nil
}

// series resolves the reference to an existing series: namespace AWS/RDS and exactly
// the dimensions of a known series (one for instances, clusters, proxies and shard
// groups; ProxyName, TargetGroup and Target for proxy targets).
func (r metricRef) series(cat *catalog) *series {
	if r.namespace != Namespace || len(r.dims) == 0 {
		return nil
	}
	id := r.seriesID()
	return cat.lookup(id.DimensionName, id.Identifier, r.metric)
}

func (r metricRef) phantom() PhantomQuery {
	parts := make([]string, len(r.dims))
	for i, d := range r.dims {
		parts[i] = d.name + "=" + d.value
	}
	sort.Strings(parts)
	p := PhantomQuery{Namespace: r.namespace, Metric: r.metric, Dimensions: strings.Join(parts, ",")}
	if len(r.dims) > 0 {
		p.Identifier = r.dims[0].value
	}
	return p
}

// seriesID keys the reference like the catalog: one dimension as it is, several in
// name order with names and values joined by commas.
func (r metricRef) seriesID() SeriesID {
	id := SeriesID{Metric: r.metric}
	switch len(r.dims) {
	case 0:
	case 1:
		id.DimensionName, id.Identifier = r.dims[0].name, r.dims[0].value
	default:
		dims := slices.Clone(r.dims)
		slices.SortFunc(dims, func(a, b dimension) int { return strings.Compare(a.name, b.name) })
		names, values := make([]string, len(dims)), make([]string, len(dims))
		for i, d := range dims {
			names[i], values[i] = d.name, d.value
		}
		id.DimensionName, id.Identifier = strings.Join(names, ","), strings.Join(values, ",")
	}
	return id
}

// dimensions splits a series' key into its dimensions.
func (id SeriesID) dimensions() []dimension {
	names, values := strings.Split(id.DimensionName, ","), strings.Split(id.Identifier, ",")
	dims := make([]dimension, len(names))
	for i := range names {
		dims[i] = dimension{names[i], values[i]}
	}
	return dims
}
