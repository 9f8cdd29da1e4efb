package simulator

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// RDS Proxy CloudWatch dimensions (RDS User Guide, "Monitoring RDS Proxy metrics with
// Amazon CloudWatch": dimension set 1 is ProxyName alone, set 3 is ProxyName,
// TargetGroup and Target).
const (
	DimProxy       = "ProxyName"
	DimTargetGroup = "TargetGroup"
	DimTarget      = "Target"
	// DefaultTargetGroup is the one target group every proxy has.
	DefaultTargetGroup = "default"
)

// Proxy is one RDS Proxy as DescribeDBProxies reports it, with its registered targets
// (DescribeDBProxyTargets) in its default target group.
type Proxy struct {
	Name string `yaml:"name" json:"name"`
	// EngineFamily is MYSQL, POSTGRESQL or SQLSERVER.
	EngineFamily string        `yaml:"engine_family" json:"engine_family"`
	Status       string        `yaml:"status,omitempty" json:"status,omitempty"`
	Targets      []ProxyTarget `yaml:"targets" json:"targets"`
	ARN          string        `yaml:"arn,omitempty" json:"arn,omitempty"`
	Endpoint     string        `yaml:"endpoint,omitempty" json:"endpoint,omitempty"`
}

// ProxyTarget is one DB instance a proxy routes to.
type ProxyTarget struct {
	Instance string `yaml:"instance" json:"instance"`
	// Role is READ_WRITE (default) or READ_ONLY.
	Role string `yaml:"role,omitempty" json:"role,omitempty"`
	// Health is the TargetHealth.State: AVAILABLE (default), UNAVAILABLE, REGISTERING,
	// UNUSED or PENDING_PROXY_CAPACITY.
	Health string `yaml:"health,omitempty" json:"health,omitempty"`
}

var (
	proxyEngineFamilies = []string{"MYSQL", "POSTGRESQL", "SQLSERVER"}
	targetHealthStates  = []string{"AVAILABLE", "UNAVAILABLE", "REGISTERING", "UNUSED", "PENDING_PROXY_CAPACITY"}
)

// proxyMetrics are the metrics RDS publishes per proxy (dimension set 1). The
// client-side ones exist only per proxy and endpoint (sets 1 and 2), never per target.
func proxyMetrics() []string {
	return []string{
		"ClientConnections", "ClientConnectionsReceived", "ClientConnectionsSetupFailedAuth", "ClientConnectionsNoTLS",
		"DatabaseConnections", "DatabaseConnectionsCurrentlyBorrowed", "DatabaseConnectionsCurrentlySessionPinned",
		"DatabaseConnectionsCurrentlyInTransaction", "DatabaseConnectionsSetupFailed", "DatabaseConnectionRequests",
		"DatabaseConnectionsBorrowLatency", "MaxDatabaseConnectionsAllowed",
		"QueryRequests", "QueryResponseLatency", "QueryDatabaseResponseLatency",
	}
}

// proxyTargetMetrics are the metrics RDS publishes per proxy target (dimension set 3).
func proxyTargetMetrics() []string {
	return []string{
		"DatabaseConnections", "DatabaseConnectionsCurrentlyBorrowed", "DatabaseConnectionsCurrentlySessionPinned",
		"DatabaseConnectionsCurrentlyInTransaction", "DatabaseConnectionsSetupFailed", "DatabaseConnectionRequests",
		"MaxDatabaseConnectionsAllowed", "QueryDatabaseResponseLatency",
	}
}

// ProxyTargetSeries names a target's series the way the simulator keys multi-dimension
// series: dimension names and values in name order, joined by commas.
func ProxyTargetSeries(proxy, target, metric string) SeriesID {
	return SeriesID{DimensionName: DimProxy + "," + DimTarget + "," + DimTargetGroup,
		Identifier: proxy + "," + target + "," + DefaultTargetGroup, Metric: metric}
}

func (f Fleet) validateProxies(inst map[string]*Instance) []error {
	var errs []error
	seen := map[string]bool{}
	for _, p := range f.Proxies {
		if p.Name == "" || p.Name != strings.ToLower(p.Name) || seen[p.Name] {
			errs = append(errs, fmt.Errorf("proxy %q: empty, non-lowercase or duplicate name", p.Name))
		}
		seen[p.Name] = true
		if !slices.Contains(proxyEngineFamilies, p.EngineFamily) {
			errs = append(errs, fmt.Errorf("proxy %q: engine_family %q is not one of %s", p.Name, p.EngineFamily, strings.Join(proxyEngineFamilies, ", ")))
		}
		for _, t := range p.Targets {
			if inst[t.Instance] == nil {
				errs = append(errs, fmt.Errorf("proxy %q: target instance %q does not exist", p.Name, t.Instance))
			}
			if t.Role != "" && t.Role != "READ_WRITE" && t.Role != "READ_ONLY" {
				errs = append(errs, fmt.Errorf("proxy %q: target %q: role %q is not READ_WRITE or READ_ONLY", p.Name, t.Instance, t.Role))
			}
			if t.Health != "" && !slices.Contains(targetHealthStates, t.Health) {
				errs = append(errs, fmt.Errorf("proxy %q: target %q: health %q is not one of %s", p.Name, t.Instance, t.Health, strings.Join(targetHealthStates, ", ")))
			}
		}
	}
	return errs
}

