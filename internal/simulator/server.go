package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config configures a Server. Zero values get the defaults in the field comments.
type Config struct {
	Fleet     Fleet
	Region    string // default us-east-1
	AccountID string // default 123456789012
	// Now is the simulator's clock (default time.Now); tests inject a fake one.
	Now func() time.Time
	// CreatedAt is when the fleet came to be: no series has data before it.
	// Default: Now() at New minus 3 hours.
	CreatedAt time.Time
	// PublicationLag is how long after its period ends a point becomes visible:
	// a point for [t, t+P) shows at t+P+lag. 0 means the default 60 s; negative means none.
	PublicationLag time.Duration
	// Latency delays every AWS call (not the /_sim endpoints). Calls never take less
	// than 2 ms, which keeps the SDK's request-body race away (see HTTPClient).
	Latency time.Duration
	// LogIngestionLag is how long after its timestamp a CloudWatch Logs event is
	// ingested, and so visible to FilterLogEvents and GetLogEvents (ingestionTime =
	// timestamp + lag). 0 means the default 5 s; negative means none.
	LogIngestionLag time.Duration
	// PartialPeriods makes points of periods longer than 60 s appear as CloudWatch
	// shows them: a point for [t, t+P) is visible as soon as its first minute with data
	// is published, and aggregates only the minutes published so far, growing until its
	// last minute is published. Off (the default), such a point appears whole at
	// t+P+lag. 60-second points always appear whole at t+60s+lag.
	PartialPeriods bool
	// LateLogStreams delays the ingestion of the log streams named after these
	// instance identifiers (in every log group they write to) by the extra duration,
	// on top of LogIngestionLag. Read by New and SetFleet.
	LateLogStreams map[string]time.Duration
}

// Server simulates RDS and CloudWatch over HTTP. It is safe for concurrent use.
type Server struct {
	cfg      Config
	created  time.Time
	lag      time.Duration
	logLag   time.Duration
	counters *counters
	faults   *faults
	life     *lifecycles
	em       *emControl
	reqSeq   atomic.Uint64
	logText  logTexts // messages set by tests (SetLogMessages)

	mu    sync.RWMutex
	state *fleetState
}

// fleetState is everything derived from one fleet; SetFleet swaps it whole.
type fleetState struct {
	fleet     Fleet // normalized
	instances map[string]*Instance
	clusters  map[string]*Cluster
	replicas  map[string][]any // source identifier -> its read replicas
	cat       *catalog
	logs      *logCatalog
	em        *emCatalog
	events    []Event // oldest first
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "123456789012"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CreatedAt.IsZero() {
		cfg.CreatedAt = cfg.Now().Add(-3 * time.Hour)
	}
	lag := cfg.PublicationLag
	switch {
	case lag == 0:
		lag = time.Minute
	case lag < 0:
		lag = 0
	}
	logLag := cfg.LogIngestionLag
	switch {
	case logLag == 0:
		logLag = 5 * time.Second
	case logLag < 0:
		logLag = 0
	}
	s := &Server{cfg: cfg, created: cfg.CreatedAt, lag: lag, logLag: logLag, counters: newCounters(), faults: newFaults(cfg.Latency), life: &lifecycles{},
		em: &emControl{stopped: map[string]emStop{}, deleted: map[string]bool{}}}
	s.SetFleet(cfg.Fleet)
	return s
}

// SetFleet replaces the fleet (tests shrink or grow it); series and log groups follow
// at once. Instances that stay keep their status history; a status that differs from
// an instance's current one is recorded as a change at the instance's status_since if
// that is later than its last change, else now.
func (s *Server) SetFleet(f Fleet) {
	st := &fleetState{
		fleet:     f.normalized(s.cfg.Region, s.cfg.AccountID),
		instances: map[string]*Instance{},
		clusters:  map[string]*Cluster{},
		replicas:  map[string][]any{},
	}
	for i := range st.fleet.Instances {
		in := &st.fleet.Instances[i]
		st.instances[in.Identifier] = in
		if in.ReplicaSourceIdentifier != "" {
			st.replicas[in.ReplicaSourceIdentifier] = append(st.replicas[in.ReplicaSourceIdentifier], in.Identifier)
		}
	}
	for i := range st.fleet.Clusters {
		st.clusters[st.fleet.Clusters[i].Identifier] = &st.fleet.Clusters[i]
	}
	st.cat = buildCatalog(st.fleet)
	st.events = sortedEvents(st.fleet.Events)
	st.logs = buildLogCatalog(st.fleet, s.created, s.cfg.LateLogStreams)
	st.em = s.em.build(st.fleet, s.created, s.cfg.LateLogStreams)
	st.logs.addEM(st.em, s.created)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.life.sync(st.fleet.Instances, s.now())
	s.state = st
}

