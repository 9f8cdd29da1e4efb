package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func TestWindowsAreContiguous(t *testing.T) {
	tests := []struct {
		name       string
		delay      time.Duration
		overlap    time.Duration
		interval   time.Duration
		scrapes    []time.Duration // offsets from t0
		wantStarts []time.Duration
		wantEnds   []time.Duration
	}{
		{
			name: "one period per scrape, no overlap", interval: time.Minute,
			scrapes:    []time.Duration{30 * time.Second, 90 * time.Second, 150 * time.Second},
			wantStarts: []time.Duration{-time.Minute, 0, time.Minute},
			wantEnds:   []time.Duration{0, time.Minute, 2 * time.Minute},
		},
		{
			name: "overlap re-reads the end of the last window", interval: time.Minute, overlap: 5 * time.Minute,
			scrapes:    []time.Duration{30 * time.Second, 90 * time.Second},
			wantStarts: []time.Duration{-6 * time.Minute, -5 * time.Minute},
			wantEnds:   []time.Duration{0, time.Minute},
		},
		{
			name: "interval longer than period reads every period", interval: 5 * time.Minute,
			scrapes:    []time.Duration{10 * time.Second, 5*time.Minute + 10*time.Second},
			wantStarts: []time.Duration{-5 * time.Minute, 0},
			wantEnds:   []time.Duration{0, 5 * time.Minute},
		},
		{
			name: "delay holds back the newest periods", interval: time.Minute, delay: 2 * time.Minute,
			scrapes:    []time.Duration{30 * time.Second},
			wantStarts: []time.Duration{-3 * time.Minute},
			wantEnds:   []time.Duration{-2 * time.Minute},
		},
		{
			name: "an outage is bounded by max lookback", interval: time.Minute,
			scrapes:    []time.Duration{0, 10 * time.Hour},
			wantStarts: []time.Duration{-time.Minute, 7 * time.Hour},
			wantEnds:   []time.Duration{0, 10 * time.Hour},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := New(time.Minute, tt.delay, tt.overlap, 3*time.Hour)
			for i, at := range tt.scrapes {
				start, end, ok := w.Next(t0.Add(at), tt.interval)
				assert.True(t, ok)
				assert.Equal(t, t0.Add(tt.wantStarts[i]), start, "start of scrape %d", i)
				assert.Equal(t, t0.Add(tt.wantEnds[i]), end, "end of scrape %d", i)
				w.Advance(end)
			}
		})
	}
}

func TestWindowNotAdvancedIsReadAgain(t *testing.T) {
	w := New(time.Minute, 0, 0, time.Hour)
	_, end1, _ := w.Next(t0, time.Minute)
	w.Advance(end1)
	start2, end2, _ := w.Next(t0.Add(time.Minute), time.Minute)
	// A failed cycle does not advance; the next one starts where the last good one ended.
	start3, _, _ := w.Next(t0.Add(2*time.Minute), time.Minute)
	assert.Equal(t, end1, start2)
	assert.Equal(t, end1, start3)
	assert.True(t, end2.After(start2))
}

func TestNothingToReadWithinOnePeriod(t *testing.T) {
	w := New(time.Minute, 0, 0, time.Hour)
	_, end, _ := w.Next(t0, time.Minute)
	w.Advance(end)
	_, _, ok := w.Next(t0.Add(10*time.Second), time.Minute)
	assert.False(t, ok)
}

func TestMarkAdmitsOnlyNewerPoints(t *testing.T) {
	var m Mark
	seq := []struct {
		at   time.Duration
		want bool
	}{{0, true}, {time.Minute, true}, {time.Minute, false}, {0, false}, {2 * time.Minute, true}}
	for i, s := range seq {
		assert.Equal(t, s.want, m.Admit(t0.Add(s.at)), "point %d", i)
	}
}
