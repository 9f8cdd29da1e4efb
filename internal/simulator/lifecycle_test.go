package simulator_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func TestPublishesMetrics(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"available", true},
		{"backing-up", true},
		{"modifying", true},
		{"rebooting", true},
		{"storage-full", true},
		{"incompatible-parameters", true}, // "Billed": the host runs
		{"stopped", false},
		{"stopping", false},
		{"starting", false},
		{"creating", false},
		{"deleting", false},
		{"failed", false},
		{"inaccessible-encryption-credentials", false},
		{"inaccessible-encryption-credentials-recoverable", false},
		{"incompatible-network", false},
		{"incompatible-restore", false},
		{"insufficient-capacity", false},
		{"Available", false}, // statuses are lowercase: unknown
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			assert.Equal(t, tt.want, simulator.PublishesMetrics(tt.status))
			assert.Equal(t, tt.status != "Available" && tt.status != "", simulator.KnownStatus(tt.status))
		})
	}
	all := simulator.InstanceStatuses()
	assert.Len(t, all, 33, "the statuses of the RDS User Guide table")
	for _, st := range all {
		assert.True(t, simulator.KnownStatus(st), st)
	}
}

// minutes lists the minute timestamps [from, to] one apart.
func minutes(from, to time.Time) []time.Time {
	var out []time.Time
	for ts := from; !ts.After(to); ts = ts.Add(time.Minute) {
		out = append(out, ts)
	}
	return out
}

func getAscending(t *testing.T, s *sim, proto string, x q, start, end time.Time) *points {
	t.Helper()
	out, err := cwClient(s.URL, proto, 1).GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(x),
		StartTime:         aws.Time(start),
		EndTime:           aws.Time(end),
		ScanBy:            cwtypes.ScanByTimestampAscending,
	})
	require.NoError(t, err)
	got := map[string]*points{}
	collect(out.MetricDataResults, got)
	require.Contains(t, got, x.id)
	return got[x.id]
}

func TestStoppedInstanceHasNoData(t *testing.T) {
	s := newSim(t, smallFleet(t))
	stop := t0                                            // 12:00:30
	change, err := s.SetInstanceStatus("pg-a", "stopped") // minute 12:00 still has data
	require.NoError(t, err)
	assert.Equal(t, simulator.StatusChange{Status: "stopped", Since: stop}, change)

	s.clock.Advance(10 * time.Minute) // 12:10:30
	out, err := rdsClient(s.URL).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("pg-a")})
	require.NoError(t, err)
	assert.Equal(t, "stopped", aws.ToString(out.DBInstances[0].DBInstanceStatus))
	_, err = s.SetInstanceStatus("pg-a", "available") // minute 12:10 has data again
	require.NoError(t, err)
	s.clock.Advance(10 * time.Minute) // 12:20:30: minutes up to 12:18 are published

	base := t0.Truncate(time.Minute) // 12:00
	tests := []struct {
		name string
		x    q
		want []time.Time
		// counts are SampleCount per timestamp (4 samples a minute), when the stat is SampleCount
		counts []float64
	}{
		{"60 s", q{"cpu", inst, "pg-a", "CPUUtilization", "Average", 60},
			append(minutes(base.Add(-10*time.Minute), base), minutes(base.Add(10*time.Minute), base.Add(18*time.Minute))...), nil},
		{"300 s skips the stopped bucket", q{"n", inst, "pg-a", "DatabaseConnections", "SampleCount", 300},
			[]time.Time{base.Add(-10 * time.Minute), base.Add(-5 * time.Minute), base, base.Add(10 * time.Minute)},
			[]float64{20, 20, 4, 20}},
		{"derived series too", q{"load", inst, "pg-a", "DBLoad", "Maximum", 60},
			append(minutes(base.Add(-10*time.Minute), base), minutes(base.Add(10*time.Minute), base.Add(18*time.Minute))...), nil},
		{"other instances are unaffected", q{"other", inst, "mysql-a", "CPUUtilization", "Average", 60},
			minutes(base.Add(-10*time.Minute), base.Add(18*time.Minute)), nil},
	}
	for _, proto := range cwProtocols {
		for _, tt := range tests {
			t.Run(proto+"/"+tt.name, func(t *testing.T) {
				got := getAscending(t, s, proto, tt.x, base.Add(-10*time.Minute), s.clock.Now())
				assert.Equal(t, tt.want, got.Times)
				assert.Equal(t, cwtypes.StatusCodeComplete, got.Status)
				period := time.Duration(tt.x.period) * time.Second
				for i, ts := range got.Times {
					want, ok := s.Value(tt.x.dim, tt.x.ident, tt.x.metric, tt.x.stat, ts, period)
					require.True(t, ok)
					assert.Equal(t, want, got.Values[i], ts)
				}
				if tt.counts != nil {
					assert.Equal(t, tt.counts, got.Values)
				}
				var oracle []time.Time
				for i, p := range s.Points(tt.x.dim, tt.x.ident, tt.x.metric, tt.x.stat, period, base.Add(-10*time.Minute), s.clock.Now(), s.clock.Now()) {
					oracle = append(oracle, p.Timestamp)
					assert.Equal(t, got.Values[i], p.Value)
				}
				assert.Equal(t, got.Times, oracle, "Points is what GetMetricData returns")
			})
		}
	}
	_, ok := s.Value(inst, "pg-a", "CPUUtilization", "Average", base.Add(5*time.Minute), time.Minute)
	assert.False(t, ok, "no ground truth while stopped")
	assert.True(t, s.Publishing("pg-a", base, base.Add(time.Minute)))
	assert.False(t, s.Publishing("pg-a", base.Add(time.Minute), base.Add(10*time.Minute)))
	assert.Equal(t, []simulator.StatusChange{{Status: "available"}, {Status: "stopped", Since: stop},
		{Status: "available", Since: stop.Add(10 * time.Minute)}}, s.StatusHistory("pg-a"))
	assert.Zero(t, s.Counters().InactiveQueries, "pg-a was available when it was queried")
}

