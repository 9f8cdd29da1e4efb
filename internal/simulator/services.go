package simulator

// Amazon Neptune and Amazon DocumentDB share the RDS API: DescribeDBInstances and
// DescribeDBClusters without an engine filter return them too. Their CloudWatch metrics are
// published in AWS/Neptune and AWS/DocDB, which the simulator does not serve, so a query for
// one of them in AWS/RDS is a phantom. Like Aurora, their instances belong to a cluster.
const (
	EngineNeptune = "neptune"
	EngineDocDB   = "docdb"
)

// IsOtherService reports whether the engine is Neptune or DocumentDB.
func IsOtherService(engine string) bool { return engine == EngineNeptune || engine == EngineDocDB }

// clustered reports whether the engine's instances must belong to a DB cluster.
func clustered(engine string) bool { return IsAurora(engine) || IsOtherService(engine) }

// Oracle, SQL Server (license-included editions) and Db2, for the metric applicability
// of engines outside the MySQL and PostgreSQL families.
const (
	EngineOracleEE    = "oracle-ee"
	EngineSQLServerSE = "sqlserver-se"
	EngineDb2SE       = "db2-se"
)

// multiAZClustered reports whether the engine can form a Multi-AZ DB cluster.
func multiAZClustered(engine string) bool { return engine == EngineMySQL || engine == EnginePostgres }

func isSQLServer(engine string) bool { return engine == EngineSQLServerSE }
