package simulator_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

func TestSeriesRules(t *testing.T) {
	s := newSim(t, smallFleet(t))
	series := s.Series()
	has := func(dim, id, metric string) bool {
		return slices.Contains(series, simulator.SeriesID{DimensionName: dim, Identifier: id, Metric: metric})
	}
	const inst, clus = simulator.DimInstance, simulator.DimCluster
	tests := []struct {
		dim, id, metric string
		want            bool
	}{
		{inst, "mysql-a", "CPUUtilization", true},
		{inst, "aurora-pg-1", "NetworkTransmitThroughput", true},
		{inst, "mysql-a", "FreeStorageSpace", true},
		{inst, "aurora-a-1", "FreeStorageSpace", false},
		{inst, "aurora-a-1", "FreeLocalStorage", true},
		{inst, "pg-a", "FreeLocalStorage", false},
		{inst, "mysql-a", "EBSIOBalance%", true},
		{inst, "aurora-a-2", "StorageNetworkReceiveThroughput", true},
		{inst, "mysql-a", "BurstBalance", true},          // gp2
		{inst, "mysql-a-replica", "BurstBalance", false}, // gp3
		{inst, "maria-t3", "BurstBalance", true},
		{inst, "maria-t3", "CPUCreditBalance", true},
		{inst, "mysql-a", "CPUCreditBalance", false},
		{inst, "mysql-a-replica", "ReplicaLag", true},
		{inst, "mysql-a", "ReplicaLag", false},
		{inst, "aurora-a-2", "ReplicaLag", false},
		{inst, "mysql-a-replica", "ReplicationChannelLag", true},
		{inst, "mysql-a", "BinLogDiskUsage", true},
		{inst, "maria-t3", "ConnectionAttempts", true},
		{inst, "aurora-a-1", "BinLogDiskUsage", false},
		{inst, "pg-a", "TransactionLogsDiskUsage", true},
		{inst, "pg-a", "CheckpointLag", true},
		{inst, "mysql-a", "CheckpointLag", false},
		{inst, "pg-a", "MaximumUsedTransactionIDs", true},
		{inst, "aurora-pg-1", "MaximumUsedTransactionIDs", true},
		{inst, "aurora-a-1", "MaximumUsedTransactionIDs", false},
		{inst, "pg-a", "DBLoad", true},
		{inst, "pg-a", "DBLoadRelativeToNumVCPUs", true},
		{inst, "mysql-a", "DBLoad", false},
		{inst, "aurora-a-1", "DBLoadCPU", true},
		{inst, "aurora-a-1", "CommitLatency", true},
		{inst, "pg-a", "CommitLatency", false},
		{inst, "aurora-a-2", "AuroraReplicaLag", true},
		{inst, "aurora-a-1", "AuroraReplicaLag", false},
		{inst, "aurora-a-1", "AuroraReplicaLagMaximum", true},
		{inst, "aurora-a-2", "AuroraReplicaLagMinimum", false},
		{inst, "aurora-a-1", "SelectThroughput", true},
		{inst, "aurora-pg-1", "SelectThroughput", false},
		{inst, "aurora-pg-1", "TempStorageIOPS", true},
		{inst, "aurora-pg-1", "RDSToAuroraPostgreSQLReplicaLag", true}, // in-database replication: every Aurora PostgreSQL instance
		{inst, "mysql-a", "ReplicationChannelLag", true},               // in-database channels: every MySQL instance
		{inst, "pg-a", "ReplicationChannelLag", false},
		{clus, "aurora-a", "VolumeBytesUsed", true},
		{clus, "aurora-pg", "VolumeWriteIOPs", true},
		{clus, "aurora-pg", "ServerlessDatabaseCapacity", true},
		{clus, "aurora-pg", "ACUUtilization", true},
		{clus, "aurora-a", "ServerlessDatabaseCapacity", false},
		{clus, "aurora-a", "AuroraGlobalDBReplicationLag", false},
		{inst, "aurora-a", "VolumeBytesUsed", false},
		{clus, "aurora-a-1", "CPUUtilization", false},
		{inst, "nope", "CPUUtilization", false},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.metric, func(t *testing.T) {
			assert.Equal(t, tt.want, has(tt.dim, tt.id, tt.metric))
			_, ok := s.Value(tt.dim, tt.id, tt.metric, "Average", t0.Add(-time.Hour), time.Minute)
			assert.Equal(t, tt.want, ok, "Value agrees with Series")
		})
	}
}

