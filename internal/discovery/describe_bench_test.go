//go:build unix

package discovery_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/otelcol-rds/awsrdsreceiver/internal/cputime"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// replayServer answers each distinct request (path and form body, which holds the page
// marker) with the simulator's first answer to it, so that a benchmark measures the
// client: the SDK's XML decoding and discovery's own work, not the simulator's.
type replayServer struct {
	sim http.Handler

	mu      sync.Mutex
	answers map[string]recorded
}

type recorded struct {
	header http.Header
	status int
	body   []byte
}

func (s *replayServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := r.URL.Path + "?" + string(body)
	s.mu.Lock()
	a, ok := s.answers[key]
	s.mu.Unlock()
	if !ok {
		rec := httptest.NewRecorder()
		r.Body = io.NopCloser(bytes.NewReader(body))
		s.sim.ServeHTTP(rec, r)
		a = recorded{rec.Header().Clone(), rec.Code, rec.Body.Bytes()}
		s.mu.Lock()
		s.answers[key] = a
		s.mu.Unlock()
	}
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// BenchmarkDescribe5000 discovers the simulator's generated 5,000-instance fleet over
// HTTP with the real SDK client, without filters: DescribeDBClusters, then
// DescribeDBInstances 100 at a time. "simulator" is the live simulator in this process
// (its work and its 2 ms floor per answer included); "replay" serves its recorded
// answers, leaving the client's cost. CPU time is this whole process's.
func BenchmarkDescribe5000(b *testing.B) {
	const instances = 5000
	sim := simulator.New(simulator.Config{Fleet: simulator.GenerateFleet(instances, 1)})
	filter, err := discovery.FilterConfig{}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"simulator", "replay"} {
		b.Run("server="+mode, func(b *testing.B) {
			var handler http.Handler = sim
			replay := &replayServer{sim: sim, answers: map[string]recorded{}}
			if mode == "replay" {
				handler = replay
			}
			srv := httptest.NewServer(handler)
			defer srv.Close()
			client := rds.New(rds.Options{
				Region:           "us-east-1",
				Credentials:      credentials.NewStaticCredentialsProvider("AKIDBENCH", "secret", ""),
				BaseEndpoint:     aws.String(srv.URL),
				HTTPClient:       simulator.HTTPClient(),
				RetryMaxAttempts: 1,
			})
			ctx := context.Background()
			describe := func() discovery.Fleet {
				f, err := discovery.Describe(ctx, client, filter, time.Now())
				if err != nil {
					b.Fatal(err)
				}
				if len(f.Instances) != instances {
					b.Fatalf("discovered %d instances, want %d", len(f.Instances), instances)
				}
				return f
			}
			c0 := sim.Counters()
			fleet := describe() // in replay mode, records the answers
			c1 := sim.Counters()
			calls := 0
			for _, op := range []string{"DescribeDBInstances", "DescribeDBClusters"} {
				calls += int(c1.Calls[op] - c0.Calls[op])
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cpu0 := cputime.Process()
			for b.Loop() {
				describe()
			}
			cpu := float64((cputime.Process() - cpu0).Nanoseconds())
			runtime.ReadMemStats(&after)
			per := float64(b.N) * instances
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/instance")
			b.ReportMetric(cpu/per, "cpu-ns/instance")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/per, "allocs/instance")
			b.ReportMetric(float64(len(fleet.Clusters)), "clusters/op")
			b.ReportMetric(float64(calls), "calls/op")
		})
	}
}
