package simulator

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PendingMaintenance is one pending maintenance action of an instance or cluster
// (DescribePendingMaintenanceActions). Dates left zero are not reported.
type PendingMaintenance struct {
	// Resource is an instance or cluster identifier of the fleet.
	Resource         string    `yaml:"resource" json:"resource"`
	Action           string    `yaml:"action" json:"action"` // system-update, db-upgrade, hardware-maintenance, ca-certificate-rotation, ...
	Description      string    `yaml:"description,omitempty" json:"description,omitempty"`
	AutoAppliedAfter time.Time `yaml:"auto_applied_after,omitempty" json:"auto_applied_after,omitzero"`
	ForcedApply      time.Time `yaml:"forced_apply,omitempty" json:"forced_apply,omitzero"`
	CurrentApply     time.Time `yaml:"current_apply,omitempty" json:"current_apply,omitzero"`
	OptInStatus      string    `yaml:"opt_in_status,omitempty" json:"opt_in_status,omitempty"` // immediate, next-maintenance, undo-opt-in
}

// EngineLifecycle is one major engine version's support dates
// (DescribeDBMajorEngineVersions SupportedEngineLifecycles).
type EngineLifecycle struct {
	Engine        string
	Major         string
	StandardStart time.Time
	StandardEnd   time.Time
	ExtendedEnd   time.Time // zero: no RDS Extended Support (MariaDB)
}

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// EngineLifecycles are the support dates the simulator reports, from the RDS User Guide's
// release calendars ("Amazon RDS Extended Support"; MySQL, PostgreSQL and MariaDB release
// calendars; Aurora major version calendars). Extended support starts the day after
// standard support ends.
var EngineLifecycles = []EngineLifecycle{
	{EngineMySQL, "5.7", date("2015-10-21"), date("2024-02-29"), date("2027-02-28")},
	{EngineMySQL, "8.0", date("2018-10-23"), date("2026-07-31"), date("2029-07-31")},
	{EngineMySQL, "8.4", date("2024-08-29"), date("2029-07-31"), date("2032-07-31")},
	{EngineMariaDB, "10.11", date("2023-08-21"), date("2028-02-16"), time.Time{}},
	{EnginePostgres, "13", date("2021-02-24"), date("2026-02-28"), date("2029-02-28")},
	{EnginePostgres, "14", date("2022-02-03"), date("2027-02-28"), date("2030-02-28")},
	{EnginePostgres, "15", date("2023-02-27"), date("2028-02-29"), date("2031-02-28")},
	{EnginePostgres, "16", date("2023-11-17"), date("2029-02-28"), date("2032-02-29")},
	{EngineAuroraMySQL, "8.0", date("2021-11-18"), date("2028-04-30"), date("2031-04-30")},
	{EngineAuroraPostgreSQL, "16", date("2024-01-31"), date("2029-02-28"), date("2032-02-29")},
}

// AccountQuotaDefaults are the RDS quotas DescribeAccountAttributes reports for a new
// account (RDS User Guide, "Quotas in Amazon RDS"); AllocatedStorage is in GiB.
var AccountQuotaDefaults = map[string]int64{
	"AllocatedStorage": 100000, "AuthorizationsPerDBSecurityGroup": 20, "CustomEndpointsPerDBCluster": 5,
	"DBClusterParameterGroups": 50, "DBClusterRoles": 5, "DBClusters": 40, "DBInstanceRoles": 5, "DBInstances": 40,
	"DBParameterGroups": 50, "DBSecurityGroups": 25, "DBSubnetGroups": 50, "EventSubscriptions": 20,
	"ManualClusterSnapshots": 100, "ManualSnapshots": 100, "OptionGroups": 20, "ReadReplicasPerMaster": 15,
	"ReservedDBInstances": 40, "SubnetsPerDBSubnetGroup": 20,
}

