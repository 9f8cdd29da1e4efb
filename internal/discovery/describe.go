package discovery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// API is the part of the RDS client discovery uses; *rds.Client implements it.
type API interface {
	DescribeDBInstances(context.Context, *rds.DescribeDBInstancesInput, ...func(*rds.Options)) (*rds.DescribeDBInstancesOutput, error)
	DescribeDBClusters(context.Context, *rds.DescribeDBClustersInput, ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error)
	DescribeDBProxies(context.Context, *rds.DescribeDBProxiesInput, ...func(*rds.Options)) (*rds.DescribeDBProxiesOutput, error)
	DescribeDBProxyTargets(context.Context, *rds.DescribeDBProxyTargetsInput, ...func(*rds.Options)) (*rds.DescribeDBProxyTargetsOutput, error)
	DescribeDBShardGroups(context.Context, *rds.DescribeDBShardGroupsInput, ...func(*rds.Options)) (*rds.DescribeDBShardGroupsOutput, error)
	DescribeGlobalClusters(context.Context, *rds.DescribeGlobalClustersInput, ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error)
}

// maxRecords is DescribeDB*'s largest page: fewest calls per refresh.
const maxRecords = 100

// Describe lists the instances and clusters that pass the filter, the proxies in front
// of them and the shard groups of Limitless clusters. The engine filter is applied by RDS
// itself; the rest is applied here because RDS cannot filter on tags.
func Describe(ctx context.Context, api API, f *Filter, now time.Time) (Fleet, error) {
	return describe(ctx, api, f, now, &optionalParts{})
}

// optionalParts remembers the Describe calls that the caller may not make (no
// permission, or an endpoint without the operation): proxies and shard groups are left
// out, with a warning once, rather than failing every refresh.
type optionalParts struct{ off map[string]bool }

// call runs one optional part. A permanent refusal turns the part off and is returned as
// a warning; any other error fails the refresh, so the last fleet is kept and retried.
func (o *optionalParts) call(name string, fleet *Fleet, run func() error) error {
	if o.off[name] {
		return nil
	}
	err := run()
	if err != nil && unavailable(err) {
		if o.off == nil {
			o.off = map[string]bool{}
		}
		o.off[name] = true
		fleet.Warnings = append(fleet.Warnings, fmt.Sprintf("%s are not monitored: %v", name, err))
		return nil
	}
	return err
}

func describe(ctx context.Context, api API, f *Filter, now time.Time, opt *optionalParts) (Fleet, error) {
	var filters []types.Filter
	if engines := f.Engines(); len(engines) > 0 {
		filters = []types.Filter{{Name: aws.String("engine"), Values: engines}}
	}

	var clusters []Cluster
	if wantsClusters(f.Engines()) {
		p := rds.NewDescribeDBClustersPaginator(api, &rds.DescribeDBClustersInput{MaxRecords: aws.Int32(maxRecords), Filters: filters})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return Fleet{}, fmt.Errorf("DescribeDBClusters: %w", err)
			}
			for i := range page.DBClusters {
				if OtherService(aws.ToString(page.DBClusters[i].Engine)) {
					continue
				}
				clusters = append(clusters, clusterFrom(&page.DBClusters[i]))
			}
		}
	}
	writers := make(map[string]bool)
	for _, c := range clusters {
		for _, m := range c.Members {
			writers[m.Identifier] = m.Writer
		}
	}

	var instances []Instance
	matched := map[string]bool{} // before sharding: proxies are split on their own
	p := rds.NewDescribeDBInstancesPaginator(api, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(maxRecords), Filters: filters})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return Fleet{}, fmt.Errorf("DescribeDBInstances: %w", err)
		}
		for i := range page.DBInstances {
			if OtherService(aws.ToString(page.DBInstances[i].Engine)) {
				continue
			}
			in := instanceFrom(&page.DBInstances[i], writers)
			if f.Match(in) {
				instances = append(instances, in)
				matched[in.Identifier] = true
			}
		}
	}
	if f.owns != nil {
		instances = keepShare(instances, clusters, f.owns)
	}
	fleet := Fleet{Instances: instances, Clusters: keepWatched(clusters, instances, f), Refreshed: now}

	err := opt.call("RDS Proxies", &fleet, func() error {
		proxies, err := describeProxies(ctx, api, matched)
		for _, px := range proxies {
			if f.owns == nil || f.owns("proxy/"+px.ARN) {
				fleet.Proxies = append(fleet.Proxies, px)
			}
		}
		return err
	})
	if err != nil {
		return Fleet{}, err
	}
	limitless, global := map[string]bool{}, false
	for _, c := range fleet.Clusters {
		if c.Limitless {
			limitless[c.Identifier] = true
		}
		global = global || c.GlobalMember
	}
	if global {
		if err := opt.call("Aurora global database roles", &fleet, func() error { return setGlobalRoles(ctx, api, fleet.Clusters) }); err != nil {
			return Fleet{}, err
		}
	}
	if len(limitless) > 0 {
		err = opt.call("Limitless shard groups", &fleet, func() error {
			var err error
			fleet.ShardGroups, err = describeShardGroups(ctx, api, limitless)
			return err
		})
	}
	return fleet, err
}

// ShareKey is the identity a sharded fleet is split by: a cluster's resource id for the
// cluster and all its members (cluster-level metrics and their instances in one shard),
// else the instance's DbiResourceId, which survives renames.
func ShareKey(in Instance, clusterResourceIDs map[string]string) string {
	if in.ClusterIdentifier != "" {
		if id := clusterResourceIDs[in.ClusterIdentifier]; id != "" {
			return "cluster/" + id
		}
		return "cluster-name/" + in.ClusterIdentifier
	}
	if in.ResourceID != "" {
		return "instance/" + in.ResourceID
	}
	return "instance-name/" + in.Identifier
}

