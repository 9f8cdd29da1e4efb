// Package lifecycle reads what an RDS fleet owner is paged for beyond CloudWatch, from the
// RDS API alone (its Describe calls are not billed): pending maintenance actions
// (DescribePendingMaintenanceActions), the support dates of major engine versions
// (DescribeDBMajorEngineVersions) and the account's quotas (DescribeAccountAttributes).
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
)

// API is the part of the RDS client lifecycle uses; *rds.Client implements it.
type API interface {
	DescribePendingMaintenanceActions(context.Context, *rds.DescribePendingMaintenanceActionsInput, ...func(*rds.Options)) (*rds.DescribePendingMaintenanceActionsOutput, error)
	DescribeDBMajorEngineVersions(context.Context, *rds.DescribeDBMajorEngineVersionsInput, ...func(*rds.Options)) (*rds.DescribeDBMajorEngineVersionsOutput, error)
	DescribeAccountAttributes(context.Context, *rds.DescribeAccountAttributesInput, ...func(*rds.Options)) (*rds.DescribeAccountAttributesOutput, error)
}

// maxPages bounds each paginated call of one refresh.
const maxPages = 100

// Action is one pending maintenance action.
type Action struct {
	Name string
	// Earliest is the earliest date it may be applied: the earliest of CurrentApplyDate,
	// AutoAppliedAfterDate and ForcedApplyDate; zero when none is set (opt-in only).
	Earliest time.Time
	// Forced is true when RDS applies it on its own: a ForcedApplyDate or an
	// AutoAppliedAfterDate is set.
	Forced bool
}

// Support is a major engine version's support dates; zero when not reported.
type Support struct {
	StandardEnd   time.Time
	ExtendedStart time.Time
}

// Quota is one account quota.
type Quota struct {
	Name      string
	Used, Max int64
}

// Info is one refresh's answers. A failed call leaves its part empty and is in the error.
type Info struct {
	Maintenance map[string][]Action // by resource ARN
	Support     map[string]Support  // by SupportKey(engine, major version)
	Quotas      []Quota
}

// SupportKey names a major engine version in Info.Support.
func SupportKey(engine, major string) string { return engine + "/" + major }

// Fetch makes the three calls; one failing never stops the others.
func Fetch(ctx context.Context, api API) (Info, error) {
	info := Info{Maintenance: map[string][]Action{}, Support: map[string]Support{}}
	var errs []error

	pm := rds.NewDescribePendingMaintenanceActionsPaginator(api, &rds.DescribePendingMaintenanceActionsInput{MaxRecords: aws.Int32(100)})
	for pages := 0; pm.HasMorePages() && pages < maxPages; pages++ {
		out, err := pm.NextPage(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("DescribePendingMaintenanceActions: %w", err))
			break
		}
		for _, r := range out.PendingMaintenanceActions {
			arn := aws.ToString(r.ResourceIdentifier)
			for _, d := range r.PendingMaintenanceActionDetails {
				a := Action{Name: aws.ToString(d.Action), Forced: d.ForcedApplyDate != nil || d.AutoAppliedAfterDate != nil}
				for _, t := range []*time.Time{d.CurrentApplyDate, d.AutoAppliedAfterDate, d.ForcedApplyDate} {
					if t != nil && (a.Earliest.IsZero() || t.Before(a.Earliest)) {
						a.Earliest = *t
					}
				}
				info.Maintenance[arn] = append(info.Maintenance[arn], a)
			}
		}
	}

	mv := rds.NewDescribeDBMajorEngineVersionsPaginator(api, &rds.DescribeDBMajorEngineVersionsInput{MaxRecords: aws.Int32(100)})
	for pages := 0; mv.HasMorePages() && pages < maxPages; pages++ {
		out, err := mv.NextPage(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("DescribeDBMajorEngineVersions: %w", err))
			break
		}
		for _, v := range out.DBMajorEngineVersions {
			var s Support
			for _, lc := range v.SupportedEngineLifecycles {
				switch lc.LifecycleSupportName {
				case "open-source-rds-standard-support":
					s.StandardEnd = aws.ToTime(lc.LifecycleSupportEndDate)
				case "open-source-rds-extended-support":
					s.ExtendedStart = aws.ToTime(lc.LifecycleSupportStartDate)
				}
			}
			info.Support[SupportKey(aws.ToString(v.Engine), aws.ToString(v.MajorEngineVersion))] = s
		}
	}

	aa, err := api.DescribeAccountAttributes(ctx, &rds.DescribeAccountAttributesInput{})
	if err != nil {
		errs = append(errs, fmt.Errorf("DescribeAccountAttributes: %w", err))
	} else {
		for _, q := range aa.AccountQuotas {
			info.Quotas = append(info.Quotas, Quota{Name: aws.ToString(q.AccountQuotaName), Used: aws.ToInt64(q.Used), Max: aws.ToInt64(q.Max)})
		}
	}
	return info, errors.Join(errs...)
}

// MajorVersion is the major version DescribeDBMajorEngineVersions names for an engine
// version: PostgreSQL's first number ("16.4" -> "16"), the first two for MySQL, MariaDB and
// Aurora MySQL ("8.0.39", "8.0.mysql_aurora.3.07.1" -> "8.0"; "10.11.9" -> "10.11"), and
// Oracle, SQL Server and Db2's leading numbers ("19.0.0.0.ru-2024-10" -> "19",
// "15.00.4415.2.v1" -> "15.00", "11.5.9.0.sb00000000.r1" -> "11.5").
func MajorVersion(engine, version string) string {
	parts := strings.Split(version, ".")
	n := 2
	if strings.Contains(engine, "postgres") || strings.HasPrefix(engine, "oracle") || strings.HasPrefix(engine, "custom-oracle") {
		n = 1
	}
	if len(parts) < n {
		return version
	}
	return strings.Join(parts[:n], ".")
}