// AccountQuotas are the (used, max) pairs DescribeAccountAttributes reports for the fleet:
// maxima from AccountQuotaDefaults overridden by Fleet.QuotaMax, usage counted from the fleet
// (instances, clusters, allocated storage) or taken from Fleet.QuotaUsed.
func (f Fleet) AccountQuotas() map[string][2]int64 {
	used := map[string]int64{"DBInstances": 0, "DBClusters": 0, "AllocatedStorage": 0}
	for _, in := range f.Instances {
		used["DBInstances"]++
		if !clustered(in.Engine) {
			used["AllocatedStorage"] += int64(in.AllocatedStorageGiB)
		}
	}
	used["DBClusters"] = int64(len(f.Clusters))
	for k, v := range f.QuotaUsed {
		used[k] = v
	}
	out := make(map[string][2]int64, len(AccountQuotaDefaults))
	for name, limit := range AccountQuotaDefaults {
		if m, ok := f.QuotaMax[name]; ok {
			limit = m
		}
		out[name] = [2]int64{used[name], limit}
	}
	return out
}

func (f Fleet) validateLifecycle() []error {
	var errs []error
	ids := map[string]bool{}
	for _, in := range f.Instances {
		ids[in.Identifier] = true
	}
	for _, c := range f.Clusters {
		ids[c.Identifier] = true
	}
	for i, p := range f.PendingMaintenance {
		if !ids[p.Resource] {
			errs = append(errs, fmt.Errorf("pending_maintenance %d: resource %q is not an instance or cluster of the fleet", i, p.Resource))
		}
		if p.Action == "" {
			errs = append(errs, fmt.Errorf("pending_maintenance %d: missing action", i))
		}
	}
	for k := range f.QuotaMax {
		if _, ok := AccountQuotaDefaults[k]; !ok {
			errs = append(errs, fmt.Errorf("quota_max: unknown quota %q", k))
		}
	}
	for k := range f.QuotaUsed {
		if _, ok := AccountQuotaDefaults[k]; !ok {
			errs = append(errs, fmt.Errorf("quota_used: unknown quota %q", k))
		}
	}
	return errs
}

// offsetMarker pages a fixed list by offset.
func offsetMarker(p map[string]any, prefix string) (maxRecords, offset int, aerr *apiError) {
	sizeOnly := map[string]any{}
	if v, ok := p["MaxRecords"]; ok {
		sizeOnly["MaxRecords"] = v
	}
	if maxRecords, _, aerr = pageParams(sizeOnly); aerr != nil {
		return 0, 0, aerr
	}
	if m, _ := asString(p["Marker"]); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(b), prefix))
		if err != nil || perr != nil || !strings.HasPrefix(string(b), prefix) || n < 0 {
			return 0, 0, errInvalidParameter("The marker %q is not valid.", m)
		}
		offset = n
	}
	return maxRecords, offset, nil
}

// page cuts items[offset:] to maxRecords, adding a Marker when more remain.
func page(out object, items []any, offset, maxRecords int, prefix string) (object, []any) {
	items = items[min(offset, len(items)):]
	if len(items) > maxRecords {
		out = out.add("Marker", base64.RawURLEncoding.EncodeToString([]byte(prefix+strconv.Itoa(offset+maxRecords))))
		items = items[:maxRecords]
	}
	return out, items
}

func addTime(o object, name string, t time.Time) object {
	if t.IsZero() {
		return o
	}
	return o.add(name, t)
}