func keepShare(instances []Instance, clusters []Cluster, owns func(string) bool) []Instance {
	ids := make(map[string]string, len(clusters))
	for _, c := range clusters {
		ids[c.Identifier] = c.ResourceID
	}
	out := instances[:0]
	for _, in := range instances {
		if owns(ShareKey(in, ids)) {
			out = append(out, in)
		}
	}
	return out
}

// wantsClusters skips DescribeDBClusters when the engine filter leaves no clustered engine.
func wantsClusters(engines []string) bool {
	if len(engines) == 0 {
		return true
	}
	for _, e := range engines {
		// Multi-AZ DB clusters of MySQL and PostgreSQL also report writer/reader roles.
		if IsAurora(e) || e == "mysql" || e == "postgres" {
			return true
		}
	}
	return false
}

// keepWatched keeps the clusters that have at least one watched member, so cluster
// metrics follow the instance filter, and the clusters without DB instances (Aurora
// Serverless v1, Limitless) that pass the filter, and the shard, themselves.
func keepWatched(clusters []Cluster, instances []Instance, f *Filter) []Cluster {
	watched := make(map[string]bool, len(instances))
	for _, in := range instances {
		if in.ClusterIdentifier != "" {
			watched[in.ClusterIdentifier] = true
		}
	}
	out := clusters[:0]
	for _, c := range clusters {
		memberless := c.EngineMode == "serverless" || c.Limitless
		if watched[c.Identifier] || (memberless && f.Match(Instance{Identifier: c.Identifier, Engine: c.Engine, Tags: c.Tags}) &&
			(f.owns == nil || f.owns("cluster/"+c.ResourceID))) {
			out = append(out, c)
		}
	}
	return out
}

func instanceFrom(d *types.DBInstance, writers map[string]bool) Instance {
	in := Instance{
		Identifier:                aws.ToString(d.DBInstanceIdentifier),
		ARN:                       aws.ToString(d.DBInstanceArn),
		ResourceID:                aws.ToString(d.DbiResourceId),
		Engine:                    aws.ToString(d.Engine),
		EngineVersion:             aws.ToString(d.EngineVersion),
		Class:                     aws.ToString(d.DBInstanceClass),
		StorageType:               aws.ToString(d.StorageType),
		Status:                    aws.ToString(d.DBInstanceStatus),
		ClusterIdentifier:         aws.ToString(d.DBClusterIdentifier),
		ReplicaSource:             aws.ToString(d.ReadReplicaSourceDBInstanceIdentifier),
		AvailabilityZone:          aws.ToString(d.AvailabilityZone),
		MultiAZ:                   aws.ToBool(d.MultiAZ),
		PerformanceInsights:       aws.ToBool(d.PerformanceInsightsEnabled),
		MonitoringIntervalSeconds: aws.ToInt32(d.MonitoringInterval),
		AllocatedStorageGiB:       aws.ToInt32(d.AllocatedStorage),
		MaxAllocatedStorageGiB:    aws.ToInt32(d.MaxAllocatedStorage),
		ProvisionedIOPS:           aws.ToInt32(d.Iops),
		StorageThroughputMiBps:    aws.ToInt32(d.StorageThroughput),
		BackupRetentionPeriodDays: aws.ToInt32(d.BackupRetentionPeriod),
		Tags:                      tagMap(d.TagList),
		LogExports:                d.EnabledCloudwatchLogsExports,
		CACertificate:             aws.ToString(d.CACertificateIdentifier),
		DeletionProtection:        aws.ToBool(d.DeletionProtection),
		IAMAuth:                   aws.ToBool(d.IAMDatabaseAuthenticationEnabled),
		PubliclyAccessible:        aws.ToBool(d.PubliclyAccessible),
		StorageEncrypted:          aws.ToBool(d.StorageEncrypted),
	}
	if d.CertificateDetails != nil {
		in.CertificateValidTill = aws.ToTime(d.CertificateDetails.ValidTill)
	}
	if d.Endpoint != nil {
		in.Endpoint = Endpoint{Address: aws.ToString(d.Endpoint.Address), Port: aws.ToInt32(d.Endpoint.Port)}
	}
	switch writer, member := writers[in.Identifier]; {
	case member && writer:
		in.Role = RoleWriter
	case member:
		in.Role = RoleReader
	case in.ReplicaSource != "" || aws.ToString(d.ReadReplicaSourceDBClusterIdentifier) != "":
		in.Role = RoleReplica
	default:
		in.Role = RolePrimary
	}
	return in
}

func clusterFrom(d *types.DBCluster) Cluster {
	c := Cluster{
		Identifier:    aws.ToString(d.DBClusterIdentifier),
		ARN:           aws.ToString(d.DBClusterArn),
		ResourceID:    aws.ToString(d.DbClusterResourceId),
		Engine:        aws.ToString(d.Engine),
		EngineVersion: aws.ToString(d.EngineVersion),
		EngineMode:    aws.ToString(d.EngineMode),
		Status:        aws.ToString(d.Status),
		GlobalMember:  aws.ToString(d.GlobalClusterIdentifier) != "",
		Limitless:     d.ClusterScalabilityType == types.ClusterScalabilityTypeLimitless,
		Tags:          tagMap(d.TagList),
		LogExports:    d.EnabledCloudwatchLogsExports,
	}
	c.Serverless = d.ServerlessV2ScalingConfiguration != nil || strings.EqualFold(c.EngineMode, "serverless")
	for _, m := range d.DBClusterMembers {
		c.Members = append(c.Members, ClusterMember{Identifier: aws.ToString(m.DBInstanceIdentifier), Writer: aws.ToBool(m.IsClusterWriter)})
	}
	return c
}

func tagMap(tags []types.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
