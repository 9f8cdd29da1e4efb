package rdslogs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/time/rate"
)

// API is the part of the CloudWatch Logs client the reader uses; *cloudwatchlogs.Client implements it.
type API interface {
	FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

// Options shape the reads.
type Options struct {
	// RequestsPerSecond is the client-side rate limit of FilterLogEvents calls (the
	// account's quota is 5 per second per region, shared with every other client).
	RequestsPerSecond float64
	// Concurrency is the number of calls in flight at most.
	Concurrency int
	// InitialLookback is how far back the first read of a group reaches.
	InitialLookback time.Duration
	// Overlap re-reads the end of the previous window, for events ingested late; events
	// already delivered are recognised by their ID and skipped.
	Overlap time.Duration
	// MaxPages bounds the FilterLogEvents pages read per group and read (each up to
	// 10,000 events); the rest is read next time.
	MaxPages int
}

// Event is one log event.
type Event struct {
	Timestamp time.Time
	Ingested  time.Time
	Stream    string
	Message   string
}

// Result is what one read found in one group. Events are new (never returned before)
// and in timestamp order; Err is set when a call failed, after the events read before it.
type Result struct {
	Group  Group
	Events []Event
	Err    error
}

// Reader reads groups incrementally and keeps, per group, where the next read starts and
// the IDs of the events in the overlap. State of groups no longer asked for is dropped.
type Reader struct {
	api     API
	opts    Options
	limiter *rate.Limiter

	mu     sync.Mutex
	groups map[string]*groupState
}

type groupState struct {
	from int64            // epoch ms the next read starts at
	seen map[string]int64 // event ID -> timestamp (ms), for events at or after from
}

// NewReader returns a Reader; zero options get the defaults in their comments' spirit.
func NewReader(api API, o Options) *Reader {
	if o.RequestsPerSecond <= 0 {
		o.RequestsPerSecond = 5
	}
	o.Concurrency = max(1, o.Concurrency)
	if o.MaxPages <= 0 {
		o.MaxPages = 10
	}
	return &Reader{api: api, opts: o, limiter: rate.NewLimiter(rate.Limit(o.RequestsPerSecond), max(1, int(o.RequestsPerSecond))), groups: map[string]*groupState{}}
}

// Read reads every group up to now and returns one Result per group, in the groups' order.
func (r *Reader) Read(ctx context.Context, groups []Group, now time.Time) []Result {
	states := r.retain(groups, now)
	results := make([]Result, len(groups))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, len(groups)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				results[i] = r.readGroup(ctx, groups[i], states[i], now)
			}
		}()
	}
	for i := range groups {
		work <- i
	}
	close(work)
	wg.Wait()
	return results
}

// retain returns the state of each group (new groups start at now - InitialLookback) and
// drops the state of groups that are gone.
func (r *Reader) retain(groups []Group, now time.Time) []*groupState {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := make(map[string]*groupState, len(groups))
	states := make([]*groupState, len(groups))
	for i, g := range groups {
		st := r.groups[g.Name]
		if st == nil {
			st = &groupState{from: now.Add(-r.opts.InitialLookback).UnixMilli(), seen: map[string]int64{}}
		}
		keep[g.Name], states[i] = st, st
	}
	r.groups = keep
	return states
}

// Tracked is the number of groups with state (for tests of state cleanup).
func (r *Reader) Tracked() (groups, eventIDs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.groups {
		eventIDs += len(st.seen)
	}
	return len(r.groups), eventIDs
}

// readGroup pages through [from, now] (FilterLogEvents bounds are inclusive and results
// come in timestamp order), keeps what was not seen, and moves from forward.
func (r *Reader) readGroup(ctx context.Context, g Group, st *groupState, now time.Time) Result {
	res := Result{Group: g}
	end := now.UnixMilli()
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(g.Name), StartTime: aws.Int64(st.from), EndTime: aws.Int64(end)}
	reached := st.from // events up to here were all read
	complete := false
	for page := 0; page < r.opts.MaxPages; page++ {
		if err := r.limiter.Wait(ctx); err != nil {
			res.Err = err
			break
		}
		out, err := r.api.FilterLogEvents(ctx, in)
		if err != nil {
			var notFound *types.ResourceNotFoundException
			if errors.As(err, &notFound) {
				// RDS creates the group with the first event: nothing to read yet.
				complete = true
			} else {
				res.Err = fmt.Errorf("FilterLogEvents %s: %w", g.Name, err)
			}
			break
		}
		for i := range out.Events {
			e := &out.Events[i]
			ts, id := aws.ToInt64(e.Timestamp), aws.ToString(e.EventId)
			reached = max(reached, ts)
			if _, dup := st.seen[id]; dup {
				continue
			}
			st.seen[id] = ts
			res.Events = append(res.Events, Event{
				Timestamp: time.UnixMilli(ts), Ingested: time.UnixMilli(aws.ToInt64(e.IngestionTime)),
				Stream: aws.ToString(e.LogStreamName), Message: aws.ToString(e.Message),
			})
		}
		next := aws.ToString(out.NextToken)
		if next == "" || (in.NextToken != nil && next == *in.NextToken) {
			complete = true
			break
		}
		in.NextToken = aws.String(next)
	}
	if complete {
		// The next read starts an overlap before this one's end, for late ingestion.
		st.from = max(st.from, end-r.opts.Overlap.Milliseconds())
	} else {
		// Cut short (page bound or error): go on from the newest event read, so a
		// burst larger than the overlap still makes progress.
		st.from = max(st.from, reached)
	}
	for id, ts := range st.seen {
		if ts < st.from {
			delete(st.seen, id)
		}
	}
	return res
}
