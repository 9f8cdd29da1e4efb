package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func rules() Rules {
	return Rules{Period: time.Minute, Overlap: 5 * time.Minute, MaxLookback: 3 * time.Hour, Step: 30 * time.Minute}
}

func TestBegin(t *testing.T) {
	tests := []struct {
		name      string
		rules     Rules
		end       time.Time // the region's stored end
		now       time.Time
		interval  time.Duration
		wantStart time.Time
		wantEnd   time.Time
	}{
		{"first cycle anchors one interval and overlap back", rules(), time.Time{}, t0.Add(30 * time.Second), time.Minute, t0.Add(-6 * time.Minute), t0},
		{"first cycle, longer interval", rules(), time.Time{}, t0.Add(30 * time.Second), 5 * time.Minute, t0.Add(-10 * time.Minute), t0},
		{"continues where the last ended", rules(), t0, t0.Add(90 * time.Second), time.Minute, t0, t0.Add(time.Minute)},
		{"delay holds back the newest periods", Rules{Period: time.Minute, Delay: 2 * time.Minute, MaxLookback: time.Hour, Step: time.Hour}, t0, t0.Add(3*time.Minute + 10*time.Second), time.Minute, t0, t0.Add(time.Minute)},
		{"catching up advances one step", rules(), t0, t0.Add(2 * time.Hour), time.Minute, t0, t0.Add(30 * time.Minute)},
		{"an end older than max_lookback is clamped", rules(), t0, t0.Add(5 * time.Hour), time.Minute, t0.Add(2 * time.Hour), t0.Add(2*time.Hour + 30*time.Minute)},
		{"a 5-minute period aligns to it", Rules{Period: 5 * time.Minute, Delay: 5 * time.Minute, Overlap: 5 * time.Minute, MaxLookback: 3 * time.Hour, Step: 150 * time.Minute}, time.Time{}, t0.Add(12 * time.Minute), 5 * time.Minute, t0.Add(-5 * time.Minute), t0.Add(5 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := Region{End: tt.end}
			c := tt.rules.Begin(&reg, tt.now, tt.interval)
			assert.Equal(t, tt.wantStart, c.Start, "start")
			assert.Equal(t, tt.wantEnd, c.End, "end")
			reg.Finish(c)
			assert.Equal(t, tt.wantEnd, reg.End)
		})
	}
}

func TestWindowFollowsEachSeries(t *testing.T) {
	r := rules()
	c := Cycle{Horizon: t0.Add(time.Hour), Start: t0.Add(59 * time.Minute), End: t0.Add(time.Hour)}
	tests := []struct {
		name      string
		mark      Mark
		wantStart time.Time
		wantClass Class
	}{
		{"a series new after the first cycle starts overlap before it, behind", Mark{}, t0.Add(54 * time.Minute), Behind},
		{"right after its newest point", MarkAt(t0.Add(58 * time.Minute)), t0.Add(59 * time.Minute), InStep},
		{"late by two periods: still in step", MarkAt(t0.Add(56 * time.Minute)), t0.Add(57 * time.Minute), InStep},
		{"later than that: behind", MarkAt(t0.Add(55 * time.Minute)), t0.Add(56 * time.Minute), Behind},
		{"never before max_lookback", MarkAt(t0.Add(-5 * time.Hour)), t0.Add(-2 * time.Hour), Behind},
		{"nothing left to read", MarkAt(t0.Add(59 * time.Minute)), t0.Add(time.Hour), Skip},
		{"backing off", Mark{newest: t0.Unix(), fails: 2, skip: 1}, time.Time{}, Skip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.mark
			start, class := r.Window(&m, c)
			assert.Equal(t, tt.wantClass, class)
			if tt.wantClass != Skip || !tt.wantStart.IsZero() {
				assert.Equal(t, tt.wantStart, start)
			}
			assert.True(t, m.Set(), "the mark is anchored")
		})
	}
	// In a region's first cycle every new series starts with the region's window.
	reg := Region{}
	first := r.Begin(&reg, t0.Add(30*time.Second), time.Minute)
	var m Mark
	start, class := r.Window(&m, first)
	assert.Equal(t, InStep, class)
	assert.Equal(t, first.Start, start)
}

