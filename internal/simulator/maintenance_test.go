package simulator_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

const boto3LifecycleScript = "../../testdata/simulator/boto3_lifecycle.py"

// lifecycleFleet: the small fleet with 30 pending actions (pages of 20), audit settings,
// a certificate expiring soon and quota overrides.
func lifecycleFleet(t *testing.T) simulator.Fleet {
	f := smallFleet(t)
	f.PendingMaintenance = nil // replaced by 30 actions
	ids := []string{"mysql-a", "pg-a", "maria-t3", "aurora-a"}
	for i := range 30 {
		p := simulator.PendingMaintenance{Resource: ids[i%len(ids)], Action: fmt.Sprintf("system-update-%02d", i), Description: "New Operating System update is available"}
		if i%2 == 0 {
			p.ForcedApply = t0.Add(time.Duration(i) * 24 * time.Hour)
		}
		if i%3 == 0 {
			p.AutoAppliedAfter = t0.Add(time.Duration(i+1) * 24 * time.Hour)
			p.CurrentApply = p.AutoAppliedAfter
		}
		f.PendingMaintenance = append(f.PendingMaintenance, p)
	}
	for i := range f.Instances {
		in := &f.Instances[i]
		if in.Identifier == "pg-a" {
			in.CertificateValidTill = t0.Add(20 * 24 * time.Hour)
			in.DeletionProtection, in.IAMAuth, in.PubliclyAccessible, in.Unencrypted = true, true, true, true
		}
	}
	f.QuotaMax = map[string]int64{"DBInstances": 8}
	f.QuotaUsed = map[string]int64{"ManualSnapshots": 95}
	require.NoError(t, f.Validate())
	return f
}

func TestLifecycleAPIs(t *testing.T) {
	s := newSim(t, lifecycleFleet(t))
	c := rdsClient(s.URL)
	ctx := context.Background()
	var n, pages int
	p := rds.NewDescribePendingMaintenanceActionsPaginator(c, &rds.DescribePendingMaintenanceActionsInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, r := range out.PendingMaintenanceActions {
			n += len(r.PendingMaintenanceActionDetails)
		}
	}
	assert.Equal(t, 30, n)
	assert.Equal(t, 1, pages, "4 resources, one page")
	one, err := c.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{ResourceIdentifier: aws.String("arn:aws:rds:us-east-1:123456789012:cluster:aurora-a")})
	require.NoError(t, err)
	require.Len(t, one.PendingMaintenanceActions, 1)
	assert.Len(t, one.PendingMaintenanceActions[0].PendingMaintenanceActionDetails, 7) // i%4 == 3

	mv, err := c.DescribeDBMajorEngineVersions(ctx, &rds.DescribeDBMajorEngineVersionsInput{Engine: aws.String("mysql"), MajorEngineVersion: aws.String("8.0")})
	require.NoError(t, err)
	require.Len(t, mv.DBMajorEngineVersions, 1)
	lcs := mv.DBMajorEngineVersions[0].SupportedEngineLifecycles
	require.Len(t, lcs, 2)
	assert.Equal(t, "2026-07-31", aws.ToTime(lcs[0].LifecycleSupportEndDate).Format(time.DateOnly))
	assert.Equal(t, "open-source-rds-extended-support", string(lcs[1].LifecycleSupportName))
	assert.Equal(t, "2026-08-01", aws.ToTime(lcs[1].LifecycleSupportStartDate).Format(time.DateOnly))

	aa, err := c.DescribeAccountAttributes(ctx, &rds.DescribeAccountAttributesInput{})
	require.NoError(t, err)
	q := map[string][2]int64{}
	for _, x := range aa.AccountQuotas {
		q[aws.ToString(x.AccountQuotaName)] = [2]int64{aws.ToInt64(x.Used), aws.ToInt64(x.Max)}
	}
	assert.Equal(t, [2]int64{7, 8}, q["DBInstances"])
	assert.Equal(t, [2]int64{2, 40}, q["DBClusters"])
	assert.Equal(t, [2]int64{95, 100}, q["ManualSnapshots"])
	assert.Len(t, q, len(simulator.AccountQuotaDefaults))
}