// Fleet returns the current fleet as the simulator reports it (defaults filled in,
// statuses as they are now).
func (s *Server) Fleet() Fleet {
	f := s.current().fleet.clone()
	for i := range f.Instances {
		in := &f.Instances[i]
		if c, ok := s.life.current(in.Identifier); ok {
			in.Status, in.StatusSince = c.Status, c.Since
		}
	}
	return f
}

func (s *Server) current() *fleetState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.state
}

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters { return s.counters.snapshot() }

// Reset zeroes the counters and clears all faults (see ClearFaults). The fleet stays.
func (s *Server) Reset() {
	s.counters.reset()
	s.ClearFaults()
}

// CreatedAt is when the fleet's data begins.
func (s *Server) CreatedAt() time.Time { return s.created }

// PublicationLag is the effective publication lag.
func (s *Server) PublicationLag() time.Duration { return s.lag }

// Series lists every series that exists for the current fleet: instances first, then
// clusters, each by identifier and metric.
func (s *Server) Series() []SeriesID {
	return append([]SeriesID(nil), s.current().cat.ids...)
}

// Value is the ground truth: the final value of the statistic (Average, Sum, Minimum,
// Maximum, SampleCount, pNN) of one series over the period containing ts (aligned down
// to a multiple of period; the high-resolution periods 1, 5, 10 and 30 s mean 60 s, as
// RDS publishes 60-second data), over the minutes in which the series has data (not
// before its creation, not while its instance was in a status that publishes nothing).
// It ignores the clock, the publication lag and PartialPeriods; false when the series
// does not exist, has no data in that period, or stat or period are not valid for
// CloudWatch. See ValueAt for the value as visible at a given time.
func (s *Server) Value(dimensionName, identifier, metric, stat string, ts time.Time, period time.Duration) (float64, bool) {
	st, se, p, ok := s.valueQuery(dimensionName, identifier, metric, stat, period)
	if !ok {
		return 0, false
	}
	t := floorDiv(ts.Unix(), p) * p
	return se.aggregate(st, t/60, (t+p)/60, se.firstMinute(s.created), s.gate(se))
}

// ValueAt is the value GetMetricData returns at time at (by the simulator's rules:
// publication lag, late series, PartialPeriods, status history) for the period
// containing ts, and whether that point is visible then at all. With PartialPeriods it
// is the aggregate of the minutes published by at; otherwise it equals Value once the
// point is visible.
func (s *Server) ValueAt(dimensionName, identifier, metric, stat string, ts time.Time, period time.Duration, at time.Time) (float64, bool) {
	st, se, p, ok := s.valueQuery(dimensionName, identifier, metric, stat, period)
	if !ok {
		return 0, false
	}
	t := floorDiv(ts.Unix(), p) * p
	w := s.window(se, time.Unix(t, 0), time.Unix(t+p, 0), p, at)
	if w.n == 0 {
		return 0, false
	}
	return se.aggregate(st, t/60, min((t+p)/60, w.pubEnd), se.firstMinute(s.created), s.gate(se))
}

// Point is one datapoint of a series.
type Point struct {
	Timestamp time.Time `json:"timestamp"`
	Value     float64   `json:"value"`
}

// Points is what GetMetricData returns at time at for one series, statistic and period
// over [start, end), oldest first, without faults other than late series: the oracle
// for "every point the simulator published". Nil when the series does not exist.
func (s *Server) Points(dimensionName, identifier, metric, stat string, period time.Duration, start, end, at time.Time) []Point {
	st, se, p, ok := s.valueQuery(dimensionName, identifier, metric, stat, period)
	if !ok {
		return nil
	}
	w := s.window(se, start, end, p, at)
	tl, first := s.gate(se), se.firstMinute(s.created)
	var out []Point
	for k := range w.n {
		t := w.at(k, true)
		if v, ok := se.aggregate(st, t/60, min((t+p)/60, w.pubEnd), first, tl); ok {
			out = append(out, Point{time.Unix(t, 0).UTC(), v})
		}
	}
	return out
}

