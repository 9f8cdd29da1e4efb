package awsrdsreceiver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// otherServices are a Neptune and a DocumentDB cluster: the RDS API returns them among the
// DB instances and clusters, CloudWatch publishes their metrics outside AWS/RDS.
const otherServices = `
instances:
  - {identifier: graph-1, engine: neptune, class: db.r6g.large}
  - {identifier: graph-2, engine: neptune, class: db.r6g.large}
  - {identifier: docs-1, engine: docdb, class: db.r6g.large, tags: {env: prod, team: payments}}
clusters:
  - identifier: graph
    engine: neptune
    members: [{instance: graph-1, writer: true}, {instance: graph-2}]
  - identifier: docs
    engine: docdb
    members: [{instance: docs-1, writer: true}]
`

var otherServiceIDs = []string{"graph", "graph-1", "graph-2", "docs", "docs-1"}

// TestNeptuneAndDocumentDBAreSkipped: with every metric enabled, a fleet with Neptune and
// DocumentDB costs exactly the GetMetricData queries of the same fleet without them, and
// neither metrics nor logs name them.
func TestNeptuneAndDocumentDBAreSkipped(t *testing.T) {
	extra, err := simulator.ParseFleet([]byte(otherServices))
	require.NoError(t, err)
	base := loadSmallFleet(t)
	mixed := base
	mixed.Instances = append(append([]simulator.Instance(nil), base.Instances...), extra.Instances...)
	mixed.Clusters = append(append([]simulator.Cluster(nil), base.Clusters...), extra.Clusters...)

	run := func(fleet simulator.Fleet) (simulator.Counters, []pcommon.Resource) {
		h := newLogsHarnessFor(t, fleet, enableAll(t))
		var resources []pcommon.Resource
		for range 3 {
			md, err := h.scrape(t)
			require.NoError(t, err)
			for i := 0; i < md.ResourceMetrics().Len(); i++ {
				resources = append(resources, md.ResourceMetrics().At(i).Resource())
			}
			ld, err := h.logsScraper.scrape(context.Background())
			require.NoError(t, err)
			for i := 0; i < ld.ResourceLogs().Len(); i++ {
				resources = append(resources, ld.ResourceLogs().At(i).Resource())
			}
			h.clock.Advance(time.Minute)
		}
		return h.sim.Counters(), resources
	}

	want, _ := run(base)
	got, resources := run(mixed)
	require.Positive(t, want.MetricDataQueries)
	assert.Equal(t, want.MetricDataQueries, got.MetricDataQueries, "Neptune/DocumentDB cost CloudWatch queries")
	assert.Equal(t, want.Calls["GetMetricData"], got.Calls["GetMetricData"])
	assert.Zero(t, got.PhantomQueries, "phantoms: %v", got.Phantoms)
	for _, id := range otherServiceIDs {
		assert.Zero(t, got.QueriesFor(id), "queries for %s", id)
	}
	// They were listed by the RDS API, and skipped by the receiver.
	assert.Positive(t, got.DescribeDBInstancesPages)
	require.NotEmpty(t, resources)
	for _, r := range resources {
		r.Attributes().Range(func(k string, v pcommon.Value) bool {
			for _, id := range otherServiceIDs {
				assert.False(t, v.Str() == id || strings.HasSuffix(v.Str(), ":"+id), "resource attribute %s=%s names %s", k, v.Str(), id)
			}
			for _, e := range []string{"neptune", "docdb"} {
				assert.NotEqual(t, e, v.Str(), "resource attribute %s", k)
			}
			return true
		})
	}
}

