package awsrdsreceiver

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-rds/awsrdsreceiver/internal/catalog"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metricdata"
	"github.com/otelcol-rds/awsrdsreceiver/internal/window"
)

const namespace = "AWS/RDS"

// selected is one enabled catalogue metric and the statistic to request for it.
type selected struct {
	entry *catalog.Entry
	stat  string
}

// selection is the enabled metric set, split by scope. It is fixed for the receiver's life.
type selection struct {
	instance []selected
	cluster  []selected
}

// newSelection keeps the catalogue entries that the metrics config enables.
func newSelection(metrics metadata.MetricsConfig, cw CloudWatchConfig) (selection, error) {
	conf := confmap.New()
	if err := conf.Marshal(metrics); err != nil {
		return selection{}, fmt.Errorf("reading the metrics configuration: %w", err)
	}
	var sel selection
	for i := range catalog.Entries {
		e := &catalog.Entries[i]
		if enabled, _ := conf.Get(e.Name + confmap.KeyDelimiter + "enabled").(bool); !enabled {
			continue
		}
		stat := cw.Statistic
		if s, ok := cw.Statistics[e.Name]; ok {
			stat = s
		}
		if e.Scope == catalog.ClusterScope {
			sel.cluster = append(sel.cluster, selected{e, stat})
		} else {
			sel.instance = append(sel.instance, selected{e, stat})
		}
	}
	return sel, nil
}

// plan is, for one fleet, every resource with the queries that can have data for it, laid
// out in GetMetricData batches, and the per-series state that must survive across cycles.
// It is compact (a few bytes per query): the SDK's query values are built per batch when
// the batch is sent.
type plan struct {
	resources []resourcePlan
	instances map[string]int // instance identifier -> index in resources
	sel       selection      // what seriesPlan.metric indexes
	series    []seriesPlan   // one per query, in query order
	marks     []window.Mark  // high-water marks, indexed like series
	data      *metricdata.Plan
}

// resourcePlan is one instance or cluster; its series are the plan's queries [first, end).
type resourcePlan struct {
	instance   *discovery.Instance
	cluster    *discovery.Cluster
	resource   pcommon.Resource
	first, end int
}

// seriesPlan is one query: a selected metric of one resource.
type seriesPlan struct {
	resource int32  // index in plan.resources
	metric   uint16 // index in the resource's candidates: sel.instance or sel.cluster
}

// resourceRef names a resource across plans: its CloudWatch dimension and identifier.
type resourceRef struct{ dimension, id string }

const (
	instanceDimension = "DBInstanceIdentifier"
	clusterDimension  = "DBClusterIdentifier"
)

// planner builds the plans of one region.
type planner struct {
	resources
	sel    selection
	period time.Duration
}

// resources builds the resource of an instance or cluster: one home, so that metrics,
// SQL metrics and logs of an instance carry identical resources.
type resources struct {
	region       string
	resourceTags []string
	newRB        func() *metadata.ResourceBuilder
}

// plan lays out the queries for fleet. High-water marks of series that still exist are
// carried over from old; those of vanished instances and metrics are dropped with it.
func (pl *planner) plan(fleet discovery.Fleet, old *plan) *plan {
	p := &plan{sel: pl.sel, instances: make(map[string]int, len(fleet.Instances))}
	prev := old.byRef() // only for the rebuild: a plan keeps no map of its series
	if old != nil {     // the fleet rarely changes much: size for the old plan's queries
		p.series, p.marks = make([]seriesPlan, 0, old.Len()), make([]window.Mark, 0, old.Len())
	}
	add := func(rp resourcePlan, ref resourceRef, candidates []selected, applies func(*catalog.Entry) bool) {
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
			}
			p.series = append(p.series, seriesPlan{resource: int32(len(p.resources)), metric: uint16(k)})
			p.marks = append(p.marks, mark)
		}
		rp.end = len(p.series)
		p.resources = append(p.resources, rp)
	}

	instances := slices.Clone(fleet.Instances)
	slices.SortFunc(instances, func(a, b discovery.Instance) int { return strings.Compare(a.Identifier, b.Identifier) })
	for i := range instances {
		in := &instances[i]
		p.instances[in.Identifier] = len(p.resources)
		add(resourcePlan{instance: in, resource: pl.instanceResource(in)}, resourceRef{instanceDimension, in.Identifier}, pl.sel.instance,
			func(e *catalog.Entry) bool { return e.ForInstance(*in) })
	}
	clusters := slices.Clone(fleet.Clusters)
	slices.SortFunc(clusters, func(a, b discovery.Cluster) int { return strings.Compare(a.Identifier, b.Identifier) })
	for i := range clusters {
		c := &clusters[i]
		add(resourcePlan{cluster: c, resource: pl.clusterResource(c)}, resourceRef{clusterDimension, c.Identifier}, pl.sel.cluster,
			func(e *catalog.Entry) bool { return e.ForCluster(*c) })
	}
	p.data = metricdata.NewPlan(p, pl.period)
	return p
}

