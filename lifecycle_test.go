package awsrdsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// The receiver's list of statuses without CloudWatch data and the simulator's (read from
// the RDS User Guide by another route) must agree on every documented status.
func TestRunningStatusesAgreeWithTheSimulator(t *testing.T) {
	for _, status := range simulator.InstanceStatuses() {
		in := discovery.Instance{Status: status}
		assert.Equal(t, simulator.PublishesMetrics(status), in.Running(), "status %q", status)
	}
}

// statusOf returns the status attribute of the instance's aws.rds.instance.status point.
func statusOf(md pmetric.Metrics, id string) (string, bool) {
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		if v, ok := rm.Resource().Attributes().Get("aws.rds.db_instance.identifier"); !ok || v.Str() != id {
			continue
		}
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			if ms.At(j).Name() == "aws.rds.instance.status" {
				s, _ := ms.At(j).Gauge().DataPoints().At(0).Attributes().Get("status")
				return s.Str(), true
			}
		}
	}
	return "", false
}

// A stopped instance costs no query and no SQL run from the discovery refresh that sees
// it stopped, keeps its status metric, and continues when it is started again.
func TestStoppedInstanceCostsNothing(t *testing.T) {
	fleet := simulator.GenerateFleet(20, 9)
	d := newDurable(t, fleet, simulator.Config{}, func(c *Config) {
		c.Storage = nil
		c.Discovery.RefreshInterval = time.Minute
	})
	d.start()
	victim := fleet.Instances[3].Identifier
	d.every(time.Minute, t0.Add(3*time.Minute))

	_, err := d.sim.SetInstanceStatus(victim, "stopped")
	require.NoError(t, err)
	d.scrape(nil) // the refresh sees it stopped
	d.clock.Advance(time.Minute)
	before := d.sim.Counters()
	for range 10 {
		md := d.scrape(nil)
		status, ok := statusOf(md, victim)
		assert.True(t, ok, "the stopped instance's status metric is emitted")
		assert.Equal(t, "stopped", status)
		d.clock.Advance(time.Minute)
	}
	after := d.sim.Counters()
	assert.Zero(t, after.InactiveQueriesByIdentifier[victim]-before.InactiveQueriesByIdentifier[victim], "queries for the stopped instance")
	assert.Zero(t, after.InactiveQueries-before.InactiveQueries, "queries for instances without data")
	assert.Positive(t, after.MetricDataQueries-before.MetricDataQueries, "the others are read")
	for _, target := range d.scraper.sqlTargets() {
		assert.NotEqual(t, victim, target.Name, "a stopped instance is no SQL target")
	}

	_, err = d.sim.SetInstanceStatus(victim, "available")
	require.NoError(t, err)
	restarted := d.clock.now
	d.every(time.Minute, d.clock.now.Add(8*time.Minute))
	for p, n := range d.delivered {
		assert.Equal(t, 1, n, "%v", p)
	}
	resumed := 0
	for p := range d.delivered {
		if p.resource == victim && p.ts.After(restarted) {
			resumed++
		}
	}
	assert.Positive(t, resumed, "its series continue once it runs again")
}

// A query that CloudWatch rejects on every call (Forbidden) backs off and is logged once;
// every other series of its region stays current: its newest point is never older than
// one collection interval (plus the publication lag) behind the newest published.
func TestAQueryThatFailsForeverKeepsTheRegionCurrent(t *testing.T) {
	fleet := simulator.GenerateFleet(60, 4)
	d := newDurable(t, fleet, simulator.Config{}, func(c *Config) { c.Storage = nil })
	victim := fleet.Instances[5].Identifier
	require.NoError(t, d.sim.FailQuery(simulator.QueryFault{Identifier: victim, Metric: "CPUUtilization", Status: "Forbidden"}))
	d.start()
	newest := map[[2]string]time.Time{}
	var victimCalls []int64
	for cycle := range 30 {
		before := d.sim.Counters().QueriesFor(victim)
		md, err := d.scraper.scrape(context.Background())
		require.NoError(t, err, "a rejected query is not a scrape error: it is logged once")
		d.scraper.delivered(context.Background(), nil)
		d.take(md)
		victimCalls = append(victimCalls, d.sim.Counters().QueriesFor(victim)-before)
		for p := range points(md) {
			k := [2]string{p.resource, p.metric}
			if p.ts.After(newest[k]) {
				newest[k] = p.ts
			}
		}
		if cycle > 1 {
			published := d.clock.now.Add(-d.sim.PublicationLag()).Truncate(time.Minute).Add(-time.Minute)
			for k, ts := range newest {
				if k != [2]string{victim, "aws.rds.cpu.utilization"} {
					assert.False(t, ts.Before(published.Add(-time.Minute)), "cycle %d: %v is stale: %v, published up to %v", cycle, k, ts, published)
				}
			}
		}
		d.clock.Advance(time.Minute)
	}
	_, victimCPU := newest[[2]string{victim, "aws.rds.cpu.utilization"}]
	assert.False(t, victimCPU, "the rejected series has no point")
	warned := d.logs.FilterMessageSnippet("CloudWatch rejects a query").Len()
	assert.Equal(t, 1, warned, "said once")
	t.Logf("queries for the victim instance per cycle: %v", victimCalls)

	// Once CloudWatch accepts it again, it catches up at its next read and says so once.
	d.sim.ClearFaults()
	d.every(time.Minute, d.clock.now.Add(20*time.Minute))
	assert.Equal(t, 1, d.logs.FilterMessageSnippet("succeeds again").Len(), "recovery said once")
	for p, n := range d.delivered {
		assert.Equal(t, 1, n, "%v", p)
	}
	_, victimCPU = newest[[2]string{victim, "aws.rds.cpu.utilization"}]
	got := 0
	for p := range d.delivered {
		if p.resource == victim && p.metric == "aws.rds.cpu.utilization" {
			got++
		}
	}
	assert.Positive(t, got, "the recovered series delivers its backlog")
}

// With a period longer than a minute CloudWatch's newest point grows as its minutes are
// published: the receiver emits a period's point only once it is final, so every value
// is the simulator's final one, each period once.
func TestLongPeriodsEmitOnlyFinalValues(t *testing.T) {
	for _, delay := range []time.Duration{5 * time.Minute, 0} {
		t.Run("delay="+delay.String(), func(t *testing.T) {
			d := newDurable(t, simulator.GenerateFleet(10, 3), simulator.Config{PartialPeriods: true}, func(c *Config) {
				c.Storage = nil
				c.CollectionInterval = 5 * time.Minute
				c.CloudWatch.Period = 5 * time.Minute
				c.CloudWatch.Delay = delay // 0 is refused by validation; the rule holds even then
				c.CloudWatch.Overlap = 5 * time.Minute
			})
			d.start()
			// Scrapes at odd moments, so that the newest period is often incomplete.
			for _, step := range []time.Duration{2 * time.Minute, 3 * time.Minute, time.Minute, 4 * time.Minute, 5 * time.Minute, 2 * time.Minute, 6 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
				d.clock.Advance(step)
				d.scrape(nil) // take() checks each value against the final one
			}
			for p, n := range d.delivered {
				assert.Equal(t, 1, n, "%v", p)
				assert.Zero(t, p.ts.Unix()%300, "%v is aligned to the period", p)
			}
			assert.NotEmpty(t, d.delivered)
		})
	}
}
