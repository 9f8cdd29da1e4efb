package simulator

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudWatch names the simulator serves.
const (
	Namespace     = "AWS/RDS"
	DimInstance   = "DBInstanceIdentifier"
	DimCluster    = "DBClusterIdentifier"
	gib           = 1 << 30
	mib           = 1 << 20
	samplesPerMin = 4 // raw samples per minute, so that statistics differ even at 60 s
)

// SeriesID names one CloudWatch series of namespace AWS/RDS with a single dimension.
type SeriesID struct {
	DimensionName string `json:"dimension_name"`
	Identifier    string `json:"identifier"`
	Metric        string `json:"metric"`
}

// instanceMetrics lists the metrics real CloudWatch publishes for an instance, by the
// simulator's own reading of the RDS documentation. writer is the Aurora role.
func instanceMetrics(in *Instance, writer bool) []string {
	aurora := IsAurora(in.Engine)
	// A reader of a Multi-AZ DB cluster replicates like a read replica.
	replica := in.ReplicaSourceIdentifier != "" || (in.ClusterIdentifier != "" && !aurora && !writer)
	ms := []string{
		"CPUUtilization", "DatabaseConnections", "DiskQueueDepth", "FreeableMemory",
		"ReadIOPS", "WriteIOPS", "ReadLatency", "WriteLatency", "ReadThroughput", "WriteThroughput",
		"NetworkReceiveThroughput", "NetworkTransmitThroughput",
	}
	add := func(cond bool, names ...string) {
		if cond {
			ms = append(ms, names...)
		}
	}
	add(!isSQLServer(in.Engine), "SwapUsage") // "not available for SQL Server" (RDS User Guide)
	add(!aurora, "FreeStorageSpace", "EBSByteBalance%", "EBSIOBalance%")
	add(aurora, "FreeLocalStorage", "StorageNetworkReceiveThroughput", "StorageNetworkTransmitThroughput")
	add(!aurora && in.StorageType == "gp2", "BurstBalance")
	add(IsBurstable(in.Class), "CPUCreditUsage", "CPUCreditBalance", "CPUSurplusCreditBalance", "CPUSurplusCreditsCharged")
	add(!aurora && replica, "ReplicaLag")
	// Multi-source channels (ReplicationChannelLag) and replication from RDS PostgreSQL into
	// Aurora (RDSToAuroraPostgreSQLReplicaLag) are configured inside the database, where
	// the RDS API cannot see them; the simulated fleet has them on every instance of the engine.
	add(in.Engine == EngineMySQL || in.Engine == EngineMariaDB, "BinLogDiskUsage", "ConnectionAttempts", "ReplicationChannelLag")
	add(in.Engine == EnginePostgres, "OldestReplicationSlotLag", "OldestLogicalReplicationSlotLag",
		"ReplicationSlotDiskUsage", "TransactionLogsDiskUsage", "TransactionLogsGeneration", "CheckpointLag")
	add(in.Engine == EnginePostgres || in.Engine == EngineAuroraPostgreSQL, "MaximumUsedTransactionIDs")
	add(in.PerformanceInsights, "DBLoad", "DBLoadCPU", "DBLoadNonCPU", "DBLoadRelativeToNumVCPUs")
	add(aurora, "BufferCacheHitRatio", "CommitLatency", "CommitThroughput", "Deadlocks")
	add(aurora && !writer, "AuroraReplicaLag")
	add(aurora && writer, "AuroraReplicaLagMaximum", "AuroraReplicaLagMinimum")
	add(in.Engine == EngineAuroraMySQL, "AuroraBinlogReplicaLag", "ActiveTransactions", "BlockedTransactions",
		"DDLLatency", "DDLThroughput", "DMLLatency", "DMLThroughput", "SelectLatency", "SelectThroughput",
		"InsertLatency", "InsertThroughput", "UpdateLatency", "UpdateThroughput", "DeleteLatency", "DeleteThroughput",
		"LoginFailures", "Queries", "ResultSetCacheHitRatio", "RollbackSegmentHistoryListLength", "RowLockTime")
	add(in.Engine == EngineAuroraPostgreSQL, "TempStorageIOPS", "TempStorageThroughput", "RDSToAuroraPostgreSQLReplicaLag")
	add(aurora && in.Class == "db.serverless", "ServerlessDatabaseCapacity", "ACUUtilization") // Serverless v2, per instance too
	return ms
}