// describePendingMaintenanceActions: one ResourcePendingMaintenanceActions per resource
// (its ARN), filters db-instance-id and db-cluster-id (identifiers or ARNs).
func (s *Server) describePendingMaintenanceActions(c *call) (object, *apiError) {
	st := s.current()
	maxRecords, offset, aerr := offsetMarker(c.params, "pma:")
	if aerr != nil {
		return nil, aerr
	}
	filters, aerr := parseFilters(c.params, "db-instance-id", "db-cluster-id")
	if aerr != nil {
		return nil, aerr
	}
	only, _ := asString(c.params["ResourceIdentifier"])
	var arns []string
	byARN := map[string][]any{}
	for _, p := range st.fleet.PendingMaintenance {
		arn, kind := "", ""
		if in := findInstance(st, p.Resource); in != nil {
			arn, kind = in.ARN, "db-instance-id"
		} else if cl := findCluster(st, p.Resource); cl != nil {
			arn, kind = cl.ARN, "db-cluster-id"
		}
		if arn == "" || (only != "" && only != arn) || !maintenanceMatches(kind, p.Resource, arn, filters) {
			continue
		}
		d := object{{"Action", p.Action}}
		d = addTime(d, "AutoAppliedAfterDate", p.AutoAppliedAfter)
		d = addTime(d, "ForcedApplyDate", p.ForcedApply)
		d = d.add("OptInStatus", p.OptInStatus)
		d = addTime(d, "CurrentApplyDate", p.CurrentApply)
		d = d.add("Description", p.Description)
		if byARN[arn] == nil {
			arns = append(arns, arn)
		}
		byARN[arn] = append(byARN[arn], d)
	}
	slices.Sort(arns)
	items := make([]any, len(arns))
	for i, arn := range arns {
		items[i] = object{{"ResourceIdentifier", arn}, {"PendingMaintenanceActionDetails", list{item: "PendingMaintenanceAction", values: byARN[arn]}}}
	}
	out, items := page(object{}, items, offset, maxRecords, "pma:")
	return append(out, member{"PendingMaintenanceActions", list{item: "ResourcePendingMaintenanceActions", values: items}}), nil
}

func maintenanceMatches(kind, id, arn string, filters []rdsFilter) bool {
	for _, f := range filters {
		if f.name != kind || !(slices.Contains(f.values, id) || slices.Contains(f.values, arn)) {
			return false
		}
	}
	return true
}

// describeDBMajorEngineVersions answers from EngineLifecycles, filtered by Engine and
// MajorEngineVersion.
func (s *Server) describeDBMajorEngineVersions(c *call) (object, *apiError) {
	maxRecords, offset, aerr := offsetMarker(c.params, "mev:")
	if aerr != nil {
		return nil, aerr
	}
	engine, _ := asString(c.params["Engine"])
	major, _ := asString(c.params["MajorEngineVersion"])
	if major != "" && engine == "" {
		return nil, errInvalidParameter("MajorEngineVersion requires Engine")
	}
	var items []any
	for _, l := range EngineLifecycles {
		if (engine != "" && l.Engine != engine) || (major != "" && l.Major != major) {
			continue
		}
		lcs := []any{object{{"LifecycleSupportName", "open-source-rds-standard-support"},
			{"LifecycleSupportStartDate", l.StandardStart}, {"LifecycleSupportEndDate", l.StandardEnd}}}
		if !l.ExtendedEnd.IsZero() {
			lcs = append(lcs, object{{"LifecycleSupportName", "open-source-rds-extended-support"},
				{"LifecycleSupportStartDate", l.StandardEnd.AddDate(0, 0, 1)}, {"LifecycleSupportEndDate", l.ExtendedEnd}})
		}
		items = append(items, object{{"Engine", l.Engine}, {"MajorEngineVersion", l.Major},
			{"SupportedEngineLifecycles", list{item: "SupportedEngineLifecycle", values: lcs}}})
	}
	out, items := page(object{}, items, offset, maxRecords, "mev:")
	return append(out, member{"DBMajorEngineVersions", list{item: "DBMajorEngineVersion", values: items}}), nil
}

// describeAccountAttributes reports every quota, sorted by name.
func (s *Server) describeAccountAttributes(*call) (object, *apiError) {
	q := s.current().fleet.AccountQuotas()
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	slices.Sort(names)
	items := make([]any, len(names))
	for i, n := range names {
		items[i] = object{{"AccountQuotaName", n}, {"Used", q[n][0]}, {"Max", q[n][1]}}
	}
	return object{{"AccountQuotas", list{item: "AccountQuota", values: items}}}, nil
}
