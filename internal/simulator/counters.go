package simulator

import (
	"maps"
	"sort"
	"sync"
)

// Protocol names as they appear in Counters.CallsByProtocol.
const (
	ProtoQuery = "awsQuery"
	ProtoJSON  = "awsJson1_0"
	// ProtoJSON11 is CloudWatch Logs' protocol.
	ProtoJSON11 = "awsJson1_1"
	ProtoCBOR   = "rpc-v2-cbor"
)

// Counters is a snapshot of what the simulator served since it started or was Reset.
type Counters struct {
	// Calls counts every request per operation, whatever its outcome.
	Calls map[string]int64 `json:"calls"`
	// CallsByProtocol splits Calls by wire protocol (operation -> protocol -> calls).
	CallsByProtocol map[string]map[string]int64 `json:"calls_by_protocol"`
	// MetricDataQueries counts the MetricStat queries of answered GetMetricData calls,
	// pages included: the "metrics requested" that AWS bills.
	MetricDataQueries int64 `json:"metric_data_queries"`
	// Datapoints counts values returned by GetMetricData and GetMetricStatistics.
	Datapoints int64 `json:"datapoints"`
	// Throttled and Failed count injected throttling (400) and failure (500) answers.
	Throttled            int64            `json:"throttled"`
	ThrottledByOperation map[string]int64 `json:"throttled_by_operation"`
	Failed               int64            `json:"failed"`
	FailedByOperation    map[string]int64 `json:"failed_by_operation"`
	// ClientErrors counts other error answers: validation, not found, unknown actions.
	ClientErrors int64 `json:"client_errors"`
	// PhantomQueries counts queries for series real CloudWatch would not have; Phantoms
	// says which.
	PhantomQueries int64          `json:"phantom_queries"`
	Phantoms       []PhantomQuery `json:"phantoms"`
	// DescribeDBInstancesPages and DescribeDBClustersPages count answered pages.
	DescribeDBInstancesPages int64 `json:"describe_db_instances_pages"`
	DescribeDBClustersPages  int64 `json:"describe_db_clusters_pages"`
	// LogEvents counts events returned by FilterLogEvents and GetLogEvents.
	LogEvents int64 `json:"log_events"`
	// RDSEvents counts events returned by DescribeEvents.
	RDSEvents int64 `json:"rds_events"`
	// SeriesQueries counts metric queries per identifier and metric (phantoms included).
	SeriesQueries map[string]map[string]int64 `json:"series_queries"`
	// InactiveQueries counts billed GetMetricData queries for DB instances whose status,
	// when the call was answered, publishes no CloudWatch data (PublishesMetrics is
	// false: stopped, creating, ...); InactiveQueriesByIdentifier splits them by instance.
	InactiveQueries             int64            `json:"inactive_queries"`
	InactiveQueriesByIdentifier map[string]int64 `json:"inactive_queries_by_identifier"`
	// ResultsByStatus counts the MetricDataResults returned, by StatusCode (Complete,
	// PartialData, Forbidden, InternalError).
	ResultsByStatus map[string]int64 `json:"results_by_status"`
	// PICallsByIdentifier counts Performance Insights calls by their Identifier,
	// whatever their outcome; PIDatapoints counts the data points they returned.
	PICallsByIdentifier map[string]int64 `json:"pi_calls_by_identifier"`
	PIDatapoints        int64            `json:"pi_datapoints"`
}

// QueriesFor is how many metric queries named identifier, over all its metrics.
func (c Counters) QueriesFor(identifier string) int64 {
	var n int64
	for _, v := range c.SeriesQueries[identifier] {
		n += v
	}
	return n
}

// PhantomQuery is a queried series that does not exist, with how often it was asked for.
type PhantomQuery struct {
	Namespace  string `json:"namespace"`
	Metric     string `json:"metric"`
	Dimensions string `json:"dimensions"` // Name=Value pairs joined by commas
	Identifier string `json:"identifier"` // the first dimension's value
	Count      int64  `json:"count"`
}

type counters struct {
	mu sync.Mutex
	c  Counters
	ph map[PhantomQuery]int64 // key has Count 0
}

