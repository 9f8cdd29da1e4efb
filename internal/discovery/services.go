package discovery

// Amazon Neptune and Amazon DocumentDB are managed through the RDS API: without an engine
// filter DescribeDBInstances and DescribeDBClusters return their instances and clusters too
// (qonto/prometheus-rds-exporter #276 broke on exactly this). Their CloudWatch metrics live in
// the AWS/Neptune and AWS/DocDB namespaces, their logs in /aws/neptune and /aws/docdb, and
// their metric names differ from AWS/RDS's, so the receiver skips them: planning them as RDS
// instances would only buy GetMetricData queries that can never return data.
// Sources: Neptune User Guide "Monitoring Neptune Using Amazon CloudWatch" (namespace
// AWS/Neptune); DocumentDB Developer Guide "Monitoring Amazon DocumentDB with CloudWatch"
// (namespace AWS/DocDB); both document the shared DescribeDBInstances API and its engine field.
var otherServiceEngines = map[string]bool{"neptune": true, "docdb": true}

// OtherService reports whether an engine belongs to a service that shares the RDS API but
// not its CloudWatch namespace (Neptune, DocumentDB); discovery leaves such resources out.
func OtherService(engine string) bool {
	return otherServiceEngines[engine]
}