// clusterMetrics lists the cluster-level metrics (dimension DBClusterIdentifier).
func clusterMetrics(c *Cluster) []string {
	if !IsAurora(c.Engine) {
		return nil // Multi-AZ DB clusters publish per instance only: there is no cluster volume
	}
	ms := []string{"VolumeBytesUsed", "VolumeReadIOPs", "VolumeWriteIOPs"}
	switch {
	case c.Serverless:
		ms = append(ms, "ServerlessDatabaseCapacity", "ACUUtilization")
	case c.EngineMode == "serverless": // Aurora Serverless v1: capacity only, no ACUUtilization
		ms = append(ms, "ServerlessDatabaseCapacity")
	}
	return append(ms, globalClusterMetrics(c)...)
}

// sizing carries what makes one instance's values differ from another's.
type sizing struct {
	memBytes     float64
	storageBytes float64
	vcpus        float64
	iops         float64
	minACU       float64
	maxACU       float64
}

func instanceSizing(in *Instance, c *Cluster) sizing {
	mem, vcpu := classShape(in.Class)
	s := sizing{memBytes: mem * gib, vcpus: vcpu, storageBytes: float64(in.AllocatedStorageGiB) * gib, iops: float64(in.IOPS)}
	if c != nil && c.Serverless {
		s.minACU, s.maxACU = c.MinCapacity, c.MaxCapacity
		s.memBytes = 2 * c.MaxCapacity * gib // one ACU is about 2 GiB
		s.vcpus = max(1, c.MaxCapacity/4)
	}
	if s.iops == 0 {
		s.iops = max(100, 3*float64(in.AllocatedStorageGiB)) // gp2 baseline: 3 IOPS per GiB
	}
	return s
}

// classShape returns memory GiB and vCPUs of an instance class such as db.r6g.xlarge.
func classShape(class string) (memGiB, vcpus float64) {
	parts := strings.Split(class, ".")
	if len(parts) != 3 {
		return 4, 2
	}
	family, size := parts[1], parts[2]
	switch size {
	case "micro":
		return 1, 2
	case "small":
		return 2, 2
	case "medium":
		return 4, 2
	}
	mult := 1.0
	if size != "large" {
		n, err := strconv.Atoi(strings.TrimSuffix(size, "xlarge"))
		if err != nil || n == 0 {
			n = 1
		}
		mult = 2 * float64(n)
	}
	perLarge := 8.0 // m and t families: 8 GiB per large
	if strings.HasPrefix(family, "r") || strings.HasPrefix(family, "x") {
		perLarge = 16
	}
	return perLarge * mult, 2 * mult
}

