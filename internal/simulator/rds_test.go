package simulator_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func TestDescribeDBInstancesPagination(t *testing.T) {
	s := newSim(t, simulator.GenerateFleet(250, 11))
	client := rdsClient(s.URL)
	ctx := context.Background()

	pages := rds.NewDescribeDBInstancesPaginator(client, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(100)})
	var ids, sizes []string
	var pageSizes []int
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		require.NoError(t, err)
		pageSizes = append(pageSizes, len(out.DBInstances))
		for _, in := range out.DBInstances {
			ids = append(ids, aws.ToString(in.DBInstanceIdentifier))
			sizes = append(sizes, aws.ToString(in.DBInstanceClass))
		}
	}
	assert.Equal(t, []int{100, 100, 50}, pageSizes)
	assert.Len(t, ids, 250)
	assert.True(t, sort.StringsAreSorted(ids), "RDS returns instances by identifier")
	assert.Equal(t, int64(3), s.Counters().DescribeDBInstancesPages)
	assert.Equal(t, int64(3), s.Counters().CallsByProtocol["DescribeDBInstances"][simulator.ProtoQuery])

	for _, n := range []int32{10, 19, 101} {
		_, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(n)})
		var apiErr smithy.APIError
		require.ErrorAs(t, err, &apiErr, "MaxRecords %d", n)
		assert.Equal(t, "InvalidParameterValue", apiErr.ErrorCode())
		assert.Equal(t, http.StatusBadRequest, httpStatus(err))
	}
	out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(20)})
	require.NoError(t, err)
	assert.Len(t, out.DBInstances, 20)
	assert.NotEmpty(t, aws.ToString(out.Marker))
}

func TestDescribeDBInstancesFields(t *testing.T) {
	s := newSim(t, smallFleet(t))
	out, err := rdsClient(s.URL).DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	require.Len(t, out.DBInstances, 7)
	byID := map[string]rdstypes.DBInstance{}
	for _, in := range out.DBInstances {
		byID[aws.ToString(in.DBInstanceIdentifier)] = in
	}

	a := byID["mysql-a"]
	assert.Equal(t, "mysql", aws.ToString(a.Engine))
	assert.Equal(t, "8.0.39", aws.ToString(a.EngineVersion))
	assert.Equal(t, "db.m6g.large", aws.ToString(a.DBInstanceClass))
	assert.Equal(t, "gp2", aws.ToString(a.StorageType))
	assert.Equal(t, int32(200), aws.ToInt32(a.AllocatedStorage))
	assert.Equal(t, int32(500), aws.ToInt32(a.MaxAllocatedStorage))
	assert.Equal(t, "available", aws.ToString(a.DBInstanceStatus))
	assert.True(t, aws.ToBool(a.MultiAZ))
	assert.Equal(t, int32(60), aws.ToInt32(a.MonitoringInterval))
	assert.False(t, aws.ToBool(a.PerformanceInsightsEnabled))
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:db:mysql-a", aws.ToString(a.DBInstanceArn))
	assert.True(t, strings.HasPrefix(aws.ToString(a.DbiResourceId), "db-"))
	assert.Equal(t, int32(3306), aws.ToInt32(a.Endpoint.Port))
	assert.Contains(t, aws.ToString(a.Endpoint.Address), "mysql-a.")
	assert.Equal(t, "us-east-1a", aws.ToString(a.AvailabilityZone))
	assert.Equal(t, []string{"mysql-a-replica"}, a.ReadReplicaDBInstanceIdentifiers)
	assert.Equal(t, map[string]string{"env": "prod", "team": "payments", "app": "checkout"}, tagMap(a.TagList))
	assert.Equal(t, s.CreatedAt(), aws.ToTime(a.InstanceCreateTime))

	r := byID["mysql-a-replica"]
	assert.Equal(t, "mysql-a", aws.ToString(r.ReadReplicaSourceDBInstanceIdentifier))
	assert.Equal(t, int32(3000), aws.ToInt32(r.Iops))
	assert.Equal(t, int32(125), aws.ToInt32(r.StorageThroughput))

	assert.True(t, aws.ToBool(byID["pg-a"].PerformanceInsightsEnabled))
	assert.Equal(t, int32(5432), aws.ToInt32(byID["pg-a"].Endpoint.Port))
	assert.Empty(t, byID["maria-t3"].TagList)
	assert.Equal(t, "aurora-a", aws.ToString(byID["aurora-a-2"].DBClusterIdentifier))
	assert.Equal(t, "aurora", aws.ToString(byID["aurora-a-2"].StorageType))
	assert.Equal(t, "db.serverless", aws.ToString(byID["aurora-pg-1"].DBInstanceClass))
}

