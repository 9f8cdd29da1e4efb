// Package rdslogs reads the logs RDS publishes to CloudWatch Logs (error, slow query,
// general, audit, PostgreSQL logs) for a discovered fleet, without listing log groups:
// DescribeDBInstances and DescribeDBClusters already say which groups exist.
package rdslogs

import (
	"slices"
	"strings"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
)

// Types are the log types RDS can publish, by engine family.
var Types = map[string][]string{
	"mysql":      {"audit", "error", "general", "iam-db-auth-error", "slowquery"},
	"postgresql": {"iam-db-auth-error", "postgresql", "upgrade"},
}

// KnownType reports whether t is a log type of any engine.
func KnownType(t string) bool {
	for _, types := range Types {
		if slices.Contains(types, t) {
			return true
		}
	}
	return false
}

// Group is one log group RDS publishes to. Instance groups hold one stream named after
// the instance; Aurora cluster groups hold one stream per member instance.
type Group struct {
	Name     string // /aws/rds/instance/<id>/<type> or /aws/rds/cluster/<id>/<type>
	Type     string
	Instance string // instance groups
	Cluster  string // cluster groups
}

// Groups lists the log groups of fleet whose type is in types (all exported types when
// types is empty), sorted by name.
func Groups(fleet discovery.Fleet, types []string) []Group {
	wanted := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	var out []Group
	for _, in := range fleet.Instances {
		if discovery.IsAurora(in.Engine) {
			continue // published by the cluster
		}
		for _, t := range in.LogExports {
			if wanted(t) {
				out = append(out, Group{Name: "/aws/rds/instance/" + in.Identifier + "/" + t, Type: t, Instance: in.Identifier})
			}
		}
	}
	for _, c := range fleet.Clusters {
		if !discovery.IsAurora(c.Engine) {
			continue
		}
		for _, t := range c.LogExports {
			if wanted(t) {
				out = append(out, Group{Name: "/aws/rds/cluster/" + c.Identifier + "/" + t, Type: t, Cluster: c.Identifier})
			}
		}
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// StreamInstance returns the instance a stream of a cluster group belongs to: streams are
// named after the instance, possibly with a suffix (Aurora MySQL audit logs:
// <instance>.audit.log.0.<time>). members are the cluster's instance identifiers.
func StreamInstance(stream string, members []string) (string, bool) {
	best := ""
	for _, m := range members {
		if (stream == m || strings.HasPrefix(stream, m+".")) && len(m) > len(best) {
			best = m
		}
	}
	return best, best != ""
}
