package awsrdsreceiver

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/collector/scraper/scrapererror"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

// storageHost is a collector host with one file_storage extension.
type storageHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h storageHost) GetExtensions() map[component.ID]component.Component { return h.exts }

var storageID = component.MustNewID("file_storage")

// durable runs collectors one after another against one simulator and one state
// directory, as a service that is killed and restarted would, and keeps a ledger of
// every point the pipeline took.
type durable struct {
	t       *testing.T
	sim     *simulator.Server
	clock   *fakeClock
	cfg     Config
	dir     string
	ext     extension.Extension
	scraper *rdsScraper
	logs    *observer.ObservedLogs

	delivered   map[point]int
	values      map[point]float64
	maxPerCycle int // most new points of one series in one scrape
}

func newDurable(t *testing.T, fleet simulator.Fleet, simCfg simulator.Config, modify func(*Config)) *durable {
	t.Helper()
	isolateAWS(t)
	clock := &fakeClock{now: t0}
	simCfg.Fleet, simCfg.Now = fleet, clock.Now
	if simCfg.CreatedAt.IsZero() {
		simCfg.CreatedAt = t0.Add(-6 * time.Hour)
	}
	sim := simulator.New(simCfg)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := createDefaultConfig().(*Config)
	cfg.Region = "us-east-1"
	cfg.Endpoints.RDS, cfg.Endpoints.CloudWatch, cfg.Endpoints.Logs = srv.URL, srv.URL, srv.URL
	cfg.CloudWatch.MaxBackoff = 10 * time.Millisecond
	cfg.CloudWatch.MaxAttempts = 2
	id := storageID
	cfg.Storage = &id
	if modify != nil {
		modify(cfg)
	}
	d := &durable{t: t, sim: sim, clock: clock, cfg: *cfg, dir: t.TempDir(), delivered: map[point]int{}, values: map[point]float64{}}
	t.Cleanup(func() { d.kill() })
	return d
}

// start starts a collector on the state directory.
func (d *durable) start() {
	t := d.t
	t.Helper()
	f := filestorage.NewFactory()
	fcfg := f.CreateDefaultConfig().(*filestorage.Config)
	fcfg.Directory = d.dir
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), fcfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	d.ext = ext
	cfg := d.cfg // a new *Config per process, as a restarted collector has
	settings := receivertest.NewNopSettings(metadata.Type)
	settings.ID = component.NewID(metadata.Type) // stable across restarts, as in a collector
	core, logs := observer.New(zap.InfoLevel)
	settings.Logger = zap.New(core)
	d.logs = logs
	d.scraper = newScraper(&cfg, settings, d.clock.Now)
	require.NoError(t, d.scraper.start(context.Background(), storageHost{componenttest.NewNopHost(), map[component.ID]component.Component{storageID: ext}}))
}

// kill stops the collector the way SIGKILL does: nothing is flushed or shut down, only
// the storage file is released (as the kernel does for a dead process; bbolt commits
// each write before it returns, so closing it writes nothing more).
func (d *durable) kill() {
	if d.scraper != nil && d.scraper.state != nil {
		require.NoError(d.t, d.scraper.state.close(context.Background()))
	}
	if d.ext != nil {
		require.NoError(d.t, d.ext.Shutdown(context.Background()))
		d.ext = nil
	}
	if d.scraper != nil {
		for _, r := range d.scraper.regions {
			r.fleet.close()
		}
		d.scraper = nil
	}
}

// stop shuts the collector down cleanly (a reload or systemctl stop).
func (d *durable) stop() {
	require.NoError(d.t, d.scraper.shutdown(context.Background()))
	d.scraper = nil
	require.NoError(d.t, d.ext.Shutdown(context.Background()))
	d.ext = nil
}

// scrape runs one scrape; the pipeline takes the output unless refuse is set.
func (d *durable) scrape(refuse error) pmetric.Metrics {
	t := d.t
	t.Helper()
	md, err := d.scraper.scrape(context.Background())
	if err != nil {
		require.True(t, scrapererror.IsPartialScrapeError(err), "%v", err)
	}
	d.scraper.delivered(context.Background(), refuse)
	if refuse == nil {
		d.take(md)
	}
	return md
}

