package emreader

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

var t0 = time.Date(2025, 6, 2, 12, 0, 30, 0, time.UTC)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func serve(t *testing.T, f simulator.Fleet) (*simulator.Server, *cloudwatchlogs.Client, *clock) {
	t.Helper()
	c := &clock{now: t0}
	s := simulator.New(simulator.Config{Fleet: f, Now: c.Now})
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	api := cloudwatchlogs.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(hs.URL), HTTPClient: simulator.HTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts, o.MaxBackoff = 2, time.Millisecond
				o.Backoff = retry.NewExponentialJitterBackoff(time.Millisecond)
			})
		},
	})
	return s, api, c
}

// fleet100 has 100 EM instances at intervals 1 to 60 s, in the three formats.
func fleet100() simulator.Fleet {
	var f simulator.Fleet
	intervals := []int32{1, 5, 10, 15, 30, 60}
	for i := range 100 {
		engine := []string{simulator.EngineMySQL, simulator.EnginePostgres, simulator.EngineSQLServerSE}[i%3]
		f.Instances = append(f.Instances, simulator.Instance{Identifier: fmt.Sprintf("db-%03d", i), Engine: engine,
			Class: "db.r6g.large", MonitoringInterval: intervals[i%len(intervals)]})
	}
	return f
}

func streamsOf(s *simulator.Server, ids []string) []Stream {
	var out []Stream
	for _, id := range ids {
		out = append(out, Stream{Name: s.Fleet().Instances[indexOf(s, id)].DbiResourceID, Instance: id})
	}
	return out
}

func indexOf(s *simulator.Server, id string) int {
	for i, in := range s.Fleet().Instances {
		if in.Identifier == id {
			return i
		}
	}
	panic(id)
}

// TestMissingStreamsAffectOnlyTheirInstance: of 100 streams, 10 are missing from the
// start, 1 disappears mid-run and 1 instance has EM turned off mid-run; the other 89 get
// every event once with the simulator's timestamp and message, and each missing stream is
// reported once, naming its instance.
func TestMissingStreamsAffectOnlyTheirInstance(t *testing.T) {
	s, api, clk := serve(t, fleet100())
	var ids []string
	for _, in := range s.Fleet().Instances {
		ids = append(ids, in.Identifier)
	}
	streams := streamsOf(s, ids)
	for i := 0; i < 100; i += 10 {
		require.NoError(t, s.DeleteEnhancedMonitoringStream(ids[i]))
	}
	r := NewReader(api, Options{Limiter: rate.NewLimiter(rate.Inf, 1), Concurrency: 2, InitialLookback: 2 * time.Minute, RecheckMissing: 3 * time.Minute})
	ctx := context.Background()
	got := map[string][]Event{}
	problems := map[string]int{}
	calls := 0
	const disappearing, turnedOff = "db-055", "db-077"
	for cycle := range 8 {
		if cycle == 4 {
			require.NoError(t, s.DeleteEnhancedMonitoringStream(disappearing))
			require.NoError(t, s.StopEnhancedMonitoring(turnedOff))
		}
		asked := streams
		if cycle > 4 { // discovery now reports MonitoringInterval 0
			asked = nil
			for _, st := range streams {
				if st.Instance != turnedOff {
					asked = append(asked, st)
				}
			}
		}
		res := r.Read(ctx, asked, clk.Now())
		require.Empty(t, res.Errs)
		calls += res.Calls
		for _, p := range res.Problems {
			problems[p.Stream.Instance]++
			assert.ErrorIs(t, p.Err, ErrStreamMissing)
			assert.Contains(t, p.Error(), p.Stream.Instance)
		}
		for name, evs := range res.Events {
			got[name] = append(got[name], evs...)
		}
		clk.Advance(time.Minute)
	}
	t.Logf("%d FilterLogEvents calls for 8 reads of 100 streams", calls)
	assert.Len(t, problems, 11)
	for i := 0; i < 100; i += 10 {
		assert.Equal(t, 1, problems[ids[i]], ids[i])
	}
	assert.Equal(t, 1, problems[disappearing])
	end := clk.Now().Add(-time.Minute - s.LogIngestionLag() + time.Millisecond) // the last read's view
	for _, st := range streams {
		if problems[st.Instance] > 0 || st.Instance == turnedOff {
			continue
		}
		want := s.EMEvents(st.Instance, t0.Add(-2*time.Minute), end)
		require.NotEmpty(t, want)
		g := got[st.Name]
		require.Len(t, g, len(want), st.Instance)
		for i, w := range want {
			assert.Equal(t, w.Timestamp, g[i].Timestamp, st.Instance)
			assert.Equal(t, w.Message, g[i].Message, st.Instance)
		}
	}
	// The turned-off instance got what it wrote while it was on.
	offWant := s.EMEvents(turnedOff, t0.Add(-2*time.Minute), t0.Add(4*time.Minute-s.LogIngestionLag()+time.Millisecond))
	assert.Len(t, got[s.Fleet().Instances[indexOf(s, turnedOff)].DbiResourceID], len(offWant))
	assert.Equal(t, 11, r.Missing())
}

func TestCallErrorsAreReturnedAndRetried(t *testing.T) {
	s, api, clk := serve(t, fleet100())
	r := NewReader(api, Options{Limiter: rate.NewLimiter(rate.Inf, 1), InitialLookback: time.Minute})
	streams := streamsOf(s, []string{"db-001", "db-002"})
	s.FailNext("FilterLogEvents", 5) // more than the SDK retries
	res := r.Read(context.Background(), streams, clk.Now())
	require.Len(t, res.Errs, 1)
	assert.Contains(t, res.Errs[0].Error(), "db-001")
	assert.Empty(t, res.Events)
	s.ClearFaults()
	res = r.Read(context.Background(), streams, clk.Now())
	require.Empty(t, res.Errs)
	assert.Len(t, res.Events[streams[0].Name], len(s.EMEvents("db-001", t0.Add(-time.Minute), t0.Add(-s.LogIngestionLag()+time.Millisecond))))
	assert.Empty(t, res.Problems, "a failed call is not a missing stream")
}

// TestSilentStreamCostsNoRereads: a stream that stops writing (instance stopped, EM off but
// still asked for) does not make its batch re-read everything since its last document.
func TestSilentStreamCostsNoRereads(t *testing.T) {
	var f simulator.Fleet
	var ids []string
	for i := range 100 {
		id := fmt.Sprintf("db-%03d", i)
		ids = append(ids, id)
		f.Instances = append(f.Instances, simulator.Instance{Identifier: id, Engine: simulator.EngineMySQL, Class: "db.r6g.large", MonitoringInterval: 60})
	}
	s, api, clk := serve(t, f)
	streams := streamsOf(s, ids)
	r := NewReader(api, Options{Limiter: rate.NewLimiter(rate.Inf, 1), InitialLookback: time.Minute})
	ctx := context.Background()
	r.Read(ctx, streams, clk.Now())
	require.NoError(t, s.StopEnhancedMonitoring("db-000"))
	var calls []int
	for range 10 {
		clk.Advance(time.Minute)
		res := r.Read(ctx, streams, clk.Now())
		require.Empty(t, res.Errs)
		calls = append(calls, res.Calls)
	}
	// The batch reads back the overlap (2 min) for the silent stream, not to its last
	// document: 3 minutes of 100 documents of ~7 KB, 3 calls, every cycle. Without the
	// bound the calls would grow by one about every 1.5 minutes.
	assert.Equal(t, 3, calls[len(calls)-1], "calls per cycle: %v", calls)
	assert.Equal(t, calls[3], calls[len(calls)-1], "no growth: %v", calls)
}
