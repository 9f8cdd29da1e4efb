package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Aurora PostgreSQL Limitless Database: a cluster of scalability type "limitless" has no
// DB instances; its compute is a DB shard group (DescribeDBShardGroups) that scales in
// ACUs like Aurora Serverless v2.
const (
	// ScalabilityLimitless is DBCluster.ClusterScalabilityType of a Limitless cluster.
	ScalabilityLimitless = "limitless"
	// DimShardGroup is the CloudWatch dimension of the shard group metrics.
	DimShardGroup = "DBShardGroupIdentifier"
)

// ShardGroup is one DB shard group of a Limitless cluster.
type ShardGroup struct {
	Identifier        string  `yaml:"identifier" json:"identifier"`
	Cluster           string  `yaml:"cluster" json:"cluster"`
	MinACU            float64 `yaml:"min_acu,omitempty" json:"min_acu,omitempty"`
	MaxACU            float64 `yaml:"max_acu" json:"max_acu"`
	ComputeRedundancy int32   `yaml:"compute_redundancy,omitempty" json:"compute_redundancy,omitempty"`
	Status            string  `yaml:"status,omitempty" json:"status,omitempty"`
	ResourceID        string  `yaml:"resource_id,omitempty" json:"resource_id,omitempty"`
	ARN               string  `yaml:"arn,omitempty" json:"arn,omitempty"`
}

// shardGroupMetrics are the capacity metrics of a shard group (Aurora User Guide,
// Limitless Database monitoring with CloudWatch); the standby capacity exists only with
// compute redundancy.
func shardGroupMetrics(g *ShardGroup) []string {
	ms := []string{"DBShardGroupACUUtilization", "DBShardGroupCapacity", "DBShardGroupMaxACU", "DBShardGroupMinACU"}
	if g.ComputeRedundancy > 0 {
		ms = append(ms, "DBShardGroupComputeRedundancyCapacity")
	}
	return ms
}

func (f Fleet) validateShardGroups(clusters map[string]*Cluster) []error {
	var errs []error
	seen := map[string]bool{}
	for _, g := range f.ShardGroups {
		if g.Identifier == "" || g.Identifier != strings.ToLower(g.Identifier) || seen[g.Identifier] {
			errs = append(errs, fmt.Errorf("shard group %q: empty, non-lowercase or duplicate identifier", g.Identifier))
		}
		seen[g.Identifier] = true
		switch c := clusters[g.Cluster]; {
		case c == nil:
			errs = append(errs, fmt.Errorf("shard group %q: cluster %q does not exist", g.Identifier, g.Cluster))
		case c.ScalabilityType != ScalabilityLimitless:
			errs = append(errs, fmt.Errorf("shard group %q: cluster %q is not a Limitless cluster (scalability_type: limitless)", g.Identifier, g.Cluster))
		}
		if g.MaxACU <= 0 || g.MinACU > g.MaxACU {
			errs = append(errs, fmt.Errorf("shard group %q: want 0 <= min_acu <= max_acu and max_acu > 0", g.Identifier))
		}
		if g.ComputeRedundancy < 0 || g.ComputeRedundancy > 2 {
			errs = append(errs, fmt.Errorf("shard group %q: compute_redundancy %d is not 0, 1 or 2", g.Identifier, g.ComputeRedundancy))
		}
	}
	for _, c := range f.Clusters {
		if c.ScalabilityType == ScalabilityLimitless && (c.Engine != EngineAuroraPostgreSQL || len(c.Members) > 0) {
			errs = append(errs, fmt.Errorf("cluster %q: a Limitless cluster is aurora-postgresql and has no member instances", c.Identifier))
		}
	}
	return errs
}

func fillShardGroup(g *ShardGroup, region, account string) {
	if g.Status == "" {
		g.Status = "available"
	}
	if g.MinACU == 0 {
		g.MinACU = 16 // the smallest shard group: two routers and two shards
	}
	if g.ResourceID == "" {
		g.ResourceID = "shardgroup-" + shortHash("shard-group/"+g.Identifier, 32)
	}
	if g.ARN == "" {
		g.ARN = fmt.Sprintf("arn:aws:rds:%s:%s:shard-group:%s", region, account, g.ResourceID)
	}
}

func (s *Server) describeDBShardGroups(c *call) (object, *apiError) {
	st := s.current()
	maxRecords, start, aerr := pageParams(c.params)
	if aerr != nil {
		return nil, aerr
	}
	filters, aerr := parseFilters(c.params, "db-cluster-id")
	if aerr != nil {
		return nil, aerr
	}
	id, _ := asString(c.params["DBShardGroupIdentifier"])
	found := false
	var matched []*ShardGroup
	for i := range st.fleet.ShardGroups {
		g := &st.fleet.ShardGroups[i]
		found = found || g.Identifier == id
		if (id == "" || g.Identifier == id) && g.Identifier >= start && shardGroupMatches(g, filters) {
			matched = append(matched, g)
		}
	}
	if id != "" && !found {
		return nil, newAPIError(http.StatusNotFound, "DBShardGroupNotFound", "", "DBShardGroup %s not found.", id)
	}
	out, matched := firstPage(matched, maxRecords, func(x *ShardGroup) string { return x.Identifier })
	items := make([]any, len(matched))
	for i, g := range matched {
		items[i] = object{
			{"DBShardGroupResourceId", g.ResourceID},
			{"DBShardGroupIdentifier", g.Identifier},
			{"DBClusterIdentifier", g.Cluster},
			{"MaxACU", g.MaxACU},
			{"MinACU", g.MinACU},
			{"ComputeRedundancy", int64(g.ComputeRedundancy)},
			{"Status", g.Status},
			{"PubliclyAccessible", false},
			{"DBShardGroupArn", g.ARN},
		}
	}
	return append(out, member{"DBShardGroups", list{item: "DBShardGroup", values: items}}), nil
}

func shardGroupMatches(g *ShardGroup, filters []rdsFilter) bool {
	for _, f := range filters {
		if f.name == "db-cluster-id" && !slices.Contains(f.values, g.Cluster) {
			return false
		}
	}
	return true
}
