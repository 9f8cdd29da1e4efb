package simulator_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const (
	mixedFleetPath      = "../../testdata/simulator/fleet-mixed.yaml"
	boto3TopologyScript = "../../testdata/simulator/boto3_topology.py"
)

func mixedFleet(t testing.TB) simulator.Fleet {
	t.Helper()
	f, err := simulator.LoadFleet(mixedFleetPath)
	require.NoError(t, err)
	return f
}

// topologyView is what a client reads of proxies, shard groups and cluster kinds; the Go
// SDK and boto3 must read the same.
type topologyView struct {
	Proxies     []string            `json:"proxies"`      // name engine status
	Targets     map[string][]string `json:"targets"`      // proxy -> type id role health
	ShardGroups []string            `json:"shard_groups"` // id cluster min max redundancy status
	Clusters    map[string]string   `json:"clusters"`     // id -> scalability type / instance class
	TargetSum   float64             `json:"target_sum"`   // DatabaseConnections of ledger-proxy/ledger-1, summed
	Writers     map[string]bool     `json:"writers"`      // global database member ARN -> IsWriter
	Lacks       []string            `json:"lacks"`        // API parts this client's model does not have
}

func goTopologyView(t *testing.T, url string, start, end time.Time) topologyView {
	t.Helper()
	ctx := context.Background()
	c := rdsClient(url)
	v := topologyView{Targets: map[string][]string{}, Clusters: map[string]string{}, Writers: map[string]bool{}}
	gc, err := c.DescribeGlobalClusters(ctx, &rds.DescribeGlobalClustersInput{})
	require.NoError(t, err)
	for _, g := range gc.GlobalClusters {
		for _, m := range g.GlobalClusterMembers {
			v.Writers[aws.ToString(m.DBClusterArn)] = aws.ToBool(m.IsWriter)
		}
	}
	px, err := c.DescribeDBProxies(ctx, &rds.DescribeDBProxiesInput{})
	require.NoError(t, err)
	for _, p := range px.DBProxies {
		name := aws.ToString(p.DBProxyName)
		v.Proxies = append(v.Proxies, strings.Join([]string{name, aws.ToString(p.EngineFamily), string(p.Status)}, " "))
		tg, err := c.DescribeDBProxyTargets(ctx, &rds.DescribeDBProxyTargetsInput{DBProxyName: p.DBProxyName})
		require.NoError(t, err)
		for _, tt := range tg.Targets {
			health := ""
			if tt.TargetHealth != nil {
				health = string(tt.TargetHealth.State)
			}
			v.Targets[name] = append(v.Targets[name], strings.Join([]string{string(tt.Type), aws.ToString(tt.RdsResourceId), string(tt.Role), health}, " "))
		}
	}
	sg, err := c.DescribeDBShardGroups(ctx, &rds.DescribeDBShardGroupsInput{})
	require.NoError(t, err)
	for _, g := range sg.DBShardGroups {
		v.ShardGroups = append(v.ShardGroups, strings.Join([]string{aws.ToString(g.DBShardGroupIdentifier), aws.ToString(g.DBClusterIdentifier),
			fmtFloat(aws.ToFloat64(g.MinACU)), fmtFloat(aws.ToFloat64(g.MaxACU)), fmtFloat(float64(aws.ToInt32(g.ComputeRedundancy))), aws.ToString(g.Status)}, " "))
	}
	cl, err := c.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	for _, d := range cl.DBClusters {
		v.Clusters[aws.ToString(d.DBClusterIdentifier)] = string(d.ClusterScalabilityType) + "/" + aws.ToString(d.DBClusterInstanceClass)
	}
	out, err := cwClient(url, "cbor", 1).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(end),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("t"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(simulator.Namespace), MetricName: aws.String("DatabaseConnections"), Dimensions: []cwtypes.Dimension{
				{Name: aws.String("Target"), Value: aws.String("ledger-1")}, // in any order
				{Name: aws.String("ProxyName"), Value: aws.String("ledger-proxy")},
				{Name: aws.String("TargetGroup"), Value: aws.String("default")},
			}},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}},
	})
	require.NoError(t, err)
	for _, x := range out.MetricDataResults[0].Values {
		v.TargetSum += x
	}
	return v
}

