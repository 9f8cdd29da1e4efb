package discovery

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/shard"
)

func TestFilterMatch(t *testing.T) {
	prod := Instance{Identifier: "orders-db", Engine: "postgres", Tags: map[string]string{"env": "prod", "team": "orders"}}
	dev := Instance{Identifier: "orders-dev", Engine: "mysql", Tags: map[string]string{"env": "dev"}}
	untagged := Instance{Identifier: "legacy", Engine: "mariadb"}
	tests := []struct {
		name string
		cfg  FilterConfig
		want []bool // prod, dev, untagged
	}{
		{"empty filter keeps everything, untagged too", FilterConfig{}, []bool{true, true, true}},
		{"engines", FilterConfig{Engines: []string{"postgres", "mariadb"}}, []bool{true, false, true}},
		{"exact identifier", FilterConfig{Identifiers: []string{"orders-db"}}, []bool{true, false, false}},
		{"identifier regex is anchored", FilterConfig{Identifiers: []string{"orders-.*"}}, []bool{true, true, false}},
		{"identifier regex does not match a substring", FilterConfig{Identifiers: []string{"orders"}}, []bool{false, false, false}},
		{"exclude identifiers", FilterConfig{ExcludeIdentifiers: []string{".*-dev"}}, []bool{true, false, true}},
		{"tag with one of several values", FilterConfig{Tags: map[string][]string{"env": {"prod", "staging"}}}, []bool{true, false, false}},
		{"tag key only", FilterConfig{Tags: map[string][]string{"env": nil}}, []bool{true, true, false}},
		{"all tag keys must match", FilterConfig{Tags: map[string][]string{"env": nil, "team": {"orders"}}}, []bool{true, false, false}},
		{"exclude tags", FilterConfig{ExcludeTags: map[string][]string{"env": {"dev"}}}, []bool{true, false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := tt.cfg.Compile()
			require.NoError(t, err)
			assert.Equal(t, tt.want, []bool{f.Match(prod), f.Match(dev), f.Match(untagged)})
		})
	}
}

