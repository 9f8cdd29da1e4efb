// Package rdsevents reads RDS events (DescribeEvents) exactly once: a cursor remembers the
// newest event time read and which events at and shortly before it were delivered, so that
// an overlapping re-read neither repeats nor loses an event, and it can be stored to survive
// a restart.
package rdsevents

import (
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// API is the part of the RDS client the reader uses; *rds.Client implements it.
type API interface {
	DescribeEvents(context.Context, *rds.DescribeEventsInput, ...func(*rds.Options)) (*rds.DescribeEventsOutput, error)
}

// Retention is how long RDS keeps events ("the past 14 days", DescribeEvents).
const Retention = 14 * 24 * time.Hour

const (
	maxRecords = 100 // DescribeEvents' largest page
	// maxPages bounds one read; what is left is read on the next poll, the cursor
	// having moved only as far as what was returned.
	maxPages = 50
)

// Event is one RDS event.
type Event struct {
	Time       time.Time
	SourceType string // db-instance, db-cluster, db-parameter-group, ...
	SourceID   string
	SourceARN  string
	Categories []string
	Message    string
}

// key identifies an event: DescribeEvents gives events no id.
func (e *Event) key() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%s", e.SourceType, e.SourceID, e.Time.UnixNano(), strings.Join(e.Categories, ","), e.Message)
	return h.Sum64()
}

// Cursor is what has been delivered: every event before Since's read started, and the keys
// of the events of the last Overlap before the newest one (Seen, with their times).
type Cursor struct {
	Since time.Time // where the next read starts, before the overlap; zero: never read
	Seen  map[uint64]time.Time
}

// Options tune a Reader.
type Options struct {
	// InitialLookback is how far back the first read reaches (without a stored cursor).
	InitialLookback time.Duration
	// Overlap re-reads the end of the previous read, for an event that becomes visible
	// with an earlier time than one already read.
	Overlap time.Duration
}

// Reader reads the events of one region. Not safe for concurrent use.
type Reader struct {
	api  API
	opts Options
	cur  Cursor
}

// NewReader returns a reader starting from cursor (the zero Cursor: a first read).
func NewReader(api API, opts Options, cursor Cursor) *Reader {
	return &Reader{api: api, opts: opts, cur: cursor}
}

// Cursor is the committed cursor.
func (r *Reader) Cursor() Cursor { return r.cur }

// Commit makes next (from Read) the cursor, once its events were delivered.
func (r *Reader) Commit(next Cursor) { r.cur = next }

// Read returns the events not yet committed, oldest first, and the cursor that follows
// them; nothing moves until Commit. On error it returns what the pages read so far held,
// with the cursor that follows them.
func (r *Reader) Read(ctx context.Context, now time.Time) ([]Event, Cursor, error) {
	since, start := r.cur.Since, r.cur.Since.Add(-r.opts.Overlap)
	if since.IsZero() { // a first read reaches exactly InitialLookback back
		since = now.Add(-r.opts.InitialLookback)
		start = since
	}
	if oldest := now.Add(-Retention + time.Minute); start.Before(oldest) {
		start = oldest
	}
	// StartTime is sent in whole seconds by the query protocol: round down, never lose.
	in := &rds.DescribeEventsInput{StartTime: aws.Time(start.Truncate(time.Second)), EndTime: aws.Time(now), MaxRecords: aws.Int32(maxRecords)}
	next := Cursor{Since: since, Seen: map[uint64]time.Time{}}
	for k, t := range r.cur.Seen {
		next.Seen[k] = t
	}
	var out []Event
	p := rds.NewDescribeEventsPaginator(r.api, in)
	var err error
	for pages := 0; p.HasMorePages() && pages < maxPages; pages++ {
		var page *rds.DescribeEventsOutput
		page, err = p.NextPage(ctx)
		if err != nil {
			err = fmt.Errorf("DescribeEvents: %w", err)
			break
		}
		for i := range page.Events {
			e := eventFrom(&page.Events[i])
			k := e.key()
			if _, seen := next.Seen[k]; seen || e.Time.Before(start) {
				continue
			}
			next.Seen[k] = e.Time
			if e.Time.After(next.Since) {
				next.Since = e.Time
			}
			out = append(out, e)
		}
	}
	// Keep the keys an overlapping re-read can meet again.
	for k, t := range next.Seen {
		if t.Before(next.Since.Add(-r.opts.Overlap - time.Second)) {
			delete(next.Seen, k)
		}
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return out, next, err
}

func eventFrom(e *types.Event) Event {
	return Event{
		Time:       aws.ToTime(e.Date),
		SourceType: string(e.SourceType),
		SourceID:   aws.ToString(e.SourceIdentifier),
		SourceARN:  aws.ToString(e.SourceArn),
		Categories: e.EventCategories,
		Message:    aws.ToString(e.Message),
	}
}