// TestOracleSQLServerAndDb2AskOnlyForTheirMetrics: with every metric enabled, an Oracle, a Db2 and a
// SQL Server instance are asked for exactly the CloudWatch series the simulator publishes
// for them (no MySQL or PostgreSQL metric, no SwapUsage on SQL Server), and every one of
// them arrives.
func TestOracleSQLServerAndDb2AskOnlyForTheirMetrics(t *testing.T) {
	fleet, err := simulator.ParseFleet([]byte(`
instances:
  - {identifier: ora-1, engine: oracle-ee, class: db.r6i.xlarge, storage_type: gp2}
  - {identifier: mssql-1, engine: sqlserver-se, class: db.m6i.xlarge, storage_type: gp3, iops: 3000}
  - {identifier: db2-1, engine: db2-se, class: db.r6i.large, storage_type: io1, iops: 3000}
`))
	require.NoError(t, err)
	h := newHarness(t, fleet, enableAll(t))
	md, err := h.scrape(t)
	require.NoError(t, err)
	c := h.sim.Counters()
	assert.Zero(t, c.PhantomQueries, "phantoms: %v", c.Phantoms)
	names := metricNames(md)
	for _, id := range []string{"ora-1", "mssql-1", "db2-1"} {
		var want, got, queried []string
		for _, s := range h.sim.Series() {
			if s.Identifier == id {
				want = append(want, s.Metric)
			}
		}
		for _, n := range names[id] {
			if e, ok := catalog.ByName(n); ok {
				got = append(got, e.CloudWatchName)
			}
		}
		for m := range c.SeriesQueries[id] {
			queried = append(queried, m)
		}
		require.NotEmpty(t, want)
		assert.ElementsMatch(t, want, queried, "%s: queried exactly the series that exist", id)
		assert.ElementsMatch(t, want, got, "%s: emitted every one", id)
	}
	assert.Contains(t, names["ora-1"], "aws.rds.swap.usage")
	assert.NotContains(t, names["mssql-1"], "aws.rds.swap.usage")
	assert.Contains(t, names["ora-1"], "aws.rds.storage.burst_balance") // gp2
	for _, id := range []string{"ora-1", "mssql-1", "db2-1"} {
		for _, n := range names[id] {
			assert.NotContains(t, n, "mysql", id)
			assert.NotContains(t, n, "postgresql", id)
			assert.NotContains(t, n, "aurora", id)
		}
	}
}

// TestServerlessV1ClusterIsWatched: an Aurora Serverless v1 cluster has no DB instances;
// it is discovered on its own (the filter applied to the cluster), asked for its volume and
// capacity metrics only, and an excluded one is not.
func TestServerlessV1ClusterIsWatched(t *testing.T) {
	fleet, err := simulator.ParseFleet([]byte(`
instances:
  - {identifier: pg-1, engine: postgres, class: db.m6g.large}
clusters:
  - {identifier: sls-v1, engine: aurora-mysql, engine_mode: serverless, members: [], tags: {env: prod}}
  - {identifier: sls-v1-scratch, engine: aurora-postgresql, engine_mode: serverless, members: []}
`))
	require.NoError(t, err)
	h := newHarness(t, fleet, func(c *Config) {
		enableAll(t)(c)
		c.Discovery.ExcludeIdentifiers = []string{".*-scratch"}
	})
	md, err := h.scrape(t)
	require.NoError(t, err)
	c := h.sim.Counters()
	assert.Zero(t, c.PhantomQueries, "phantoms: %v", c.Phantoms)
	assert.Zero(t, c.QueriesFor("sls-v1-scratch"))
	var got []string
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		if id, ok := rm.Resource().Attributes().Get("aws.rds.db_cluster.identifier"); ok && id.Str() == "sls-v1" {
			ms := rm.ScopeMetrics().At(0).Metrics()
			for j := 0; j < ms.Len(); j++ {
				got = append(got, ms.At(j).Name())
			}
		}
	}
	assert.ElementsMatch(t, []string{"aws.rds.cluster.members", "aws.rds.cluster.volume.used", "aws.rds.cluster.volume.read.operations",
		"aws.rds.cluster.volume.write.operations", "aws.rds.cluster.serverless.capacity"}, got)
}
