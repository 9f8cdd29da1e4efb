package simulator

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// faults holds injected misbehaviour. Operations are AWS operation names such as
// GetMetricData or DescribeDBInstances.
type faults struct {
	mu       sync.Mutex
	throttle map[string]int
	fail     map[string]int
	failIDs  map[string]bool
	latency  time.Duration
	late     map[lateKey]time.Duration
	queries  []*queryFault
	messages []*callMessage
	pageMax  int64
}

// callMessage is a top-level GetMetricData message for the next calls (left of them
// remain; calls 0: every call).
type callMessage struct {
	Message
	calls, left int
}

type lateKey struct{ identifier, metric string }

func newFaults(latency time.Duration) *faults {
	f := &faults{}
	f.clear(latency)
	return f
}

func (f *faults) clear(latency time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle = map[string]int{}
	f.fail = map[string]int{}
	f.failIDs = map[string]bool{}
	f.late = map[lateKey]time.Duration{}
	f.queries = nil
	f.messages = nil
	f.pageMax = 0
	f.latency = latency
}

// next consumes one pending throttle or failure for op (throttles first), in the
// error style of service.
func (f *faults) next(service, op string) *apiError {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle[op] > 0 {
		f.throttle[op]--
		return errThrottling(service)
	}
	if f.fail[op] > 0 {
		f.fail[op]--
		return errServiceFailure(service)
	}
	return nil
}

func (f *faults) failsAny(ids []string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		if f.failIDs[id] {
			return true
		}
	}
	return false
}

// lateBy is the extra publication delay of one series.
func (f *faults) lateBy(id, metric string) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.late) == 0 {
		return 0
	}
	return max(f.late[lateKey{id, metric}], f.late[lateKey{id, ""}])
}

// wait sleeps for the configured latency (at least minResponseDelay) or until the
// request is cancelled.
func (f *faults) wait(ctx context.Context) {
	f.mu.Lock()
	d := max(f.latency, minResponseDelay)
	f.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// ThrottleNext answers the next n calls of operation with the service's throttling
// error (HTTP 400, code Throttling; ThrottlingException for CloudWatch Logs
// operations), which the SDKs retry.
func (s *Server) ThrottleNext(operation string, n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.throttle[operation] += n
}

// FailNext answers the next n calls of operation with InternalFailure (HTTP 500;
// ServiceUnavailableException for CloudWatch Logs operations).
func (s *Server) FailNext(operation string, n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.fail[operation] += n
}

// FailQueriesFor makes every GetMetricData call that queries identifier (as any
// dimension value) fail with InternalFailure, retries included, so exactly the batches
// holding it fail; Performance Insights calls for a DbiResourceId fail alike. It lasts
// until ClearFaults or Reset.
func (s *Server) FailQueriesFor(identifier string) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.failIDs[identifier] = true
}

// SetLatency delays every AWS call by d; 0 goes back to the floor of 2 ms that every
// answer waits (see minResponseDelay).
func (s *Server) SetLatency(d time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.latency = d
}

// SetLate delays the publication of one series' points by extra on top of
// Config.PublicationLag; metric "" means every metric of identifier. Tests advance the
// clock past extra to prove the late points are picked up.
func (s *Server) SetLate(identifier, metric string, extra time.Duration) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if extra <= 0 {
		delete(s.faults.late, lateKey{identifier, metric})
		return
	}
	s.faults.late[lateKey{identifier, metric}] = extra
}

// ClearFaults drops pending throttles and failures, FailQueriesFor identifiers, late
// series, query faults, call messages and the page limit, and restores Config.Latency.
// Instance statuses are not faults: they stay.
func (s *Server) ClearFaults() { s.faults.clear(s.cfg.Latency) }

// StatusCode values of a GetMetricData MetricDataResult.
const (
	StatusComplete      = "Complete"
	StatusPartialData   = "PartialData"
	StatusForbidden     = "Forbidden"
	StatusInternalError = "InternalError"
)

// Message is a CloudWatch MessageData: a code and a text, as GetMetricData returns
// them per result (MetricDataResult.Messages) and per call (the top-level Messages).
type Message struct {
	Code  string `json:"code"`
	Value string `json:"value"`
}

