package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"golang.org/x/time/rate"

	"github.com/otelcol-rds/awsrdsreceiver/internal/cputime"
	"github.com/otelcol-rds/awsrdsreceiver/internal/emreader"
	"github.com/otelcol-rds/awsrdsreceiver/internal/osmetrics"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// `rdsbench em` measures what reading Enhanced Monitoring costs per collection cycle:
// the CloudWatch Logs calls of the receiver's way (FilterLogEvents over 100 streams a call,
// internal/emreader) against one GetLogEvents per stream, and the CPU and allocations of
// parsing the documents. It runs the simulator in this process on a fake clock.

type emCase struct {
	instances int
	interval  int32 // MonitoringInterval of every instance, seconds
}

type emResult struct {
	emCase
	filterCalls, getCalls  float64 // per steady cycle
	docs, mbytes           float64 // per steady cycle
	parseCPU, parseAllocMB float64 // per steady cycle: ms, MB
	missingCalls           int     // first cycle with 1% of the streams missing
}

func runEM(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rdsbench em", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "markdown report file (default: standard output)")
	cycles := fs.Int("cycles", 2, "steady cycles measured per case, after the first")
	quick := fs.Bool("quick", false, "only 1,000 instances at 60 s (for tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cases := []emCase{{1000, 60}, {5000, 60}, {1000, 10}}
	if *quick {
		cases = cases[:1]
	}
	var results []emResult
	for _, c := range cases {
		fmt.Fprintf(stderr, "rdsbench em: %d instances at %d s\n", c.instances, c.interval)
		r, err := measureEM(ctx, c, *cycles)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	writeEMReport(w, results)
	return nil
}

func measureEM(ctx context.Context, c emCase, cycles int) (emResult, error) {
	res := emResult{emCase: c}
	fleet := simulator.GenerateFleet(c.instances, 1)
	for i := range fleet.Instances {
		fleet.Instances[i].MonitoringInterval = c.interval
	}
	clock := &benchClock{now: time.Date(2026, 6, 1, 12, 0, 30, 0, time.UTC)}
	sim := simulator.New(simulator.Config{Fleet: fleet, Now: clock.Now})
	hs := httptest.NewServer(sim)
	defer hs.Close()
	api := cloudwatchlogs.NewFromConfig(aws.Config{Region: "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSIM", "secret", ""),
		BaseEndpoint: aws.String(hs.URL), HTTPClient: simulator.HTTPClient()})
	var streams []emreader.Stream
	for _, in := range sim.Fleet().Instances {
		streams = append(streams, emreader.Stream{Name: in.DbiResourceID, Instance: in.Identifier})
	}

	// The receiver's way.
	r := emreader.NewReader(api, emreader.Options{Limiter: rate.NewLimiter(rate.Inf, 1), Concurrency: 2, InitialLookback: time.Minute})
	r.Read(ctx, streams, clock.Now()) // the first cycle reaches back InitialLookback
	for range cycles {
		clock.Advance(time.Minute)
		got := r.Read(ctx, streams, clock.Now())
		if len(got.Errs) > 0 {
			return res, fmt.Errorf("em read: %v", got.Errs[0])
		}
		res.filterCalls += float64(got.Calls) / float64(cycles)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		alloc0, cpu0 := ms.TotalAlloc, cputime.Process()
		for _, evs := range got.Events {
			for _, e := range evs {
				res.docs += 1 / float64(cycles)
				res.mbytes += float64(len(e.Message)) / 1e6 / float64(cycles)
				if _, err := osmetrics.Parse([]byte(e.Message)); err != nil {
					return res, err
				}
			}
		}
		runtime.ReadMemStats(&ms)
		res.parseCPU += float64(cputime.Process()-cpu0) / 1e6 / float64(cycles)
		res.parseAllocMB += float64(ms.TotalAlloc-alloc0) / 1e6 / float64(cycles)
	}

	// One GetLogEvents per stream, from the last event read, again while a page comes
	// back nearly full (1 MB): the fewest calls that way can make.
	next := map[string]int64{}
	for _, st := range streams {
		next[st.Name] = clock.Now().UnixMilli()
	}
	for range cycles {
		clock.Advance(time.Minute)
		calls, err := getLogEventsCycle(ctx, api, streams, next, clock.Now())
		if err != nil {
			return res, err
		}
		res.getCalls += float64(calls) / float64(cycles)
	}

	// Isolation cost: 1% of the streams disappear; the first cycle finds them.
	for i := 0; i < len(fleet.Instances); i += 100 {
		if err := sim.DeleteEnhancedMonitoringStream(fleet.Instances[i].Identifier); err != nil {
			return res, err
		}
	}
	clock.Advance(time.Minute)
	res.missingCalls = r.Read(ctx, streams, clock.Now()).Calls
	return res, nil
}

func getLogEventsCycle(ctx context.Context, api *cloudwatchlogs.Client, streams []emreader.Stream, next map[string]int64, now time.Time) (int, error) {
	var (
		mu    sync.Mutex
		calls int
		first error
	)
	work := make(chan emreader.Stream)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range work {
				for {
					mu.Lock()
					from := next[st.Name]
					mu.Unlock()
					out, err := api.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(emreader.LogGroup),
						LogStreamName: aws.String(st.Name), StartFromHead: aws.Bool(true),
						StartTime: aws.Int64(from), EndTime: aws.Int64(now.UnixMilli())})
					mu.Lock()
					calls++
					if err != nil && first == nil {
						first = err
					}
					size := 0
					if err == nil {
						for _, e := range out.Events {
							size += len(aws.ToString(e.Message)) + 120
							next[st.Name] = aws.ToInt64(e.Timestamp) + 1
						}
					}
					mu.Unlock()
					if err != nil || size < 900_000 {
						break
					}
				}
			}
		}()
	}
	for _, st := range streams {
		work <- st
	}
	close(work)
	wg.Wait()
	return calls, first
}

