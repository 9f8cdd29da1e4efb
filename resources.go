package awsrdsreceiver

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// resourceBuilder builds the resource of an instance or cluster: one home, so that
// metrics, SQL metrics and logs of an instance carry identical resources.
type resourceBuilder struct {
	region       string
	resourceTags []string
	newRB        func() *metadata.ResourceBuilder
}

func (pl resourceBuilder) instanceResource(in *discovery.Instance) pcommon.Resource {
	rb := pl.newRB()
	pl.setCommon(rb, in.ARN, in.Engine, in.EngineVersion, in.ClusterIdentifier)
	setIf(rb.SetCloudAvailabilityZone, in.AvailabilityZone)
	setIf(rb.SetAwsRdsDbInstanceIdentifier, in.Identifier)
	setIf(rb.SetAwsRdsDbInstanceResourceID, in.ResourceID)
	setIf(rb.SetAwsRdsDbInstanceClass, in.Class)
	setIf(rb.SetAwsRdsRole, string(in.Role))
	setIf(rb.SetAwsRdsStorageType, in.StorageType)
	res := rb.Emit()
	putTags(res, in.Tags, pl.resourceTags)
	return res
}

func (pl resourceBuilder) clusterResource(c *discovery.Cluster) pcommon.Resource {
	rb := pl.newRB()
	pl.setCommon(rb, c.ARN, c.Engine, c.EngineVersion, c.Identifier)
	res := rb.Emit()
	putTags(res, c.Tags, pl.resourceTags)
	return res
}

func (pl resourceBuilder) proxyResource(px *discovery.Proxy) pcommon.Resource {
	rb := pl.newRB()
	pl.setCommon(rb, px.ARN, "", "", "")
	setIf(rb.SetDbSystemName, proxyDBSystem(px.EngineFamily))
	setIf(rb.SetAwsRdsProxyName, px.Name)
	return rb.Emit()
}

// proxyTargetResource is the proxy's view of one DB instance: it carries the instance's
// identifier, so the two join, but its own metric names (aws.rds.proxy.target.*).
func (pl resourceBuilder) proxyTargetResource(px *discovery.Proxy, t *discovery.ProxyTarget) pcommon.Resource {
	rb := pl.newRB()
	rb.SetCloudProvider("aws")
	setIf(rb.SetCloudRegion, pl.region)
	setIf(rb.SetCloudAccountID, accountFromARN(px.ARN))
	setIf(rb.SetDbSystemName, proxyDBSystem(px.EngineFamily))
	setIf(rb.SetAwsRdsProxyName, t.Proxy)
	setIf(rb.SetAwsRdsProxyTargetGroup, t.TargetGroup)
	setIf(rb.SetAwsRdsDbInstanceIdentifier, t.Instance)
	return rb.Emit()
}

func (pl resourceBuilder) shardGroupResource(g *discovery.ShardGroup) pcommon.Resource {
	rb := pl.newRB()
	pl.setCommon(rb, g.ARN, "aurora-postgresql", "", g.ClusterIdentifier)
	setIf(rb.SetAwsRdsDbShardGroupIdentifier, g.Identifier)
	return rb.Emit()
}

// proxyDBSystem maps a proxy's EngineFamily to db.system.name.
func proxyDBSystem(family string) string {
	switch family {
	case "MYSQL":
		return "mysql"
	case "POSTGRESQL":
		return "postgresql"
	case "SQLSERVER":
		return "microsoft.sql_server"
	}
	return ""
}

// setCommon sets the attributes instance and cluster resources share.
func (pl resourceBuilder) setCommon(rb *metadata.ResourceBuilder, arn, engine, engineVersion, cluster string) {
	rb.SetCloudProvider("aws")
	setIf(rb.SetCloudRegion, pl.region)
	setIf(rb.SetCloudAccountID, accountFromARN(arn))
	setIf(rb.SetCloudResourceID, arn)
	setIf(rb.SetDbSystemName, discovery.DBSystemName(engine))
	setIf(rb.SetAwsRdsEngine, engine)
	setIf(rb.SetAwsRdsEngineVersion, engineVersion)
	setIf(rb.SetAwsRdsDbClusterIdentifier, cluster)
}

// setIf leaves empty values out: an absent attribute, not an empty one.
func setIf(set func(string), v string) {
	if v != "" {
		set(v)
	}
}

// putTags copies the selected RDS tags to aws.rds.tag.<key> resource attributes.
func putTags(res pcommon.Resource, tags map[string]string, keys []string) {
	for _, k := range keys {
		if v, ok := tags[k]; ok {
			res.Attributes().PutStr("aws.rds.tag."+k, v)
		}
	}
}

// accountFromARN returns the account field of arn:partition:service:region:account:resource.
func accountFromARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
