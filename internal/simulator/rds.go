package simulator

import (
	"cmp"
	"encoding/base64"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// rdsFilter is one DescribeDB* filter: a value list matched by OR.
type rdsFilter struct {
	name   string
	values []string
}

func (s *Server) describeDBInstances(c *call) (object, *apiError) {
	st := s.current()
	maxRecords, start, aerr := pageParams(c.params)
	if aerr != nil {
		return nil, aerr
	}
	filters, aerr := parseFilters(c.params, "db-cluster-id", "db-instance-id", "dbi-resource-id", "engine", "domain")
	if aerr != nil {
		return nil, aerr
	}
	id, _ := asString(c.params["DBInstanceIdentifier"])
	if id != "" && findInstance(st, id) == nil {
		return nil, newAPIError(http.StatusNotFound, "DBInstanceNotFound", "", "DBInstance %s not found.", id)
	}
	var matched []*Instance
	for i := range st.fleet.Instances {
		in := &st.fleet.Instances[i]
		if (id == "" || in == findInstance(st, id)) && in.Identifier >= start && instanceMatches(in, filters) {
			matched = append(matched, in)
		}
	}
	out, matched := firstPage(matched, maxRecords, func(x *Instance) string { return x.Identifier })
	items := make([]any, len(matched))
	for i, in := range matched {
		items[i] = s.instanceObject(st, in)
	}
	s.counters.page(c.op)
	return append(out, member{"DBInstances", list{item: "DBInstance", values: items}}), nil
}

func (s *Server) describeDBClusters(c *call) (object, *apiError) {
	st := s.current()
	maxRecords, start, aerr := pageParams(c.params)
	if aerr != nil {
		return nil, aerr
	}
	filters, aerr := parseFilters(c.params, "db-cluster-id", "db-cluster-resource-id", "engine", "clone-group-id", "domain")
	if aerr != nil {
		return nil, aerr
	}
	id, _ := asString(c.params["DBClusterIdentifier"])
	if id != "" && findCluster(st, id) == nil {
		return nil, newAPIError(http.StatusNotFound, "DBClusterNotFoundFault", "", "DBCluster %s not found.", id)
	}
	var matched []*Cluster
	for i := range st.fleet.Clusters {
		cl := &st.fleet.Clusters[i]
		if (id == "" || cl == findCluster(st, id)) && cl.Identifier >= start && clusterMatches(cl, filters) {
			matched = append(matched, cl)
		}
	}
	out, matched := firstPage(matched, maxRecords, func(x *Cluster) string { return x.Identifier })
	items := make([]any, len(matched))
	for i, cl := range matched {
		items[i] = s.clusterObject(cl)
	}
	s.counters.page(c.op)
	return append(out, member{"DBClusters", list{item: "DBCluster", values: items}}), nil
}

// listTagsForResource answers from the fleet; the receiver should never need it
// because TagList comes inline, which is why it is counted.
func (s *Server) listTagsForResource(c *call) (object, *apiError) {
	st := s.current()
	arn, _ := asString(c.params["ResourceName"])
	if arn == "" {
		return nil, errMissingParameter("ResourceName")
	}
	var tags map[string]string
	switch {
	case strings.Contains(arn, ":db:"):
		in := findInstance(st, arn)
		if in == nil {
			return nil, newAPIError(http.StatusNotFound, "DBInstanceNotFound", "", "DBInstance %s not found.", arn)
		}
		tags = in.Tags
	case strings.Contains(arn, ":cluster:"):
		cl := findCluster(st, arn)
		if cl == nil {
			return nil, newAPIError(http.StatusNotFound, "DBClusterNotFoundFault", "", "DBCluster %s not found.", arn)
		}
		tags = cl.Tags
	default:
		return nil, errInvalidParameter("Invalid resource name: %s", arn)
	}
	return object{{"TagList", tagList(tags)}}, nil
}

func (s *Server) instanceObject(st *fleetState, in *Instance) object {
	created := in.CreateTime
	if created.IsZero() {
		created = s.created
	}
	status := in.Status
	if c, ok := s.life.current(in.Identifier); ok {
		status = c.Status
	}
	o := object{
		{"DBInstanceIdentifier", in.Identifier},
		{"DBInstanceClass", in.Class},
		{"Engine", in.Engine},
		{"DBInstanceStatus", status},
		{"Endpoint", object{{"Address", in.EndpointAddress}, {"Port", int64(in.EndpointPort)}, {"HostedZoneId", "Z2R2ITUGPM61AM"}}},
		{"AllocatedStorage", int64(in.AllocatedStorageGiB)},
		{"InstanceCreateTime", created},
		{"BackupRetentionPeriod", int64(in.BackupRetentionDays)},
		{"AvailabilityZone", in.AvailabilityZone},
		{"MultiAZ", in.MultiAZ},
		{"EngineVersion", in.EngineVersion},
		{"AutoMinorVersionUpgrade", true},
		{"ReadReplicaDBInstanceIdentifiers", list{item: "ReadReplicaDBInstanceIdentifier", values: st.replicas[in.Identifier]}},
	}
	o = o.add("ReadReplicaSourceDBInstanceIdentifier", in.ReplicaSourceIdentifier)
	if in.IOPS > 0 {
		o = o.add("Iops", int64(in.IOPS))
	}
	if in.StorageThroughputMiBps > 0 {
		o = o.add("StorageThroughput", int64(in.StorageThroughputMiBps))
	}
	o = o.add("StorageType", in.StorageType).
		add("DbInstancePort", int64(0)).
		add("DBClusterIdentifier", in.ClusterIdentifier).
		add("StorageEncrypted", !in.Unencrypted).
		add("CACertificateIdentifier", in.CACertificate).
		add("CertificateDetails", object{{"CAIdentifier", in.CACertificate}, {"ValidTill", s.certificateValidTill(in)}}).
		add("DeletionProtection", in.DeletionProtection).
		add("IAMDatabaseAuthenticationEnabled", in.IAMAuth).
		add("PubliclyAccessible", in.PubliclyAccessible).
		add("DbiResourceId", in.DbiResourceID).
		add("MonitoringInterval", int64(in.MonitoringInterval)).
		add("PerformanceInsightsEnabled", in.PerformanceInsights)
	if in.MaxAllocatedStorageGiB > 0 {
		o = o.add("MaxAllocatedStorage", int64(in.MaxAllocatedStorageGiB))
	}
	if IsAurora(in.Engine) {
		o = o.add("PromotionTier", int64(1))
	}
	return o.add("EnabledCloudwatchLogsExports", logExportList(in.LogExports)).
		add("DBInstanceArn", in.ARN).add("TagList", tagList(in.Tags))
}

// certificateValidTill is the server certificate's expiry, by default a year after the
// fleet's creation.
func (s *Server) certificateValidTill(in *Instance) time.Time {
	if !in.CertificateValidTill.IsZero() {
		return in.CertificateValidTill
	}
	return s.created.Add(365 * 24 * time.Hour).Truncate(time.Second)
}

func (s *Server) clusterObject(cl *Cluster) object {
	created := cl.CreateTime
	if created.IsZero() {
		created = s.created
	}
	azs := []any{s.cfg.Region + "a", s.cfg.Region + "b", s.cfg.Region + "c"}
	ms := make([]any, len(cl.Members))
	for i, m := range cl.Members {
		ms[i] = object{
			{"DBInstanceIdentifier", m.InstanceIdentifier},
			{"IsClusterWriter", m.IsWriter},
			{"DBClusterParameterGroupStatus", "in-sync"},
			{"PromotionTier", int64(1)},
		}
	}
	o := object{
		{"AllocatedStorage", int64(1)},
		{"AvailabilityZones", list{item: "AvailabilityZone", values: azs}},
		{"BackupRetentionPeriod", int64(7)},
		{"DBClusterIdentifier", cl.Identifier},
		{"Status", cl.Status},
		{"Endpoint", cl.Endpoint},
		{"ReaderEndpoint", cl.ReaderEndpoint},
		{"MultiAZ", len(cl.Members) > 1},
		{"Engine", cl.Engine},
		{"EngineVersion", cl.EngineVersion},
		{"Port", int64(cl.Port)},
		{"DBClusterMembers", list{item: "DBClusterMember", values: ms}},
		{"StorageEncrypted", true},
		{"DbClusterResourceId", cl.ResourceID},
		{"DBClusterArn", cl.ARN},
		{"ClusterCreateTime", created},
		{"EngineMode", cl.EngineMode},
	}
	if IsAurora(cl.Engine) {
		o = o.add("StorageType", "aurora").add("ClusterScalabilityType", cmp.Or(cl.ScalabilityType, "standard"))
	} else if multiAZClustered(cl.Engine) { // a Multi-AZ DB cluster: provisioned storage, one instance class
		o = o.add("StorageType", "io1").add("DBClusterInstanceClass", cl.InstanceClass)
	}
	o = o.add("GlobalClusterIdentifier", cl.GlobalClusterIdentifier).
		add("EnabledCloudwatchLogsExports", logExportList(cl.LogExports))
	if cl.Serverless {
		o = o.add("ServerlessV2ScalingConfiguration", object{{"MinCapacity", cl.MinCapacity}, {"MaxCapacity", cl.MaxCapacity}})
	}
	if cl.EngineMode == "serverless" { // v1
		o = o.add("ScalingConfigurationInfo", object{{"MinCapacity", int64(cl.MinCapacity)}, {"MaxCapacity", int64(cl.MaxCapacity)}, {"AutoPause", true}})
	}
	return o.add("TagList", tagList(cl.Tags))
}

// logExportList is EnabledCloudwatchLogsExports (a LogTypeList, items <member>), or
// nil, which leaves the element out, when nothing is exported, as RDS does.
func logExportList(exports []string) any {
	if len(exports) == 0 {
		return nil
	}
	l := list{item: "member", values: make([]any, len(exports))}
	for i, x := range exports {
		l.values[i] = x
	}
	return l
}

func tagList(tags map[string]string) list {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	l := list{item: "Tag", values: make([]any, len(keys))}
	for i, k := range keys {
		l.values[i] = object{{"Key", k}, {"Value", tags[k]}}
	}
	return l
}

// findInstance accepts an identifier or an ARN, as RDS does.
func findInstance(st *fleetState, idOrARN string) *Instance {
	if in := st.instances[idOrARN]; in != nil {
		return in
	}
	if i := strings.LastIndex(idOrARN, ":db:"); i >= 0 {
		if in := st.instances[idOrARN[i+4:]]; in != nil && in.ARN == idOrARN {
			return in
		}
	}
	return nil
}

func findCluster(st *fleetState, idOrARN string) *Cluster {
	if cl := st.clusters[idOrARN]; cl != nil {
		return cl
	}
	if i := strings.LastIndex(idOrARN, ":cluster:"); i >= 0 {
		if cl := st.clusters[idOrARN[i+9:]]; cl != nil && cl.ARN == idOrARN {
			return cl
		}
	}
	return nil
}

func instanceMatches(in *Instance, filters []rdsFilter) bool {
	for _, f := range filters {
		var ok bool
		switch f.name {
		case "db-instance-id":
			ok = slices.Contains(f.values, in.Identifier) || slices.Contains(f.values, in.ARN)
		case "db-cluster-id":
			ok = in.ClusterIdentifier != "" && slices.ContainsFunc(f.values, func(v string) bool {
				return v == in.ClusterIdentifier || strings.HasSuffix(v, ":cluster:"+in.ClusterIdentifier)
			})
		case "dbi-resource-id":
			ok = slices.Contains(f.values, in.DbiResourceID)
		case "engine":
			ok = slices.Contains(f.values, in.Engine)
		case "domain":
			ok = false // no instance joins a directory domain
		}
		if !ok {
			return false
		}
	}
	return true
}

func clusterMatches(cl *Cluster, filters []rdsFilter) bool {
	for _, f := range filters {
		var ok bool
		switch f.name {
		case "db-cluster-id":
			ok = slices.Contains(f.values, cl.Identifier) || slices.Contains(f.values, cl.ARN)
		case "db-cluster-resource-id":
			ok = slices.Contains(f.values, cl.ResourceID)
		case "engine":
			ok = slices.Contains(f.values, cl.Engine)
		case "clone-group-id", "domain":
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

// pageParams validates MaxRecords (20..100, default 100) and decodes Marker into the
// first identifier of the page; markers name an identifier so that they survive
// fleet changes between pages.
func pageParams(p map[string]any) (maxRecords int, start string, aerr *apiError) {
	maxRecords = 100
	if v, ok := p["MaxRecords"]; ok {
		n, err := asInt(v)
		if err != nil || n < 20 || n > 100 {
			return 0, "", errInvalidParameter("Invalid value %v for MaxRecords. Must be between 20 and 100", v)
		}
		maxRecords = int(n)
	}
	if m, _ := asString(p["Marker"]); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil || !strings.HasPrefix(string(b), "next:") {
			return 0, "", errInvalidParameter("The marker %q is not valid.", m)
		}
		start = strings.TrimPrefix(string(b), "next:")
	}
	return maxRecords, start, nil
}

// firstPage cuts a Describe answer to maxRecords items, and returns the answer object
// with the Marker that names the first item left out, if any.
func firstPage[T any](matched []T, maxRecords int, id func(T) string) (object, []T) {
	if len(matched) > maxRecords {
		return object{}.add("Marker", encodeMarker(id(matched[maxRecords]))), matched[:maxRecords]
	}
	return object{}, matched
}

func encodeMarker(nextID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("next:" + nextID))
}

func parseFilters(p map[string]any, allowed ...string) ([]rdsFilter, *apiError) {
	raw, err := asList(p["Filters"])
	if err != nil {
		return nil, errInvalidParameter("Filters: %v", err)
	}
	out := make([]rdsFilter, 0, len(raw))
	for _, r := range raw {
		m, err := asObject(r)
		if err != nil {
			return nil, errInvalidParameter("Filters: %v", err)
		}
		name, _ := asString(m["Name"])
		if !slices.Contains(allowed, name) {
			return nil, errInvalidParameter("Unrecognized filter name: %s", name)
		}
		vals, err := asList(m["Values"])
		if err != nil || len(vals) == 0 {
			return nil, errInvalidParameter("Filter %s needs at least one value", name)
		}
		f := rdsFilter{name: name}
		for _, v := range vals {
			sv, err := asString(v)
			if err != nil {
				return nil, errInvalidParameter("Filter %s: %v", name, err)
			}
			f.values = append(f.values, sv)
		}
		out = append(out, f)
	}
	return out, nil
}
