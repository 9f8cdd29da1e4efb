package catalog

import (
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// inventory metrics come from DescribeDBInstances/DescribeDBClusters, not CloudWatch.
func isInventory(name string) bool {
	return strings.HasPrefix(name, "aws.rds.instance.") || name == "aws.rds.cluster.members" || fromRDSAPI(name) ||
		name == "aws.rds.proxy.target.available" || // DescribeDBProxyTargets
		strings.HasPrefix(name, "aws.rds.slow_query.") || // from slow query logs, not CloudWatch
		strings.HasPrefix(name, "aws.rds.os.") // Enhanced Monitoring, not CloudWatch
}

// fromRDSAPI: metrics read from the RDS API besides DescribeDBInstances (events, pending
// maintenance, account quotas), not from CloudWatch.
func fromRDSAPI(name string) bool {
	return name == "aws.rds.events" || name == "aws.rds.maintenance.pending" || strings.HasPrefix(name, "aws.rds.account.")
}

// metadataMetricNames lists the metric names of the generated default config.
func metadataMetricNames(t *testing.T) []string {
	t.Helper()
	conf := confmap.New()
	require.NoError(t, conf.Marshal(metadata.NewDefaultMetricsBuilderConfig().Metrics))
	var names []string
	for name := range conf.ToStringMap() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func TestEntriesMatchMetadata(t *testing.T) {
	var want []string
	for _, name := range metadataMetricNames(t) {
		// Performance Insights metrics come from their own API, not from CloudWatch.
		if !isInventory(name) && !strings.HasPrefix(name, "aws.rds.pi.") {
			want = append(want, name)
		}
	}
	var got []string
	for _, e := range Entries {
		got = append(got, e.Name)
	}
	sort.Strings(got)
	require.NotEmpty(t, want)
	assert.Equal(t, want, got, "every CloudWatch metric of metadata.yaml needs exactly one catalog entry, and no more")
}

func TestEntriesWellFormed(t *testing.T) {
	names := map[string]bool{}
	cloudWatchNames := map[Scope]map[string]bool{}
	for s := range Scopes {
		cloudWatchNames[s] = map[string]bool{}
	}
	for _, e := range Entries {
		t.Run(e.Name, func(t *testing.T) {
			assert.False(t, names[e.Name], "duplicate name")
			names[e.Name] = true
			assert.False(t, cloudWatchNames[e.Scope][e.CloudWatchName], "duplicate CloudWatch name in scope %v", e.Scope)
			cloudWatchNames[e.Scope][e.CloudWatchName] = true

			assert.NotEmpty(t, e.CloudWatchName)
			assert.True(t, e.Scale == 1 || e.Scale == 0.001 || e.Scale == 1e-6, "scale %v", e.Scale)
			assert.NotNil(t, e.Record)
			assert.False(t, isInventory(e.Name))
			switch e.Scope {
			case InstanceScope:
				assert.NotNil(t, e.ForInstance)
				assert.Nil(t, e.ForCluster)
				assert.Nil(t, e.ForShardGroup)
			case ClusterScope:
				assert.NotNil(t, e.ForCluster)
				assert.Nil(t, e.ForInstance)
				assert.Nil(t, e.ForShardGroup)
				assert.True(t, strings.HasPrefix(e.Name, "aws.rds.cluster."), "cluster metrics live under aws.rds.cluster.")
			case ProxyScope, ProxyTargetScope: // every proxy and target
				assert.Nil(t, e.ForInstance)
				assert.Nil(t, e.ForCluster)
				assert.Nil(t, e.ForShardGroup)
				prefix := map[Scope]string{ProxyScope: "aws.rds.proxy.", ProxyTargetScope: "aws.rds.proxy.target."}[e.Scope]
				assert.True(t, strings.HasPrefix(e.Name, prefix), "%v metrics live under %s", e.Scope, prefix)
				assert.Equal(t, e.Scope == ProxyTargetScope, strings.HasPrefix(e.Name, "aws.rds.proxy.target."))
			case ShardGroupScope:
				assert.NotNil(t, e.ForShardGroup)
				assert.True(t, strings.HasPrefix(e.Name, "aws.rds.shard_group."), "shard group metrics live under aws.rds.shard_group.")
			default:
				t.Fatalf("unknown scope %v", e.Scope)
			}
		})
	}
}

// The metadata.yaml description names the CloudWatch metric and says when it is converted
// from milliseconds; Scale must agree with it.
func TestEntriesMatchMetadataDescriptions(t *testing.T) {
	conf, err := confmaptest.LoadConf("../../metadata.yaml")
	require.NoError(t, err)
	metrics, err := conf.Sub("metrics")
	require.NoError(t, err)
	for _, e := range Entries {
		t.Run(e.Name, func(t *testing.T) {
			m, err := metrics.Sub(e.Name)
			require.NoError(t, err)
			desc, _ := m.Get("description").(string)
			assert.Contains(t, desc, "CloudWatch `"+e.CloudWatchName+"`")
			fromMillis := strings.Contains(desc, "milliseconds")
			assert.Equal(t, fromMillis, e.Scale == 0.001, "description %q vs scale %v", desc, e.Scale)
			fromMicros := strings.Contains(desc, "microseconds")
			assert.Equal(t, fromMicros, e.Scale == 1e-6, "description %q vs scale %v", desc, e.Scale)
			if fromMillis || fromMicros {
				assert.Equal(t, "s", m.Get("unit"))
			}
		})
	}
}

func TestMillisecondMetrics(t *testing.T) {
	want := []string{
		"AuroraGlobalDBReplicationLag", "AuroraReplicaLag", "AuroraReplicaLagMaximum", "AuroraReplicaLagMinimum",
		"CommitLatency", "DDLLatency", "DMLLatency", "DeleteLatency", "InsertLatency", "RowLockTime",
		"SelectLatency", "UpdateLatency",
	}
	var got []string
	for _, e := range Entries {
		if e.Scale == 0.001 {
			got = append(got, e.CloudWatchName)
		}
	}
	sort.Strings(got)
	assert.Equal(t, want, got)
}

// RDS Proxy reports its latencies in microseconds (RDS User Guide, "Monitoring RDS Proxy
// metrics with Amazon CloudWatch").
func TestMicrosecondMetrics(t *testing.T) {
	var got []string
	for _, e := range Entries {
		if e.Scale == 1e-6 {
			got = append(got, e.Scope.String()+" "+e.CloudWatchName)
		}
	}
	sort.Strings(got)
	assert.Equal(t, []string{"proxy DatabaseConnectionsBorrowLatency", "proxy QueryDatabaseResponseLatency",
		"proxy QueryResponseLatency", "proxy target QueryDatabaseResponseLatency"}, got)
}

func TestByName(t *testing.T) {
	e, ok := ByName("aws.rds.cpu.utilization")
	require.True(t, ok)
	assert.Equal(t, "CPUUtilization", e.CloudWatchName)
	assert.Equal(t, InstanceScope, e.Scope)

	e, ok = ByName("aws.rds.cluster.volume.used")
	require.True(t, ok)
	assert.Equal(t, "VolumeBytesUsed", e.CloudWatchName)
	assert.Equal(t, ClusterScope, e.Scope)

	_, ok = ByName("aws.rds.instance.status") // inventory, not CloudWatch
	assert.False(t, ok)
	_, ok = ByName("CPUUtilization")
	assert.False(t, ok)
}

// Representative fleet members.
var (
	mysqlPrimaryGP3 = discovery.Instance{Identifier: "shop", Engine: "mysql", Class: "db.m6g.large", StorageType: "gp3", Role: discovery.RolePrimary}
	mysqlReplica    = discovery.Instance{Identifier: "shop-r1", Engine: "mysql", Class: "db.m6g.large", StorageType: "gp3", Role: discovery.RoleReplica, ReplicaSource: "shop"}
	mariadbT3GP2    = discovery.Instance{Identifier: "blog", Engine: "mariadb", Class: "db.t3.micro", StorageType: "gp2", Role: discovery.RolePrimary}
	postgresGP2PI   = discovery.Instance{Identifier: "orders", Engine: "postgres", Class: "db.r6g.xlarge", StorageType: "gp2", Role: discovery.RolePrimary, PerformanceInsights: true}
	postgresMAZRead = discovery.Instance{Identifier: "billing-2", Engine: "postgres", Class: "db.m6gd.large", StorageType: "io1", Role: discovery.RoleReader, ClusterIdentifier: "billing"}
	auroraMyWriter  = discovery.Instance{Identifier: "cart-1", Engine: "aurora-mysql", Class: "db.r6g.large", StorageType: "aurora", Role: discovery.RoleWriter, ClusterIdentifier: "cart", PerformanceInsights: true}
	auroraMyReader  = discovery.Instance{Identifier: "cart-2", Engine: "aurora-mysql", Class: "db.t4g.medium", StorageType: "aurora", Role: discovery.RoleReader, ClusterIdentifier: "cart"}
	auroraPgReader  = discovery.Instance{Identifier: "ledger-2", Engine: "aurora-postgresql", Class: "db.serverless", StorageType: "aurora-iopt1", Role: discovery.RoleReader, ClusterIdentifier: "ledger"}
	oracleGP2       = discovery.Instance{Identifier: "erp", Engine: "oracle-ee", Class: "db.m5.large", StorageType: "gp2", Role: discovery.RolePrimary}

	auroraProvisioned = discovery.Cluster{Identifier: "cart", Engine: "aurora-mysql", EngineMode: "provisioned"}
	auroraServerless  = discovery.Cluster{Identifier: "ledger", Engine: "aurora-postgresql", EngineMode: "provisioned", Serverless: true}
	auroraGlobal      = discovery.Cluster{Identifier: "cart-eu", Engine: "aurora-mysql", EngineMode: "provisioned", GlobalMember: true}
	globalPrimaryC    = discovery.Cluster{Identifier: "cart", Engine: "aurora-mysql", EngineMode: "provisioned", GlobalMember: true, GlobalRole: discovery.GlobalPrimary}
	globalSecondaryC  = discovery.Cluster{Identifier: "cart-eu", Engine: "aurora-mysql", EngineMode: "provisioned", GlobalMember: true, GlobalRole: discovery.GlobalSecondary}
	multiAZCluster    = discovery.Cluster{Identifier: "billing", Engine: "postgres"}
)

func mustEntry(t *testing.T, cloudWatchName string, scope Scope) Entry {
	t.Helper()
	for _, e := range Entries {
		if e.CloudWatchName == cloudWatchName && e.Scope == scope {
			return e
		}
	}
	t.Fatalf("no %v entry for %s", scope, cloudWatchName)
	return Entry{}
}

func TestInstancePredicates(t *testing.T) {
	tests := []struct {
		metric   string
		instance discovery.Instance
		want     bool
	}{
		{"CPUUtilization", oracleGP2, true},
		{"CPUUtilization", auroraPgReader, true},

		{"BurstBalance", postgresGP2PI, true},
		{"BurstBalance", mariadbT3GP2, true},
		{"BurstBalance", mysqlPrimaryGP3, false},
		{"BurstBalance", postgresMAZRead, false},
		{"BurstBalance", auroraMyWriter, false},

		{"FreeStorageSpace", mysqlPrimaryGP3, true},
		{"FreeStorageSpace", auroraMyWriter, false},
		{"FreeLocalStorage", auroraMyWriter, true},
		{"FreeLocalStorage", mysqlPrimaryGP3, false},
		{"EBSIOBalance%", oracleGP2, true},
		{"EBSIOBalance%", auroraPgReader, false},

		{"CPUCreditBalance", mariadbT3GP2, true},
		{"CPUCreditBalance", auroraMyReader, true}, // db.t4g.medium
		{"CPUCreditBalance", postgresGP2PI, false},
		{"CPUCreditBalance", auroraPgReader, false}, // db.serverless
		{"CPUSurplusCreditsCharged", mariadbT3GP2, true},
		{"CPUSurplusCreditsCharged", mysqlPrimaryGP3, false},

		{"ReplicaLag", mysqlReplica, true},
		{"ReplicaLag", postgresMAZRead, true},
		{"ReplicaLag", mysqlPrimaryGP3, false},
		{"ReplicaLag", auroraMyReader, false},

		{"AuroraReplicaLag", auroraMyReader, true},
		{"AuroraReplicaLag", auroraPgReader, true},
		{"AuroraReplicaLag", auroraMyWriter, false},
		{"AuroraReplicaLag", postgresMAZRead, false},
		{"AuroraReplicaLagMaximum", auroraMyWriter, true},
		{"AuroraReplicaLagMaximum", auroraMyReader, false},
		{"AuroraReplicaLagMinimum", auroraMyWriter, true},
		{"AuroraReplicaLagMinimum", mysqlPrimaryGP3, false},

		{"BinLogDiskUsage", mysqlPrimaryGP3, true},
		{"BinLogDiskUsage", mariadbT3GP2, true},
		{"BinLogDiskUsage", auroraMyWriter, false},
		{"BinLogDiskUsage", postgresGP2PI, false},
		{"ConnectionAttempts", mysqlReplica, true},
		{"ConnectionAttempts", auroraMyReader, false},
		{"ReplicationChannelLag", mysqlPrimaryGP3, true},
		{"ReplicationChannelLag", auroraMyWriter, false},

		{"MaximumUsedTransactionIDs", postgresGP2PI, true},
		{"MaximumUsedTransactionIDs", auroraPgReader, true},
		{"MaximumUsedTransactionIDs", mysqlPrimaryGP3, false},
		{"OldestReplicationSlotLag", postgresGP2PI, true},
		{"OldestReplicationSlotLag", auroraPgReader, false},
		{"TransactionLogsGeneration", postgresMAZRead, true},
		{"CheckpointLag", oracleGP2, false},

		{"DBLoad", postgresGP2PI, true},
		{"DBLoad", auroraMyWriter, true},
		{"DBLoad", auroraMyReader, false},
		{"DBLoadRelativeToNumVCPUs", mysqlPrimaryGP3, false},

		{"BufferCacheHitRatio", auroraMyReader, true},
		{"BufferCacheHitRatio", auroraPgReader, true},
		{"BufferCacheHitRatio", mysqlPrimaryGP3, false},
		{"CommitLatency", auroraPgReader, true},
		{"Deadlocks", postgresGP2PI, false},

		{"Queries", auroraMyWriter, true},
		{"Queries", auroraPgReader, false},
		{"Queries", mysqlPrimaryGP3, false},
		{"RollbackSegmentHistoryListLength", auroraMyReader, true},
		{"DMLLatency", auroraPgReader, false},

		{"TempStorageIOPS", auroraPgReader, true},
		{"TempStorageIOPS", auroraMyWriter, false},
		{"TempStorageIOPS", postgresGP2PI, false},
		{"RDSToAuroraPostgreSQLReplicaLag", auroraPgReader, true},
		{"RDSToAuroraPostgreSQLReplicaLag", postgresGP2PI, false},
		{"StorageNetworkReceiveThroughput", auroraMyWriter, true},
		{"StorageNetworkReceiveThroughput", postgresGP2PI, false},
	}
	for _, tt := range tests {
		t.Run(tt.metric+"/"+tt.instance.Identifier, func(t *testing.T) {
			assert.Equal(t, tt.want, mustEntry(t, tt.metric, InstanceScope).ForInstance(tt.instance))
		})
	}
}

// The whole metric set of a few archetypes, so that a predicate that is too broad shows up.
func TestInstanceMetricSets(t *testing.T) {
	base := []string{
		"CPUUtilization", "DatabaseConnections", "DiskQueueDepth", "FreeableMemory", "NetworkReceiveThroughput",
		"NetworkTransmitThroughput", "ReadIOPS", "ReadLatency", "ReadThroughput", "SwapUsage", "WriteIOPS",
		"WriteLatency", "WriteThroughput",
	}
	with := func(extra ...string) []string {
		s := append(slices.Clone(base), extra...)
		sort.Strings(s)
		return s
	}
	tests := []struct {
		name     string
		instance discovery.Instance
		want     []string
	}{
		{"mysql primary on gp3", mysqlPrimaryGP3, with(
			"BinLogDiskUsage", "ConnectionAttempts", "EBSByteBalance%", "EBSIOBalance%", "FreeStorageSpace", "ReplicationChannelLag")},
		{"postgres primary on gp2 with Performance Insights", postgresGP2PI, with(
			"BurstBalance", "CheckpointLag", "DBLoad", "DBLoadCPU", "DBLoadNonCPU", "DBLoadRelativeToNumVCPUs",
			"EBSByteBalance%", "EBSIOBalance%", "FreeStorageSpace", "MaximumUsedTransactionIDs",
			"OldestLogicalReplicationSlotLag", "OldestReplicationSlotLag", "ReplicationSlotDiskUsage",
			"TransactionLogsDiskUsage", "TransactionLogsGeneration")},
		{"aurora postgresql serverless reader", auroraPgReader, with(
			"ACUUtilization", "ServerlessDatabaseCapacity", // Serverless v2: per instance too
			"AuroraReplicaLag", "BufferCacheHitRatio", "CommitLatency", "CommitThroughput", "Deadlocks",
			"FreeLocalStorage", "MaximumUsedTransactionIDs", "RDSToAuroraPostgreSQLReplicaLag",
			"StorageNetworkReceiveThroughput", "StorageNetworkTransmitThroughput", "TempStorageIOPS",
			"TempStorageThroughput")},
		{"oracle on gp2", oracleGP2, with("BurstBalance", "EBSByteBalance%", "EBSIOBalance%", "FreeStorageSpace")},
		{"sql server on gp3: no swap", discovery.Instance{Engine: "sqlserver-se", Class: "db.m6i.xlarge", StorageType: "gp3"},
			slices.DeleteFunc(with("EBSByteBalance%", "EBSIOBalance%", "FreeStorageSpace"), func(m string) bool { return m == "SwapUsage" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range Entries {
				if e.Scope == InstanceScope && e.ForInstance(tt.instance) {
					got = append(got, e.CloudWatchName)
				}
			}
			sort.Strings(got)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestClusterPredicates(t *testing.T) {
	clusterMetrics := func(c discovery.Cluster) []string {
		var got []string
		for _, e := range Entries {
			if e.Scope == ClusterScope && e.ForCluster(c) {
				got = append(got, e.CloudWatchName)
			}
		}
		sort.Strings(got)
		return got
	}
	volume := []string{"VolumeBytesUsed", "VolumeReadIOPs", "VolumeWriteIOPs"}
	tests := []struct {
		name    string
		cluster discovery.Cluster
		want    []string
	}{
		{"provisioned aurora", auroraProvisioned, volume},
		{"serverless aurora", auroraServerless, []string{"ACUUtilization", "ServerlessDatabaseCapacity", "VolumeBytesUsed", "VolumeReadIOPs", "VolumeWriteIOPs"}},
		{"global database member of unknown role", auroraGlobal, []string{
			"AuroraGlobalDBDataTransferBytes", "AuroraGlobalDBReplicatedWriteIO", "AuroraGlobalDBReplicationLag",
			"VolumeBytesUsed", "VolumeReadIOPs", "VolumeWriteIOPs"}},
		{"global database primary", globalPrimaryC, []string{
			"AuroraGlobalDBDataTransferBytes", "AuroraGlobalDBReplicatedWriteIO", "VolumeBytesUsed", "VolumeReadIOPs", "VolumeWriteIOPs"}},
		{"global database secondary", globalSecondaryC, []string{
			"AuroraGlobalDBReplicationLag", "VolumeBytesUsed", "VolumeReadIOPs", "VolumeWriteIOPs"}},
		{"multi-az db cluster (not aurora)", multiAZCluster, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, clusterMetrics(tt.cluster))
		})
	}
}

// allEnabled is the default builder config with every metric turned on.
func allEnabled(t *testing.T) metadata.MetricsBuilderConfig {
	t.Helper()
	metrics := map[string]any{}
	for _, name := range metadataMetricNames(t) {
		metrics[name] = map[string]any{"enabled": true}
	}
	cfg := metadata.NewDefaultMetricsBuilderConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"metrics": metrics}).Unmarshal(&cfg))
	return cfg
}

func TestRecordWritesScaledDatapoint(t *testing.T) {
	cfg := allEnabled(t)
	ts := pcommon.NewTimestampFromTime(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	const cloudWatchValue = 250.0
	for _, e := range Entries {
		t.Run(e.Name, func(t *testing.T) {
			mb := metadata.NewMetricsBuilder(cfg, receivertest.NewNopSettings(metadata.Type))
			e.RecordCloudWatch(mb, ts, cloudWatchValue)
			md := mb.Emit()

			require.Equal(t, 1, md.MetricCount())
			m := md.ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0)
			assert.Equal(t, e.Name, m.Name())
			require.Equal(t, pmetric.MetricTypeGauge, m.Type())
			require.Equal(t, 1, m.Gauge().DataPoints().Len())
			dp := m.Gauge().DataPoints().At(0)
			assert.Equal(t, ts, dp.Timestamp())
			assert.Equal(t, pmetric.NumberDataPointValueTypeDouble, dp.ValueType())
			assert.InDelta(t, cloudWatchValue*e.Scale, dp.DoubleValue(), 1e-12)
		})
	}

	// An Aurora latency of 250 ms is 0.25 s.
	mb := metadata.NewMetricsBuilder(cfg, receivertest.NewNopSettings(metadata.Type))
	mustEntry(t, "CommitLatency", InstanceScope).RecordCloudWatch(mb, ts, 250)
	dp := mb.Emit().ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().At(0).Gauge().DataPoints().At(0)
	assert.InDelta(t, 0.25, dp.DoubleValue(), 1e-12)
}
