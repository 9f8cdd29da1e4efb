package simulator

import (
	"bytes"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// LoadFleet reads a fleet from a YAML file and validates it.
//
// Format (unknown keys are rejected; omitted fields get AWS-like defaults: ARNs,
// DbiResourceId, endpoints, status "available", storage "aurora" for Aurora, ...):
//
//	instances:
//	  - identifier: mysql-a            # required, lowercase, unique
//	    engine: mysql                  # mysql | mariadb | postgres | aurora-mysql | aurora-postgresql
//	                                   # neptune | docdb (in a cluster; no AWS/RDS metrics, no logs)
//	    engine_version: "8.0.39"
//	    class: db.m6g.large            # db.t* classes are burstable; db.serverless for Serverless v2
//	    storage_type: gp2              # gp2 | gp3 | io1 | io2 | aurora
//	    allocated_storage_gib: 200
//	    max_allocated_storage_gib: 1000
//	    iops: 3000
//	    storage_throughput: 125        # MiB/s
//	    status: available              # a DBInstanceStatus (InstanceStatuses); no CloudWatch
//	                                   # data in statuses where PublishesMetrics is false
//	    status_since: 2025-01-01T12:00:00Z # when status began (available before); default: always
//	    multi_az: true
//	    backup_retention_days: 7
//	    cluster: aurora-a              # Aurora only; may also come from the cluster's members
//	    replica_source: mysql-a        # non-Aurora read replicas only
//	    performance_insights: true
//	    monitoring_interval: 60        # Enhanced Monitoring seconds, 0 = off
//	    endpoint_address: mysql-a.example.us-east-1.rds.amazonaws.com
//	    endpoint_port: 3306
//	    availability_zone: us-east-1a
//	    dbi_resource_id: db-ABC...
//	    arn: arn:aws:rds:us-east-1:123456789012:db:mysql-a
//	    created: 2025-01-01T00:00:00Z  # metrics start here (not before the fleet's creation)
//	    tags: {env: prod, team: payments}
//	    log_exports: [error, slowquery] # CloudWatch Logs exports; not on Aurora instances
//	clusters:
//	  - identifier: aurora-a
//	    engine: aurora-mysql
//	    engine_version: 8.0.mysql_aurora.3.07.1
//	    engine_mode: provisioned
//	    serverless: false              # true: ServerlessV2ScalingConfiguration present
//	    min_capacity: 0.5              # ACU, serverless only
//	    max_capacity: 16
//	    global_cluster: global-a       # member of an Aurora global database
//	    members:
//	      - {instance: aurora-a-1, writer: true}
//	      - {instance: aurora-a-2}
//	    tags: {env: prod}
//	    log_exports: [postgresql]      # mysql/mariadb/aurora-mysql: error general slowquery audit
//	                                   # iam-db-auth-error; postgres engines: postgresql upgrade
//	                                   # iam-db-auth-error
func LoadFleet(path string) (Fleet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Fleet{}, fmt.Errorf("read fleet: %w", err)
	}
	return ParseFleet(data)
}

// ParseFleet decodes and validates a fleet in the LoadFleet YAML format.
func ParseFleet(data []byte) (Fleet, error) {
	var f Fleet
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return Fleet{}, fmt.Errorf("decode fleet YAML: %w", err)
	}
	if err := f.Validate(); err != nil {
		return Fleet{}, fmt.Errorf("invalid fleet: %w", err)
	}
	return f, nil
}
