// Package discovery finds the RDS instances and Aurora clusters to watch, from
// DescribeDBInstances and DescribeDBClusters alone (tags come inline in TagList).
package discovery

import (
	"strings"
	"time"
)

// Role is what an instance does in its replication topology.
type Role string

const (
	RoleWriter  Role = "writer"  // Aurora cluster writer
	RoleReader  Role = "reader"  // Aurora cluster reader
	RolePrimary Role = "primary" // non-Aurora source (or standalone) instance
	RoleReplica Role = "replica" // non-Aurora read replica
)

// Endpoint is where an instance accepts connections.
type Endpoint struct {
	Address string
	Port    int32
}

// Instance is one DB instance as DescribeDBInstances reports it, reduced to what the
// receiver needs for metric selection, resources and inventory metrics.
type Instance struct {
	Identifier        string
	ARN               string
	ResourceID        string // DbiResourceId
	Engine            string // mysql, mariadb, postgres, aurora-mysql, aurora-postgresql, ...
	EngineVersion     string
	Class             string // db.r6g.large, db.t3.micro, db.serverless, ...
	StorageType       string // gp2, gp3, io1, io2, standard, aurora, aurora-iopt1
	Status            string
	ClusterIdentifier string
	ReplicaSource     string // ReadReplicaSourceDBInstanceIdentifier
	Role              Role
	AvailabilityZone  string
	Endpoint          Endpoint

	MultiAZ                   bool
	PerformanceInsights       bool
	MonitoringIntervalSeconds int32
	AllocatedStorageGiB       int32
	MaxAllocatedStorageGiB    int32
	ProvisionedIOPS           int32
	StorageThroughputMiBps    int32
	BackupRetentionPeriodDays int32
	Tags                      map[string]string
	// LogExports are the log types published to CloudWatch Logs (EnabledCloudwatchLogsExports);
	// Aurora instances publish their cluster's.
	LogExports []string

	// What auditors ask about, and the server certificate.
	CACertificate        string    // CACertificateIdentifier
	CertificateValidTill time.Time // CertificateDetails.ValidTill; zero when not reported
	DeletionProtection   bool
	IAMAuth              bool // IAMDatabaseAuthenticationEnabled
	PubliclyAccessible   bool
	StorageEncrypted     bool
}

// ClusterMember is one instance of an Aurora cluster and its role.
type ClusterMember struct {
	Identifier string
	Writer     bool
}

// Cluster is one Aurora (or Multi-AZ) DB cluster as DescribeDBClusters reports it.
type Cluster struct {
	Identifier    string
	ARN           string
	ResourceID    string // DbClusterResourceId
	Engine        string
	EngineVersion string
	EngineMode    string // provisioned, serverless, ...
	Serverless    bool   // Aurora Serverless v1 or v2 (capacity metrics exist)
	GlobalMember  bool   // part of an Aurora global database
	GlobalRole    GlobalRole
	Limitless     bool // Aurora PostgreSQL Limitless Database: no instances, a shard group
	Status        string
	Members       []ClusterMember
	Tags          map[string]string
	LogExports    []string // EnabledCloudwatchLogsExports
}

// GlobalRole is a cluster's place in its Aurora global database.
type GlobalRole string

const (
	GlobalPrimary   GlobalRole = "primary"
	GlobalSecondary GlobalRole = "secondary"
	// GlobalUnknown: DescribeGlobalClusters could not be read; every global metric is asked.
	GlobalUnknown GlobalRole = ""
)

// Fleet is the result of one discovery refresh.
type Fleet struct {
	Instances   []Instance
	Clusters    []Cluster
	Proxies     []Proxy      // with their targets among Instances
	ShardGroups []ShardGroup // of the Limitless clusters among Clusters
	Refreshed   time.Time
	// Warnings name the parts left out for good (no permission, unknown operation).
	Warnings []string
}

// IsAurora reports whether an engine name is one of the Aurora engines.
func IsAurora(engine string) bool { return strings.HasPrefix(engine, "aurora") }

// EngineFamily maps an RDS engine name to the database family its engine-specific
// CloudWatch metrics belong to: "mysql" (MySQL, MariaDB, Aurora MySQL) or "postgresql"
// (PostgreSQL, Aurora PostgreSQL; "postgresql" names a non-RDS server); other engines (Oracle, SQL Server, Db2) return "".
func EngineFamily(engine string) string {
	switch engine {
	case "mysql", "mariadb", "aurora", "aurora-mysql":
		return "mysql"
	case "postgres", "postgresql", "aurora-postgresql":
		return "postgresql"
	}
	return ""
}

// DBSystemName maps an RDS engine name to the OpenTelemetry db.system.name value.
func DBSystemName(engine string) string {
	switch {
	case engine == "mariadb":
		return "mariadb"
	case engine == "mysql", engine == "aurora", engine == "aurora-mysql":
		return "mysql"
	case engine == "postgres", engine == "postgresql", engine == "aurora-postgresql":
		return "postgresql"
	case strings.HasPrefix(engine, "oracle"):
		return "oracle.db"
	case strings.HasPrefix(engine, "sqlserver"):
		return "microsoft.sql_server"
	case strings.HasPrefix(engine, "db2"):
		return "ibm.db2"
	}
	return engine
}

// Burstable reports whether an instance class earns CPU credits (db.t2/t3/t4g).
func Burstable(class string) bool { return strings.HasPrefix(class, "db.t") }

// silentStatuses are the DB instance statuses in which RDS publishes no CloudWatch metrics
// and accepts no connections. Source: the status table of the RDS User Guide ("Viewing
// Amazon RDS DB instance status"), whose "Billed" column says which statuses run the
// instance: the unbilled ones are stopped or not (yet, any more) running. Every other
// status (available, backing-up, modifying, rebooting, storage-full, upgrading, ...) is a
// running instance; so is an unknown status, so that a new one costs queries rather than
// losing data.
var silentStatuses = map[string]bool{
	"stopped":                             true,
	"stopping":                            true,
	"starting":                            true,
	"creating":                            true,
	"deleting":                            true,
	"failed":                              true,
	"inaccessible-encryption-credentials": true,
	"inaccessible-encryption-credentials-recoverable": true,
	"incompatible-create":                             true,
	"incompatible-network":                            true,
	"incompatible-restore":                            true,
	"insufficient-capacity":                           true,
}

// Running reports whether the instance is in a status in which RDS publishes CloudWatch
// metrics and the database can be queried. Inventory metrics are recorded either way.
func (in *Instance) Running() bool { return !silentStatuses[in.Status] }
