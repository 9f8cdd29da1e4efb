package awsrdsreceiver

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// mixedResource names an emitted resource by kind and identifier, e.g. "proxy
// ledger-proxy", "target ledger-proxy/ledger-1", "shard-group orders-sg".
func mixedResource(attrs pcommon.Map) string {
	get := func(k string) string {
		v, _ := attrs.Get(k)
		return v.Str()
	}
	switch proxy, in := get("aws.rds.proxy.name"), get("aws.rds.db_instance.identifier"); {
	case proxy != "" && in != "":
		return "target " + proxy + "/" + in
	case proxy != "":
		return "proxy " + proxy
	case get("aws.rds.db_shard_group.identifier") != "":
		return "shard-group " + get("aws.rds.db_shard_group.identifier")
	case in != "":
		return "instance " + in
	case get("aws.rds.db_cluster.identifier") != "":
		return "cluster " + get("aws.rds.db_cluster.identifier")
	}
	return "account" // the quotas
}

// seriesOf is the simulator's key of a resource's series.
func seriesOf(resource string) (dimension, id string) {
	kind, id, _ := strings.Cut(resource, " ")
	switch kind {
	case "instance":
		return simulator.DimInstance, id
	case "cluster":
		return simulator.DimCluster, id
	case "proxy":
		return simulator.DimProxy, id
	case "shard-group":
		return simulator.DimShardGroup, id
	}
	proxy, in, _ := strings.Cut(id, "/")
	s := simulator.ProxyTargetSeries(proxy, in, "")
	return s.DimensionName, s.Identifier
}

// byResource lists each resource's metric names.
func byResource(md pmetric.Metrics) map[string][]string {
	out := map[string][]string{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		key := mixedResource(rm.Resource().Attributes())
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			if !slices.Contains(out[key], ms.At(j).Name()) {
				out[key] = append(out[key], ms.At(j).Name())
			}
		}
	}
	return out
}