func writeEMReport(w io.Writer, rs []emResult) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("## Enhanced Monitoring: CloudWatch Logs calls per cycle")
	p("")
	p("`rdsbench em`: every instance of a generated fleet has Enhanced Monitoring at the interval shown; one collection cycle " +
		"reads the minute since the last (steady state, mean of the measured cycles). The receiver reads `RDSOSMetrics` with " +
		"FilterLogEvents over up to 100 streams a call, paging at 1 MB; the alternative is one GetLogEvents per stream (again " +
		"only while a page comes back nearly full). Both calls share per-account quotas (FilterLogEvents 5 per second and region, " +
		"not raisable); the time column is the cycle's calls at the receiver's default `enhanced_monitoring.requests_per_second` (1) " +
		"and at the whole quota (5). The parse columns are the receiver's CPU and allocations to decode the cycle's documents " +
		"(`internal/osmetrics`), measured in-process; recording them as metrics is in the micro-benchmark " +
		"`BenchmarkEnhancedMonitoringDocument` below.")
	p("")
	p("| instances | interval | documents/cycle | MB/cycle | FilterLogEvents calls/cycle | GetLogEvents calls/cycle | time at 1/s | time at 5/s | parse CPU ms/cycle | parse MB allocated/cycle | calls to isolate 1%% missing streams |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		p("| %d | %d s | %.0f | %.1f | %.0f | %.0f | %.0f s | %.0f s | %.0f | %.0f | %d |", r.instances, r.interval, r.docs, r.mbytes,
			r.filterCalls, r.getCalls, r.filterCalls, r.filterCalls/5, r.parseCPU, r.parseAllocMB, r.missingCalls)
	}
	p("")
	for _, r := range rs {
		if r.filterCalls > 0 {
			p("- %d instances at %d s: FilterLogEvents needs %.0f× fewer calls than GetLogEvents.", r.instances, r.interval, r.getCalls/r.filterCalls)
		}
	}
	p("")
	p("FilterLogEvents is the choice: its calls are bounded by the streams (100 a call) and by the bytes to read (about one call per MB), " +
		"GetLogEvents' by the number of instances. A missing stream fails a whole " +
		"FilterLogEvents call; the receiver splits the batch until the missing streams stand alone (the last column: the one cycle " +
		"that finds them, a one-off: at the default 1 call per second, 5,000 instances with 50 missing streams take one slow cycle " +
		"of several minutes, during which the other instances' documents wait but are not lost), then reads them alone now and then, " +
		"so they never fail a batch again.")
	p("")
}

type benchClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *benchClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *benchClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