func TestFilterValidateNamesTheField(t *testing.T) {
	tests := []struct {
		cfg  FilterConfig
		want string
	}{
		{FilterConfig{Engines: []string{"postgresql"}}, `engines[0]: unknown engine "postgresql"`},
		{FilterConfig{Identifiers: []string{"db-("}}, `identifiers[0]: invalid regular expression "db-("`},
		{FilterConfig{ExcludeIdentifiers: []string{""}}, `exclude_identifiers[0]: empty pattern`},
		{FilterConfig{Tags: map[string][]string{"": nil}}, `tags: empty tag key`},
		{FilterConfig{ExcludeTags: map[string][]string{"env": {""}}}, `exclude_tags[env]: empty tag value`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := tt.cfg.Compile()
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

// fakeRDS pages n instances; instances db-0 and db-1 form Aurora cluster c-0 (db-0 writer).
type fakeRDS struct {
	n, instanceCalls, clusterCalls int
	fail                           bool
	proxyCalls                     int
	proxyErr                       error // DescribeDBProxies' answer; no proxies when nil
}

func (f *fakeRDS) DescribeDBProxies(context.Context, *rds.DescribeDBProxiesInput, ...func(*rds.Options)) (*rds.DescribeDBProxiesOutput, error) {
	f.proxyCalls++
	if f.proxyErr != nil {
		return nil, f.proxyErr
	}
	return &rds.DescribeDBProxiesOutput{}, nil
}

func (f *fakeRDS) DescribeDBProxyTargets(context.Context, *rds.DescribeDBProxyTargetsInput, ...func(*rds.Options)) (*rds.DescribeDBProxyTargetsOutput, error) {
	return &rds.DescribeDBProxyTargetsOutput{}, nil
}

func (f *fakeRDS) DescribeGlobalClusters(context.Context, *rds.DescribeGlobalClustersInput, ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	return &rds.DescribeGlobalClustersOutput{}, nil
}

func (f *fakeRDS) DescribeDBShardGroups(context.Context, *rds.DescribeDBShardGroupsInput, ...func(*rds.Options)) (*rds.DescribeDBShardGroupsOutput, error) {
	return &rds.DescribeDBShardGroupsOutput{}, nil
}

// A principal without rds:DescribeDBProxies still gets its instances and clusters, and
// one warning: the call is not repeated on later refreshes. Any other error fails the
// refresh, which keeps the last fleet and retries.
func TestProxiesWithoutPermission(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform: rds:DescribeDBProxies"}
	api := &fakeRDS{n: 5, proxyErr: denied}
	f, _ := FilterConfig{}.Compile()
	src := NewSource(api, f, time.Minute)
	now := time.Now()
	fleet, refreshed, _, err := src.Fleet(context.Background(), now)
	require.NoError(t, err)
	require.True(t, refreshed)
	assert.Len(t, fleet.Instances, 5)
	require.Len(t, fleet.Warnings, 1)
	assert.Contains(t, fleet.Warnings[0], "RDS Proxies are not monitored")
	assert.Contains(t, fleet.Warnings[0], "rds:DescribeDBProxies")

	fleet, refreshed, _, err = src.Fleet(context.Background(), now.Add(time.Hour))
	require.NoError(t, err)
	require.True(t, refreshed)
	assert.Empty(t, fleet.Warnings, "said once")
	assert.Equal(t, 1, api.proxyCalls, "not asked again")

	api.proxyErr = errors.New("Throttling: Rate exceeded")
	_, err = Describe(context.Background(), api, f, now)
	assert.ErrorContains(t, err, "DescribeDBProxies")
}

func (f *fakeRDS) DescribeDBInstances(_ context.Context, in *rds.DescribeDBInstancesInput, _ ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error) {
	f.instanceCalls++
	if f.fail {
		return nil, errors.New("Throttling: Rate exceeded")
	}
	start := 0
	if in.Marker != nil {
		fmt.Sscan(*in.Marker, &start)
	}
	out := &rds.DescribeDBInstancesOutput{}
	end := min(f.n, start+int(aws.ToInt32(in.MaxRecords)))
	for i := start; i < end; i++ {
		d := types.DBInstance{DBInstanceIdentifier: aws.String(fmt.Sprintf("db-%d", i)), Engine: aws.String("postgres"), StorageType: aws.String("gp3"),
			TagList: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}, Endpoint: &types.Endpoint{Address: aws.String("h"), Port: aws.Int32(5432)}}
		if i < 2 {
			d.Engine, d.DBClusterIdentifier = aws.String("aurora-postgresql"), aws.String("c-0")
		}
		if i == 2 {
			d.ReadReplicaSourceDBInstanceIdentifier = aws.String("db-3")
		}
		out.DBInstances = append(out.DBInstances, d)
	}
	if end < f.n {
		out.Marker = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (f *fakeRDS) DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	f.clusterCalls++
	return &rds.DescribeDBClustersOutput{DBClusters: []types.DBCluster{
		{DBClusterIdentifier: aws.String("c-0"), Engine: aws.String("aurora-postgresql"), DBClusterMembers: []types.DBClusterMember{
			{DBInstanceIdentifier: aws.String("db-0"), IsClusterWriter: aws.Bool(true)},
			{DBInstanceIdentifier: aws.String("db-1"), IsClusterWriter: aws.Bool(false)},
		}},
		{DBClusterIdentifier: aws.String("c-unwatched"), Engine: aws.String("aurora-mysql")},
	}}, nil
}

func TestDescribePagesAndRoles(t *testing.T) {
	api := &fakeRDS{n: 250}
	f, _ := FilterConfig{}.Compile()
	fleet, err := Describe(context.Background(), api, f, time.Now())
	require.NoError(t, err)
	assert.Equal(t, 3, api.instanceCalls, "ceil(250/100) DescribeDBInstances pages")
	require.Len(t, fleet.Instances, 250)
	roles := map[string]Role{}
	for _, in := range fleet.Instances {
		roles[in.Identifier] = in.Role
	}
	assert.Equal(t, RoleWriter, roles["db-0"])
	assert.Equal(t, RoleReader, roles["db-1"])
	assert.Equal(t, RoleReplica, roles["db-2"])
	assert.Equal(t, RolePrimary, roles["db-3"])
	assert.Equal(t, "prod", fleet.Instances[0].Tags["env"])
	require.Len(t, fleet.Clusters, 1, "clusters without a watched member are dropped")
	assert.Equal(t, "c-0", fleet.Clusters[0].Identifier)
}

func TestSourceRefreshesOnItsOwnIntervalAndKeepsLastFleet(t *testing.T) {
	api := &fakeRDS{n: 5}
	f, _ := FilterConfig{}.Compile()
	s := NewSource(api, f, 5*time.Minute)
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

	fleet, refreshed, known, err := s.Fleet(context.Background(), t0)
	require.NoError(t, err)
	assert.True(t, refreshed && known)
	assert.Len(t, fleet.Instances, 5)

	_, refreshed, _, _ = s.Fleet(context.Background(), t0.Add(time.Minute))
	assert.False(t, refreshed)
	assert.Equal(t, 1, api.instanceCalls, "no DescribeDBInstances between refreshes")

	api.fail = true
	fleet, refreshed, known, err = s.Fleet(context.Background(), t0.Add(5*time.Minute))
	require.Error(t, err)
	assert.False(t, refreshed)
	assert.True(t, known)
	assert.Len(t, fleet.Instances, 5, "a failed refresh keeps the last fleet")

	api.fail, api.n = false, 7
	fleet, refreshed, _, err = s.Fleet(context.Background(), t0.Add(6*time.Minute))
	require.NoError(t, err)
	assert.True(t, refreshed, "a failed refresh is retried on the next scrape")
	assert.Len(t, fleet.Instances, 7)
}

// Sharded filters split the fleet: every instance in exactly one share, a cluster in the
// share of its members (all of them), and the shares' union is the unsharded fleet.
func TestShardedFiltersSplitTheFleetWithClustersWhole(t *testing.T) {
	const n, count = 250, 3
	f, _ := FilterConfig{}.Compile()
	owner := map[string]int{}
	clusterOwner := -1
	for i := range count {
		owns := func(key string) bool { return shard.Shard{Count: count, Index: i}.Owns(key) }
		fleet, err := Describe(context.Background(), &fakeRDS{n: n}, f.Sharded(owns), time.Now())
		require.NoError(t, err)
		for _, in := range fleet.Instances {
			if o, ok := owner[in.Identifier]; ok {
				t.Errorf("%s is in shares %d and %d", in.Identifier, o, i)
			}
			owner[in.Identifier] = i
		}
		for _, c := range fleet.Clusters {
			assert.Equal(t, "c-0", c.Identifier)
			clusterOwner = i
		}
	}
	assert.Len(t, owner, n, "every instance in one share")
	assert.Equal(t, clusterOwner, owner["db-0"], "the cluster goes with its writer")
	assert.Equal(t, clusterOwner, owner["db-1"], "and its reader")
}

func TestShareKey(t *testing.T) {
	clusters := map[string]string{"c-0": "cluster-ABC"}
	for _, tc := range []struct {
		in   Instance
		want string
	}{
		{Instance{Identifier: "db-1", ResourceID: "db-XYZ"}, "instance/db-XYZ"},
		{Instance{Identifier: "db-1"}, "instance-name/db-1"},
		{Instance{Identifier: "db-1", ResourceID: "db-XYZ", ClusterIdentifier: "c-0"}, "cluster/cluster-ABC"},
		{Instance{Identifier: "db-1", ResourceID: "db-XYZ", ClusterIdentifier: "c-9"}, "cluster-name/c-9"},
	} {
		assert.Equal(t, tc.want, ShareKey(tc.in, clusters), "%+v", tc.in)
	}
}