// take records what the pipeline took, checking each value against the simulator.
func (d *durable) take(md pmetric.Metrics) {
	t := d.t
	perSeries := map[[2]string]int{}
	for p, v := range points(md) {
		d.delivered[p]++
		d.values[p] = v
		perSeries[[2]string{p.resource, p.metric}]++
		e, _ := catalog.ByName(p.metric)
		dim := "DBInstanceIdentifier"
		if e.Scope == catalog.ClusterScope {
			dim = "DBClusterIdentifier"
		}
		want, ok := d.sim.Value(dim, p.resource, e.CloudWatchName, "Average", p.ts, d.cfg.CloudWatch.Period)
		require.True(t, ok, "%v has no data in the simulator", p)
		require.InDelta(t, want*e.Scale, v, 1e-9, "%v", p)
	}
	for _, n := range perSeries {
		d.maxPerCycle = max(d.maxPerCycle, n)
	}
}

// every runs scrapes every interval until the clock reaches until.
func (d *durable) every(interval time.Duration, until time.Time) {
	for !d.clock.now.After(until) {
		d.scrape(nil)
		d.clock.Advance(interval)
	}
}

// check asserts that every point the simulator published for the series the receiver
// asks for, from first to the newest published period, arrived exactly once.
func (d *durable) check(first time.Time) (points int) {
	t := d.t
	t.Helper()
	for p, n := range d.delivered {
		assert.Equal(t, 1, n, "%v delivered %d times", p, n)
	}
	r := d.scraper.regions[0]
	newest := d.clock.now.Add(-d.sim.PublicationLag()).Add(-time.Minute).Truncate(time.Minute)
	missing := 0
	for i := range r.plan.series {
		k := r.plan.key(i)
		e := r.plan.selected(i).entry
		for ts := first; !ts.After(newest.Add(-time.Minute)); ts = ts.Add(time.Minute) {
			if _, ok := d.sim.Value(k.scope.Dimensions()[0], k.id, k.metric, "Average", ts, time.Minute); !ok {
				continue
			}
			points++
			if d.delivered[point{k.id, e.Name, ts}] == 0 {
				if missing < 5 {
					t.Errorf("%s %s at %v never delivered", k.id, e.Name, ts)
				}
				missing++
			}
		}
	}
	assert.Zero(t, missing, "points never delivered")
	return points
}