// QueryFault makes the GetMetricData results of matching queries report a problem of
// their own inside a successful (HTTP 200) answer, as CloudWatch reports per-metric
// problems, while the other results of the call stay Complete:
//
//   - Forbidden and InternalError: the result has that StatusCode, no points, and no
//     NextToken continues it.
//   - PartialData: the result carries at most Points points (default 1) and the answer
//     a NextToken that continues it from there, as when a call hits its datapoint limit;
//     a query with no more points than that is Complete.
//   - Complete: the result is unchanged; only Messages are added.
//
// A result gets the Messages of the fault; Forbidden and InternalError results get one
// message {Code: status, Value: a default text} when the fault names none.
type QueryFault struct {
	// Identifier is the dimension value to match (required); Metric "" matches every
	// metric of it.
	Identifier string    `json:"identifier"`
	Metric     string    `json:"metric,omitempty"`
	Status     string    `json:"status"`
	Points     int64     `json:"points,omitempty"`
	Messages   []Message `json:"messages,omitempty"`
	// Calls is how many GetMetricData calls (pages and retries each count) the fault
	// applies to; 0 means until ClearFaults or Reset.
	Calls int `json:"calls,omitempty"`
}

// queryFault is a QueryFault being applied; left counts the calls still affected
// (unlimited when Calls is 0).
type queryFault struct {
	QueryFault
	left int
}

func (f *queryFault) messages() []Message {
	if len(f.Messages) > 0 || f.Status == StatusComplete || f.Status == StatusPartialData {
		return f.Messages
	}
	text := map[string]string{
		StatusForbidden:     "You are not authorized to retrieve data for this metric.",
		StatusInternalError: "An internal error occurred while retrieving data for this metric. Retry the request.",
	}[f.Status]
	return []Message{{Code: f.Status, Value: text}}
}

func (qf QueryFault) validate() error {
	switch {
	case qf.Identifier == "":
		return fmt.Errorf("query fault: identifier is required")
	case qf.Status != StatusComplete && qf.Status != StatusPartialData && qf.Status != StatusForbidden && qf.Status != StatusInternalError:
		return fmt.Errorf("query fault: status %q is not Complete, PartialData, Forbidden or InternalError", qf.Status)
	case qf.Points < 0 || qf.Calls < 0:
		return fmt.Errorf("query fault: points and calls must not be negative")
	case qf.Status == StatusComplete && len(qf.Messages) == 0:
		return fmt.Errorf("query fault: status Complete without messages changes nothing")
	}
	return nil
}

// queryFault returns the fault for one query of a call, the newest matching one first.
// The first query a fault matches in a call consumes one of its calls; taken records
// the faults this call already consumed.
func (f *faults) queryFault(identifier, metric string, taken map[*queryFault]bool) *queryFault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.queries) - 1; i >= 0; i-- {
		qf := f.queries[i]
		if qf.Identifier != identifier || qf.Metric != "" && qf.Metric != metric {
			continue
		}
		if taken[qf] {
			return qf
		}
		if qf.Calls > 0 && qf.left == 0 {
			continue
		}
		if qf.Calls > 0 {
			qf.left--
		}
		taken[qf] = true
		return qf
	}
	return nil
}

// callMessages returns the top-level Messages of one GetMetricData answer and
// consumes them.
func (f *faults) callMessages() []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []any{}
	keep := f.messages[:0]
	for _, m := range f.messages {
		out = append(out, object{{"Code", m.Code}, {"Value", m.Value}})
		if m.calls > 0 {
			m.left--
			if m.left == 0 {
				continue
			}
		}
		keep = append(keep, m)
	}
	f.messages = keep
	return out
}

func (f *faults) pageLimit() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pageMax
}

// FailQuery adds a per-query fault (see QueryFault); the newest fault matching a query
// wins.
func (s *Server) FailQuery(qf QueryFault) error {
	if err := qf.validate(); err != nil {
		return err
	}
	qf.Messages = append([]Message(nil), qf.Messages...)
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.queries = append(s.faults.queries, &queryFault{QueryFault: qf, left: qf.Calls})
	return nil
}

// AddCallMessage adds m to the top-level Messages of the next calls GetMetricData
// answers (pages included); calls 0 means every answer until ClearFaults or Reset.
// CloudWatch puts there messages about the whole call, such as "Maximum number of
// allowed metrics exceeded", and still answers as much of the call as it can.
func (s *Server) AddCallMessage(m Message, calls int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.messages = append(s.faults.messages, &callMessage{Message: m, calls: calls, left: calls})
}

// SetPageLimit caps every GetMetricData page at n datapoints (whatever MaxDatapoints
// asks), so that results end in PartialData with a NextToken as when a call reaches
// CloudWatch's 100,800-datapoint limit; 0 removes the cap.
func (s *Server) SetPageLimit(n int64) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.pageMax = max(n, 0)
}
