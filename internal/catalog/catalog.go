// Package catalog says which AWS/RDS CloudWatch metric exists for which instance or
// cluster, and how to record it through the generated MetricsBuilder. Querying only
// what can exist keeps the bill down and avoids phantom series (BurstBalance on gp3,
// ReplicaLag on a primary, ...).
package catalog

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// Scope is the kind of resource a metric is published for, which fixes its CloudWatch
// dimensions.
type Scope int

const (
	// InstanceScope metrics carry the DBInstanceIdentifier dimension.
	InstanceScope Scope = iota
	// ClusterScope metrics carry the DBClusterIdentifier dimension.
	ClusterScope
	// ProxyScope metrics carry the ProxyName dimension (RDS User Guide, "Monitoring RDS
	// Proxy metrics with Amazon CloudWatch", dimension set 1).
	ProxyScope
	// ProxyTargetScope metrics carry ProxyName, TargetGroup and Target (dimension set 3).
	ProxyTargetScope
	// ShardGroupScope metrics carry the DBShardGroupIdentifier dimension (Aurora
	// PostgreSQL Limitless Database).
	ShardGroupScope
	// Scopes is the number of scopes.
	Scopes
)

var scopeNames = [Scopes]string{"instance", "cluster", "proxy", "proxy target", "shard group"}

func (s Scope) String() string {
	if s >= 0 && s < Scopes {
		return scopeNames[s]
	}
	return "unknown"
}

// Dimensions are the names of the scope's CloudWatch dimensions, in the order a
// resource's identifier lists their values.
func (s Scope) Dimensions() []string { return scopeDimensions[s] }

var scopeDimensions = [Scopes][]string{
	{"DBInstanceIdentifier"}, {"DBClusterIdentifier"}, {"ProxyName"},
	{"ProxyName", "TargetGroup", "Target"}, {"DBShardGroupIdentifier"},
}

// Entry is one CloudWatch metric of the AWS/RDS namespace and the metadata.yaml metric it becomes.
type Entry struct {
	CloudWatchName string // e.g. "CPUUtilization"
	Name           string // metadata.yaml metric name, e.g. "aws.rds.cpu.utilization"
	Scope          Scope
	// Scale multiplies the CloudWatch value into the metric's unit: 0.001 for the Aurora
	// metrics CloudWatch reports in milliseconds (ours are in seconds), 1 otherwise.
	Scale float64
	// Which resources of the scope the metric can exist for; proxy and proxy target
	// metrics exist for every proxy and target.
	ForInstance   func(discovery.Instance) bool   // InstanceScope
	ForCluster    func(discovery.Cluster) bool    // ClusterScope
	ForShardGroup func(discovery.ShardGroup) bool // ShardGroupScope
	Record        func(*metadata.MetricsBuilder, pcommon.Timestamp, float64)
}

// RecordCloudWatch records a value as CloudWatch reports it, converted by Scale.
func (e Entry) RecordCloudWatch(mb *metadata.MetricsBuilder, ts pcommon.Timestamp, value float64) {
	e.Record(mb, ts, value*e.Scale)
}

type recordFunc = func(*metadata.MetricsBuilder, pcommon.Timestamp, float64)

func instance(cloudWatchName, name string, applies func(discovery.Instance) bool, record recordFunc) Entry {
	return Entry{CloudWatchName: cloudWatchName, Name: name, Scope: InstanceScope, Scale: 1, ForInstance: applies, Record: record}
}

func cluster(cloudWatchName, name string, applies func(discovery.Cluster) bool, record recordFunc) Entry {
	return Entry{CloudWatchName: cloudWatchName, Name: name, Scope: ClusterScope, Scale: 1, ForCluster: applies, Record: record}
}

func proxy(cloudWatchName, name string, record recordFunc) Entry {
	return Entry{CloudWatchName: cloudWatchName, Name: name, Scope: ProxyScope, Scale: 1, Record: record}
}

func proxyTarget(cloudWatchName, name string, record recordFunc) Entry {
	return Entry{CloudWatchName: cloudWatchName, Name: name, Scope: ProxyTargetScope, Scale: 1, Record: record}
}

func shardGroup(cloudWatchName, name string, applies func(discovery.ShardGroup) bool, record recordFunc) Entry {
	return Entry{CloudWatchName: cloudWatchName, Name: name, Scope: ShardGroupScope, Scale: 1, ForShardGroup: applies, Record: record}
}

