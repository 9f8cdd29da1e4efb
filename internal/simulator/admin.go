package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// FaultRequest is the JSON body of POST /_sim/faults. Durations are Go duration
// strings ("250ms", "5m").
//
//	{"clear": true, "throttle": {"GetMetricData": 2}, "fail": {"DescribeDBInstances": 1},
//	 "fail_queries_for": ["mysql-a"], "latency": "50ms",
//	 "late": [{"identifier": "pg-a", "metric": "CPUUtilization", "extra": "5m"}],
//	 "query_faults": [{"identifier": "pg-a", "metric": "CPUUtilization", "status": "Forbidden", "calls": 3},
//	                  {"identifier": "mysql-a", "status": "PartialData", "points": 2},
//	                  {"identifier": "maria-t3", "status": "Complete",
//	                   "messages": [{"code": "Notice", "value": "some text"}]}],
//	 "call_messages": [{"code": "MaxMetricsExceeded", "value": "Maximum number of allowed metrics exceeded", "calls": 1}],
//	 "page_limit": 100}
//
// throttle and fail are ThrottleNext and FailNext (whole calls: HTTP 400 Throttling, HTTP
// 500 InternalFailure), fail_queries_for is FailQueriesFor, late is SetLate,
// query_faults are FailQuery (a query's own StatusCode and Messages in an HTTP 200
// answer), call_messages are AddCallMessage (top-level Messages) and page_limit is
// SetPageLimit (0 removes it). clear runs ClearFaults first.
type FaultRequest struct {
	Clear          bool              `json:"clear,omitempty"`
	Throttle       map[string]int    `json:"throttle,omitempty"`
	Fail           map[string]int    `json:"fail,omitempty"`
	FailQueriesFor []string          `json:"fail_queries_for,omitempty"`
	Latency        *string           `json:"latency,omitempty"`
	Late           []LateSeries      `json:"late,omitempty"`
	QueryFaults    []QueryFault      `json:"query_faults,omitempty"`
	CallMessages   []CallMessageSpec `json:"call_messages,omitempty"`
	PageLimit      *int64            `json:"page_limit,omitempty"`
}

// CallMessageSpec is one AddCallMessage call in a FaultRequest.
type CallMessageSpec struct {
	Code  string `json:"code"`
	Value string `json:"value"`
	Calls int    `json:"calls,omitempty"`
}

// StatusRequest is the JSON body of POST /_sim/status: one SetInstanceStatus call.
//
//	{"identifier": "pg-a", "status": "stopped"}
type StatusRequest struct {
	Identifier string `json:"identifier"`
	Status     string `json:"status"`
}

// LateSeries is one SetLate call in a FaultRequest.
type LateSeries struct {
	Identifier string `json:"identifier"`
	Metric     string `json:"metric,omitempty"`
	Extra      string `json:"extra"`
}

// Apply performs the request on s.
func (fr FaultRequest) Apply(s *Server) error {
	var latency time.Duration
	if fr.Latency != nil {
		d, err := time.ParseDuration(*fr.Latency)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		latency = d
	}
	lates := make([]time.Duration, len(fr.Late))
	for i, l := range fr.Late {
		d, err := time.ParseDuration(l.Extra)
		if err != nil {
			return fmt.Errorf("late[%d].extra: %w", i, err)
		}
		lates[i] = d
	}
	for i, qf := range fr.QueryFaults {
		if err := qf.validate(); err != nil {
			return fmt.Errorf("query_faults[%d]: %w", i, err)
		}
	}
	for i, m := range fr.CallMessages {
		if m.Code == "" || m.Calls < 0 {
			return fmt.Errorf("call_messages[%d]: need a code and calls >= 0", i)
		}
	}
	if fr.PageLimit != nil && *fr.PageLimit < 0 {
		return fmt.Errorf("page_limit must not be negative")
	}
	if fr.Clear {
		s.ClearFaults()
	}
	for op, n := range fr.Throttle {
		s.ThrottleNext(op, n)
	}
	for op, n := range fr.Fail {
		s.FailNext(op, n)
	}
	for _, id := range fr.FailQueriesFor {
		s.FailQueriesFor(id)
	}
	if fr.Latency != nil {
		s.SetLatency(latency)
	}
	for i, l := range fr.Late {
		s.SetLate(l.Identifier, l.Metric, lates[i])
	}
	for _, qf := range fr.QueryFaults {
		_ = s.FailQuery(qf) // validated above
	}
	for _, m := range fr.CallMessages {
		s.AddCallMessage(Message{Code: m.Code, Value: m.Value}, m.Calls)
	}
	if fr.PageLimit != nil {
		s.SetPageLimit(*fr.PageLimit)
	}
	return nil
}

// serveAdmin answers the control endpoints:
//
//	GET  /_sim/counters  Counters as JSON
//	POST /_sim/reset     Reset
//	POST /_sim/faults    FaultRequest
//	GET  /_sim/fleet     the fleet as JSON (statuses as they are now)
//	POST /_sim/fleet     replace the fleet (JSON Fleet)
//	GET  /_sim/time      the simulator's clock and time settings (TimeInfo)
//	GET  /_sim/status    every instance's status history: {"pg-a": [{"status": "available"},
//	                     {"status": "stopped", "since": "2025-06-02T12:00:30Z"}], ...}
//	POST /_sim/status    StatusRequest: SetInstanceStatus now; answers the recorded
//	                     StatusChange as JSON (400 for an unknown instance or status)
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /_sim/counters":
		writeAdminJSON(w, s.Counters())
	case "POST /_sim/reset":
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case "POST /_sim/faults":
		var fr FaultRequest
		if err := decodeAdminJSON(r, &fr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := fr.Apply(s); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sim/fleet":
		writeAdminJSON(w, s.Fleet())
	case "POST /_sim/fleet":
		var f Fleet
		if err := decodeAdminJSON(r, &f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := f.Validate(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFleet(f)
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sim/time":
		writeAdminJSON(w, s.TimeInfo())
	case "GET /_sim/status":
		writeAdminJSON(w, s.StatusHistories())
	case "POST /_sim/status":
		var sr StatusRequest
		if err := decodeAdminJSON(r, &sr); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		change, err := s.SetInstanceStatus(sr.Identifier, sr.Status)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeAdminJSON(w, change)
	default:
		http.Error(w, "unknown simulator endpoint", http.StatusNotFound)
	}
}

func decodeAdminJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode JSON body: %w", err)
	}
	return nil
}

func writeAdminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

// TimeInfo is what GET /_sim/time answers: the simulator's current time (Config.Now),
// when the fleet's data begins, and the publication settings.
type TimeInfo struct {
	Now             time.Time `json:"now"`
	CreatedAt       time.Time `json:"created_at"`
	PublicationLag  string    `json:"publication_lag"`
	LogIngestionLag string    `json:"log_ingestion_lag"`
	PartialPeriods  bool      `json:"partial_periods"`
}

// TimeInfo reports the simulator's clock and time settings.
func (s *Server) TimeInfo() TimeInfo {
	return TimeInfo{
		Now:             s.now().UTC(),
		CreatedAt:       s.created.UTC(),
		PublicationLag:  s.lag.String(),
		LogIngestionLag: s.logLag.String(),
		PartialPeriods:  s.cfg.PartialPeriods,
	}
}
