package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// fakeAWS is the simulator served in this process on two listeners, one given to the
// collector as its RDS endpoint and one as its CloudWatch endpoint, so that every request
// is timed and attributed to its service without decoding it.
type fakeAWS struct {
	sim            *simulator.Server
	rec            *recorder
	rdsURL, cwURL  string
	instances      int
	clusters       int
	servers        []*http.Server
	serveErrs      chan error
	shutdownPeriod time.Duration
}

// startFakeAWS serves a fleet of the given size; now is the simulator's clock (nil: the
// wall clock), the one the collector is given too when it runs on a scaled clock.
func startFakeAWS(instances int, seed int64, latency time.Duration, onBurst func(), now func() time.Time) (*fakeAWS, error) {
	fleet := simulator.GenerateFleet(instances, seed)
	// As `rdssim -instances N -seed S -latency L`: default region, account and
	// publication lag (points show one minute after their period ends, as in CloudWatch).
	sim := simulator.New(simulator.Config{Fleet: fleet, Latency: latency, Now: now})
	f := &fakeAWS{
		sim: sim, rec: newRecorder(burstGap, onBurst),
		instances: len(fleet.Instances), clusters: len(fleet.Clusters),
		serveErrs: make(chan error, 2), shutdownPeriod: 5 * time.Second,
	}
	for _, service := range []string{serviceRDS, serviceCloudWatch} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.close()
			return nil, fmt.Errorf("simulator listen: %w", err)
		}
		srv := &http.Server{Handler: f.rec.wrap(service, sim), ReadHeaderTimeout: 10 * time.Second}
		f.servers = append(f.servers, srv)
		url := "http://" + ln.Addr().String()
		if service == serviceRDS {
			f.rdsURL = url
		} else {
			f.cwURL = url
		}
		go func() {
			if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				f.serveErrs <- err
			}
		}()
	}
	return f, nil
}

func (f *fakeAWS) close() {
	ctx, cancel := context.WithTimeout(context.Background(), f.shutdownPeriod)
	defer cancel()
	for _, s := range f.servers {
		if err := s.Shutdown(ctx); err != nil {
			_ = s.Close()
		}
	}
}

const (
	serviceRDS        = "rds"
	serviceCloudWatch = "cloudwatch"
	// burstGap separates collection cycles: a request after this much silence starts a
	// new one. Cycles are 60 s apart and a cycle's requests follow each other closely.
	burstGap = 10 * time.Second
)

// request is one AWS call as the server saw it: from its arrival to its answer.
type request struct {
	service    string
	start, end time.Time
}

// recorder times every request and calls onBurst, synchronously and before the
// request is answered, when a request starts a new burst: the collector is then blocked
// on that request, so a snapshot taken there precedes the cycle's processing.
type recorder struct {
	gap     time.Duration
	onBurst func()

	mu       sync.Mutex
	done     []request
	inFlight int
	last     time.Time // the last arrival or answer
}

func newRecorder(gap time.Duration, onBurst func()) *recorder {
	return &recorder{gap: gap, onBurst: onBurst}
}

func (r *recorder) wrap(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if strings.HasPrefix(req.URL.Path, "/_sim/") {
			next.ServeHTTP(w, req)
			return
		}
		start := r.begin()
		next.ServeHTTP(w, req)
		r.finish(request{service: service, start: start})
	})
}

func (r *recorder) begin() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.inFlight == 0 && (r.last.IsZero() || now.Sub(r.last) >= r.gap) && r.onBurst != nil {
		r.onBurst()
	}
	r.inFlight++
	r.last = now
	return now
}

func (r *recorder) finish(q request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q.end = time.Now()
	r.inFlight--
	r.last = q.end
	r.done = append(r.done, q)
}

// between returns the answered requests that arrived in [from, to].
func (r *recorder) between(from, to time.Time) []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []request
	for _, q := range r.done {
		if !q.start.Before(from) && !q.start.After(to) {
			out = append(out, q)
		}
	}
	return out
}

// span is the time from the first arrival to the last answer of service's requests.
func span(reqs []request, service string) (first, last time.Time, n int) {
	for _, q := range reqs {
		if q.service != service {
			continue
		}
		if n == 0 || q.start.Before(first) {
			first = q.start
		}
		if q.end.After(last) {
			last = q.end
		}
		n++
	}
	return first, last, n
}
