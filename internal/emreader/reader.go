// Package emreader reads Enhanced Monitoring events from the CloudWatch Logs group
// RDSOSMetrics, one stream per instance, with FilterLogEvents over up to 100 streams a
// call. Every event is returned once: a per-stream high-water mark (the timestamp of the
// newest event returned) skips what was already returned, since a stream's events are
// ingested in timestamp order. A missing stream fails the whole FilterLogEvents call
// (ResourceNotFoundException); the reader then splits the batch until the missing
// streams are isolated, remembers them and reports each once, so that the other
// streams of the batch lose nothing.
package emreader

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/time/rate"
)

// LogGroup is where RDS writes Enhanced Monitoring.
const LogGroup = "RDSOSMetrics"

// MaxStreamsPerCall is FilterLogEvents' limit on logStreamNames.
const MaxStreamsPerCall = 100

// API is the part of the CloudWatch Logs client the reader uses.
type API interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Options shape the reads.
type Options struct {
	// Limiter is shared by every FilterLogEvents call (the account's quota is 5 per
	// second per region); nil means 5 per second.
	Limiter *rate.Limiter
	// Concurrency is the number of calls in flight at most (default 1).
	Concurrency int
	// InitialLookback is how far back the first read of a stream reaches (default 5 min).
	InitialLookback time.Duration
	// MaxLookback bounds how far back any read reaches, after an outage (default 1 h).
	MaxLookback time.Duration
	// MaxPages bounds the pages read per batch and read (default 50); the rest is read
	// next time.
	MaxPages int
	// RecheckMissing is how often a missing stream is tried again (default 10 min).
	RecheckMissing time.Duration
	// Overlap re-reads the end of a stream's previous read, for documents ingested late
	// (default 2 min). A stream that writes nothing (instance stopped) is read back only
	// this far, not to its last document.
	Overlap time.Duration
}

// Stream is one instance's stream.
type Stream struct {
	Name     string // the instance's DbiResourceId
	Instance string // the instance identifier, for errors
}

// Event is one Enhanced Monitoring document.
type Event struct {
	Timestamp time.Time
	Message   string
}

// Problem is a stream that cannot be read, reported once when it is found.
type Problem struct {
	Stream Stream
	Err    error
}

func (p Problem) Error() string {
	return fmt.Sprintf("Enhanced Monitoring of instance %s: %v", p.Stream.Instance, p.Err)
}

// ErrStreamMissing says a stream does not exist in RDSOSMetrics.
var ErrStreamMissing = errors.New("its log stream is missing from RDSOSMetrics (instance deleted, switched over, or Enhanced Monitoring just enabled)")

// Result is one read.
type Result struct {
	// Events are the new events of each stream, oldest first.
	Events map[string][]Event
	// Problems are streams newly found missing.
	Problems []Problem
	// Errs are failed calls (throttling after retries, access denied...); their streams
	// are read again next time.
	Errs []error
	// Calls is the number of FilterLogEvents calls made.
	Calls int
}

// Reader keeps the marks and the missing streams. Safe for one Read at a time.
type Reader struct {
	api     API
	opts    Options
	limiter *rate.Limiter

	mu      sync.Mutex
	marks   map[string]int64     // stream -> timestamp (ms) of the newest event returned
	ends    map[string]int64     // stream -> end (ms) of its last complete read
	missing map[string]time.Time // stream -> when it was last found missing
}

// NewReader returns a Reader with the defaults of Options for zero fields.
func NewReader(api API, o Options) *Reader {
	if o.Limiter == nil {
		o.Limiter = rate.NewLimiter(5, 5)
	}
	o.Concurrency = max(1, o.Concurrency)
	if o.InitialLookback <= 0 {
		o.InitialLookback = 5 * time.Minute
	}
	if o.MaxLookback <= 0 {
		o.MaxLookback = time.Hour
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 50
	}
	if o.RecheckMissing <= 0 {
		o.RecheckMissing = 10 * time.Minute
	}
	if o.Overlap <= 0 {
		o.Overlap = 2 * time.Minute
	}
	return &Reader{api: api, opts: o, limiter: o.Limiter, marks: map[string]int64{}, ends: map[string]int64{}, missing: map[string]time.Time{}}
}

// Marks returns a copy of the high-water marks (for storage and roll-back).
func (r *Reader) Marks() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int64, len(r.marks))
	for k, v := range r.marks {
		out[k] = v
	}
	return out
}

// SetMarks replaces the high-water marks (after a restart, or to roll back a read whose
// output the pipeline refused).
func (r *Reader) SetMarks(m map[string]int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.marks = make(map[string]int64, len(m))
	for k, v := range m {
		r.marks[k] = v
	}
}

// Missing is the number of streams currently known to be missing.
func (r *Reader) Missing() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.missing)
}