// fromMilliseconds marks an entry whose CloudWatch value is in milliseconds.
func fromMilliseconds(e Entry) Entry {
	e.Scale = 0.001
	return e
}

// fromMicroseconds marks an entry whose CloudWatch value is in microseconds (the RDS
// Proxy latencies).
func fromMicroseconds(e Entry) Entry {
	e.Scale = 1e-6
	return e
}

type mb = metadata.MetricsBuilder

// Entries holds one Entry per CloudWatch metric of metadata.yaml (the inventory metrics
// that come from DescribeDBInstances/DescribeDBClusters are not here).
var Entries = []Entry{
	// Every instance, every engine.
	instance("CPUUtilization", "aws.rds.cpu.utilization", anyInstance, (*mb).RecordAwsRdsCPUUtilizationDataPoint),
	instance("DatabaseConnections", "aws.rds.connections", anyInstance, (*mb).RecordAwsRdsConnectionsDataPoint),
	instance("DiskQueueDepth", "aws.rds.disk.queue_depth", anyInstance, (*mb).RecordAwsRdsDiskQueueDepthDataPoint),
	instance("FreeableMemory", "aws.rds.memory.freeable", anyInstance, (*mb).RecordAwsRdsMemoryFreeableDataPoint),
	instance("SwapUsage", "aws.rds.swap.usage", swapReported, (*mb).RecordAwsRdsSwapUsageDataPoint),
	instance("ReadIOPS", "aws.rds.read.iops", anyInstance, (*mb).RecordAwsRdsReadIopsDataPoint),
	instance("WriteIOPS", "aws.rds.write.iops", anyInstance, (*mb).RecordAwsRdsWriteIopsDataPoint),
	instance("ReadLatency", "aws.rds.read.latency", anyInstance, (*mb).RecordAwsRdsReadLatencyDataPoint),
	instance("WriteLatency", "aws.rds.write.latency", anyInstance, (*mb).RecordAwsRdsWriteLatencyDataPoint),
	instance("ReadThroughput", "aws.rds.read.throughput", anyInstance, (*mb).RecordAwsRdsReadThroughputDataPoint),
	instance("WriteThroughput", "aws.rds.write.throughput", anyInstance, (*mb).RecordAwsRdsWriteThroughputDataPoint),
	instance("NetworkReceiveThroughput", "aws.rds.network.receive.throughput", anyInstance, (*mb).RecordAwsRdsNetworkReceiveThroughputDataPoint),
	instance("NetworkTransmitThroughput", "aws.rds.network.transmit.throughput", anyInstance, (*mb).RecordAwsRdsNetworkTransmitThroughputDataPoint),

	// Storage.
	instance("FreeStorageSpace", "aws.rds.storage.free", nonAurora, (*mb).RecordAwsRdsStorageFreeDataPoint),
	instance("EBSByteBalance%", "aws.rds.ebs.byte_balance", nonAurora, (*mb).RecordAwsRdsEbsByteBalanceDataPoint),
	instance("EBSIOBalance%", "aws.rds.ebs.io_balance", nonAurora, (*mb).RecordAwsRdsEbsIoBalanceDataPoint),
	instance("BurstBalance", "aws.rds.storage.burst_balance", gp2Storage, (*mb).RecordAwsRdsStorageBurstBalanceDataPoint),
	instance("FreeLocalStorage", "aws.rds.local_storage.free", aurora, (*mb).RecordAwsRdsLocalStorageFreeDataPoint),
	instance("StorageNetworkReceiveThroughput", "aws.rds.aurora.storage_network.receive.throughput", aurora, (*mb).RecordAwsRdsAuroraStorageNetworkReceiveThroughputDataPoint),
	instance("StorageNetworkTransmitThroughput", "aws.rds.aurora.storage_network.transmit.throughput", aurora, (*mb).RecordAwsRdsAuroraStorageNetworkTransmitThroughputDataPoint),

	// CPU credits: burstable classes only.
	instance("CPUCreditUsage", "aws.rds.cpu.credit.usage", burstable, (*mb).RecordAwsRdsCPUCreditUsageDataPoint),
	instance("CPUCreditBalance", "aws.rds.cpu.credit.balance", burstable, (*mb).RecordAwsRdsCPUCreditBalanceDataPoint),
	instance("CPUSurplusCreditBalance", "aws.rds.cpu.surplus_credit.balance", burstable, (*mb).RecordAwsRdsCPUSurplusCreditBalanceDataPoint),
	instance("CPUSurplusCreditsCharged", "aws.rds.cpu.surplus_credit.charged", burstable, (*mb).RecordAwsRdsCPUSurplusCreditChargedDataPoint),

	// Non-Aurora replication.
	instance("ReplicaLag", "aws.rds.replica.lag", rdsReplica, (*mb).RecordAwsRdsReplicaLagDataPoint),

	// RDS for MySQL and MariaDB.
	instance("BinLogDiskUsage", "aws.rds.mysql.binlog.disk_usage", rdsMySQL, (*mb).RecordAwsRdsMysqlBinlogDiskUsageDataPoint),
	instance("ConnectionAttempts", "aws.rds.mysql.connection.attempts", rdsMySQL, (*mb).RecordAwsRdsMysqlConnectionAttemptsDataPoint),
	// Multi-source replication channels are set up inside the database, not as RDS read
	// replicas, so DescribeDBInstances cannot tell which MySQL instances have them.
	instance("ReplicationChannelLag", "aws.rds.mysql.replication_channel.lag", rdsMySQL, (*mb).RecordAwsRdsMysqlReplicationChannelLagDataPoint),

	// PostgreSQL (MaximumUsedTransactionIDs also on Aurora PostgreSQL).
	instance("MaximumUsedTransactionIDs", "aws.rds.postgresql.transaction_ids.max_used", postgreSQL, (*mb).RecordAwsRdsPostgresqlTransactionIdsMaxUsedDataPoint),
	instance("OldestReplicationSlotLag", "aws.rds.postgresql.replication_slot.oldest_lag", rdsPostgreSQL, (*mb).RecordAwsRdsPostgresqlReplicationSlotOldestLagDataPoint),
	instance("OldestLogicalReplicationSlotLag", "aws.rds.postgresql.logical_replication_slot.oldest_lag", rdsPostgreSQL, (*mb).RecordAwsRdsPostgresqlLogicalReplicationSlotOldestLagDataPoint),
	instance("ReplicationSlotDiskUsage", "aws.rds.postgresql.replication_slot.disk_usage", rdsPostgreSQL, (*mb).RecordAwsRdsPostgresqlReplicationSlotDiskUsageDataPoint),
	instance("TransactionLogsDiskUsage", "aws.rds.postgresql.transaction_logs.disk_usage", rdsPostgreSQL, (*mb).RecordAwsRdsPostgresqlTransactionLogsDiskUsageDataPoint),
	instance("TransactionLogsGeneration", "aws.rds.postgresql.transaction_logs.generation", rdsPostgreSQL, (*mb).RecordAwsRdsPostgresqlTransactionLogsGenerationDataPoint),
	instance("CheckpointLag", "aws.rds.postgresql.checkpoint.lag", rdsPostgreSQL, (*mb).RecordAwsRdsPostgresqlCheckpointLagDataPoint),

	// Performance Insights.
	instance("DBLoad", "aws.rds.db_load", performanceInsights, (*mb).RecordAwsRdsDbLoadDataPoint),
	instance("DBLoadCPU", "aws.rds.db_load_cpu", performanceInsights, (*mb).RecordAwsRdsDbLoadCPUDataPoint),
	instance("DBLoadNonCPU", "aws.rds.db_load_non_cpu", performanceInsights, (*mb).RecordAwsRdsDbLoadNonCPUDataPoint),
	instance("DBLoadRelativeToNumVCPUs", "aws.rds.db_load_relative_to_vcpus", performanceInsights, (*mb).RecordAwsRdsDbLoadRelativeToVcpusDataPoint),

	// Aurora, both engines.
	instance("BufferCacheHitRatio", "aws.rds.aurora.buffer_cache.hit_ratio", aurora, (*mb).RecordAwsRdsAuroraBufferCacheHitRatioDataPoint),
	fromMilliseconds(instance("CommitLatency", "aws.rds.aurora.commit.latency", aurora, (*mb).RecordAwsRdsAuroraCommitLatencyDataPoint)),
	instance("CommitThroughput", "aws.rds.aurora.commit.throughput", aurora, (*mb).RecordAwsRdsAuroraCommitThroughputDataPoint),
	instance("Deadlocks", "aws.rds.aurora.deadlocks", aurora, (*mb).RecordAwsRdsAuroraDeadlocksDataPoint),
	fromMilliseconds(instance("AuroraReplicaLag", "aws.rds.aurora.replica.lag", auroraReader, (*mb).RecordAwsRdsAuroraReplicaLagDataPoint)),
	fromMilliseconds(instance("AuroraReplicaLagMaximum", "aws.rds.aurora.replica.max_lag", auroraWriter, (*mb).RecordAwsRdsAuroraReplicaMaxLagDataPoint)),
	fromMilliseconds(instance("AuroraReplicaLagMinimum", "aws.rds.aurora.replica.min_lag", auroraWriter, (*mb).RecordAwsRdsAuroraReplicaMinLagDataPoint)),

	// Aurora MySQL.
	instance("AuroraBinlogReplicaLag", "aws.rds.aurora.mysql.binlog_replica.lag", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlBinlogReplicaLagDataPoint),
	instance("ActiveTransactions", "aws.rds.aurora.mysql.transactions.active", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlTransactionsActiveDataPoint),
	instance("BlockedTransactions", "aws.rds.aurora.mysql.transactions.blocked", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlTransactionsBlockedDataPoint),
	fromMilliseconds(instance("DDLLatency", "aws.rds.aurora.mysql.ddl.latency", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlDdlLatencyDataPoint)),
	instance("DDLThroughput", "aws.rds.aurora.mysql.ddl.throughput", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlDdlThroughputDataPoint),
	fromMilliseconds(instance("DMLLatency", "aws.rds.aurora.mysql.dml.latency", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlDmlLatencyDataPoint)),
	instance("DMLThroughput", "aws.rds.aurora.mysql.dml.throughput", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlDmlThroughputDataPoint),
	fromMilliseconds(instance("SelectLatency", "aws.rds.aurora.mysql.select.latency", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlSelectLatencyDataPoint)),
	instance("SelectThroughput", "aws.rds.aurora.mysql.select.throughput", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlSelectThroughputDataPoint),
	fromMilliseconds(instance("InsertLatency", "aws.rds.aurora.mysql.insert.latency", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlInsertLatencyDataPoint)),
	instance("InsertThroughput", "aws.rds.aurora.mysql.insert.throughput", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlInsertThroughputDataPoint),
	fromMilliseconds(instance("UpdateLatency", "aws.rds.aurora.mysql.update.latency", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlUpdateLatencyDataPoint)),
	instance("UpdateThroughput", "aws.rds.aurora.mysql.update.throughput", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlUpdateThroughputDataPoint),
	fromMilliseconds(instance("DeleteLatency", "aws.rds.aurora.mysql.delete.latency", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlDeleteLatencyDataPoint)),
	instance("DeleteThroughput", "aws.rds.aurora.mysql.delete.throughput", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlDeleteThroughputDataPoint),
	instance("LoginFailures", "aws.rds.aurora.mysql.login_failures", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlLoginFailuresDataPoint),
	instance("Queries", "aws.rds.aurora.mysql.queries", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlQueriesDataPoint),
	instance("ResultSetCacheHitRatio", "aws.rds.aurora.mysql.result_set_cache.hit_ratio", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlResultSetCacheHitRatioDataPoint),
	instance("RollbackSegmentHistoryListLength", "aws.rds.aurora.mysql.rollback_segment.history_list_length", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlRollbackSegmentHistoryListLengthDataPoint),
	fromMilliseconds(instance("RowLockTime", "aws.rds.aurora.mysql.row_lock.time", auroraMySQL, (*mb).RecordAwsRdsAuroraMysqlRowLockTimeDataPoint)),

	// Aurora PostgreSQL. RDSToAuroraPostgreSQLReplicaLag only appears in clusters that
	// replicate from an RDS for PostgreSQL instance, a fact the fleet does not carry, and
	// there the lagging instance is the replica cluster's writer: so every Aurora
	// PostgreSQL instance, and the metric is off by default.
	instance("RDSToAuroraPostgreSQLReplicaLag", "aws.rds.aurora.postgresql.rds_replica.lag", auroraPostgreSQL, (*mb).RecordAwsRdsAuroraPostgresqlRdsReplicaLagDataPoint),
	instance("TempStorageIOPS", "aws.rds.aurora.postgresql.temp_storage.iops", auroraPostgreSQL, (*mb).RecordAwsRdsAuroraPostgresqlTempStorageIopsDataPoint),
	instance("TempStorageThroughput", "aws.rds.aurora.postgresql.temp_storage.throughput", auroraPostgreSQL, (*mb).RecordAwsRdsAuroraPostgresqlTempStorageThroughputDataPoint),
	instance("ServerlessDatabaseCapacity", "aws.rds.serverless.capacity", serverlessV2Instance, (*mb).RecordAwsRdsServerlessCapacityDataPoint),
	instance("ACUUtilization", "aws.rds.serverless.acu.utilization", serverlessV2Instance, (*mb).RecordAwsRdsServerlessAcuUtilizationDataPoint),

	// Aurora clusters.
	cluster("VolumeBytesUsed", "aws.rds.cluster.volume.used", auroraCluster, (*mb).RecordAwsRdsClusterVolumeUsedDataPoint),
	cluster("VolumeReadIOPs", "aws.rds.cluster.volume.read.operations", auroraCluster, (*mb).RecordAwsRdsClusterVolumeReadOperationsDataPoint),
	cluster("VolumeWriteIOPs", "aws.rds.cluster.volume.write.operations", auroraCluster, (*mb).RecordAwsRdsClusterVolumeWriteOperationsDataPoint),
	cluster("ServerlessDatabaseCapacity", "aws.rds.cluster.serverless.capacity", serverlessCluster, (*mb).RecordAwsRdsClusterServerlessCapacityDataPoint),
	cluster("ACUUtilization", "aws.rds.cluster.serverless.acu.utilization", serverlessV2Cluster, (*mb).RecordAwsRdsClusterServerlessAcuUtilizationDataPoint),
	fromMilliseconds(cluster("AuroraGlobalDBReplicationLag", "aws.rds.cluster.global_db.replication.lag", globalSecondary, (*mb).RecordAwsRdsClusterGlobalDbReplicationLagDataPoint)),
	cluster("AuroraGlobalDBReplicatedWriteIO", "aws.rds.cluster.global_db.replicated_write_io", globalPrimary, (*mb).RecordAwsRdsClusterGlobalDbReplicatedWriteIoDataPoint),
	cluster("AuroraGlobalDBDataTransferBytes", "aws.rds.cluster.global_db.data_transfer", globalPrimary, (*mb).RecordAwsRdsClusterGlobalDbDataTransferDataPoint),

	// RDS Proxy, per proxy. The client side exists per proxy (and endpoint) only.
	proxy("ClientConnections", "aws.rds.proxy.client.connections", (*mb).RecordAwsRdsProxyClientConnectionsDataPoint),
	proxy("ClientConnectionsReceived", "aws.rds.proxy.client.connections.received", (*mb).RecordAwsRdsProxyClientConnectionsReceivedDataPoint),
	proxy("ClientConnectionsSetupFailedAuth", "aws.rds.proxy.client.connections.auth_failed", (*mb).RecordAwsRdsProxyClientConnectionsAuthFailedDataPoint),
	proxy("ClientConnectionsNoTLS", "aws.rds.proxy.client.connections.no_tls", (*mb).RecordAwsRdsProxyClientConnectionsNoTLSDataPoint),
	proxy("QueryRequests", "aws.rds.proxy.query.requests", (*mb).RecordAwsRdsProxyQueryRequestsDataPoint),
	fromMicroseconds(proxy("QueryResponseLatency", "aws.rds.proxy.query.response_latency", (*mb).RecordAwsRdsProxyQueryResponseLatencyDataPoint)),
	fromMicroseconds(proxy("DatabaseConnectionsBorrowLatency", "aws.rds.proxy.database.connections.borrow_latency", (*mb).RecordAwsRdsProxyDatabaseConnectionsBorrowLatencyDataPoint)),
	proxy("DatabaseConnections", "aws.rds.proxy.database.connections", (*mb).RecordAwsRdsProxyDatabaseConnectionsDataPoint),
	proxy("DatabaseConnectionsCurrentlyBorrowed", "aws.rds.proxy.database.connections.borrowed", (*mb).RecordAwsRdsProxyDatabaseConnectionsBorrowedDataPoint),
	proxy("DatabaseConnectionsCurrentlySessionPinned", "aws.rds.proxy.database.connections.pinned", (*mb).RecordAwsRdsProxyDatabaseConnectionsPinnedDataPoint),
	proxy("DatabaseConnectionsCurrentlyInTransaction", "aws.rds.proxy.database.connections.in_transaction", (*mb).RecordAwsRdsProxyDatabaseConnectionsInTransactionDataPoint),
	proxy("DatabaseConnectionsSetupFailed", "aws.rds.proxy.database.connections.setup_failed", (*mb).RecordAwsRdsProxyDatabaseConnectionsSetupFailedDataPoint),
	proxy("MaxDatabaseConnectionsAllowed", "aws.rds.proxy.database.connections.limit", (*mb).RecordAwsRdsProxyDatabaseConnectionsLimitDataPoint),
	proxy("DatabaseConnectionRequests", "aws.rds.proxy.database.connection_requests", (*mb).RecordAwsRdsProxyDatabaseConnectionRequestsDataPoint),
	fromMicroseconds(proxy("QueryDatabaseResponseLatency", "aws.rds.proxy.query.database_response_latency", (*mb).RecordAwsRdsProxyQueryDatabaseResponseLatencyDataPoint)),

	// RDS Proxy, per target DB instance: the database side.
	proxyTarget("DatabaseConnections", "aws.rds.proxy.target.database.connections", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionsDataPoint),
	proxyTarget("DatabaseConnectionsCurrentlyBorrowed", "aws.rds.proxy.target.database.connections.borrowed", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionsBorrowedDataPoint),
	proxyTarget("DatabaseConnectionsCurrentlySessionPinned", "aws.rds.proxy.target.database.connections.pinned", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionsPinnedDataPoint),
	proxyTarget("DatabaseConnectionsCurrentlyInTransaction", "aws.rds.proxy.target.database.connections.in_transaction", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionsInTransactionDataPoint),
	proxyTarget("DatabaseConnectionsSetupFailed", "aws.rds.proxy.target.database.connections.setup_failed", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionsSetupFailedDataPoint),
	proxyTarget("MaxDatabaseConnectionsAllowed", "aws.rds.proxy.target.database.connections.limit", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionsLimitDataPoint),
	proxyTarget("DatabaseConnectionRequests", "aws.rds.proxy.target.database.connection_requests", (*mb).RecordAwsRdsProxyTargetDatabaseConnectionRequestsDataPoint),
	fromMicroseconds(proxyTarget("QueryDatabaseResponseLatency", "aws.rds.proxy.target.query.database_response_latency", (*mb).RecordAwsRdsProxyTargetQueryDatabaseResponseLatencyDataPoint)),

	// Aurora PostgreSQL Limitless Database shard groups.
	shardGroup("DBShardGroupCapacity", "aws.rds.shard_group.capacity", anyShardGroup, (*mb).RecordAwsRdsShardGroupCapacityDataPoint),
	shardGroup("DBShardGroupACUUtilization", "aws.rds.shard_group.acu.utilization", anyShardGroup, (*mb).RecordAwsRdsShardGroupAcuUtilizationDataPoint),
	shardGroup("DBShardGroupMaxACU", "aws.rds.shard_group.capacity.max", anyShardGroup, (*mb).RecordAwsRdsShardGroupCapacityMaxDataPoint),
	shardGroup("DBShardGroupMinACU", "aws.rds.shard_group.capacity.min", anyShardGroup, (*mb).RecordAwsRdsShardGroupCapacityMinDataPoint),
	shardGroup("DBShardGroupComputeRedundancyCapacity", "aws.rds.shard_group.standby.capacity", redundantShardGroup, (*mb).RecordAwsRdsShardGroupStandbyCapacityDataPoint),
}

var byName = func() map[string]int {
	m := make(map[string]int, len(Entries))
	for i, e := range Entries {
		m[e.Name] = i
	}
	return m
}()

// ByName returns the entry of a metadata.yaml metric name, e.g. "aws.rds.cpu.utilization".
func ByName(name string) (Entry, bool) {
	i, ok := byName[name]
	if !ok {
		return Entry{}, false
	}
	return Entries[i], true
}
