package simulator

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Engines the simulator knows.
const (
	EngineMySQL            = "mysql"
	EngineMariaDB          = "mariadb"
	EnginePostgres         = "postgres"
	EngineAuroraMySQL      = "aurora-mysql"
	EngineAuroraPostgreSQL = "aurora-postgresql"
)

// Fleet is the simulated account: DB instances and Aurora clusters in one region.
type Fleet struct {
	Instances []Instance `yaml:"instances" json:"instances"`
	Clusters  []Cluster  `yaml:"clusters" json:"clusters"`
	// Events is the fleet's scripted RDS event history (DescribeEvents).
	Events []Event `yaml:"events,omitempty" json:"events,omitempty"`
	// PendingMaintenance lists DescribePendingMaintenanceActions' answers.
	PendingMaintenance []PendingMaintenance `yaml:"pending_maintenance,omitempty" json:"pending_maintenance,omitempty"`
	// QuotaMax and QuotaUsed override DescribeAccountAttributes' maxima and usage
	// (see AccountQuotas), by AccountQuotaName.
	QuotaMax  map[string]int64 `yaml:"quota_max,omitempty" json:"quota_max,omitempty"`
	QuotaUsed map[string]int64 `yaml:"quota_used,omitempty" json:"quota_used,omitempty"`
	// Proxies are the RDS Proxies (DescribeDBProxies, DescribeDBProxyTargets).
	Proxies []Proxy `yaml:"proxies,omitempty" json:"proxies,omitempty"`
	// ShardGroups are the DB shard groups of Limitless clusters (DescribeDBShardGroups).
	ShardGroups []ShardGroup `yaml:"shard_groups,omitempty" json:"shard_groups,omitempty"`
}

// Instance is one DB instance as DescribeDBInstances reports it.
type Instance struct {
	Identifier             string `yaml:"identifier" json:"identifier"`
	Engine                 string `yaml:"engine" json:"engine"`
	EngineVersion          string `yaml:"engine_version,omitempty" json:"engine_version,omitempty"`
	Class                  string `yaml:"class" json:"class"`
	StorageType            string `yaml:"storage_type,omitempty" json:"storage_type,omitempty"`
	AllocatedStorageGiB    int32  `yaml:"allocated_storage_gib,omitempty" json:"allocated_storage_gib,omitempty"`
	MaxAllocatedStorageGiB int32  `yaml:"max_allocated_storage_gib,omitempty" json:"max_allocated_storage_gib,omitempty"`
	IOPS                   int32  `yaml:"iops,omitempty" json:"iops,omitempty"`
	StorageThroughputMiBps int32  `yaml:"storage_throughput,omitempty" json:"storage_throughput,omitempty"`
	// Status is the DBInstanceStatus (default available). Instances in a status where
	// PublishesMetrics is false have no CloudWatch data (see SetInstanceStatus).
	Status string `yaml:"status,omitempty" json:"status,omitempty"`
	// StatusSince is when Status began; before it the instance was available. Zero
	// means "since the instance exists".
	StatusSince             time.Time         `yaml:"status_since,omitempty" json:"status_since,omitzero"`
	MultiAZ                 bool              `yaml:"multi_az,omitempty" json:"multi_az,omitempty"`
	BackupRetentionDays     int32             `yaml:"backup_retention_days,omitempty" json:"backup_retention_days,omitempty"`
	ClusterIdentifier       string            `yaml:"cluster,omitempty" json:"cluster,omitempty"`
	ReplicaSourceIdentifier string            `yaml:"replica_source,omitempty" json:"replica_source,omitempty"`
	PerformanceInsights     bool              `yaml:"performance_insights,omitempty" json:"performance_insights,omitempty"`
	MonitoringInterval      int32             `yaml:"monitoring_interval,omitempty" json:"monitoring_interval,omitempty"`
	EndpointAddress         string            `yaml:"endpoint_address,omitempty" json:"endpoint_address,omitempty"`
	EndpointPort            int32             `yaml:"endpoint_port,omitempty" json:"endpoint_port,omitempty"`
	AvailabilityZone        string            `yaml:"availability_zone,omitempty" json:"availability_zone,omitempty"`
	Tags                    map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	DbiResourceID           string            `yaml:"dbi_resource_id,omitempty" json:"dbi_resource_id,omitempty"`
	ARN                     string            `yaml:"arn,omitempty" json:"arn,omitempty"`
	// CreateTime is when the instance was created; its metrics start then (never
	// before the fleet's creation time). Zero means "with the fleet".
	CreateTime time.Time `yaml:"created,omitempty" json:"created,omitzero"`
	// LogExports are the log types published to CloudWatch Logs
	// (EnabledCloudwatchLogsExports), e.g. [error, slowquery] or [postgresql]. Aurora
	// instances export through their cluster and must leave it empty.
	LogExports []string `yaml:"log_exports,omitempty" json:"log_exports,omitempty"`
	// CACertificate is CACertificateIdentifier (default rds-ca-rsa2048-g1) and
	// CertificateValidTill the server certificate's expiry (CertificateDetails.ValidTill;
	// default: the fleet's creation plus a year).
	CACertificate        string    `yaml:"ca_certificate,omitempty" json:"ca_certificate,omitempty"`
	CertificateValidTill time.Time `yaml:"certificate_valid_till,omitempty" json:"certificate_valid_till,omitzero"`
	DeletionProtection   bool      `yaml:"deletion_protection,omitempty" json:"deletion_protection,omitempty"`
	IAMAuth              bool      `yaml:"iam_auth,omitempty" json:"iam_auth,omitempty"`
	PubliclyAccessible   bool      `yaml:"publicly_accessible,omitempty" json:"publicly_accessible,omitempty"`
	// Unencrypted turns StorageEncrypted off (on by default, as for new RDS instances).
	Unencrypted bool `yaml:"unencrypted,omitempty" json:"unencrypted,omitempty"`
}