// Read reads the new events of streams up to now. State of streams not asked for is
// dropped.
func (r *Reader) Read(ctx context.Context, streams []Stream, now time.Time) Result {
	res := Result{Events: map[string][]Event{}}
	byName := make(map[string]Stream, len(streams))
	var names, rechecks []string
	r.mu.Lock()
	for _, s := range streams {
		byName[s.Name] = s
	}
	for k := range r.marks {
		if _, ok := byName[k]; !ok {
			delete(r.marks, k)
		}
	}
	for k := range r.ends {
		if _, ok := byName[k]; !ok {
			delete(r.ends, k)
		}
	}
	for k, at := range r.missing {
		if _, ok := byName[k]; !ok {
			delete(r.missing, k)
		} else if now.Sub(at) >= r.opts.RecheckMissing {
			delete(r.missing, k) // try again; found missing again, it is not reported again
			r.missing[k] = time.Time{}
		}
	}
	for _, s := range streams {
		switch at, gone := r.missing[s.Name]; {
		case !gone:
			names = append(names, s.Name)
		case at.IsZero():
			rechecks = append(rechecks, s.Name)
		}
	}
	r.mu.Unlock()
	sort.Strings(names)
	sort.Strings(rechecks)

	var batches [][]string
	for i := 0; i < len(names); i += MaxStreamsPerCall {
		batches = append(batches, names[i:min(i+MaxStreamsPerCall, len(names))])
	}
	// A stream found missing before is tried alone, so that it cannot fail a batch.
	for i := range rechecks {
		batches = append(batches, rechecks[i:i+1])
	}
	var mu sync.Mutex // guards res
	work := make(chan []string)
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, len(batches)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				r.readBatch(ctx, b, byName, now, &res, &mu)
			}
		}()
	}
	for _, b := range batches {
		work <- b
	}
	close(work)
	wg.Wait()
	return res
}

// readBatch reads one batch of streams; on a missing stream it splits the batch in two
// and reads each half, down to the single stream that is missing.
func (r *Reader) readBatch(ctx context.Context, names []string, byName map[string]Stream, now time.Time, res *Result, mu *sync.Mutex) {
	r.mu.Lock()
	floor := now.Add(-r.opts.MaxLookback).UnixMilli()
	start := int64(-1)
	for _, n := range names {
		from := now.Add(-r.opts.InitialLookback).UnixMilli()
		if m, ok := r.marks[n]; ok {
			from = m + 1
		}
		if e, ok := r.ends[n]; ok {
			// Read up to e already: only documents ingested late can be older than that.
			from = max(from, e-r.opts.Overlap.Milliseconds())
		}
		if start < 0 || from < start {
			start = from
		}
	}
	r.mu.Unlock()
	start = max(start, floor)
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(LogGroup), LogStreamNames: names,
		StartTime: aws.Int64(start), EndTime: aws.Int64(now.UnixMilli()),
	}
	for page := 0; page < r.opts.MaxPages; page++ {
		if err := r.limiter.Wait(ctx); err != nil {
			mu.Lock()
			res.Errs = append(res.Errs, err)
			mu.Unlock()
			return
		}
		out, err := r.api.FilterLogEvents(ctx, in)
		mu.Lock()
		res.Calls++
		mu.Unlock()
		if err != nil {
			var notFound *types.ResourceNotFoundException
			switch {
			case errors.As(err, &notFound) && len(names) == 1:
				r.markMissing(byName[names[0]], now, res, mu)
			case errors.As(err, &notFound):
				half := len(names) / 2
				r.readBatch(ctx, names[:half], byName, now, res, mu)
				r.readBatch(ctx, names[half:], byName, now, res, mu)
			default:
				mu.Lock()
				res.Errs = append(res.Errs, fmt.Errorf("FilterLogEvents %s for %d streams (%s...): %w", LogGroup, len(names), byName[names[0]].Instance, err))
				mu.Unlock()
			}
			return
		}
		r.take(names, out.Events, byName, res, mu)
		next := aws.ToString(out.NextToken)
		if next == "" || (in.NextToken != nil && next == *in.NextToken) {
			r.mu.Lock()
			for _, n := range names {
				r.ends[n] = *in.EndTime
			}
			r.mu.Unlock()
			return
		}
		in.NextToken = aws.String(next)
	}
}

// take keeps the events newer than their stream's mark and moves the marks.
func (r *Reader) take(names []string, events []types.FilteredLogEvent, byName map[string]Stream, res *Result, mu *sync.Mutex) {
	r.mu.Lock()
	for _, n := range names {
		if _, was := r.missing[n]; was {
			delete(r.missing, n) // it is back
		}
	}
	var kept []struct {
		stream string
		ev     Event
	}
	for i := range events {
		e := &events[i]
		name, ts := aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp)
		if _, ok := byName[name]; !ok {
			continue
		}
		if m, ok := r.marks[name]; ok && ts <= m {
			continue
		}
		r.marks[name] = ts
		kept = append(kept, struct {
			stream string
			ev     Event
		}{name, Event{Timestamp: time.UnixMilli(ts).UTC(), Message: aws.ToString(e.Message)}})
	}
	r.mu.Unlock()
	mu.Lock()
	for _, k := range kept {
		res.Events[k.stream] = append(res.Events[k.stream], k.ev)
	}
	mu.Unlock()
}

func (r *Reader) markMissing(s Stream, now time.Time, res *Result, mu *sync.Mutex) {
	r.mu.Lock()
	at, known := r.missing[s.Name]
	r.missing[s.Name] = now // its mark stays: if it comes back, nothing is returned twice
	r.mu.Unlock()
	if known && at.IsZero() {
		return // a recheck: still missing, already reported
	}
	mu.Lock()
	res.Problems = append(res.Problems, Problem{Stream: s, Err: ErrStreamMissing})
	mu.Unlock()
}

// Limiter is the rate limiter of the reader's calls (tests lift it).
func (r *Reader) Limiter() *rate.Limiter { return r.limiter }
