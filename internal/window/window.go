// Package window decides which time range each CloudWatch series is read for in a
// collection cycle, and which returned points are final and new. Every series has its own
// window, which starts right after its newest delivered point: late publication can delay
// a point, never lose it, and a series that fails is held back alone while the rest of its
// region advances. A region's window end advances by a bounded step per cycle, so that
// catching up after an outage reads a bounded number of periods per series per cycle.
package window

import (
	"time"
)

// Rules are the time rules of one receiver's CloudWatch reads.
type Rules struct {
	// Period is the CloudWatch aggregation period of every point.
	Period time.Duration
	// Delay holds back the newest periods: a cycle reads periods that end by now - Delay.
	Delay time.Duration
	// Overlap is how much later than the rest of its region a silent series may still
	// publish a point, and how far back a new series' first window reaches.
	Overlap time.Duration
	// MaxLookback bounds how far back any window starts.
	MaxLookback time.Duration
	// Step bounds how far a region's window end advances in one cycle (catch-up pacing).
	Step time.Duration
}

// StepFor is how far a region of the given number of series may advance in one cycle.
// Catching up, each series reads up to a step of periods, and the cycle's points live in
// memory until the pipeline takes them: the step is MaxStepPeriods, cut down so that the
// region reads about CatchUpPoints points at most, but never below MinStepPeriods nor
// below one interval and a period, so that a region that is behind always catches up.
func StepFor(period, interval time.Duration, series int) time.Duration {
	periods := MaxStepPeriods
	if series > 0 {
		periods = min(periods, max(MinStepPeriods, CatchUpPoints/series))
	}
	return max(time.Duration(periods)*period, interval+period)
}

const (
	// MaxStepPeriods is the most periods a region's window advances per cycle.
	MaxStepPeriods = 30
	// MinStepPeriods is the least, whatever the number of series.
	MinStepPeriods = 3
	// CatchUpPoints is about the most points a cycle of a catching-up region reads
	// (about 200 MB of pdata).
	CatchUpPoints = 1_000_000
)

// Horizon is the end of the newest period that may be read at now.
func (r Rules) Horizon(now time.Time) time.Time {
	return now.Add(-r.Delay).Truncate(r.Period)
}

// Region is one region's durable window state.
type Region struct {
	// End is where the region's last cycle read up to: the next cycle continues from it.
	// Zero until the first cycle.
	End time.Time
}

// Cycle is one region's reads in one collection cycle.
type Cycle struct {
	Horizon time.Time // the newest period end that may be read
	Start   time.Time // the region's previous End: where series in step start
	End     time.Time // this cycle's window end: min(Horizon, Start + Step)
	fresh   bool      // the region's first cycle
}

// Begin starts a cycle at now. A region without state anchors its first window one
// interval (at least one period) and Overlap back.
func (r Rules) Begin(reg *Region, now time.Time, interval time.Duration) Cycle {
	h := r.Horizon(now)
	fresh := reg.End.IsZero() || reg.End.After(h)
	if fresh {
		reg.End = h.Add(-max(interval, r.Period) - r.Overlap)
	}
	if limit := h.Add(-r.MaxLookback); reg.End.Before(limit) {
		reg.End = limit
	}
	c := Cycle{Horizon: h, Start: reg.End, End: reg.End.Add(r.Step), fresh: fresh}
	if c.End.After(h) {
		c.End = h
	}
	return c
}

// Finish records that the cycle was read: the region's next cycle continues from its
// end. Series that failed keep their own marks and are read again.
func (reg *Region) Finish(c Cycle) { reg.End = c.End }

// Mark is one series' state: the newest point delivered, or for a series that has none
// yet the point before its window's anchor, and its failure back-off.
type Mark struct {
	newest int64 // Unix seconds; 0 = unset
	fails  uint8 // consecutive failed reads
	skip   uint8 // cycles still to skip
}

// NewMark is the mark of a series with no delivered point: its first window starts at start.
func (r Rules) NewMark(start time.Time) Mark { return Mark{newest: start.Add(-r.Period).Unix()} }

// MarkAt is the mark of a series whose newest delivered point is at newest.
func MarkAt(newest time.Time) Mark { return Mark{newest: newest.Unix()} }

// Newest is the time of the series' newest delivered point (or its anchor's period before).
func (m Mark) Newest() time.Time { return time.Unix(m.newest, 0).UTC() }

// Set reports whether the mark was initialised.
func (m Mark) Set() bool { return m.newest != 0 }