// TestGoldenEveryKindOfResource: a fleet with Aurora Serverless v1 and v2, a Limitless
// cluster and its shard group, a Multi-AZ DB cluster, an RDS Proxy with two targets, an
// Oracle, a SQL Server and a Db2 instance, a global database primary and secondary (and a
// Neptune cluster). Each resource is asked
// for exactly the series the simulator publishes for it, every one arrives, and the golden
// file pins the metric sets; the simulator counts no query for a series that cannot exist.
func TestGoldenEveryKindOfResource(t *testing.T) {
	fleet, err := simulator.LoadFleet(filepath.Join("testdata", "simulator", "fleet-mixed.yaml"))
	require.NoError(t, err)
	h := newHarness(t, fleet, enableAll(t))
	md, err := h.scrape(t)
	require.NoError(t, err)

	compareGolden(t, "mixed-fleet.yaml", md)

	c := h.sim.Counters()
	assert.Zero(t, c.PhantomQueries, "queried a series that cannot exist: %v", c.Phantoms)
	assert.Zero(t, c.QueriesFor("graph-1")+c.QueriesFor("graph"), "Neptune costs no query")

	// Every resource (every metric enabled): queried and emitted exactly the CloudWatch
	// series that exist for it.
	names := byResource(md)
	require.Len(t, names, 9+5+2+3+1+1, "9 instances, 5 clusters, 2 proxies, their 3 targets, a shard group, the account")
	for resource, ms := range names {
		if resource == "account" {
			continue
		}
		dim, id := seriesOf(resource)
		var want, got, queried []string
		for _, s := range h.sim.Series() {
			if s.DimensionName == dim && s.Identifier == id {
				want = append(want, s.Metric)
			}
		}
		for _, n := range ms {
			if e, ok := catalog.ByName(n); ok {
				got = append(got, e.CloudWatchName)
			}
		}
		for m := range c.SeriesQueries[id] {
			queried = append(queried, m)
		}
		assert.ElementsMatch(t, want, queried, "%s: queried exactly the series that exist", resource)
		assert.ElementsMatch(t, want, got, "%s: emitted every one", resource)
	}

	// What the golden file must show, spelled out so a regenerated file cannot hide it.
	has := func(resource, metric string) bool { return slices.Contains(names[resource], metric) }
	for _, tt := range []struct {
		resource, metric string
		want             bool
	}{
		{"cluster legacy", "aws.rds.cluster.serverless.capacity", true},         // Serverless v1
		{"cluster legacy", "aws.rds.cluster.serverless.acu.utilization", false}, // v2 only
		{"cluster ledger", "aws.rds.cluster.serverless.acu.utilization", true},  // Serverless v2
		{"instance ledger-1", "aws.rds.serverless.capacity", true},              // v2, per instance too
		{"instance ledger-2", "aws.rds.serverless.acu.utilization", true},       //
		{"cluster orders", "aws.rds.cluster.volume.used", true},                 // Limitless: Aurora storage
		{"shard-group orders-sg", "aws.rds.shard_group.capacity", true},         // its compute
		{"shard-group orders-sg", "aws.rds.shard_group.standby.capacity", true}, // compute redundancy 1
		{"cluster billing", "aws.rds.cluster.volume.used", false},               // Multi-AZ DB cluster: no cluster volume
		{"cluster billing", "aws.rds.cluster.members", true},                    //
		{"instance billing-2", "aws.rds.replica.lag", true},                     // a readable standby replicates
		{"instance billing-1", "aws.rds.replica.lag", false},                    // the writer does not
		{"proxy ledger-proxy", "aws.rds.proxy.client.connections", true},        //
		{"proxy ledger-proxy", "aws.rds.proxy.query.response_latency", true},    //
		{"target ledger-proxy/ledger-1", "aws.rds.proxy.target.database.connections", true},
		{"target ledger-proxy/ledger-2", "aws.rds.proxy.target.available", true},    // from DescribeDBProxyTargets
		{"target ledger-proxy/ledger-1", "aws.rds.proxy.client.connections", false}, // client side: per proxy only
		{"cluster ledger", "aws.rds.cluster.global_db.data_transfer", true},         // a global primary ships redo
		{"cluster ledger", "aws.rds.cluster.global_db.replication.lag", false},      //
		{"cluster cart-eu", "aws.rds.cluster.global_db.replication.lag", true},      // a secondary lags
		{"cluster cart-eu", "aws.rds.cluster.global_db.replicated_write_io", false},
		{"instance crm", "aws.rds.swap.usage", false},            // SQL Server: no SwapUsage
		{"instance erp", "aws.rds.swap.usage", true},             //
		{"instance warehouse", "aws.rds.swap.usage", true},       // Db2
		{"instance crm", "aws.rds.storage.burst_balance", true},  // gp2
		{"instance erp", "aws.rds.storage.burst_balance", false}, // gp3
	} {
		assert.Equal(t, tt.want, has(tt.resource, tt.metric), "%s has %s", tt.resource, tt.metric)
	}
	available := map[string]int64{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			if ms.At(j).Name() == "aws.rds.proxy.target.available" {
				available[mixedResource(rm.Resource().Attributes())] = ms.At(j).Gauge().DataPoints().At(0).IntValue()
			}
		}
	}
	assert.Equal(t, map[string]int64{"target ledger-proxy/ledger-1": 1, "target ledger-proxy/ledger-2": 0, "target crm-proxy/crm": 1}, available)
	for _, id := range []string{"erp", "crm", "warehouse"} {
		for _, n := range names["instance "+id] {
			assert.NotContains(t, n, "mysql", id)
			assert.NotContains(t, n, "postgresql", id)
			assert.NotContains(t, n, "aurora", id)
		}
	}
}

// TestConstantLabelsNameEveryResource: the Prometheus exporters of the shipped
// configuration turn the resource attributes listed in resource_constant_labels into
// labels. Every resource of the mixed fleet must get its own label set, or the series of
// two proxies (or of a proxy and its target) would collide in one.
func TestConstantLabelsNameEveryResource(t *testing.T) {
	conf, err := confmaptest.LoadConf(filepath.Join("packaging", "config.yaml"))
	require.NoError(t, err)
	raw, ok := conf.Get("exporters::rdsprometheus::resource_constant_labels::included").([]any)
	require.True(t, ok, "packaging/config.yaml has an rdsprometheus exporter with resource_constant_labels")
	var included []string
	for _, v := range raw {
		included = append(included, v.(string))
	}
	fleet, err := simulator.LoadFleet(filepath.Join("testdata", "simulator", "fleet-mixed.yaml"))
	require.NoError(t, err)
	md, err := newHarness(t, fleet, enableAll(t)).scrape(t)
	require.NoError(t, err)
	owner := map[string]string{} // metric and label set -> resource
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		var labels []string
		for _, k := range included {
			if v, ok := rm.Resource().Attributes().Get(k); ok {
				labels = append(labels, k+"="+v.AsString())
			}
		}
		resource := mixedResource(rm.Resource().Attributes())
		ms := rm.ScopeMetrics().At(0).Metrics()
		for j := 0; j < ms.Len(); j++ {
			key := ms.At(j).Name() + "{" + strings.Join(labels, ",") + "}"
			if other, dup := owner[key]; dup && other != resource {
				t.Errorf("%s and %s share the series %s", other, resource, key)
			}
			owner[key] = resource
		}
	}
}