func TestEveryPointOnceAcrossRestarts(t *testing.T) {
	tests := []struct {
		name    string
		overlap time.Duration
		lag     time.Duration // the simulator's publication lag
		// run: the collector's life between t0 and the end of the check; it returns when
		// the points that must arrive start (zero: at the first window's start)
		run func(d *durable) time.Time
	}{
		{name: "kill, restart 20 s later", overlap: 5 * time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(10*time.Minute))
			d.clock.Advance(20 * time.Second)
			d.kill()
			d.start()
			return time.Time{}
		}},
		{name: "kill, restart 200 s later, overlap 1m", overlap: time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(10*time.Minute))
			d.kill()
			d.clock.Advance(200 * time.Second)
			d.start()
			return time.Time{}
		}},
		{name: "killed in the middle of a scrape: its output never reached the pipeline", overlap: 5 * time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(5*time.Minute))
			md, err := d.scraper.scrape(context.Background()) // no delivered: the process dies here
			require.NoError(t, err)
			require.Positive(t, md.DataPointCount())
			d.kill()
			d.clock.Advance(30 * time.Second)
			d.start()
			return time.Time{}
		}},
		{name: "the pipeline refuses a scrape: it is read again", overlap: 5 * time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(5*time.Minute))
			d.scrape(errors.New("exporter queue full"))
			d.clock.Advance(time.Minute)
			d.scrape(errors.New("exporter queue full"))
			d.clock.Advance(time.Minute)
			return time.Time{}
		}},
		{name: "stopped 30 minutes", overlap: 5 * time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(5*time.Minute))
			d.stop()
			d.clock.Advance(30 * time.Minute)
			d.start()
			return time.Time{}
		}},
		{name: "down 3 hours (max_lookback): caught up in bounded steps", overlap: 5 * time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(5*time.Minute))
			d.kill()
			// The newest point delivered is at 10:03; 3 hours later 10:04 is just in reach.
			d.clock.Advance(3*time.Hour - 4*time.Minute)
			d.start()
			return time.Time{}
		}},
		{name: "down 4 hours: the last 3 hours (max_lookback) are delivered", overlap: 5 * time.Minute, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(5*time.Minute))
			d.kill()
			d.clock.Advance(4 * time.Hour)
			d.start()
			return d.clock.now.Truncate(time.Minute).Add(-3 * time.Hour)
		}},
		{name: "publication later than overlap loses nothing", overlap: time.Minute, lag: 150 * time.Second, run: func(d *durable) time.Time {
			d.every(time.Minute, t0.Add(10*time.Minute))
			return time.Time{}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDurable(t, simulator.GenerateFleet(30, 5), simulator.Config{PublicationLag: tt.lag}, func(c *Config) {
				c.CloudWatch.Overlap = tt.overlap
			})
			d.start()
			from := tt.run(d)
			if from.IsZero() {
				from = t0.Truncate(time.Minute).Add(-time.Minute - tt.overlap)
			}
			// Run on until the collector has caught up, then a few more cycles.
			d.every(time.Minute, d.clock.now.Add(15*time.Minute))
			n := d.check(from)
			t.Logf("%d points expected and delivered once; at most %d new points of one series in one scrape", n, d.maxPerCycle)
			// A step, plus what a series that lags its region by up to two periods reads with it.
			bound := window.MaxStepPeriods + window.InStepLag
			assert.LessOrEqual(t, d.maxPerCycle, bound, "catch-up reads a bounded number of periods per series per scrape")
		})
	}
}

func TestStateEncodingRoundTrip(t *testing.T) {
	h := newHarness(t, simulator.GenerateFleet(50, 6), nil)
	for range 3 {
		_, err := h.scrape(t)
		require.NoError(t, err)
		h.clock.Advance(time.Minute)
	}
	r := h.scraper.regions[0]
	data := encodeState(r.win, r.plan, time.Minute)
	win, marks, err := decodeState(data, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, r.win.End.Unix(), win.End.Unix())
	require.Len(t, marks, r.plan.Len())
	for i := range r.plan.marks {
		assert.Equal(t, r.plan.marks[i].Newest(), marks[r.plan.key(i)].Newest(), "%v", r.plan.key(i))
	}
	t.Logf("%d series in %d bytes (%.1f bytes a series)", r.plan.Len(), len(data), float64(len(data))/float64(r.plan.Len()))

	_, _, err = decodeState(data, 5*time.Minute)
	assert.ErrorContains(t, err, "stored for cloudwatch.period 1m0s, configured 5m0s")
	for _, cut := range []int{0, 1, 5, len(data) / 2, len(data) - 1} {
		_, _, err = decodeState(data[:cut], time.Minute)
		assert.Error(t, err, "truncated at %d of %d", cut, len(data))
	}
	_, _, err = decodeState(append([]byte{9}, data[1:]...), time.Minute)
	assert.ErrorContains(t, err, "format version 9")
}

func TestStorageMustBeAStorageExtension(t *testing.T) {
	d := newDurable(t, simulator.GenerateFleet(2, 1), simulator.Config{}, nil)
	cfg := d.cfg
	s := newScraper(&cfg, receivertest.NewNopSettings(metadata.Type), d.clock.Now)
	err := s.start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, `storage: extension "file_storage" is not configured`)
	require.NoError(t, s.shutdown(context.Background()))
}