// A global database's primary publishes what it ships, a secondary how far it lags; and
// DescribeGlobalClusters names each member's role, with the member in the other region.
func TestGlobalClusterSeries(t *testing.T) {
	f := smallFleet(t)
	f.Clusters[0].GlobalClusterIdentifier = "global-a"
	f.Clusters[1].GlobalClusterIdentifier, f.Clusters[1].GlobalSecondary = "global-b", true
	s := newSim(t, f)
	for _, tt := range []struct {
		cluster int
		metric  string
		want    bool
	}{
		{0, "AuroraGlobalDBReplicatedWriteIO", true},
		{0, "AuroraGlobalDBDataTransferBytes", true},
		{0, "AuroraGlobalDBReplicationLag", false},
		{1, "AuroraGlobalDBReplicationLag", true},
		{1, "AuroraGlobalDBReplicatedWriteIO", false},
		{1, "AuroraGlobalDBDataTransferBytes", false},
	} {
		_, ok := s.Value(simulator.DimCluster, f.Clusters[tt.cluster].Identifier, tt.metric, "Average", t0.Add(-time.Hour), time.Minute)
		assert.Equal(t, tt.want, ok, "%s %s", f.Clusters[tt.cluster].Identifier, tt.metric)
	}
	out, err := rdsClient(s.URL).DescribeGlobalClusters(context.Background(), &rds.DescribeGlobalClustersInput{})
	require.NoError(t, err)
	writers := map[string]bool{}
	for _, g := range out.GlobalClusters {
		require.Len(t, g.GlobalClusterMembers, 2, aws.ToString(g.GlobalClusterIdentifier))
		for _, m := range g.GlobalClusterMembers {
			writers[aws.ToString(m.DBClusterArn)] = aws.ToBool(m.IsWriter)
		}
	}
	assert.True(t, writers["arn:aws:rds:us-east-1:123456789012:cluster:"+f.Clusters[0].Identifier])
	assert.False(t, writers["arn:aws:rds:us-east-1:123456789012:cluster:"+f.Clusters[1].Identifier])
	assert.True(t, writers["arn:aws:rds:us-west-2:123456789012:cluster:"+f.Clusters[1].Identifier+"-us-west-2"], "the primary of a local secondary is remote")
}

func TestStatisticsConsistent(t *testing.T) {
	s := newSim(t, simulator.GenerateFleet(60, 3))
	periods := []time.Duration{time.Minute, 5 * time.Minute, time.Hour}
	for _, id := range s.Series() {
		for _, p := range periods {
			ts := t0.Add(-2 * time.Hour)
			get := func(stat string) float64 {
				v, ok := s.Value(id.DimensionName, id.Identifier, id.Metric, stat, ts, p)
				require.True(t, ok, "%v %s", id, stat)
				return v
			}
			lo, avg, hi, sum, n, p99 := get("Minimum"), get("Average"), get("Maximum"), get("Sum"), get("SampleCount"), get("p99")
			assert.LessOrEqual(t, lo, avg*(1+1e-12), "%v", id)
			assert.LessOrEqual(t, avg, hi*(1+1e-12), "%v", id)
			assert.True(t, p99 >= lo && p99 <= hi, "%v p99", id)
			assert.InEpsilon(t, avg*n, sum+1e-300, 1e-9, "%v sum", id)
			assert.Equal(t, 4*p.Minutes(), n, "%v sample count", id)
			assert.GreaterOrEqual(t, lo, 0.0, "%v non-negative", id)
			switch id.Metric {
			case "CPUUtilization", "BurstBalance", "BufferCacheHitRatio", "EBSByteBalance%":
				assert.LessOrEqual(t, hi, 100.0, "%v percent", id)
			}
		}
	}
}