func TestDescribeDBInstancesSelection(t *testing.T) {
	s := newSim(t, smallFleet(t))
	client := rdsClient(s.URL)
	filter := func(name string, values ...string) []rdstypes.Filter {
		return []rdstypes.Filter{{Name: aws.String(name), Values: values}}
	}
	tests := []struct {
		name     string
		in       rds.DescribeDBInstancesInput
		want     []string
		wantCode string
	}{
		{"engine", rds.DescribeDBInstancesInput{Filters: filter("engine", "postgres", "mariadb")}, []string{"maria-t3", "pg-a"}, ""},
		{"cluster", rds.DescribeDBInstancesInput{Filters: filter("db-cluster-id", "aurora-a")}, []string{"aurora-a-1", "aurora-a-2"}, ""},
		{"instance by arn", rds.DescribeDBInstancesInput{Filters: filter("db-instance-id", "arn:aws:rds:us-east-1:123456789012:db:pg-a")}, []string{"pg-a"}, ""},
		{"two filters", rds.DescribeDBInstancesInput{Filters: append(filter("engine", "mysql"), filter("db-instance-id", "mysql-a", "pg-a")...)}, []string{"mysql-a"}, ""},
		{"identifier", rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("maria-t3")}, []string{"maria-t3"}, ""},
		{"unknown identifier", rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("gone")}, nil, "DBInstanceNotFound"},
		{"unknown filter", rds.DescribeDBInstancesInput{Filters: filter("tag:env", "prod")}, nil, "InvalidParameterValue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := client.DescribeDBInstances(context.Background(), &tt.in)
			if tt.wantCode != "" {
				var apiErr smithy.APIError
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.wantCode, apiErr.ErrorCode())
				if tt.wantCode == "DBInstanceNotFound" {
					var nf *rdstypes.DBInstanceNotFoundFault
					assert.ErrorAs(t, err, &nf, "the SDK maps it to its modeled fault")
					assert.Equal(t, http.StatusNotFound, httpStatus(err))
				}
				return
			}
			require.NoError(t, err)
			var got []string
			for _, in := range out.DBInstances {
				got = append(got, aws.ToString(in.DBInstanceIdentifier))
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDescribeDBClusters(t *testing.T) {
	s := newSim(t, smallFleet(t))
	client := rdsClient(s.URL)
	out, err := client.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	require.Len(t, out.DBClusters, 2)

	a, pg := out.DBClusters[0], out.DBClusters[1]
	assert.Equal(t, "aurora-a", aws.ToString(a.DBClusterIdentifier))
	assert.Equal(t, "aurora-mysql", aws.ToString(a.Engine))
	assert.Equal(t, "provisioned", aws.ToString(a.EngineMode))
	assert.Equal(t, "arn:aws:rds:us-east-1:123456789012:cluster:aurora-a", aws.ToString(a.DBClusterArn))
	assert.True(t, strings.HasPrefix(aws.ToString(a.DbClusterResourceId), "cluster-"))
	assert.Nil(t, a.ServerlessV2ScalingConfiguration)
	assert.Nil(t, a.GlobalClusterIdentifier)
	assert.Equal(t, map[string]string{"env": "prod", "team": "identity"}, tagMap(a.TagList))
	require.Len(t, a.DBClusterMembers, 2)
	roles := map[string]bool{}
	for _, m := range a.DBClusterMembers {
		roles[aws.ToString(m.DBInstanceIdentifier)] = aws.ToBool(m.IsClusterWriter)
	}
	assert.Equal(t, map[string]bool{"aurora-a-1": true, "aurora-a-2": false}, roles)

	assert.Equal(t, "aurora-postgresql", aws.ToString(pg.Engine))
	require.NotNil(t, pg.ServerlessV2ScalingConfiguration)
	assert.Equal(t, 0.5, aws.ToFloat64(pg.ServerlessV2ScalingConfiguration.MinCapacity))
	assert.Equal(t, 8.0, aws.ToFloat64(pg.ServerlessV2ScalingConfiguration.MaxCapacity))

	f := smallFleet(t)
	f.Clusters[0].GlobalClusterIdentifier = "global-a"
	s.SetFleet(f)
	one, err := client.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("aurora-a")})
	require.NoError(t, err)
	require.Len(t, one.DBClusters, 1)
	assert.Equal(t, "global-a", aws.ToString(one.DBClusters[0].GlobalClusterIdentifier))

	_, err = client.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String("gone")})
	var nf *rdstypes.DBClusterNotFoundFault
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "DBClusterNotFoundFault", nf.ErrorCode())

	assert.Equal(t, int64(2), s.Counters().DescribeDBClustersPages)
}

func TestSetFleetShrinks(t *testing.T) {
	s := newSim(t, smallFleet(t))
	client := rdsClient(s.URL)
	f := smallFleet(t)
	f.Instances = f.Instances[:2] // mysql-a and its replica
	f.Clusters = nil
	s.SetFleet(f)
	out, err := client.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	assert.Len(t, out.DBInstances, 2)
	clusters, err := client.DescribeDBClusters(context.Background(), &rds.DescribeDBClustersInput{})
	require.NoError(t, err)
	assert.Empty(t, clusters.DBClusters)
}

func TestOtherRDSActionsAreCounted(t *testing.T) {
	s := newSim(t, smallFleet(t))
	client := rdsClient(s.URL)
	out, err := client.ListTagsForResource(context.Background(), &rds.ListTagsForResourceInput{
		ResourceName: aws.String("arn:aws:rds:us-east-1:123456789012:db:pg-a"),
	})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"env": "staging", "team": "analytics", "app": "reports"}, tagMap(out.TagList))

	resp, err := http.PostForm(s.URL, url.Values{"Action": {"RebootDBInstance"}, "Version": {"2014-10-31"}, "DBInstanceIdentifier": {"pg-a"}})
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, string(body), "<Code>InvalidAction</Code>")
	assert.Contains(t, string(body), "<Type>Sender</Type>")

	c := s.Counters()
	assert.Equal(t, int64(1), c.Calls["ListTagsForResource"])
	assert.Equal(t, int64(1), c.Calls["RebootDBInstance"])
	assert.Equal(t, int64(1), c.ClientErrors)
}

func tagMap(tags []rdstypes.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
