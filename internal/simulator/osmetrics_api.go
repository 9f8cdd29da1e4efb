package simulator

import (
	"container/heap"
	"fmt"
	"math"
	"strings"
	"time"
)

// FilterLogEvents and GetLogEvents on RDSOSMetrics. The rules are those of the other
// groups (see filterLogEvents and getLogEvents) plus two that matter for EM's large
// events: a response holds at most 1 MB of events (AWS: "up to 1 MB (up to 10,000 log
// events)"), and FilterLogEvents fails whole, with ResourceNotFoundException, when one of
// its logStreamNames does not exist.

const maxLogResponseBytes = 1 << 20

// emEventBytes is what an event costs in a response: its message and its fields.
func emEventBytes(e LogEvent) int { return len(e.Message) + 120 }

// emCursor is one stream's next slot in a FilterLogEvents scan.
type emCursor struct {
	st       *emStream
	slot, hi int64
}

type emHeap []*emCursor

func (h emHeap) Len() int { return len(h) }
func (h emHeap) Less(i, j int) bool {
	ti, tj := h[i].slot*h[i].st.interval, h[j].slot*h[j].st.interval
	return ti < tj || (ti == tj && h[i].st.name < h[j].st.name)
}
func (h emHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *emHeap) Push(x any)   { *h = append(*h, x.(*emCursor)) }
func (h *emHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// emSlots is the slots of st with startMs <= timestamp <= endMs (epoch ms) that are
// ingested by now.
func (s *Server) emSlots(st *emStream, startMs, endMs int64, now time.Time) (lo, hi int64) {
	step := st.interval * 1000
	lo = max(ceilDiv(startMs, step), st.first)
	hi = min(floorDiv(endMs, step), st.last, floorDiv(now.Add(-s.logLag-st.late).UnixMilli(), step))
	return lo, hi
}

func (s *Server) filterEM(req filterRequest, p map[string]any) (object, *apiError) {
	limit, startMs, endMs, hasEnd, prefix, rawNames := req.limit, req.startMs, req.endMs, req.hasEnd, req.prefix, req.rawNames
	if !hasEnd {
		endMs = math.MaxInt64 / 2
	}
	cat := s.current().em
	var streams []*emStream
	if len(rawNames) > 0 {
		seen := map[string]bool{}
		for _, v := range rawNames {
			n, _ := asString(v)
			st := cat.byName[n]
			if st == nil {
				return nil, errLogsNotFound("log stream")
			}
			if !seen[n] {
				seen[n] = true
				streams = append(streams, st)
			}
		}
	} else {
		for _, st := range cat.streams {
			if strings.HasPrefix(st.name, prefix) {
				streams = append(streams, st)
			}
		}
	}
	hash := hash64(fmt.Sprintf("%s|%q|%s|%d|%d|%v", EMLogGroup, rawNames, prefix, startMs, endMs, hasEnd))
	var after filterToken // Slot holds the timestamp (ms) of the last returned event
	if tok, _ := asString(p["nextToken"]); tok != "" {
		t, ok := decodeFilterToken(tok, hash)
		if !ok {
			return nil, errLogsInvalidParameter("The specified nextToken is invalid.")
		}
		after = t
	}
	now := s.now()
	h := make(emHeap, 0, len(streams))
	for _, st := range streams {
		lo, hi := s.emSlots(st, startMs, endMs, now)
		if after.Stream != "" {
			step := st.interval * 1000
			from := ceilDiv(after.Slot, step)
			if from*step == after.Slot && st.name <= after.Stream {
				from++
			}
			lo = max(lo, from)
		}
		if lo <= hi {
			h = append(h, &emCursor{st: st, slot: lo, hi: hi})
		}
	}
	heap.Init(&h)
	var (
		events []any
		size   int
		last   filterToken
		more   bool
	)
	for h.Len() > 0 {
		cur := h[0]
		e := s.emEvent(cur.st, cur.slot)
		if int64(len(events)) == limit || (len(events) > 0 && size+emEventBytes(e) > maxLogResponseBytes) {
			more = true
			break
		}
		events = append(events, logEventObject(e, true))
		size += emEventBytes(e)
		last = filterToken{Slot: e.Timestamp.UnixMilli(), Stream: cur.st.name, Hash: hash}
		if cur.slot++; cur.slot > cur.hi {
			heap.Pop(&h)
		} else {
			heap.Fix(&h, 0)
		}
	}
	s.counters.logEvents(int64(len(events)))
	out := object{{"events", list{item: "member", values: events}}}
	if more {
		out = out.add("nextToken", last.encode())
	}
	return out, nil
}

// getEM reads one RDSOSMetrics stream, with GetLogEvents' rules (see getLogEvents):
// startTime inclusive, endTime exclusive, newest page first unless startFromHead, tokens
// naming a slot of the stream.
func (s *Server) getEM(c *call, name string) (object, *apiError) {
	p := c.params
	st := s.current().em.byName[name]
	if st == nil {
		return nil, errLogsNotFound("log stream")
	}
	req, aerr := parseGetLogEvents(p)
	if aerr != nil {
		return nil, aerr
	}
	limit, startMs, endMs, head := req.limit, req.startMs, req.endMs, req.head
	if !req.hasEnd {
		endMs = math.MaxInt64 / 2
	}
	lo, hi := s.emSlots(st, startMs, endMs-1, s.now())
	// The page is the slots [a, b), cut at limit events or 1 MB.
	fits := func(a, b int64, forward bool) (int64, int64) {
		size := 0
		if forward {
			for x := a; x < b; x++ {
				if x-a == limit {
					return a, x
				}
				if size += emEventBytes(s.emEvent(st, x)); x > a && size > maxLogResponseBytes {
					return a, x
				}
			}
			return a, b
		}
		for x := b - 1; x >= a; x-- {
			if b-1-x == limit {
				return x + 1, b
			}
			if size += emEventBytes(s.emEvent(st, x)); x < b-1 && size > maxLogResponseBytes {
				return x + 1, b
			}
		}
		return a, b
	}
	var a, b int64
	tok, _ := asString(p["nextToken"])
	switch {
	case tok == "" && head:
		a, b = fits(lo, hi+1, true)
	case tok == "":
		a, b = fits(lo, hi+1, false)
	default:
		dir, slot, ok := parseStreamToken(tok)
		if !ok {
			return nil, errLogsInvalidParameter("The specified nextToken is invalid.")
		}
		if dir == 'f' {
			a, b = fits(max(slot, lo), hi+1, true)
			if b <= a {
				return object{{"events", list{item: "member"}}, {"nextForwardToken", tok}, {"nextBackwardToken", streamToken('b', slot)}}, nil
			}
		} else {
			a, b = fits(lo, min(slot, hi+1), false)
			if b <= a {
				return object{{"events", list{item: "member"}}, {"nextForwardToken", streamToken('f', slot)}, {"nextBackwardToken", tok}}, nil
			}
		}
	}
	events := make([]any, 0, max(b-a, 0))
	for slot := a; slot < b; slot++ {
		events = append(events, logEventObject(s.emEvent(st, slot), false))
	}
	s.counters.logEvents(int64(len(events)))
	if b < a {
		a, b = lo, lo
	}
	return object{
		{"events", list{item: "member", values: events}},
		{"nextForwardToken", streamToken('f', b)},
		{"nextBackwardToken", streamToken('b', a)},
	}, nil
}