func TestInactiveQueryCounters(t *testing.T) {
	s := newSim(t, smallFleet(t))
	for _, id := range []string{"pg-a", "maria-t3"} {
		_, err := s.SetInstanceStatus(id, "stopped")
		require.NoError(t, err)
	}
	_, err := s.SetInstanceStatus("maria-t3", "starting")
	require.NoError(t, err)
	s.clock.Advance(5 * time.Minute)
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries(
			q{"a", inst, "pg-a", "CPUUtilization", "Average", 60},
			q{"b", inst, "pg-a", "FreeableMemory", "Average", 60},
			q{"c", inst, "maria-t3", "CPUUtilization", "Average", 60},
			q{"d", inst, "mysql-a", "CPUUtilization", "Average", 60},
			q{"e", clus, "aurora-a", "VolumeBytesUsed", "Average", 300},
		),
		StartTime: aws.Time(t0.Add(-time.Hour)),
		EndTime:   aws.Time(s.clock.Now()),
	}
	out, err := cwClient(s.URL, "cbor", 1).GetMetricData(context.Background(), in)
	require.NoError(t, err)
	got := map[string]*points{}
	collect(out.MetricDataResults, got)
	assert.Equal(t, t0.Truncate(time.Minute), got["a"].Times[0], "the newest point is the minute of the stop")
	c := s.Counters()
	assert.Equal(t, int64(3), c.InactiveQueries)
	assert.Equal(t, map[string]int64{"pg-a": 2, "maria-t3": 1}, c.InactiveQueriesByIdentifier)
	assert.Equal(t, int64(2), c.QueriesFor("pg-a"))
	assert.Equal(t, int64(5), c.MetricDataQueries)
	assert.Equal(t, map[string]int64{"Complete": 5}, c.ResultsByStatus)
}

func TestStatusFromFleet(t *testing.T) {
	since := t0.Add(-30 * time.Minute) // 11:30:30
	tests := []struct {
		name        string
		status      string
		since       time.Time
		wantNewest  time.Time // zero: no data at all
		wantOldest  time.Time
		wantCurrent string
	}{
		{"available", "", time.Time{}, t0.Truncate(time.Minute).Add(-2 * time.Minute), t0.Add(-time.Hour).Truncate(time.Minute), "available"},
		{"stopped throughout", "stopped", time.Time{}, time.Time{}, time.Time{}, "stopped"},
		{"creating throughout", "creating", time.Time{}, time.Time{}, time.Time{}, "creating"},
		{"stopped since 11:30:30", "stopped", since, since.Truncate(time.Minute), t0.Add(-time.Hour).Truncate(time.Minute), "stopped"},
		{"backing-up publishes", "backing-up", since, t0.Truncate(time.Minute).Add(-2 * time.Minute), t0.Add(-time.Hour).Truncate(time.Minute), "backing-up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := smallFleet(t)
			for i := range f.Instances {
				if f.Instances[i].Identifier == "mysql-a" {
					f.Instances[i].Status, f.Instances[i].StatusSince = tt.status, tt.since
				}
			}
			require.NoError(t, f.Validate())
			s := newSim(t, f)
			got := getAscending(t, s, "cbor", q{"cpu", inst, "mysql-a", "CPUUtilization", "Average", 60}, t0.Add(-time.Hour), t0)
			if tt.wantNewest.IsZero() {
				assert.Empty(t, got.Times)
			} else {
				require.NotEmpty(t, got.Times)
				assert.Equal(t, tt.wantOldest, got.Times[0])
				assert.Equal(t, tt.wantNewest, got.Times[len(got.Times)-1])
			}
			var current string
			for _, in := range s.Fleet().Instances {
				if in.Identifier == "mysql-a" {
					current = in.Status
				}
			}
			assert.Equal(t, tt.wantCurrent, current)
		})
	}

	t.Run("unknown status is rejected", func(t *testing.T) {
		f := smallFleet(t)
		f.Instances[0].Status = "sleeping"
		assert.ErrorContains(t, f.Validate(), `unknown status "sleeping"`)
		s := newSim(t, smallFleet(t))
		_, err := s.SetInstanceStatus("pg-a", "sleeping")
		assert.Error(t, err)
		_, err = s.SetInstanceStatus("nope", "stopped")
		assert.Error(t, err)
	})

	t.Run("SetFleet records a changed status now", func(t *testing.T) {
		s := newSim(t, smallFleet(t))
		s.clock.Advance(time.Minute)
		f := s.Fleet()
		for i := range f.Instances {
			if f.Instances[i].Identifier == "pg-a" {
				f.Instances[i].Status = "stopped"
			}
		}
		s.SetFleet(f)
		assert.Equal(t, []simulator.StatusChange{{Status: "available"}, {Status: "stopped", Since: t0.Add(time.Minute)}}, s.StatusHistory("pg-a"))
		s.SetFleet(s.Fleet()) // a round trip through Fleet changes nothing
		assert.Len(t, s.StatusHistory("pg-a"), 2)
		s.SetFleet(smallFleet(t)) // available again
		assert.Len(t, s.StatusHistory("pg-a"), 3)
	})
}