func (s *Server) valueQuery(dimensionName, identifier, metric, stat string, period time.Duration) (statistic, *series, int64, bool) {
	st, ok := parseStatistic(stat)
	if !ok || period%time.Second != 0 {
		return st, nil, 0, false
	}
	if _, err := parsePeriod(float64(period / time.Second)); err != nil {
		return st, nil, 0, false
	}
	se := s.current().cat.lookup(dimensionName, identifier, metric)
	if se == nil {
		return st, nil, 0, false
	}
	return st, se, dataPeriod(int64(period / time.Second)), true
}

// gate is the status timeline that filters the minutes of se, nil when every minute
// counts (cluster series, instances that always published).
func (s *Server) gate(se *series) timeline {
	if se.id.DimensionName != DimInstance {
		return nil
	}
	return s.life.gate(se.id.Identifier)
}

// ---- dispatch ----

// call is one decoded AWS request.
type call struct {
	service   string // "rds", "cloudwatch" or "logs"
	proto     protocol
	op        string
	params    map[string]any
	requestID string
}

// protocol writes answers in one wire format.
type protocol interface {
	name() string
	writeResult(w http.ResponseWriter, c *call, result object)
	writeError(w http.ResponseWriter, c *call, e *apiError)
}

type handler func(s *Server, c *call) (object, *apiError)

var handlers = map[string]map[string]handler{
	"rds": {
		"DescribeDBInstances":               (*Server).describeDBInstances,
		"DescribeDBClusters":                (*Server).describeDBClusters,
		"ListTagsForResource":               (*Server).listTagsForResource,
		"DescribeEvents":                    (*Server).describeEvents,
		"DescribePendingMaintenanceActions": (*Server).describePendingMaintenanceActions,
		"DescribeDBMajorEngineVersions":     (*Server).describeDBMajorEngineVersions,
		"DescribeAccountAttributes":         (*Server).describeAccountAttributes,
		"DescribeDBProxies":                 (*Server).describeDBProxies,
		"DescribeDBProxyTargets":            (*Server).describeDBProxyTargets,
		"DescribeDBShardGroups":             (*Server).describeDBShardGroups,
		"DescribeGlobalClusters":            (*Server).describeGlobalClusters,
	},
	"cloudwatch": {
		"GetMetricData":       (*Server).getMetricData,
		"GetMetricStatistics": (*Server).getMetricStatistics,
		"ListMetrics":         (*Server).listMetrics,
	},
	"logs": {
		"DescribeLogGroups": (*Server).describeLogGroups,
		"FilterLogEvents":   (*Server).filterLogEvents,
		"GetLogEvents":      (*Server).getLogEvents,
	},
	"pi": {"GetResourceMetrics": (*Server).getResourceMetrics},
}

const maxBody = 16 << 20

// ServeHTTP answers AWS calls (dispatched by path, headers and Action) and the
// /_sim/ admin endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.serveAdmin(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	c, decodeErr := decodeCall(r)
	if c == nil {
		http.Error(w, "rdssim: not an RDS, CloudWatch or CloudWatch Logs request", http.StatusNotFound)
		return
	}
	c.requestID = s.requestID()
	w.Header().Set("X-Amzn-Requestid", c.requestID)
	s.counters.call(c.op, c.proto.name())
	s.faults.wait(r.Context())

	result, err := s.handle(c, decodeErr)
	s.counters.answered(c.op, err)
	if err != nil {
		c.proto.writeError(w, c, err)
		return
	}
	c.proto.writeResult(w, c, result)
}

func (s *Server) handle(c *call, decodeErr *apiError) (object, *apiError) {
	if err := s.faults.next(c.service, c.op); err != nil {
		return nil, err
	}
	if decodeErr != nil {
		return nil, decodeErr
	}
	h := handlers[c.service][c.op]
	if h == nil {
		if c.proto.name() == ProtoQuery {
			return nil, errInvalidAction(c.op)
		}
		return nil, errUnknownOperation(c.op)
	}
	return h(s, c)
}

// decodeCall recognises the protocol: CBOR by path, JSON by X-Amz-Target, else a query
// form. A nil call means the request is not an AWS call at all.
func decodeCall(r *http.Request) (*call, *apiError) {
	if op, ok := strings.CutPrefix(r.URL.Path, cborPathPrefix); ok {
		return decodeCBOR(r, op)
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return decodeJSON(r, target)
	}
	return decodeQuery(r)
}

func (s *Server) requestID() string {
	n := s.reqSeq.Add(1)
	return fmt.Sprintf("%08x-5eed-4000-8000-%012x", uint32(n>>48), n&0xffffffffffff)
}

func (s *Server) now() time.Time { return s.cfg.Now() }