// profileFor describes how the values of one metric behave for one resource.
func profileFor(metric string, z sizing) profile {
	switch metric {
	case "CPUUtilization":
		return profile{lo: 5, hi: 60, amp: 0.35, noise: 0.15, max: 100}
	case "DatabaseConnections":
		return profile{lo: 2, hi: 150, amp: 0.3, noise: 0.1, integer: true}
	case "ConnectionAttempts":
		return profile{lo: 1, hi: 50, amp: 0.3, noise: 0.3, integer: true}
	case "DiskQueueDepth":
		return profile{lo: 0.01, hi: 2, amp: 0.3, noise: 0.5}
	case "FreeableMemory":
		return profile{lo: 0.15 * z.memBytes, hi: 0.6 * z.memBytes, amp: 0.05, noise: 0.01, max: z.memBytes, integer: true}
	case "SwapUsage":
		return profile{lo: 0, hi: 50 * mib, amp: 0.1, noise: 0.05, integer: true}
	case "ReadIOPS", "WriteIOPS":
		return profile{lo: 5, hi: 0.3 * z.iops, amp: 0.4, noise: 0.2}
	case "ReadLatency":
		return profile{lo: 0.0003, hi: 0.004, amp: 0.2, noise: 0.3}
	case "WriteLatency":
		return profile{lo: 0.0005, hi: 0.006, amp: 0.2, noise: 0.3}
	case "ReadThroughput", "WriteThroughput", "StorageNetworkReceiveThroughput", "StorageNetworkTransmitThroughput":
		return profile{lo: 1e5, hi: 2e7, amp: 0.4, noise: 0.2}
	case "NetworkReceiveThroughput", "NetworkTransmitThroughput":
		return profile{lo: 1e4, hi: 5e6, amp: 0.4, noise: 0.2}
	case "FreeStorageSpace":
		return profile{lo: 0.3 * z.storageBytes, hi: 0.9 * z.storageBytes, amp: 0.001, noise: 0.0005, max: z.storageBytes, integer: true}
	case "FreeLocalStorage":
		return profile{lo: 0.8 * z.memBytes, hi: 1.8 * z.memBytes, amp: 0.01, noise: 0.002, integer: true}
	case "EBSByteBalance%", "EBSIOBalance%", "BurstBalance":
		return profile{lo: 60, hi: 100, amp: 0.05, noise: 0.02, max: 100}
	case "CPUCreditUsage":
		return profile{lo: 0.1, hi: 5, amp: 0.4, noise: 0.2}
	case "CPUCreditBalance":
		return profile{lo: 10, hi: 576, amp: 0.1, noise: 0.01}
	case "CPUSurplusCreditBalance", "CPUSurplusCreditsCharged":
		return profile{lo: 0, hi: 0.3, amp: 0.5, noise: 1}
	case "ReplicaLag", "ReplicationChannelLag", "AuroraBinlogReplicaLag", "RDSToAuroraPostgreSQLReplicaLag":
		return profile{lo: 0, hi: 3, amp: 0.3, noise: 0.5}
	case "BinLogDiskUsage":
		return profile{lo: 1e7, hi: 1e9, amp: 0.05, noise: 0.01, integer: true}
	case "OldestReplicationSlotLag", "ReplicationSlotDiskUsage":
		return profile{lo: 0, hi: 1e8, amp: 0.2, noise: 0.1, integer: true}
	case "OldestLogicalReplicationSlotLag":
		return profile{lo: 0, hi: 1e6, amp: 0.2, noise: 0.1, integer: true}
	case "TransactionLogsDiskUsage":
		return profile{lo: 1e8, hi: 2e9, amp: 0.1, noise: 0.02, integer: true}
	case "TransactionLogsGeneration":
		return profile{lo: 1e3, hi: 1e6, amp: 0.4, noise: 0.2}
	case "CheckpointLag":
		return profile{lo: 10, hi: 300, amp: 0.2, noise: 0.2}
	case "MaximumUsedTransactionIDs":
		return profile{lo: 1e6, hi: 2e8, amp: 0.01, noise: 0.001, integer: true}
	case "DBLoadCPU", "DBLoadNonCPU":
		return profile{lo: 0.05, hi: 0.6 * z.vcpus, amp: 0.4, noise: 0.3}
	case "DBLoad":
		return profile{sources: []string{"DBLoadCPU", "DBLoadNonCPU"}, factor: 1}
	case "DBLoadRelativeToNumVCPUs":
		return profile{sources: []string{"DBLoadCPU", "DBLoadNonCPU"}, factor: 1 / z.vcpus}
	case "BufferCacheHitRatio":
		return profile{lo: 95, hi: 99.9, amp: 0.005, noise: 0.005, max: 100}
	case "ResultSetCacheHitRatio":
		return profile{lo: 0, hi: 30, amp: 0.2, noise: 0.2, max: 100}
	// Aurora reports these latencies in milliseconds.
	case "CommitLatency", "DMLLatency", "InsertLatency", "UpdateLatency", "DeleteLatency":
		return profile{lo: 0.5, hi: 5, amp: 0.2, noise: 0.3}
	case "SelectLatency":
		return profile{lo: 0.1, hi: 3, amp: 0.2, noise: 0.3}
	case "DDLLatency":
		return profile{lo: 1, hi: 50, amp: 0.2, noise: 0.5}
	case "RowLockTime":
		return profile{lo: 0, hi: 50, amp: 0.3, noise: 0.5}
	case "AuroraReplicaLag", "AuroraReplicaLagMaximum", "AuroraReplicaLagMinimum":
		return profile{lo: 5, hi: 40, amp: 0.2, noise: 0.3}
	case "CommitThroughput", "InsertThroughput", "UpdateThroughput", "DeleteThroughput":
		return profile{lo: 1, hi: 500, amp: 0.4, noise: 0.2}
	case "DMLThroughput":
		return profile{lo: 10, hi: 2000, amp: 0.4, noise: 0.2}
	case "SelectThroughput":
		return profile{lo: 10, hi: 5000, amp: 0.4, noise: 0.2}
	case "Queries":
		return profile{lo: 50, hi: 10000, amp: 0.4, noise: 0.2}
	case "DDLThroughput", "Deadlocks", "BlockedTransactions", "LoginFailures":
		return profile{lo: 0, hi: 0.1, amp: 0.5, noise: 1}
	case "ActiveTransactions":
		return profile{lo: 0, hi: 20, amp: 0.4, noise: 0.3}
	case "RollbackSegmentHistoryListLength":
		return profile{lo: 100, hi: 5000, amp: 0.2, noise: 0.1, integer: true}
	case "TempStorageIOPS":
		return profile{lo: 0, hi: 100, amp: 0.4, noise: 0.5}
	case "TempStorageThroughput":
		return profile{lo: 0, hi: 1e6, amp: 0.4, noise: 0.5}
	case "VolumeBytesUsed":
		return profile{lo: 1e9, hi: 5e11, amp: 0.0001, integer: true}
	case "VolumeReadIOPs", "VolumeWriteIOPs", "AuroraGlobalDBReplicatedWriteIO":
		return profile{lo: 100, hi: 1e5, amp: 0.4, noise: 0.2, integer: true}
	case "ServerlessDatabaseCapacity":
		return profile{lo: z.minACU, hi: max(z.minACU, 0.6*z.maxACU), amp: 0.4, noise: 0.1, min: z.minACU, max: z.maxACU}
	case "ACUUtilization":
		return profile{sources: []string{"ServerlessDatabaseCapacity"}, factor: 100 / z.maxACU}
	case "AuroraGlobalDBReplicationLag":
		return profile{lo: 50, hi: 500, amp: 0.2, noise: 0.3}
	case "AuroraGlobalDBDataTransferBytes":
		return profile{lo: 1e5, hi: 1e8, amp: 0.4, noise: 0.2, integer: true}
	case "DBShardGroupCapacity", "DBShardGroupComputeRedundancyCapacity":
		return profile{lo: z.minACU, hi: max(z.minACU, 0.6*z.maxACU), amp: 0.4, noise: 0.1, min: z.minACU, max: z.maxACU}
	case "DBShardGroupACUUtilization":
		return profile{sources: []string{"DBShardGroupCapacity"}, factor: 100 / z.maxACU}
	case "DBShardGroupMaxACU":
		return profile{lo: z.maxACU, hi: z.maxACU}
	case "DBShardGroupMinACU":
		return profile{lo: z.minACU, hi: z.minACU}
	// RDS Proxy: connections per proxy node, requests per minute, latencies in microseconds.
	case "ClientConnections":
		return profile{lo: 10, hi: 2000, amp: 0.4, noise: 0.2, integer: true}
	case "ClientConnectionsReceived", "QueryRequests", "DatabaseConnectionRequests":
		return profile{lo: 10, hi: 5000, amp: 0.4, noise: 0.3, integer: true}
	case "ClientConnectionsSetupFailedAuth", "DatabaseConnectionsSetupFailed":
		return profile{lo: 0, hi: 3, amp: 0.5, noise: 1, integer: true}
	case "ClientConnectionsNoTLS":
		return profile{lo: 0, hi: 20, amp: 0.2, noise: 0.2, integer: true}
	case "DatabaseConnectionsCurrentlyBorrowed", "DatabaseConnectionsCurrentlySessionPinned", "DatabaseConnectionsCurrentlyInTransaction":
		return profile{lo: 0, hi: 50, amp: 0.4, noise: 0.3, integer: true}
	case "MaxDatabaseConnectionsAllowed":
		return profile{lo: 500, hi: 500, integer: true}
	case "DatabaseConnectionsBorrowLatency":
		return profile{lo: 50, hi: 2000, amp: 0.3, noise: 0.3}
	case "QueryResponseLatency", "QueryDatabaseResponseLatency":
		return profile{lo: 500, hi: 20000, amp: 0.3, noise: 0.3}
	}
	return profile{lo: 0, hi: 100, amp: 0.2, noise: 0.2}
}