// InStepLag is how many periods a series may lag its region's window and still be read
// in the region's calls: CloudWatch publishes 1 to 3 minutes late, so series that lag
// that much are the norm. A call's range starts at the oldest start of its series, so
// this also bounds what the others re-read.
const InStepLag = 2

// Class says how a series is read in a cycle.
type Class uint8

const (
	// Skip: nothing to read (backing off, or already read to the cycle's end).
	Skip Class = iota
	// InStep: the series starts within InStepLag of the region's window and is read
	// with the region's calls, in plan order.
	InStep
	// Behind: the series lags its region (failed, backed off, silent) and is read in
	// batches of its own, sorted by start.
	Behind
)

// Window returns where the series' read starts in cycle c and how it is read. A series in
// back-off consumes one skipped cycle. A new series' mark is anchored at the start of
// the region's first window, or Overlap before the cycle for a series that appears later
// (a new instance may have published before discovery saw it).
func (r Rules) Window(m *Mark, c Cycle) (time.Time, Class) {
	if !m.Set() {
		anchor := c.Start
		if !c.fresh {
			anchor = anchor.Add(-r.Overlap)
		}
		*m = r.NewMark(anchor)
	}
	if m.skip > 0 {
		m.skip--
		return time.Time{}, Skip
	}
	start := m.Newest().Add(r.Period)
	if limit := c.Horizon.Add(-r.MaxLookback); start.Before(limit) {
		start = limit
	}
	switch {
	case !start.Before(c.End):
		return start, Skip
	case m.fails == 0 && !start.Before(c.Start.Add(-InStepLag*r.Period)):
		return start, InStep
	}
	return start, Behind
}

// Final reports whether the point of the period starting at ts, read in cycle c, is final.
// A 1-minute point is published whole. A longer period's aggregate grows until its last
// minute is published, and CloudWatch publishes a series' minutes in order: so it is final
// once the series has a point in a later period (later), or once a whole period has passed
// the horizon since it ended (validation makes Delay at least one period for these).
func (r Rules) Final(ts time.Time, later bool, c Cycle) bool {
	if r.Period <= time.Minute || later {
		return true
	}
	return !ts.Add(2 * r.Period).After(c.Horizon)
}

// Admit reports whether a point at ts is newer than every point delivered for the series,
// and if so records it. Points must be offered oldest first.
func (m *Mark) Admit(ts time.Time) bool {
	n := ts.Unix()
	if n <= m.newest {
		return false
	}
	m.newest = n
	return true
}

// Silent records a read of [start, end) that returned no point at all. The series
// advances through the silence only as far as the rest of its region has published
// (frontier, the newest point seen in the region this cycle) minus Overlap: a point that
// comes later than that relative to its neighbours is the only kind that can be missed.
func (r Rules) Silent(m *Mark, end, frontier time.Time) {
	if frontier.IsZero() {
		return
	}
	to := frontier.Add(-r.Overlap)
	if end.Before(to) {
		to = end
	}
	if n := to.Add(-r.Period).Unix(); n > m.newest {
		m.newest = n
	}
}

// MaxSkip caps a failing series' back-off, in cycles.
const MaxSkip = 16

// Fail records a read that CloudWatch rejected for this query alone and returns whether
// it is the series' first failure in a row (the one worth a log line). The series then
// skips 0, 1, 3, 7, ... cycles, at most MaxSkip - 1.
func (m *Mark) Fail() (first bool) {
	if m.fails < 255 {
		m.fails++
	}
	m.skip = backOff(m.fails)
	return m.fails == 1
}

func backOff(fails uint8) uint8 { return uint8(min(MaxSkip, 1<<min(fails-1, 7)) - 1) }

// halvings is how many times a failed call's series are split before a series that still
// fails is taken to fail alone: 500 >> 9 = 1.
const halvings = 9

// FailCall records a call that failed as a whole. Its series are read again next cycle in
// calls half as large each time, so that one query that breaks its call is soon read
// alone; only then does it back off, and the others are back in step.
func (m *Mark) FailCall() {
	if m.fails < 255 {
		m.fails++
	}
	if m.fails > halvings {
		m.skip = backOff(m.fails - halvings)
	}
}

// CallSize is the most queries the series may share a call with, of at most limit: halved
// for each failure in a row.
func (m Mark) CallSize(limit int) int { return max(1, limit>>min(m.fails, halvings)) }

// Succeed records a successful read and returns whether the series was failing before.
func (m *Mark) Succeed() (recovered bool) {
	recovered = m.fails > 0
	m.fails, m.skip = 0, 0
	return recovered
}

// Failing reports whether the series' last read failed.
func (m Mark) Failing() bool { return m.fails > 0 }
