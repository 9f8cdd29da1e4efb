package simulator

import (
	"fmt"
	"net/http"
	"sort"
)

// Aurora global databases. The simulated account is one region, so each global cluster
// has one local member (the primary, or a secondary when GlobalSecondary is set) and one
// remote member in remoteRegion that DescribeGlobalClusters lists but DescribeDBClusters
// does not.
const remoteRegion = "us-west-2"

// globalClusterMetrics are the global database metrics a member publishes by
// DBClusterIdentifier. Our reading of the Aurora User Guide ("Monitoring Aurora global
// databases"): a secondary reports how far it lags the primary; the primary reports the
// redo it ships and the write I/O it replicates to the secondaries.
func globalClusterMetrics(c *Cluster) []string {
	switch {
	case c.GlobalClusterIdentifier == "":
		return nil
	case c.GlobalSecondary:
		return []string{"AuroraGlobalDBReplicationLag"}
	}
	return []string{"AuroraGlobalDBReplicatedWriteIO", "AuroraGlobalDBDataTransferBytes"}
}

func (s *Server) describeGlobalClusters(c *call) (object, *apiError) {
	st := s.current()
	id, _ := asString(c.params["GlobalClusterIdentifier"])
	byGlobal := map[string][]*Cluster{}
	for i := range st.fleet.Clusters {
		cl := &st.fleet.Clusters[i]
		if cl.GlobalClusterIdentifier != "" && (id == "" || id == cl.GlobalClusterIdentifier) {
			byGlobal[cl.GlobalClusterIdentifier] = append(byGlobal[cl.GlobalClusterIdentifier], cl)
		}
	}
	if id != "" && len(byGlobal) == 0 {
		return nil, newAPIError(http.StatusNotFound, "GlobalClusterNotFoundFault", "", "GlobalCluster %s not found.", id)
	}
	ids := make([]string, 0, len(byGlobal))
	for g := range byGlobal {
		ids = append(ids, g)
	}
	sort.Strings(ids)
	items := make([]any, 0, len(ids))
	for _, g := range ids {
		local := byGlobal[g]
		members := make([]any, 0, len(local)+1)
		hasPrimary := false
		for _, cl := range local {
			hasPrimary = hasPrimary || !cl.GlobalSecondary
			members = append(members, object{{"DBClusterArn", cl.ARN}, {"IsWriter", !cl.GlobalSecondary}})
		}
		// The member in the other region: the primary when every local one is a secondary.
		remote := fmt.Sprintf("arn:aws:rds:%s:%s:cluster:%s-%s", remoteRegion, s.cfg.AccountID, local[0].Identifier, remoteRegion)
		members = append(members, object{{"DBClusterArn", remote}, {"IsWriter", !hasPrimary}})
		items = append(items, object{
			{"GlobalClusterIdentifier", g},
			{"GlobalClusterArn", fmt.Sprintf("arn:aws:rds::%s:global-cluster:%s", s.cfg.AccountID, g)},
			{"Status", "available"},
			{"Engine", local[0].Engine},
			{"EngineVersion", local[0].EngineVersion},
			{"GlobalClusterMembers", list{item: "GlobalClusterMember", values: members}},
		})
	}
	return object{{"GlobalClusters", list{item: "GlobalClusterMember", values: items}}}, nil
}
