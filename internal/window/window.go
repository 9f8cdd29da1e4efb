// Package window decides which time range each collection cycle asks CloudWatch for, and
// which returned points are new. Windows are contiguous across cycles (each starts where
// the last ended) and re-read a short overlap, so late-published points are picked up; a
// per-series high-water mark drops what was already emitted. Together: no gaps, no duplicates.
package window

import "time"

// Windows tracks the end of the last window that was read completely.
type Windows struct {
	period      time.Duration
	delay       time.Duration
	overlap     time.Duration
	maxLookback time.Duration
	lastEnd     time.Time
}

// New returns Windows for CloudWatch periods of period. delay holds back the newest
// periods, overlap re-reads the end of the previous window and maxLookback bounds how far
// back a window may start after an outage.
func New(period, delay, overlap, maxLookback time.Duration) *Windows {
	return &Windows{period: period, delay: delay, overlap: overlap, maxLookback: maxLookback}
}

// Next returns the window [start, end) to read at now. end is aligned to the period so
// that only complete periods are asked for; ok is false when there is nothing to read.
func (w *Windows) Next(now time.Time, interval time.Duration) (start, end time.Time, ok bool) {
	end = now.Add(-w.delay).Truncate(w.period)
	if w.lastEnd.IsZero() {
		start = end.Add(-max(interval, w.period) - w.overlap)
	} else {
		start = w.lastEnd.Add(-w.overlap)
	}
	if limit := end.Add(-w.maxLookback); start.Before(limit) {
		start = limit
	}
	return start, end, start.Before(end)
}

// Advance records that the window ending at end was read completely. After a partial
// failure the caller does not advance, so the next window re-reads what failed.
func (w *Windows) Advance(end time.Time) {
	if end.After(w.lastEnd) {
		w.lastEnd = end
	}
}

// Mark is one series' high-water mark: the timestamp of the newest point emitted.
type Mark struct{ newest int64 }

// Admit reports whether a point at ts is newer than every point emitted for the series,
// and if so records it. Points must be offered oldest first.
func (m *Mark) Admit(ts time.Time) bool {
	n := ts.UnixNano()
	if n <= m.newest {
		return false
	}
	m.newest = n
	return true
}