// Without a storage extension a restarted collector starts afresh: its first window
// reaches back collection_interval + overlap, so a quick restart delivers that window's
// points again and a long outage loses what was published before it. The README says so.
func TestWithoutStorageARestartRepeatsOrLoses(t *testing.T) {
	tests := []struct {
		name                    string
		outage                  time.Duration
		wantMissing, wantRepeat bool
	}{
		{"restart after 20 s repeats", 20 * time.Second, false, true},
		{"restart after 10 min loses", 10 * time.Minute, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDurable(t, simulator.GenerateFleet(5, 5), simulator.Config{}, func(c *Config) {
				c.Storage = nil
				c.CloudWatch.Overlap = 2 * time.Minute
			})
			d.start()
			d.every(time.Minute, t0.Add(5*time.Minute))
			d.kill()
			d.clock.Advance(tt.outage)
			d.start()
			d.every(time.Minute, d.clock.now.Add(5*time.Minute))
			repeated := 0
			for _, n := range d.delivered {
				if n > 1 {
					repeated++
				}
			}
			missing := 0
			r := d.scraper.regions[0]
			for i := range r.plan.series {
				k, e := r.plan.key(i), r.plan.selected(i).entry
				for ts := t0.Truncate(time.Minute); ts.Before(t0.Truncate(time.Minute).Add(9 * time.Minute)); ts = ts.Add(time.Minute) {
					if _, ok := d.sim.Value(k.scope.Dimensions()[0], k.id, k.metric, "Average", ts, time.Minute); ok && d.delivered[point{k.id, e.Name, ts}] == 0 {
						missing++
					}
				}
			}
			t.Logf("without storage: %d points lost, %d delivered twice", missing, repeated)
			assert.Equal(t, tt.wantMissing, missing > 0, "lost: %d", missing)
			assert.Equal(t, tt.wantRepeat, repeated > 0, "repeated: %d", repeated)
		})
	}
}

// A query that breaks its whole call, forever: its call-mates are split off in halves and
// soon current again, while it is read alone and backs off.
func TestACallThatFailsForeverHoldsBackOnlyItsBreaker(t *testing.T) {
	fleet := simulator.GenerateFleet(100, 4)
	d := newDurable(t, fleet, simulator.Config{}, func(c *Config) { c.Storage = nil })
	d.start()
	d.every(time.Minute, t0.Add(2*time.Minute))
	victim := fleet.Instances[7].Identifier
	victimPoints := func() int {
		n := 0
		for p := range d.delivered {
			if p.resource == victim {
				n++
			}
		}
		return n
	}
	before := victimPoints()
	d.sim.FailQueriesFor(victim)
	var callsLate []int64
	for cycle := range 30 {
		before := d.sim.Counters().Calls["GetMetricData"]
		md, err := d.scraper.scrape(context.Background())
		d.scraper.delivered(context.Background(), nil)
		d.take(md)
		if cycle < 10 {
			require.Error(t, err, "cycle %d: failed calls are reported", cycle)
		}
		callsLate = append(callsLate, d.sim.Counters().Calls["GetMetricData"]-before)
		d.clock.Advance(time.Minute)
	}
	// After the halvings, every other series is current: its newest point is the newest
	// published one.
	newest := map[[2]string]time.Time{}
	for p := range d.delivered {
		k := [2]string{p.resource, p.metric}
		if p.ts.After(newest[k]) {
			newest[k] = p.ts
		}
	}
	published := d.clock.now.Add(-time.Minute).Add(-d.sim.PublicationLag()).Truncate(time.Minute).Add(-2 * time.Minute)
	stale := 0
	for k, ts := range newest {
		if k[0] != victim && ts.Before(published) {
			stale++
		}
	}
	assert.Zero(t, stale, "series other than the victim's are current")
	assert.Equal(t, before, victimPoints(), "the victim's calls fail")
	t.Logf("GetMetricData calls per cycle: %v", callsLate)
	healthy := metricdataCalls(d)
	assert.LessOrEqual(t, callsLate[len(callsLate)-1], int64(healthy+1), "once isolated, the breaker costs at most one call")
}

func metricdataCalls(d *durable) int { return (d.scraper.regions[0].plan.Len() + 499) / 500 }
