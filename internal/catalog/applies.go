package catalog

import (
	"strings"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

// Which instances and clusters a CloudWatch metric can exist for.

func anyInstance(discovery.Instance) bool { return true }

func aurora(i discovery.Instance) bool { return discovery.IsAurora(i.Engine) }

func nonAurora(i discovery.Instance) bool { return !aurora(i) }

func mysqlFamily(i discovery.Instance) bool { return discovery.EngineFamily(i.Engine) == "mysql" }

func postgreSQL(i discovery.Instance) bool { return discovery.EngineFamily(i.Engine) == "postgresql" }

func rdsMySQL(i discovery.Instance) bool { return nonAurora(i) && mysqlFamily(i) }

func rdsPostgreSQL(i discovery.Instance) bool { return nonAurora(i) && postgreSQL(i) }

func auroraMySQL(i discovery.Instance) bool { return aurora(i) && mysqlFamily(i) }

func auroraPostgreSQL(i discovery.Instance) bool { return aurora(i) && postgreSQL(i) }

// gp2Storage: gp3, io1/io2 and Aurora storage have no burst bucket, so BurstBalance
// would be absent (or, worse, filled with zeros by other tools).
func gp2Storage(i discovery.Instance) bool { return nonAurora(i) && i.StorageType == "gp2" }

func burstable(i discovery.Instance) bool { return discovery.Burstable(i.Class) }

// rdsReplica is a non-Aurora instance that replicates: a read replica (of an instance or
// of a cluster), or a reader of a Multi-AZ DB cluster, which reports ReplicaLag too.
func rdsReplica(i discovery.Instance) bool {
	return nonAurora(i) && (i.ReplicaSource != "" || i.Role == discovery.RoleReplica || i.Role == discovery.RoleReader)
}

func auroraReader(i discovery.Instance) bool { return aurora(i) && i.Role == discovery.RoleReader }

func auroraWriter(i discovery.Instance) bool { return aurora(i) && i.Role == discovery.RoleWriter }

func performanceInsights(i discovery.Instance) bool { return i.PerformanceInsights }

func auroraCluster(c discovery.Cluster) bool { return discovery.IsAurora(c.Engine) }

func serverlessCluster(c discovery.Cluster) bool { return auroraCluster(c) && c.Serverless }

// serverlessV2Cluster: ACUUtilization is an Aurora Serverless v2 metric (Aurora User Guide,
// "Important Amazon CloudWatch metrics for Aurora Serverless v2"); v1 clusters (engine mode
// serverless) publish ServerlessDatabaseCapacity only.
func serverlessV2Cluster(c discovery.Cluster) bool {
	return serverlessCluster(c) && c.EngineMode != "serverless"
}

// A global database's secondary reports how far it lags the primary; the primary reports
// the redo it ships and the writes it replicates (our reading of the Aurora User Guide,
// "Monitoring Aurora global databases"). When the role is unknown both are asked.
func globalSecondary(c discovery.Cluster) bool {
	return auroraCluster(c) && c.GlobalMember && c.GlobalRole != discovery.GlobalPrimary
}

func globalPrimary(c discovery.Cluster) bool {
	return auroraCluster(c) && c.GlobalMember && c.GlobalRole != discovery.GlobalSecondary
}

// swapReported: RDS publishes SwapUsage for every engine but SQL Server (RDS User Guide,
// "Amazon CloudWatch metrics for Amazon RDS": "This metric is not available for SQL Server").
func swapReported(i discovery.Instance) bool {
	return !strings.HasPrefix(i.Engine, "sqlserver") && !strings.HasPrefix(i.Engine, "custom-sqlserver")
}

// serverlessV2Instance: Aurora Serverless v2 instances (class db.serverless) publish
// ServerlessDatabaseCapacity and ACUUtilization per instance too (Aurora User Guide,
// "Important Amazon CloudWatch metrics for Aurora Serverless v2": "both the cluster and
// instance level").
func serverlessV2Instance(i discovery.Instance) bool { return aurora(i) && i.Class == "db.serverless" }

func anyShardGroup(discovery.ShardGroup) bool { return true }

// redundantShardGroup: standby shards exist only with compute redundancy 1 or 2.
func redundantShardGroup(g discovery.ShardGroup) bool { return g.ComputeRedundancy > 0 }