func TestBoto3CrossCheckLifecycle(t *testing.T) {
	usable := boto3Pythons(t)
	s := newSim(t, lifecycleFleet(t))
	c := rdsClient(s.URL)
	ctx := context.Background()
	type pendingRow struct {
		Resource    string `json:"resource"`
		Action      string `json:"action"`
		AutoMS      int64  `json:"auto_applied_after_ms"`
		ForcedMS    int64  `json:"forced_apply_ms"`
		CurrentMS   int64  `json:"current_apply_ms"`
		Description string `json:"description"`
	}
	type majorRow struct {
		Engine  string `json:"engine"`
		Major   string `json:"major"`
		Name    string `json:"name"`
		StartMS int64  `json:"start_ms"`
		EndMS   int64  `json:"end_ms"`
	}
	type instanceRow struct {
		CA                 string `json:"ca"`
		ValidTillMS        int64  `json:"valid_till_ms"`
		DeletionProtection bool   `json:"deletion_protection"`
		IAMAuth            bool   `json:"iam_auth"`
		Public             bool   `json:"public"`
		Encrypted          bool   `json:"encrypted"`
	}
	ms := func(t *time.Time) int64 {
		if t == nil {
			return 0
		}
		return t.UnixMilli()
	}
	var wantPending []pendingRow
	pm, err := c.DescribePendingMaintenanceActions(ctx, &rds.DescribePendingMaintenanceActionsInput{})
	require.NoError(t, err)
	for _, r := range pm.PendingMaintenanceActions {
		for _, d := range r.PendingMaintenanceActionDetails {
			wantPending = append(wantPending, pendingRow{aws.ToString(r.ResourceIdentifier), aws.ToString(d.Action), ms(d.AutoAppliedAfterDate),
				ms(d.ForcedApplyDate), ms(d.CurrentApplyDate), aws.ToString(d.Description)})
		}
	}
	var wantMajors []majorRow
	mv, err := c.DescribeDBMajorEngineVersions(ctx, &rds.DescribeDBMajorEngineVersionsInput{})
	require.NoError(t, err)
	for _, v := range mv.DBMajorEngineVersions {
		for _, lc := range v.SupportedEngineLifecycles {
			wantMajors = append(wantMajors, majorRow{aws.ToString(v.Engine), aws.ToString(v.MajorEngineVersion), string(lc.LifecycleSupportName),
				ms(lc.LifecycleSupportStartDate), ms(lc.LifecycleSupportEndDate)})
		}
	}
	wantQuotas := map[string][2]int64{}
	for name, uq := range s.Fleet().AccountQuotas() {
		wantQuotas[name] = uq
	}
	wantInstances := map[string]instanceRow{}
	di, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	require.NoError(t, err)
	for _, in := range di.DBInstances {
		wantInstances[aws.ToString(in.DBInstanceIdentifier)] = instanceRow{aws.ToString(in.CACertificateIdentifier), ms(in.CertificateDetails.ValidTill),
			aws.ToBool(in.DeletionProtection), aws.ToBool(in.IAMDatabaseAuthenticationEnabled), aws.ToBool(in.PubliclyAccessible), aws.ToBool(in.StorageEncrypted)}
	}
	assert.Equal(t, instanceRow{"rds-ca-rsa2048-g1", t0.Add(20 * 24 * time.Hour).UnixMilli(), true, true, true, false}, wantInstances["pg-a"])
	// Older botocore models (Debian's) lack newer parts of the API; each must be checked by
	// at least one interpreter.
	checked := map[string]int{}
	for _, python := range usable {
		t.Run(strings.ReplaceAll(python, "/", "_"), func(t *testing.T) {
			var rep struct {
				Pending   []pendingRow           `json:"pending"`
				Majors    []majorRow             `json:"majors"`
				Lacks     []string               `json:"lacks"`
				Quotas    map[string][2]int64    `json:"quotas"`
				Instances map[string]instanceRow `json:"instances"`
			}
			runPythonScript(t, python, boto3LifecycleScript, s.URL, t0, t0, &rep)
			assert.Equal(t, wantPending, rep.Pending)
			if !slices.Contains(rep.Lacks, "DescribeDBMajorEngineVersions") {
				checked["DescribeDBMajorEngineVersions"]++
				assert.Equal(t, wantMajors, rep.Majors)
			}
			want := wantInstances
			if slices.Contains(rep.Lacks, "CertificateDetails") {
				want = map[string]instanceRow{}
				for id, row := range wantInstances {
					row.ValidTillMS = 0
					want[id] = row
				}
			} else {
				checked["CertificateDetails"]++
			}
			if len(rep.Lacks) > 0 {
				t.Logf("%s: this botocore lacks %v", python, rep.Lacks)
			}
			assert.Equal(t, wantQuotas, rep.Quotas)
			assert.Equal(t, want, rep.Instances)
		})
	}
	for _, part := range []string{"DescribeDBMajorEngineVersions", "CertificateDetails"} {
		assert.Positive(t, checked[part], "no interpreter's botocore could check %s", part)
	}
}