func TestValuesRealistic(t *testing.T) {
	s := newSim(t, smallFleet(t))
	ts := t0.Add(-time.Hour)
	val := func(dim, id, metric, stat string) float64 {
		v, ok := s.Value(dim, id, metric, stat, ts, time.Minute)
		require.True(t, ok, "%s %s", id, metric)
		return v
	}
	const gib = 1 << 30
	// mysql-a: 200 GiB allocated, db.m6g.large (8 GiB).
	assert.Less(t, val(simulator.DimInstance, "mysql-a", "FreeStorageSpace", "Maximum"), 200.0*gib)
	assert.Greater(t, val(simulator.DimInstance, "mysql-a", "FreeStorageSpace", "Minimum"), 10.0*gib)
	assert.Less(t, val(simulator.DimInstance, "mysql-a", "FreeableMemory", "Maximum"), 8.0*gib)
	assert.Less(t, val(simulator.DimInstance, "maria-t3", "FreeableMemory", "Maximum"), 1.0*gib)
	assert.Less(t, val(simulator.DimInstance, "mysql-a", "ReadLatency", "Maximum"), 0.1, "seconds")
	assert.Greater(t, val(simulator.DimInstance, "aurora-a-1", "CommitLatency", "Average"), 0.1, "milliseconds")
	// Derived series add up.
	load := val(simulator.DimInstance, "pg-a", "DBLoad", "Sum")
	cpu, other := val(simulator.DimInstance, "pg-a", "DBLoadCPU", "Sum"), val(simulator.DimInstance, "pg-a", "DBLoadNonCPU", "Sum")
	assert.InDelta(t, cpu+other, load, 1e-9)
	acu := val(simulator.DimCluster, "aurora-pg", "ServerlessDatabaseCapacity", "Maximum")
	assert.True(t, acu >= 0.5 && acu <= 8, "ACU %v within the scaling range", acu)
	assert.InDelta(t, 100*acu/8, val(simulator.DimCluster, "aurora-pg", "ACUUtilization", "Maximum"), 1e-9)
}

func TestValueDeterministicAndBounded(t *testing.T) {
	a, b := newSim(t, smallFleet(t)), newSim(t, smallFleet(t))
	ts := t0.Add(-90 * time.Minute)
	va, ok := a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "p99", ts, 5*time.Minute)
	require.True(t, ok)
	vb, _ := b.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "p99", ts, 5*time.Minute)
	assert.Equal(t, va, vb)
	// Unaligned timestamps mean the period that contains them.
	vc, _ := a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "p99", ts.Add(2*time.Minute+7*time.Second), 5*time.Minute)
	assert.Equal(t, va, vc)

	_, ok = a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", a.CreatedAt().Add(-time.Minute), time.Minute)
	assert.False(t, ok, "no data before the fleet was created")
	_, ok = a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Avg", ts, time.Minute)
	assert.False(t, ok, "unknown statistic")
	_, ok = a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", ts, 90*time.Second)
	assert.False(t, ok, "CloudWatch has no 90 s period")
	v10, ok := a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", ts, 10*time.Second)
	require.True(t, ok)
	v60, _ := a.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", ts, time.Minute)
	assert.Equal(t, v60, v10, "RDS data is 60-second data")
}

func TestInstanceCreatedLater(t *testing.T) {
	f := smallFleet(t)
	f.Instances[0].CreateTime = t0.Add(-30 * time.Minute) // mysql-a
	s := newSim(t, f)
	id := f.Instances[0].Identifier
	_, ok := s.Value(simulator.DimInstance, id, "CPUUtilization", "Average", t0.Add(-31*time.Minute), time.Minute)
	assert.False(t, ok)
	_, ok = s.Value(simulator.DimInstance, id, "CPUUtilization", "Average", t0.Add(-30*time.Minute), time.Minute)
	assert.False(t, ok, "created at 11:30:30, so the 11:30 minute has no data")
	_, ok = s.Value(simulator.DimInstance, id, "CPUUtilization", "Average", t0.Add(-29*time.Minute), time.Minute)
	assert.True(t, ok)
	_, ok = s.Value(simulator.DimInstance, "pg-a", "CPUUtilization", "Average", t0.Add(-31*time.Minute), time.Minute)
	assert.True(t, ok, "other instances keep the fleet's creation time")
}