// ClusterMember is one instance of an Aurora cluster and its role.
type ClusterMember struct {
	InstanceIdentifier string `yaml:"instance" json:"instance"`
	IsWriter           bool   `yaml:"writer,omitempty" json:"writer,omitempty"`
}

// Cluster is one DB cluster as DescribeDBClusters reports it: Aurora, or a Multi-AZ DB
// cluster of MySQL or PostgreSQL (a writer and two readable standbys, no cluster volume).
type Cluster struct {
	Identifier    string          `yaml:"identifier" json:"identifier"`
	Engine        string          `yaml:"engine" json:"engine"`
	EngineVersion string          `yaml:"engine_version,omitempty" json:"engine_version,omitempty"`
	EngineMode    string          `yaml:"engine_mode,omitempty" json:"engine_mode,omitempty"`
	Status        string          `yaml:"status,omitempty" json:"status,omitempty"`
	Members       []ClusterMember `yaml:"members" json:"members"`
	// Serverless marks an Aurora Serverless v2 cluster: DescribeDBClusters carries a
	// ServerlessV2ScalingConfiguration and its members use the db.serverless class.
	Serverless  bool    `yaml:"serverless,omitempty" json:"serverless,omitempty"`
	MinCapacity float64 `yaml:"min_capacity,omitempty" json:"min_capacity,omitempty"`
	MaxCapacity float64 `yaml:"max_capacity,omitempty" json:"max_capacity,omitempty"`
	// ScalabilityType is ClusterScalabilityType: "limitless" for an Aurora PostgreSQL
	// Limitless Database cluster (no member instances; see ShardGroup), else standard.
	ScalabilityType string `yaml:"scalability_type,omitempty" json:"scalability_type,omitempty"`
	// InstanceClass is DBClusterInstanceClass of a Multi-AZ DB cluster (default: its
	// members' class).
	InstanceClass string `yaml:"instance_class,omitempty" json:"instance_class,omitempty"`
	// GlobalClusterIdentifier is set on members of an Aurora global database
	// (DBCluster.GlobalClusterIdentifier in the API).
	GlobalClusterIdentifier string `yaml:"global_cluster,omitempty" json:"global_cluster,omitempty"`
	// GlobalSecondary makes the cluster a secondary of its global database (read-only,
	// replicating from the primary in another region); otherwise it is the primary.
	GlobalSecondary bool              `yaml:"global_secondary,omitempty" json:"global_secondary,omitempty"`
	Port            int32             `yaml:"port,omitempty" json:"port,omitempty"`
	Endpoint        string            `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
	ReaderEndpoint  string            `yaml:"reader_endpoint,omitempty" json:"reader_endpoint,omitempty"`
	Tags            map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
	ResourceID      string            `yaml:"cluster_resource_id,omitempty" json:"cluster_resource_id,omitempty"`
	ARN             string            `yaml:"arn,omitempty" json:"arn,omitempty"`
	CreateTime      time.Time         `yaml:"created,omitempty" json:"created,omitzero"`
	// LogExports are the log types the cluster publishes to CloudWatch Logs
	// (EnabledCloudwatchLogsExports), one log stream per member instance.
	LogExports []string `yaml:"log_exports,omitempty" json:"log_exports,omitempty"`
}

// IsAurora reports whether the engine is an Aurora engine.
func IsAurora(engine string) bool { return strings.HasPrefix(engine, "aurora") }

// IsBurstable reports whether an instance class earns CPU credits (db.t*).
func IsBurstable(class string) bool { return strings.HasPrefix(class, "db.t") }

// Validate checks references inside the fleet: unique lowercase identifiers, known
// engines, replica sources and cluster members that exist, one writer per cluster.
func (f Fleet) Validate() error {
	var errs []error
	inst := make(map[string]*Instance, len(f.Instances))
	for i := range f.Instances {
		in := &f.Instances[i]
		switch {
		case in.Identifier == "":
			errs = append(errs, fmt.Errorf("instance %d: empty identifier", i))
			continue
		case in.Identifier != strings.ToLower(in.Identifier):
			errs = append(errs, fmt.Errorf("instance %q: identifier must be lowercase", in.Identifier))
		case inst[in.Identifier] != nil:
			errs = append(errs, fmt.Errorf("instance %q: duplicate identifier", in.Identifier))
		}
		if !knownEngine(in.Engine) {
			errs = append(errs, fmt.Errorf("instance %q: unknown engine %q", in.Identifier, in.Engine))
		}
		if in.Class == "" {
			errs = append(errs, fmt.Errorf("instance %q: empty class", in.Identifier))
		}
		if in.Status != "" && !KnownStatus(in.Status) {
			errs = append(errs, fmt.Errorf("instance %q: unknown status %q (see simulator.InstanceStatuses)", in.Identifier, in.Status))
		}
		if len(in.LogExports) > 0 && IsAurora(in.Engine) {
			errs = append(errs, fmt.Errorf("instance %q: Aurora instances export logs through their cluster's log_exports", in.Identifier))
		} else {
			errs = append(errs, checkLogExports("instance", in.Identifier, in.Engine, in.LogExports)...)
		}
		inst[in.Identifier] = in
	}
	for _, in := range f.Instances {
		if in.ReplicaSourceIdentifier == "" {
			continue
		}
		src := inst[in.ReplicaSourceIdentifier]
		switch {
		case src == nil:
			errs = append(errs, fmt.Errorf("instance %q: replica source %q does not exist", in.Identifier, in.ReplicaSourceIdentifier))
		case IsAurora(in.Engine):
			errs = append(errs, fmt.Errorf("instance %q: Aurora instances replicate through their cluster", in.Identifier))
		case src.Engine != in.Engine:
			errs = append(errs, fmt.Errorf("instance %q: replica engine %q differs from source engine %q", in.Identifier, in.Engine, src.Engine))
		}
	}
	clusters := make(map[string]*Cluster, len(f.Clusters))
	for i := range f.Clusters {
		c := &f.Clusters[i]
		if c.Identifier == "" || c.Identifier != strings.ToLower(c.Identifier) || clusters[c.Identifier] != nil {
			errs = append(errs, fmt.Errorf("cluster %q: empty, non-lowercase or duplicate identifier", c.Identifier))
		}
		clusters[c.Identifier] = c
		if !clustered(c.Engine) && !multiAZClustered(c.Engine) {
			errs = append(errs, fmt.Errorf("cluster %q: engine %q is not an Aurora, Neptune, DocumentDB or Multi-AZ DB cluster (mysql, postgres) engine", c.Identifier, c.Engine))
		}
		errs = append(errs, checkLogExports("cluster", c.Identifier, c.Engine, c.LogExports)...)
		writers := 0
		for _, m := range c.Members {
			in := inst[m.InstanceIdentifier]
			switch {
			case in == nil:
				errs = append(errs, fmt.Errorf("cluster %q: member %q does not exist", c.Identifier, m.InstanceIdentifier))
				continue
			case in.Engine != c.Engine:
				errs = append(errs, fmt.Errorf("cluster %q: member %q has engine %q", c.Identifier, in.Identifier, in.Engine))
			case in.ClusterIdentifier != "" && in.ClusterIdentifier != c.Identifier:
				errs = append(errs, fmt.Errorf("cluster %q: member %q belongs to cluster %q", c.Identifier, in.Identifier, in.ClusterIdentifier))
			}
			if m.IsWriter {
				writers++
			}
		}
		if writers > 1 {
			errs = append(errs, fmt.Errorf("cluster %q: %d writers", c.Identifier, writers))
		}
	}
	for _, in := range f.Instances {
		if in.ClusterIdentifier != "" && clusters[in.ClusterIdentifier] == nil {
			errs = append(errs, fmt.Errorf("instance %q: cluster %q does not exist", in.Identifier, in.ClusterIdentifier))
		}
		if clustered(in.Engine) && in.ClusterIdentifier == "" && !memberOfAny(f.Clusters, in.Identifier) {
			errs = append(errs, fmt.Errorf("instance %q: %s instance without a cluster", in.Identifier, in.Engine))
		}
	}
	errs = append(errs, f.validateEvents()...)
	errs = append(errs, f.validateLifecycle()...)
	errs = append(errs, f.validateProxies(inst)...)
	errs = append(errs, f.validateShardGroups(clusters)...)
	return errors.Join(errs...)
}

// LogTypes are the log types an engine can publish to CloudWatch Logs, as
// EnabledCloudwatchLogsExports names them; nil for an unknown engine.
func LogTypes(engine string) []string {
	switch engine {
	case EngineMySQL, EngineMariaDB, EngineAuroraMySQL:
		return []string{"audit", "error", "general", "iam-db-auth-error", "slowquery"}
	case EnginePostgres, EngineAuroraPostgreSQL:
		return []string{"iam-db-auth-error", "postgresql", "upgrade"}
	case EngineOracleEE:
		return []string{"alert", "audit", "listener", "oemagent", "trace"}
	case EngineSQLServerSE:
		return []string{"agent", "error"}
	case EngineDb2SE:
		return []string{"diag.log", "notify.log"}
	}
	return nil
}

func checkLogExports(kind, id, engine string, exports []string) []error {
	var errs []error
	allowed := LogTypes(engine)
	seen := map[string]bool{}
	for _, x := range exports {
		switch {
		case !slices.Contains(allowed, x):
			errs = append(errs, fmt.Errorf("%s %q: log export %q is not a log type of engine %q (want one of %s)",
				kind, id, x, engine, strings.Join(allowed, ", ")))
		case seen[x]:
			errs = append(errs, fmt.Errorf("%s %q: duplicate log export %q", kind, id, x))
		}
		seen[x] = true
	}
	return errs
}

func knownEngine(e string) bool {
	switch e {
	case EngineMySQL, EngineMariaDB, EnginePostgres, EngineAuroraMySQL, EngineAuroraPostgreSQL,
		EngineNeptune, EngineDocDB, EngineOracleEE, EngineSQLServerSE, EngineDb2SE:
		return true
	}
	return false
}

func memberOfAny(cs []Cluster, id string) bool {
	for _, c := range cs {
		for _, m := range c.Members {
			if m.InstanceIdentifier == id {
				return true
			}
		}
	}
	return false
}

// normalized returns a deep copy with everything AWS would report filled in
// (ARNs, resource ids, endpoints, statuses, cluster links), sorted by identifier as
// the Describe calls return them.
func (f Fleet) normalized(region, account string) Fleet {
	out := f.clone()
	clusterOf := map[string]string{}
	for _, c := range out.Clusters {
		for _, m := range c.Members {
			clusterOf[m.InstanceIdentifier] = c.Identifier
		}
	}
	for i := range out.Instances {
		in := &out.Instances[i]
		if in.ClusterIdentifier == "" {
			in.ClusterIdentifier = clusterOf[in.Identifier]
		}
		fillInstance(in, region, account)
	}
	clusterIdx := make(map[string]int, len(out.Clusters))
	for i, c := range out.Clusters {
		clusterIdx[c.Identifier] = i
	}
	// Instances that name a cluster missing them from its member list are readers.
	for i := range out.Instances {
		in := &out.Instances[i]
		if ci, ok := clusterIdx[in.ClusterIdentifier]; ok && clusterOf[in.Identifier] == "" {
			out.Clusters[ci].Members = append(out.Clusters[ci].Members, ClusterMember{InstanceIdentifier: in.Identifier})
		}
	}
	for i := range out.Clusters {
		c := &out.Clusters[i]
		fillCluster(c, region, account)
		if multiAZClustered(c.Engine) && c.InstanceClass == "" && len(c.Members) > 0 {
			if in := findIn(out.Instances, c.Members[0].InstanceIdentifier); in != nil {
				c.InstanceClass = in.Class
			}
		}
	}
	for i := range out.Proxies {
		fillProxy(&out.Proxies[i], region, account)
	}
	for i := range out.ShardGroups {
		fillShardGroup(&out.ShardGroups[i], region, account)
	}
	sort.Slice(out.Proxies, func(i, j int) bool { return out.Proxies[i].Name < out.Proxies[j].Name })
	sort.Slice(out.ShardGroups, func(i, j int) bool { return out.ShardGroups[i].Identifier < out.ShardGroups[j].Identifier })
	sort.Slice(out.Instances, func(i, j int) bool { return out.Instances[i].Identifier < out.Instances[j].Identifier })
	sort.Slice(out.Clusters, func(i, j int) bool { return out.Clusters[i].Identifier < out.Clusters[j].Identifier })
	return out
}

func fillInstance(in *Instance, region, account string) {
	aurora := clustered(in.Engine) // cluster volume storage
	if in.EngineVersion == "" {
		in.EngineVersion = defaultEngineVersion(in.Engine)
	}
	if in.StorageType == "" {
		in.StorageType = "gp2"
		if aurora {
			in.StorageType = "aurora"
		}
	}
	if in.AllocatedStorageGiB == 0 {
		in.AllocatedStorageGiB = 100
		if aurora {
			in.AllocatedStorageGiB = 1
		}
	}
	if in.Status == "" {
		in.Status = "available"
	}
	if in.EndpointPort == 0 {
		in.EndpointPort = defaultPort(in.Engine)
	}
	if in.EndpointAddress == "" {
		in.EndpointAddress = fmt.Sprintf("%s.c%s.%s.rds.amazonaws.com", in.Identifier, shortHash(account+region, 12), region)
	}
	if in.AvailabilityZone == "" {
		in.AvailabilityZone = region + string(rune('a'+hash64(in.Identifier)%3))
	}
	if in.DbiResourceID == "" {
		in.DbiResourceID = "db-" + strings.ToUpper(shortHash("dbi/"+in.Identifier, 26))
	}
	if in.ARN == "" {
		in.ARN = fmt.Sprintf("arn:aws:rds:%s:%s:db:%s", region, account, in.Identifier)
	}
	if in.CACertificate == "" {
		in.CACertificate = "rds-ca-rsa2048-g1"
	}
	if in.BackupRetentionDays == 0 && in.ReplicaSourceIdentifier == "" {
		in.BackupRetentionDays = 7
	}
}

func fillCluster(c *Cluster, region, account string) {
	if c.EngineVersion == "" {
		c.EngineVersion = defaultEngineVersion(c.Engine)
	}
	if c.EngineMode == "" {
		c.EngineMode = "provisioned"
	}
	if c.Status == "" {
		c.Status = "available"
	}
	if c.Serverless || c.EngineMode == "serverless" {
		if c.MinCapacity == 0 {
			c.MinCapacity = 0.5
		}
		if c.MaxCapacity == 0 {
			c.MaxCapacity = 16
		}
	}
	if c.Port == 0 {
		c.Port = defaultPort(c.Engine)
	}
	host := fmt.Sprintf("c%s.%s.rds.amazonaws.com", shortHash(account+region, 12), region)
	if c.Endpoint == "" {
		c.Endpoint = c.Identifier + ".cluster-" + host
	}
	if c.ReaderEndpoint == "" {
		c.ReaderEndpoint = c.Identifier + ".cluster-ro-" + host
	}
	if c.ResourceID == "" {
		c.ResourceID = "cluster-" + strings.ToUpper(shortHash("cluster/"+c.Identifier, 26))
	}
	if c.ARN == "" {
		c.ARN = fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s", region, account, c.Identifier)
	}
}

func defaultEngineVersion(engine string) string {
	switch engine {
	case EngineMySQL:
		return "8.0.39"
	case EngineMariaDB:
		return "10.11.9"
	case EnginePostgres:
		return "16.4"
	case EngineAuroraMySQL:
		return "8.0.mysql_aurora.3.07.1"
	case EngineAuroraPostgreSQL:
		return "16.4"
	case EngineNeptune:
		return "1.3.2.1"
	case EngineDocDB:
		return "5.0.0"
	case EngineOracleEE:
		return "19.0.0.0.ru-2024-10.rur-2024-10.r1"
	case EngineSQLServerSE:
		return "16.00.4165.4.v1"
	case EngineDb2SE:
		return "11.5.9.0.sb00000000.r1"
	}
	return ""
}

func defaultPort(engine string) int32 {
	switch engine {
	case EnginePostgres, EngineAuroraPostgreSQL:
		return 5432
	case EngineNeptune:
		return 8182
	case EngineDocDB:
		return 27017
	case EngineOracleEE:
		return 1521
	case EngineSQLServerSE:
		return 1433
	case EngineDb2SE:
		return 50000
	}
	return 3306
}

func (f Fleet) clone() Fleet {
	out := Fleet{
		Instances:          make([]Instance, len(f.Instances)),
		Clusters:           make([]Cluster, len(f.Clusters)),
		Events:             slices.Clone(f.Events),
		PendingMaintenance: slices.Clone(f.PendingMaintenance),
		QuotaMax:           maps.Clone(f.QuotaMax),
		QuotaUsed:          maps.Clone(f.QuotaUsed),
		ShardGroups:        slices.Clone(f.ShardGroups),
	}
	for _, p := range f.Proxies {
		p.Targets = slices.Clone(p.Targets)
		out.Proxies = append(out.Proxies, p)
	}
	for i, in := range f.Instances {
		in.Tags = cloneTags(in.Tags)
		in.LogExports = slices.Clone(in.LogExports)
		out.Instances[i] = in
	}
	for i, c := range f.Clusters {
		c.Tags = cloneTags(c.Tags)
		c.Members = append([]ClusterMember(nil), c.Members...)
		c.LogExports = slices.Clone(c.LogExports)
		out.Clusters[i] = c
	}
	return out
}

func findIn(instances []Instance, id string) *Instance {
	for i := range instances {
		if instances[i].Identifier == id {
			return &instances[i]
		}
	}
	return nil
}

func cloneTags(t map[string]string) map[string]string { return maps.Clone(t) }

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// shortHash is a deterministic lowercase base-36 string of n characters.
func shortHash(s string, n int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	x := hash64(s)
	b := make([]byte, n)
	for i := range b {
		if i%12 == 0 && i > 0 {
			x = splitmix64(x)
		}
		b[i] = digits[x%36]
		x /= 36
	}
	return string(b)
}