// catalog is every series that exists in the current fleet, built once per SetFleet.
type catalog struct {
	series map[SeriesID]*series
	ids    []SeriesID // sorted
}

func buildCatalog(f Fleet) *catalog {
	n := 40*len(f.Instances) + 8*len(f.Clusters)
	cat := &catalog{series: make(map[SeriesID]*series, n), ids: make([]SeriesID, 0, n)}
	clusters := map[string]*Cluster{}
	writers := map[string]bool{}
	for i := range f.Clusters {
		c := &f.Clusters[i]
		clusters[c.Identifier] = c
		for _, m := range c.Members {
			if m.IsWriter {
				writers[m.InstanceIdentifier] = true
			}
		}
		if IsOtherService(c.Engine) {
			continue // published in AWS/Neptune or AWS/DocDB
		}
		z := sizing{minACU: c.MinCapacity, maxACU: c.MaxCapacity}
		cat.add(DimCluster, c.Identifier, clusterMetrics(c), z, c.CreateTime)
	}
	for i := range f.Instances {
		in := &f.Instances[i]
		if IsOtherService(in.Engine) {
			continue
		}
		c := clusters[in.ClusterIdentifier]
		created := in.CreateTime
		if c != nil && created.IsZero() {
			created = c.CreateTime
		}
		cat.add(DimInstance, in.Identifier, instanceMetrics(in, writers[in.Identifier]), instanceSizing(in, c), created)
	}
	for _, p := range f.Proxies {
		cat.add(DimProxy, p.Name, proxyMetrics(), sizing{}, time.Time{})
		for _, t := range p.Targets {
			id := ProxyTargetSeries(p.Name, t.Instance, "")
			cat.add(id.DimensionName, id.Identifier, proxyTargetMetrics(), sizing{}, time.Time{})
		}
	}
	for i := range f.ShardGroups {
		g := &f.ShardGroups[i]
		cat.add(DimShardGroup, g.Identifier, shardGroupMetrics(g), sizing{minACU: g.MinACU, maxACU: g.MaxACU}, time.Time{})
	}
	sort.Slice(cat.ids, func(i, j int) bool {
		a, b := cat.ids[i], cat.ids[j]
		if a.DimensionName != b.DimensionName {
			return a.DimensionName > b.DimensionName // instances first
		}
		if a.Identifier != b.Identifier {
			return a.Identifier < b.Identifier
		}
		return a.Metric < b.Metric
	})
	return cat
}

func (c *catalog) add(dim, id string, metrics []string, z sizing, created time.Time) {
	added := make([]*series, len(metrics))
	for i, m := range metrics {
		key := SeriesID{DimensionName: dim, Identifier: id, Metric: m}
		added[i] = newSeries(key, profileFor(m, z), created)
		c.series[key] = added[i]
		c.ids = append(c.ids, key)
	}
	// Derived series read their sources' samples; a source need not be published
	// itself, though it always is today (DBLoadCPU, ServerlessDatabaseCapacity).
	for _, s := range added {
		for _, src := range s.prof.sources {
			key := SeriesID{DimensionName: dim, Identifier: id, Metric: src}
			dep := c.series[key]
			if dep == nil {
				dep = newSeries(key, profileFor(src, z), created)
			}
			s.deps = append(s.deps, dep)
		}
	}
}

func (c *catalog) lookup(dim, id, metric string) *series {
	return c.series[SeriesID{DimensionName: dim, Identifier: id, Metric: metric}]
}
