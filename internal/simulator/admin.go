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
//	 "late": [{"identifier": "pg-a", "metric": "CPUUtilization", "extra": "5m"}]}
type FaultRequest struct {
	Clear          bool           `json:"clear,omitempty"`
	Throttle       map[string]int `json:"throttle,omitempty"`
	Fail           map[string]int `json:"fail,omitempty"`
	FailQueriesFor []string       `json:"fail_queries_for,omitempty"`
	Latency        *string        `json:"latency,omitempty"`
	Late           []LateSeries   `json:"late,omitempty"`
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
	return nil
}

// serveAdmin answers the control endpoints:
//
//	GET  /_sim/counters  Counters as JSON
//	POST /_sim/reset     Reset
//	POST /_sim/faults    FaultRequest
//	GET  /_sim/fleet     the fleet as JSON
//	POST /_sim/fleet     replace the fleet (JSON Fleet)
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
