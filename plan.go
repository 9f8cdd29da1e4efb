package awsrdsreceiver

import (
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

const namespace = "AWS/RDS"

// queryPlan is, for one fleet, every resource with the CloudWatch queries that can have
// data for it, and each query's window mark (the per-series state that must survive
// across cycles, restarts and reloads). It is compact (a few bytes per query): the SDK's
// query values are built per call when the call is sent.
type queryPlan struct {
	resources []resourcePlan
	instances map[string]int // instance identifier -> index in resources
	sel       selection      // what seriesPlan.metric indexes
	series    []seriesPlan   // one per query, in query order
	marks     []window.Mark  // indexed like series
}

// resourcePlan is one instance, cluster, proxy, proxy target or shard group (exactly one
// of the pointers is set, as scope says); its series are the plan's queries [first, end).
type resourcePlan struct {
	scope      catalog.Scope
	id         string // the dimension values, joined by "/" for a proxy target
	instance   *discovery.Instance
	cluster    *discovery.Cluster
	proxy      *discovery.Proxy
	target     *discovery.ProxyTarget
	shardGroup *discovery.ShardGroup
	resource   pcommon.Resource
	first, end int
}

// seriesPlan is one query: a selected metric of one resource.
type seriesPlan struct {
	resource int32  // index in queryPlan.resources
	metric   uint16 // index in the resource's candidates: sel[scope]
}

// resourceRef names a resource across plans: its scope (which fixes the CloudWatch
// dimensions) and identifier.
type resourceRef struct {
	scope catalog.Scope
	id    string
}

// proxyTargetID joins the three dimension values of a proxy target ("/" appears in none
// of them: RDS names are letters, digits and hyphens).
func proxyTargetID(t *discovery.ProxyTarget) string {
	return t.Proxy + "/" + t.TargetGroup + "/" + t.Instance
}

// seriesKey names a series across plans and processes.
type seriesKey struct {
	resourceRef
	metric, stat string // CloudWatch metric name and statistic
}

// queryPlanner builds the query plans of one region.
type queryPlanner struct {
	resourceBuilder
	sel selection
}

// plan lays out the queries for fleet. Marks of series that still exist are carried over
// from old; those of vanished instances and metrics are dropped with it. restored (marks
// read from storage, may be nil) gives the marks of series old does not have. Instances
// that are not running get no queries: RDS publishes nothing for them.
func (pl *queryPlanner) plan(fleet discovery.Fleet, old *queryPlan, restored map[seriesKey]window.Mark) *queryPlan {
	p := &queryPlan{sel: pl.sel, instances: make(map[string]int, len(fleet.Instances))}
	prev := old.byRef() // only for the rebuild: a plan keeps no map of its series
	if old != nil {     // the fleet rarely changes much: size for the old plan's queries
		p.series, p.marks = make([]seriesPlan, 0, old.Len()), make([]window.Mark, 0, old.Len())
	}
	add := func(rp resourcePlan, applies func(*catalog.Entry) bool) {
		ref, candidates := rp.ref(), pl.sel[rp.scope]
		var oldSeries []seriesPlan
		var oldMarks []window.Mark
		if j, ok := prev[ref]; ok {
			o := &old.resources[j]
			oldSeries, oldMarks = old.series[o.first:o.end], old.marks[o.first:o.end]
		}
		rp.first = len(p.series)
		for k := range candidates {
			if !applies(candidates[k].entry) {
				continue
			}
			// Both plans list a resource's series in candidate order: skip the old ones
			// that no longer apply, carry the mark of the same metric.
			var mark window.Mark
			for len(oldSeries) > 0 && int(oldSeries[0].metric) < k {
				oldSeries, oldMarks = oldSeries[1:], oldMarks[1:]
			}
			if len(oldSeries) > 0 && int(oldSeries[0].metric) == k {
				mark = oldMarks[0]
			} else if restored != nil {
				mark = restored[seriesKey{ref, candidates[k].entry.CloudWatchName, candidates[k].stat}]
			}
			p.series = append(p.series, seriesPlan{resource: int32(len(p.resources)), metric: uint16(k)})
			p.marks = append(p.marks, mark)
		}
		rp.end = len(p.series)
		p.resources = append(p.resources, rp)
	}
	none := func(*catalog.Entry) bool { return false }
	every := func(*catalog.Entry) bool { return true }

	instances := slices.Clone(fleet.Instances)
	slices.SortFunc(instances, func(a, b discovery.Instance) int { return strings.Compare(a.Identifier, b.Identifier) })
	for i := range instances {
		in := &instances[i]
		p.instances[in.Identifier] = len(p.resources)
		applies := func(e *catalog.Entry) bool { return e.ForInstance(*in) }
		if !in.Running() {
			applies = none
		}
		add(resourcePlan{scope: catalog.InstanceScope, id: in.Identifier, instance: in, resource: pl.instanceResource(in)}, applies)
	}
	clusters := slices.Clone(fleet.Clusters)
	slices.SortFunc(clusters, func(a, b discovery.Cluster) int { return strings.Compare(a.Identifier, b.Identifier) })
	for i := range clusters {
		c := &clusters[i]
		add(resourcePlan{scope: catalog.ClusterScope, id: c.Identifier, cluster: c, resource: pl.clusterResource(c)},
			func(e *catalog.Entry) bool { return e.ForCluster(*c) })
	}
	proxies := slices.Clone(fleet.Proxies)
	slices.SortFunc(proxies, func(a, b discovery.Proxy) int { return strings.Compare(a.Name, b.Name) })
	for i := range proxies {
		px := &proxies[i]
		add(resourcePlan{scope: catalog.ProxyScope, id: px.Name, proxy: px, resource: pl.proxyResource(px)}, every)
		for j := range px.Targets {
			t := &px.Targets[j]
			add(resourcePlan{scope: catalog.ProxyTargetScope, id: proxyTargetID(t), proxy: px, target: t, resource: pl.proxyTargetResource(px, t)}, every)
		}
	}
	groups := slices.Clone(fleet.ShardGroups)
	slices.SortFunc(groups, func(a, b discovery.ShardGroup) int { return strings.Compare(a.Identifier, b.Identifier) })
	for i := range groups {
		g := &groups[i]
		add(resourcePlan{scope: catalog.ShardGroupScope, id: g.Identifier, shardGroup: g, resource: pl.shardGroupResource(g)},
			func(e *catalog.Entry) bool { return e.ForShardGroup(*g) })
	}
	return p
}

// byRef indexes the plan's resources by ref; nil for no plan.
func (p *queryPlan) byRef() map[resourceRef]int {
	if p == nil {
		return nil
	}
	m := make(map[resourceRef]int, len(p.resources))
	for i := range p.resources {
		m[p.resources[i].ref()] = i
	}
	return m
}

func (rp *resourcePlan) ref() resourceRef { return resourceRef{rp.scope, rp.id} }

// selected returns the metric and statistic of query i.
func (p *queryPlan) selected(i int) *selected {
	s := p.series[i]
	return &p.sel[p.resources[s.resource].scope][s.metric]
}

// key names query i across plans and processes.
func (p *queryPlan) key(i int) seriesKey {
	s := p.selected(i)
	return seriesKey{p.resources[p.series[i].resource].ref(), s.entry.CloudWatchName, s.stat}
}

// Len is the number of queries (metricdata.Queries).
func (p *queryPlan) Len() int { return len(p.series) }

// Query returns query i (metricdata.Queries).
func (p *queryPlan) Query(i int) metricdata.Query {
	rp := &p.resources[p.series[i].resource]
	s := p.selected(i)
	q := metricdata.Query{Namespace: namespace, MetricName: s.entry.CloudWatchName, Stat: s.stat}
	names := rp.scope.Dimensions()
	q.NumDimensions = len(names)
	if len(names) == 1 {
		q.Dimensions[0] = metricdata.Dimension{Name: names[0], Value: rp.id}
		return q
	}
	rest := rp.id
	for d, name := range names {
		var value string
		value, rest, _ = strings.Cut(rest, "/")
		q.Dimensions[d] = metricdata.Dimension{Name: name, Value: value}
	}
	return q
}

// instanceByID finds an instance's plan by identifier.
func (p *queryPlan) instanceByID(id string) *resourcePlan {
	if i, ok := p.instances[id]; ok {
		return &p.resources[i]
	}
	return nil
}
