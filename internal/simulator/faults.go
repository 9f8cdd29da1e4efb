package simulator

import (
	"context"
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
// holding it fail. It lasts until ClearFaults or Reset.
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

// ClearFaults drops pending throttles and failures, FailQueriesFor identifiers and late
// series, and restores Config.Latency.
func (s *Server) ClearFaults() { s.faults.clear(s.cfg.Latency) }
