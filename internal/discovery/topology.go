package discovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

// Proxy is one RDS Proxy (DescribeDBProxies) and the DB instances it routes to.
type Proxy struct {
	Name         string
	ARN          string
	EngineFamily string // MYSQL, POSTGRESQL, SQLSERVER
	Targets      []ProxyTarget
}

// ProxyTarget is one DB instance of a proxy's target group (DescribeDBProxyTargets).
// CloudWatch names its series by ProxyName, TargetGroup and Target (the instance).
type ProxyTarget struct {
	Proxy       string
	TargetGroup string
	Instance    string // RdsResourceId: the DB instance identifier
	Health      string // TargetHealth.State: AVAILABLE, UNAVAILABLE, ...
}

// ShardGroup is one DB shard group of an Aurora PostgreSQL Limitless Database cluster
// (DescribeDBShardGroups): the cluster's compute, with no DB instances.
type ShardGroup struct {
	Identifier        string
	ARN               string
	ClusterIdentifier string
	ComputeRedundancy int32 // standby shards: 0, 1 or 2
}

// proxyTargetGroup is the target group every proxy has and the only one RDS lets a
// proxy use today.
const proxyTargetGroup = "default"

// describeProxies lists the proxies with at least one target among the watched
// instances, and those targets: a proxy follows the instance filter, as clusters do.
func describeProxies(ctx context.Context, api API, watched map[string]bool) ([]Proxy, error) {
	var proxies []Proxy
	p := rds.NewDescribeDBProxiesPaginator(api, &rds.DescribeDBProxiesInput{MaxRecords: aws.Int32(maxRecords)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("DescribeDBProxies: %w", err)
		}
		for _, d := range page.DBProxies {
			px := Proxy{Name: aws.ToString(d.DBProxyName), ARN: aws.ToString(d.DBProxyArn), EngineFamily: aws.ToString(d.EngineFamily)}
			targets, err := describeProxyTargets(ctx, api, px.Name, watched)
			if err != nil {
				return nil, err
			}
			if len(targets) > 0 {
				px.Targets = targets
				proxies = append(proxies, px)
			}
		}
	}
	return proxies, nil
}

func describeProxyTargets(ctx context.Context, api API, proxy string, watched map[string]bool) ([]ProxyTarget, error) {
	var targets []ProxyTarget
	p := rds.NewDescribeDBProxyTargetsPaginator(api, &rds.DescribeDBProxyTargetsInput{
		DBProxyName: aws.String(proxy), TargetGroupName: aws.String(proxyTargetGroup), MaxRecords: aws.Int32(maxRecords)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("DescribeDBProxyTargets %s: %w", proxy, err)
		}
		for _, t := range page.Targets {
			// TRACKED_CLUSTER entries name an Aurora cluster; its instances come as
			// RDS_INSTANCE targets, which are what CloudWatch reports per target.
			id := aws.ToString(t.RdsResourceId)
			if t.Type != types.TargetTypeRdsInstance || !watched[id] {
				continue
			}
			pt := ProxyTarget{Proxy: proxy, TargetGroup: proxyTargetGroup, Instance: id}
			if t.TargetHealth != nil {
				pt.Health = string(t.TargetHealth.State)
			}
			targets = append(targets, pt)
		}
	}
	return targets, nil
}

// describeShardGroups lists the shard groups of the given Limitless clusters.
func describeShardGroups(ctx context.Context, api API, clusters map[string]bool) ([]ShardGroup, error) {
	var groups []ShardGroup
	in := &rds.DescribeDBShardGroupsInput{MaxRecords: aws.Int32(maxRecords)}
	for {
		page, err := api.DescribeDBShardGroups(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("DescribeDBShardGroups: %w", err)
		}
		for _, d := range page.DBShardGroups {
			if !clusters[aws.ToString(d.DBClusterIdentifier)] {
				continue
			}
			groups = append(groups, ShardGroup{
				Identifier: aws.ToString(d.DBShardGroupIdentifier), ARN: aws.ToString(d.DBShardGroupArn),
				ClusterIdentifier: aws.ToString(d.DBClusterIdentifier), ComputeRedundancy: aws.ToInt32(d.ComputeRedundancy),
			})
		}
		if aws.ToString(page.Marker) == "" {
			return groups, nil
		}
		in.Marker = page.Marker
	}
}

// setGlobalRoles marks each member of an Aurora global database as its primary (the
// writer) or a secondary, from DescribeGlobalClusters.
func setGlobalRoles(ctx context.Context, api API, clusters []Cluster) error {
	writer := map[string]bool{} // cluster ARN -> IsWriter
	p := rds.NewDescribeGlobalClustersPaginator(api, &rds.DescribeGlobalClustersInput{MaxRecords: aws.Int32(maxRecords)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("DescribeGlobalClusters: %w", err)
		}
		for _, g := range page.GlobalClusters {
			for _, m := range g.GlobalClusterMembers {
				writer[aws.ToString(m.DBClusterArn)] = aws.ToBool(m.IsWriter)
			}
		}
	}
	for i := range clusters {
		c := &clusters[i]
		if w, ok := writer[c.ARN]; ok && c.GlobalMember {
			c.GlobalRole = GlobalSecondary
			if w {
				c.GlobalRole = GlobalPrimary
			}
		}
	}
	return nil
}

// unavailable reports an error that will not go away by itself: the caller lacks the
// permission, or the endpoint does not know the operation. Discovery then stops asking
// (see Source) instead of failing every refresh.
func unavailable(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidAction", "UnknownOperationException":
		return true
	}
	return false
}