func TestFinal(t *testing.T) {
	five := Rules{Period: 5 * time.Minute, Delay: 5 * time.Minute}
	c := Cycle{Horizon: t0.Add(time.Hour)}
	tests := []struct {
		name  string
		rules Rules
		ts    time.Time
		later bool
		want  bool
	}{
		{"a 1-minute point is whole", rules(), t0.Add(59 * time.Minute), false, true},
		{"a 5-minute point with a later one is complete", five, t0.Add(55 * time.Minute), true, true},
		{"the newest 5-minute point may still grow", five, t0.Add(55 * time.Minute), false, false},
		{"the newest one a whole period past the horizon is final", five, t0.Add(50 * time.Minute), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.rules.Final(tt.ts, tt.later, c))
		})
	}
}

func TestSilentSeriesAdvanceOnlyAsFarAsTheirRegionPublished(t *testing.T) {
	r := rules()
	tests := []struct {
		name     string
		newest   time.Time
		end      time.Time
		frontier time.Time
		want     time.Time
	}{
		{"up to the frontier minus overlap", t0, t0.Add(time.Hour), t0.Add(50 * time.Minute), t0.Add(44 * time.Minute)},
		{"no further than the read", t0, t0.Add(20 * time.Minute), t0.Add(50 * time.Minute), t0.Add(19 * time.Minute)},
		{"never backwards", t0.Add(48 * time.Minute), t0.Add(time.Hour), t0.Add(50 * time.Minute), t0.Add(48 * time.Minute)},
		{"no frontier, no advance", t0, t0.Add(time.Hour), time.Time{}, t0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := MarkAt(tt.newest)
			r.Silent(&m, tt.end, tt.frontier)
			assert.Equal(t, tt.want, m.Newest())
		})
	}
}

func TestFailingSeriesBackOff(t *testing.T) {
	r := rules()
	m := MarkAt(t0)
	c := Cycle{Horizon: t0.Add(time.Hour), Start: t0.Add(59 * time.Minute), End: t0.Add(time.Hour)}
	var read []int
	firsts := 0
	for cycle := range 40 {
		if _, class := r.Window(&m, c); class == Skip {
			continue
		}
		read = append(read, cycle)
		if m.Fail() {
			firsts++
		}
	}
	assert.Equal(t, 1, firsts, "a failing series is worth one log line")
	assert.Equal(t, []int{0, 1, 3, 7, 15, 31}, read, "skips 0, 1, 3, 7, 15, then at most 15 cycles")
	assert.True(t, m.Succeed(), "recovery is reported")
	assert.False(t, m.Failing())
	_, class := r.Window(&m, c)
	assert.NotEqual(t, Skip, class, "a recovered series is read every cycle")
	assert.Equal(t, t0, m.Newest(), "failures never move the series' window")
}

func TestAdmitDropsWhatWasDelivered(t *testing.T) {
	m := MarkAt(t0)
	assert.False(t, m.Admit(t0))
	assert.False(t, m.Admit(t0.Add(-time.Minute)))
	assert.True(t, m.Admit(t0.Add(time.Minute)))
	assert.False(t, m.Admit(t0.Add(time.Minute)))
}

func TestStepBoundsTheCatchUpPoints(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		series   int
		want     time.Duration
	}{
		{"a small fleet takes the longest step", time.Minute, 2000, 30 * time.Minute},
		{"5,000 instances: about a million points a cycle", time.Minute, 106_000, 9 * time.Minute},
		{"never below the least step", time.Minute, 10_000_000, 3 * time.Minute},
		{"never below one interval and a period", 10 * time.Minute, 10_000_000, 11 * time.Minute},
		{"no series yet", time.Minute, 0, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, StepFor(time.Minute, tt.interval, tt.series))
		})
	}
}
