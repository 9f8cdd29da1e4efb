package awsrdsreceiver

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

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