// byRef indexes the plan's resources by ref; nil for no plan.
func (p *plan) byRef() map[resourceRef]int {
	if p == nil {
		return nil
	}
	m := make(map[resourceRef]int, len(p.resources))
	for i := range p.resources {
		m[p.resources[i].ref()] = i
	}
	return m
}

func (rp *resourcePlan) ref() resourceRef {
	if rp.instance != nil {
		return resourceRef{instanceDimension, rp.instance.Identifier}
	}
	return resourceRef{clusterDimension, rp.cluster.Identifier}
}

// selected returns the metric and statistic of query i.
func (p *plan) selected(i int) *selected {
	s := p.series[i]
	if p.resources[s.resource].instance != nil {
		return &p.sel.instance[s.metric]
	}
	return &p.sel.cluster[s.metric]
}

// Len is the number of queries (metricdata.Queries).
func (p *plan) Len() int { return len(p.series) }

// Query returns query i (metricdata.Queries).
func (p *plan) Query(i int) metricdata.Query {
	ref := p.resources[p.series[i].resource].ref()
	s := p.selected(i)
	return metricdata.Query{Namespace: namespace, MetricName: s.entry.CloudWatchName, DimensionName: ref.dimension, DimensionValue: ref.id, Stat: s.stat}
}

func (pl resources) instanceResource(in *discovery.Instance) pcommon.Resource {
	rb := pl.newRB()
	pl.setCommon(rb, in.ARN, in.Engine, in.EngineVersion, in.ClusterIdentifier)
	setIf(rb.SetCloudAvailabilityZone, in.AvailabilityZone)
	setIf(rb.SetAwsRdsDbInstanceIdentifier, in.Identifier)
	setIf(rb.SetAwsRdsDbInstanceResourceID, in.ResourceID)
	setIf(rb.SetAwsRdsDbInstanceClass, in.Class)
	setIf(rb.SetAwsRdsRole, string(in.Role))
	setIf(rb.SetAwsRdsStorageType, in.StorageType)
	res := rb.Emit()
	putTags(res, in.Tags, pl.resourceTags)
	return res
}

func (pl resources) clusterResource(c *discovery.Cluster) pcommon.Resource {
	rb := pl.newRB()
	pl.setCommon(rb, c.ARN, c.Engine, c.EngineVersion, c.Identifier)
	res := rb.Emit()
	putTags(res, c.Tags, pl.resourceTags)
	return res
}

// setCommon sets the attributes instance and cluster resources share.
func (pl resources) setCommon(rb *metadata.ResourceBuilder, arn, engine, engineVersion, cluster string) {
	rb.SetCloudProvider("aws")
	setIf(rb.SetCloudRegion, pl.region)
	setIf(rb.SetCloudAccountID, accountFromARN(arn))
	setIf(rb.SetCloudResourceID, arn)
	setIf(rb.SetDbSystemName, discovery.DBSystemName(engine))
	setIf(rb.SetAwsRdsEngine, engine)
	setIf(rb.SetAwsRdsEngineVersion, engineVersion)
	setIf(rb.SetAwsRdsDbClusterIdentifier, cluster)
}

// setIf leaves empty values out: an absent attribute, not an empty one.
func setIf(set func(string), v string) {
	if v != "" {
		set(v)
	}
}

// putTags copies the selected RDS tags to aws.rds.tag.<key> resource attributes.
func putTags(res pcommon.Resource, tags map[string]string, keys []string) {
	for _, k := range keys {
		if v, ok := tags[k]; ok {
			res.Attributes().PutStr("aws.rds.tag."+k, v)
		}
	}
}

// accountFromARN returns the account field of arn:partition:service:region:account:resource.
func accountFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