func newCounters() *counters {
	c := &counters{}
	c.reset()
	return c
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c = Counters{
		Calls:                map[string]int64{},
		CallsByProtocol:      map[string]map[string]int64{},
		ThrottledByOperation: map[string]int64{},
		FailedByOperation:    map[string]int64{},
		SeriesQueries:        map[string]map[string]int64{},

		InactiveQueriesByIdentifier: map[string]int64{},
		ResultsByStatus:             map[string]int64{},
		PICallsByIdentifier:         map[string]int64{},
	}
	c.ph = map[PhantomQuery]int64{}
}

func (c *counters) call(op, proto string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.Calls[op]++
	inc2(c.c.CallsByProtocol, op, proto, 1)
}

// answered records the outcome of one call: err is nil for a success.
func (c *counters) answered(op string, err *apiError) {
	if err == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err.throttling():
		c.c.Throttled++
		c.c.ThrottledByOperation[op]++
	case err.server:
		c.c.Failed++
		c.c.FailedByOperation[op]++
	default:
		c.c.ClientErrors++
	}
}

func (c *counters) page(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch op {
	case "DescribeDBInstances":
		c.c.DescribeDBInstancesPages++
	case "DescribeDBClusters":
		c.c.DescribeDBClustersPages++
	}
}

func (c *counters) events(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.RDSEvents += int64(n)
}

func (c *counters) logEvents(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.LogEvents += n
}

// metricCall records one answered metric read: billed queries, returned points,
// per-series query counts and phantoms.
func (c *counters) metricCall(billed, points int64, queried []SeriesID, phantoms []PhantomQuery) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.c.MetricDataQueries += billed
	c.c.Datapoints += points
	for _, q := range queried {
		inc2(c.c.SeriesQueries, q.Identifier, q.Metric, 1)
	}
	for _, p := range phantoms {
		c.c.PhantomQueries++
		c.ph[p]++
	}
}

// metricResults records the results of one GetMetricData answer by status and the
// queries for instances that publish nothing.
func (c *counters) metricResults(statuses map[string]int64, inactive []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for st, n := range statuses {
		c.c.ResultsByStatus[st] += n
	}
	for _, id := range inactive {
		c.c.InactiveQueries++
		c.c.InactiveQueriesByIdentifier[id]++
	}
}

func (c *counters) snapshot() Counters {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.c
	out.Calls = maps.Clone(c.c.Calls)
	out.ThrottledByOperation = maps.Clone(c.c.ThrottledByOperation)
	out.FailedByOperation = maps.Clone(c.c.FailedByOperation)
	out.CallsByProtocol = copyMap2(c.c.CallsByProtocol)
	out.SeriesQueries = copyMap2(c.c.SeriesQueries)
	out.InactiveQueriesByIdentifier = maps.Clone(c.c.InactiveQueriesByIdentifier)
	out.ResultsByStatus = maps.Clone(c.c.ResultsByStatus)
	out.PICallsByIdentifier = maps.Clone(c.c.PICallsByIdentifier)
	out.Phantoms = make([]PhantomQuery, 0, len(c.ph))
	for p, n := range c.ph {
		p.Count = n
		out.Phantoms = append(out.Phantoms, p)
	}
	sort.Slice(out.Phantoms, func(i, j int) bool {
		a, b := out.Phantoms[i], out.Phantoms[j]
		if a.Dimensions != b.Dimensions {
			return a.Dimensions < b.Dimensions
		}
		if a.Metric != b.Metric {
			return a.Metric < b.Metric
		}
		return a.Namespace < b.Namespace
	})
	return out
}

func inc2(m map[string]map[string]int64, a, b string, n int64) {
	inner := m[a]
	if inner == nil {
		inner = map[string]int64{}
		m[a] = inner
	}
	inner[b] += n
}

func copyMap2(m map[string]map[string]int64) map[string]map[string]int64 {
	out := make(map[string]map[string]int64, len(m))
	for k, v := range m {
		out[k] = maps.Clone(v)
	}
	return out
}