func fillProxy(p *Proxy, region, account string) {
	if p.Status == "" {
		p.Status = "available"
	}
	if p.ARN == "" {
		p.ARN = fmt.Sprintf("arn:aws:rds:%s:%s:db-proxy:prx-%s", region, account, shortHash("proxy/"+p.Name, 17))
	}
	if p.Endpoint == "" {
		p.Endpoint = fmt.Sprintf("%s.proxy-c%s.%s.rds.amazonaws.com", p.Name, shortHash(account+region, 12), region)
	}
	for i := range p.Targets {
		t := &p.Targets[i]
		if t.Role == "" {
			t.Role = "READ_WRITE"
		}
		if t.Health == "" {
			t.Health = "AVAILABLE"
		}
	}
}

// trackedCluster is the Aurora cluster whose instances are the proxy's targets, if any.
func trackedCluster(st *fleetState, p *Proxy) *Cluster {
	if len(p.Targets) == 0 {
		return nil
	}
	in := findInstance(st, p.Targets[0].Instance)
	if in == nil || in.ClusterIdentifier == "" || !IsAurora(in.Engine) {
		return nil
	}
	return findCluster(st, in.ClusterIdentifier)
}

func findProxy(st *fleetState, name string) *Proxy {
	for i := range st.fleet.Proxies {
		if st.fleet.Proxies[i].Name == name {
			return &st.fleet.Proxies[i]
		}
	}
	return nil
}

func (s *Server) describeDBProxies(c *call) (object, *apiError) {
	st := s.current()
	maxRecords, start, aerr := pageParams(c.params)
	if aerr != nil {
		return nil, aerr
	}
	name, _ := asString(c.params["DBProxyName"])
	if name != "" && findProxy(st, name) == nil {
		return nil, newAPIError(http.StatusNotFound, "DBProxyNotFoundFault", "", "DBProxy %s not found.", name)
	}
	var matched []*Proxy
	for i := range st.fleet.Proxies {
		p := &st.fleet.Proxies[i]
		if (name == "" || p.Name == name) && p.Name >= start {
			matched = append(matched, p)
		}
	}
	out, matched := firstPage(matched, maxRecords, func(x *Proxy) string { return x.Name })
	items := make([]any, len(matched))
	for i, p := range matched {
		items[i] = object{
			{"DBProxyName", p.Name},
			{"DBProxyArn", p.ARN},
			{"Status", p.Status},
			{"EngineFamily", p.EngineFamily},
			{"Endpoint", p.Endpoint},
			{"RequireTLS", true},
			{"IdleClientTimeout", int64(1800)},
			{"CreatedDate", s.created},
		}
	}
	return append(out, member{"DBProxies", list{item: "member", values: items}}), nil
}

func (s *Server) describeDBProxyTargets(c *call) (object, *apiError) {
	st := s.current()
	maxRecords, start, aerr := pageParams(c.params)
	if aerr != nil {
		return nil, aerr
	}
	name, _ := asString(c.params["DBProxyName"])
	if name == "" {
		return nil, errMissingParameter("DBProxyName")
	}
	p := findProxy(st, name)
	if p == nil {
		return nil, newAPIError(http.StatusNotFound, "DBProxyNotFoundFault", "", "DBProxy %s not found.", name)
	}
	if g, _ := asString(c.params["TargetGroupName"]); g != "" && g != DefaultTargetGroup {
		return nil, newAPIError(http.StatusNotFound, "DBProxyTargetGroupNotFoundFault", "", "DBProxyTargetGroup %s not found.", g)
	}
	var matched []ProxyTarget
	for _, t := range p.Targets {
		if t.Instance >= start {
			matched = append(matched, t)
		}
	}
	slices.SortFunc(matched, func(a, b ProxyTarget) int { return strings.Compare(a.Instance, b.Instance) })
	out, matched := firstPage(matched, maxRecords, func(x ProxyTarget) string { return x.Instance })
	items := make([]any, 0, len(matched)+1)
	// A proxy in front of an Aurora cluster also lists the cluster itself, as a
	// TRACKED_CLUSTER target without a role or health of its own.
	if cl := trackedCluster(st, p); cl != nil && start == "" {
		items = append(items, object{
			{"TargetArn", cl.ARN}, {"Endpoint", cl.Endpoint}, {"TrackedClusterId", cl.Identifier},
			{"RdsResourceId", cl.Identifier}, {"Port", int64(cl.Port)}, {"Type", "TRACKED_CLUSTER"},
		})
	}
	for _, t := range matched {
		in := findInstance(st, t.Instance)
		if in == nil {
			continue
		}
		o := object{
			{"TargetArn", in.ARN},
			{"Endpoint", in.EndpointAddress},
		}
		if in.ClusterIdentifier != "" {
			o = o.add("TrackedClusterId", in.ClusterIdentifier)
		}
		items = append(items, append(o, object{
			{"RdsResourceId", in.Identifier},
			{"Port", int64(in.EndpointPort)},
			{"Type", "RDS_INSTANCE"},
			{"Role", t.Role},
			{"TargetHealth", object{{"State", t.Health}}},
		}...))
	}
	return append(out, member{"Targets", list{item: "member", values: items}}), nil
}