func TestStatusInFleetYAML(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr string
		newest  time.Time // zero: no data
	}{
		{"stopped since", "instances:\n  - {identifier: a, engine: mysql, class: db.m6g.large, status: stopped, status_since: 2025-06-02T11:30:10Z}\n",
			"", time.Date(2025, 6, 2, 11, 30, 0, 0, time.UTC)},
		{"creating", "instances:\n  - {identifier: a, engine: mysql, class: db.m6g.large, status: creating}\n", "", time.Time{}},
		{"unknown status", "instances:\n  - {identifier: a, engine: mysql, class: db.m6g.large, status: dozing}\n", `unknown status "dozing"`, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := simulator.ParseFleet([]byte(tt.yaml))
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			s := newSim(t, f)
			got := getAscending(t, s, "query", q{"cpu", inst, "a", "CPUUtilization", "Average", 60}, t0.Add(-time.Hour), t0)
			if tt.newest.IsZero() {
				assert.Empty(t, got.Times)
				return
			}
			require.NotEmpty(t, got.Times)
			assert.Equal(t, tt.newest, got.Times[len(got.Times)-1])
		})
	}
}

func TestPublishingBoundaries(t *testing.T) {
	s := newSim(t, smallFleet(t))
	_, err := s.SetInstanceStatus("pg-a", "stopping") // 12:00:30
	require.NoError(t, err)
	s.clock.Advance(30 * time.Second)
	_, err = s.SetInstanceStatus("pg-a", "stopped") // 12:01:00
	require.NoError(t, err)
	s.clock.Advance(2 * time.Minute)
	_, err = s.SetInstanceStatus("pg-a", "starting") // 12:03:00
	require.NoError(t, err)
	s.clock.Advance(90 * time.Second)
	_, err = s.SetInstanceStatus("pg-a", "backing-up") // 12:04:30, publishes
	require.NoError(t, err)
	at := func(m, sec int) time.Time { return time.Date(2025, 6, 2, 12, m, sec, 0, time.UTC) }
	tests := []struct {
		from, to time.Time
		want     bool
	}{
		{at(0, 0), at(0, 30), true},   // available until 12:00:30
		{at(0, 0), at(1, 0), true},    // the minute of the stop has data
		{at(0, 30), at(1, 0), false},  // stopping from its first instant
		{at(1, 0), at(4, 0), false},   // stopped, then starting
		{at(4, 0), at(4, 30), false},  // still starting
		{at(4, 0), at(5, 0), true},    // backing-up from 12:04:30
		{at(4, 30), at(4, 31), true},  // a change at the start counts
		{at(3, 59), at(4, 30), false}, // end is exclusive
		{at(10, 0), at(11, 0), true},  // still backing-up
		{t0.Add(-time.Hour), at(0, 1), true},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, s.Publishing("pg-a", tt.from, tt.to), "[%s, %s)", tt.from.Format("15:04:05"), tt.to.Format("15:04:05"))
	}
	assert.False(t, s.Publishing("nope", at(0, 0), at(1, 0)), "unknown instance")
	change, err := s.SetInstanceStatus("pg-a", "backing-up")
	require.NoError(t, err)
	assert.Equal(t, at(4, 30), change.Since, "setting the current status again records nothing")
	assert.Len(t, s.StatusHistory("pg-a"), 5)
}