// fmtFloat formats like Python's "%g" for the values here.
func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// The simulator answers DescribeDBProxies, DescribeDBProxyTargets (with the tracked
// cluster), DescribeDBShardGroups and the Multi-AZ and Limitless cluster fields as RDS
// does, and serves RDS Proxy target series by their three dimensions in any order.
func TestProxiesAndShardGroups(t *testing.T) {
	s := newSim(t, mixedFleet(t))
	start, end := t0.Add(-10*time.Minute), t0
	v := goTopologyView(t, s.URL, start, end)
	assert.Equal(t, []string{"crm-proxy SQLSERVER available", "ledger-proxy POSTGRESQL available"}, v.Proxies)
	assert.Equal(t, []string{"RDS_INSTANCE crm READ_WRITE AVAILABLE"}, v.Targets["crm-proxy"], "no tracked cluster in front of an instance")
	assert.Equal(t, []string{"TRACKED_CLUSTER ledger  ", "RDS_INSTANCE ledger-1 READ_WRITE AVAILABLE", "RDS_INSTANCE ledger-2 READ_ONLY UNAVAILABLE"},
		v.Targets["ledger-proxy"])
	assert.Equal(t, []string{"orders-sg orders 16 400 1 available"}, v.ShardGroups)
	assert.Equal(t, "limitless/", v.Clusters["orders"])
	assert.Equal(t, "standard/", v.Clusters["ledger"])
	assert.Equal(t, "/db.m6gd.large", v.Clusters["billing"], "a Multi-AZ DB cluster has one instance class and no scalability type")
	assert.Positive(t, v.TargetSum)
	assert.Equal(t, map[string]bool{
		"arn:aws:rds:us-east-1:123456789012:cluster:ledger": true, "arn:aws:rds:us-west-2:123456789012:cluster:ledger-us-west-2": false,
		"arn:aws:rds:us-east-1:123456789012:cluster:cart-eu": false, "arn:aws:rds:us-west-2:123456789012:cluster:cart-eu-us-west-2": true,
	}, v.Writers)

	ctx := context.Background()
	c := rdsClient(s.URL)
	var ae smithy.APIError
	_, err := c.DescribeDBProxyTargets(ctx, &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String("nope")})
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, "DBProxyNotFoundFault", ae.ErrorCode())
	sg, err := c.DescribeDBShardGroups(ctx, &rds.DescribeDBShardGroupsInput{Filters: []rdstypes.Filter{{Name: aws.String("db-cluster-id"), Values: []string{"ledger"}}}})
	require.NoError(t, err)
	assert.Empty(t, sg.DBShardGroups)

	// A client-side proxy metric does not exist per target: a phantom.
	_, err = cwClient(s.URL, "cbor", 1).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(end),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("p"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(simulator.Namespace), MetricName: aws.String("ClientConnections"), Dimensions: []cwtypes.Dimension{
				{Name: aws.String("ProxyName"), Value: aws.String("ledger-proxy")},
				{Name: aws.String("TargetGroup"), Value: aws.String("default")},
				{Name: aws.String("Target"), Value: aws.String("ledger-1")},
			}},
			Period: aws.Int32(60), Stat: aws.String("Average")}}},
	})
	require.NoError(t, err)
	cs := s.Counters()
	assert.Equal(t, int64(1), cs.PhantomQueries)
	assert.Contains(t, cs.Phantoms, simulator.PhantomQuery{Namespace: simulator.Namespace, Metric: "ClientConnections",
		Dimensions: "ProxyName=ledger-proxy,Target=ledger-1,TargetGroup=default", Identifier: "ledger-proxy", Count: 1})

	// ListMetrics by ProxyName finds the proxy's series and its targets'.
	lm, err := cwClient(s.URL, "cbor", 1).ListMetrics(ctx, &cloudwatch.ListMetricsInput{
		Namespace: aws.String(simulator.Namespace), MetricName: aws.String("DatabaseConnections"),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("ProxyName"), Value: aws.String("ledger-proxy")}}})
	require.NoError(t, err)
	var dims []int
	for _, m := range lm.Metrics {
		dims = append(dims, len(m.Dimensions))
	}
	slices.Sort(dims)
	assert.Equal(t, []int{1, 3, 3}, dims)
}

func TestTopologyValidation(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"target missing", `
instances: [{identifier: a, engine: postgres, class: db.m6g.large}]
proxies: [{name: p, engine_family: POSTGRESQL, targets: [{instance: b}]}]`, `proxy "p": target instance "b" does not exist`},
		{"engine family", `
instances: [{identifier: a, engine: postgres, class: db.m6g.large}]
proxies: [{name: p, engine_family: ORACLE, targets: [{instance: a}]}]`, `engine_family "ORACLE"`},
		{"shard group of a standard cluster", `
instances: [{identifier: a, engine: aurora-postgresql, class: db.r6g.large, cluster: c}]
clusters: [{identifier: c, engine: aurora-postgresql, members: [{instance: a, writer: true}]}]
shard_groups: [{identifier: g, cluster: c, max_acu: 100}]`, `cluster "c" is not a Limitless cluster`},
		{"limitless with instances", `
instances: [{identifier: a, engine: aurora-postgresql, class: db.r6g.large, cluster: c}]
clusters: [{identifier: c, engine: aurora-postgresql, scalability_type: limitless, members: [{instance: a, writer: true}]}]`, `has no member instances`},
		{"multi-az of mariadb", `
instances: [{identifier: a, engine: mariadb, class: db.m6g.large, cluster: c}]
clusters: [{identifier: c, engine: mariadb, members: [{instance: a, writer: true}]}]`, `engine "mariadb" is not`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := simulator.ParseFleet([]byte(tt.yaml))
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// boto3 reads the same proxies, targets, shard groups and target series as the Go SDK.
// Older botocore models (Debian's) lack DescribeDBShardGroups; at least one interpreter
// must have it.
func TestBoto3CrossCheckTopology(t *testing.T) {
	usable := boto3Pythons(t)
	s := newSim(t, mixedFleet(t))
	start, end := t0.Add(-10*time.Minute), t0
	want := goTopologyView(t, s.URL, start, end)
	checked := 0
	for _, python := range usable {
		t.Run(strings.ReplaceAll(python, "/", "_"), func(t *testing.T) {
			var got topologyView
			runPythonScript(t, python, boto3TopologyScript, s.URL, start, end, &got)
			w := want
			if slices.Contains(got.Lacks, "DescribeDBShardGroups") {
				t.Logf("%s: this botocore lacks %v", python, got.Lacks)
				w.ShardGroups, w.Clusters = nil, nil
			} else {
				checked++
			}
			w.Lacks = got.Lacks
			assert.Equal(t, w, got)
		})
	}
	assert.Positive(t, checked, "no interpreter's botocore could check DescribeDBShardGroups")
}
