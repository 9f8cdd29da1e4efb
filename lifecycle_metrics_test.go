package awsrdsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/otelcol-rds/awsrdsreceiver/internal/lifecycle"
	"github.com/otelcol-rds/awsrdsreceiver/internal/simulator"
)

// lifecyclePoints flattens md's lifecycle metrics: "resource|metric|attr=value,..." -> value.
func lifecyclePoints(md pmetric.Metrics) map[string]int64 {
	out := map[string]int64{}
	for i := 0; i < md.ResourceMetrics().Len(); i++ {
		rm := md.ResourceMetrics().At(i)
		attrs := rm.Resource().Attributes()
		id := "account"
		if v, ok := attrs.Get("aws.rds.db_instance.identifier"); ok {
			id = v.Str()
		} else if v, ok := attrs.Get("aws.rds.db_cluster.identifier"); ok {
			id = v.Str()
		}
		for j := 0; j < rm.ScopeMetrics().Len(); j++ {
			ms := rm.ScopeMetrics().At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				m := ms.At(k)
				if m.Type() != pmetric.MetricTypeGauge {
					continue
				}
				switch m.Name() {
				case "aws.rds.account.quota.limit", "aws.rds.account.quota.used", "aws.rds.instance.certificate.expiration",
					"aws.rds.instance.deletion_protection", "aws.rds.instance.iam_auth.enabled", "aws.rds.instance.publicly_accessible",
					"aws.rds.instance.storage.encrypted", "aws.rds.instance.engine.standard_support.end",
					"aws.rds.instance.engine.extended_support.start", "aws.rds.maintenance.pending":
				default:
					continue
				}
				dps := m.Gauge().DataPoints()
				for d := 0; d < dps.Len(); d++ {
					key := id + "|" + m.Name()
					dps.At(d).Attributes().Range(func(k string, v pcommon.Value) bool {
						key += "|" + k + "=" + v.AsString()
						return true
					})
					out[key] = dps.At(d).IntValue()
				}
			}
		}
	}
	return out
}

// TestLifecycleMetricsEqualTheSimulator: settings, certificates, pending maintenance, engine
// support dates and account quotas are exactly what the simulator's RDS API says.
func TestLifecycleMetricsEqualTheSimulator(t *testing.T) {
	fleet := loadSmallFleet(t)
	for i := range fleet.Instances {
		in := &fleet.Instances[i]
		switch in.Identifier {
		case "pg-a":
			in.CertificateValidTill = t0.Add(20 * 24 * time.Hour).Truncate(time.Second)
			in.DeletionProtection, in.IAMAuth, in.PubliclyAccessible, in.Unencrypted = true, true, true, true
		case "mysql-a":
			in.EngineVersion = "5.7.44" // in extended support already
		}
	}
	fleet.PendingMaintenance = []simulator.PendingMaintenance{
		{Resource: "mysql-a", Action: "system-update", ForcedApply: t0.Add(5 * 24 * time.Hour)},
		{Resource: "mysql-a", Action: "db-upgrade", AutoAppliedAfter: t0.Add(10 * 24 * time.Hour), ForcedApply: t0.Add(40 * 24 * time.Hour)},
		{Resource: "aurora-a", Action: "system-update", CurrentApply: t0.Add(2 * 24 * time.Hour), OptInStatus: "next-maintenance"},
		{Resource: "pg-a", Action: "hardware-maintenance"}, // opt-in, no date: not reported
	}
	fleet.QuotaMax = map[string]int64{"DBInstances": 8}
	require.NoError(t, fleet.Validate())
	h := newHarness(t, fleet, nil)
	md, err := h.scrape(t)
	require.NoError(t, err)
	got := lifecyclePoints(md)

	want := map[string]int64{}
	sim := h.sim.Fleet()
	for _, in := range sim.Instances {
		valid := in.CertificateValidTill
		if valid.IsZero() {
			valid = h.sim.CreatedAt().Add(365 * 24 * time.Hour).Truncate(time.Second)
		}
		want[in.Identifier+"|aws.rds.instance.certificate.expiration|ca_certificate="+in.CACertificate] = valid.Unix()
		want[in.Identifier+"|aws.rds.instance.deletion_protection"] = boolInt(in.DeletionProtection)
		want[in.Identifier+"|aws.rds.instance.iam_auth.enabled"] = boolInt(in.IAMAuth)
		want[in.Identifier+"|aws.rds.instance.publicly_accessible"] = boolInt(in.PubliclyAccessible)
		want[in.Identifier+"|aws.rds.instance.storage.encrypted"] = boolInt(!in.Unencrypted)
		for _, l := range simulator.EngineLifecycles {
			if l.Engine == in.Engine && l.Major == lifecycle.MajorVersion(in.Engine, in.EngineVersion) {
				want[in.Identifier+"|aws.rds.instance.engine.standard_support.end"] = l.StandardEnd.Unix()
				if !l.ExtendedEnd.IsZero() {
					want[in.Identifier+"|aws.rds.instance.engine.extended_support.start"] = l.StandardEnd.AddDate(0, 0, 1).Unix()
				}
			}
		}
	}
	for name, uq := range sim.AccountQuotas() {
		want["account|aws.rds.account.quota.used|quota="+name] = uq[0]
		want["account|aws.rds.account.quota.limit|quota="+name] = uq[1]
	}
	want["mysql-a|aws.rds.maintenance.pending|action=system-update|forced=true"] = t0.Add(5 * 24 * time.Hour).Unix()
	want["mysql-a|aws.rds.maintenance.pending|action=db-upgrade|forced=true"] = t0.Add(10 * 24 * time.Hour).Unix()
	want["aurora-a|aws.rds.maintenance.pending|action=system-update|forced=false"] = t0.Add(2 * 24 * time.Hour).Unix()
	assert.Equal(t, want, got)

	// Spelled out, so that a wrong simulator cannot hide a wrong receiver.
	assert.Equal(t, int64(1), got["pg-a|aws.rds.instance.publicly_accessible"])
	assert.Equal(t, int64(0), got["pg-a|aws.rds.instance.storage.encrypted"])
	assert.Equal(t, int64(7), got["account|aws.rds.account.quota.used|quota=DBInstances"])
	assert.Equal(t, int64(8), got["account|aws.rds.account.quota.limit|quota=DBInstances"])
	assert.Equal(t, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Unix(), got["mysql-a|aws.rds.instance.engine.extended_support.start"])
	assert.NotContains(t, got, "maria-t3|aws.rds.instance.engine.extended_support.start", "MariaDB has no extended support")

	// Refreshed with discovery only: three calls per refresh.
	c := h.sim.Counters()
	for _, op := range []string{"DescribePendingMaintenanceActions", "DescribeDBMajorEngineVersions", "DescribeAccountAttributes"} {
		assert.Equal(t, int64(1), c.Calls[op], op)
	}
	h.clock.Advance(time.Minute)
	_, err = h.scrape(t)
	require.NoError(t, err)
	assert.Equal(t, int64(1), h.sim.Counters().Calls["DescribeAccountAttributes"], "no call between refreshes")
}

func TestMajorVersion(t *testing.T) {
	for _, tt := range []struct{ engine, version, want string }{
		{"postgres", "16.4", "16"},
		{"aurora-postgresql", "15.7", "15"},
		{"mysql", "8.0.39", "8.0"},
		{"aurora-mysql", "8.0.mysql_aurora.3.07.1", "8.0"},
		{"mariadb", "10.11.9", "10.11"},
		{"oracle-ee", "19.0.0.0.ru-2024-10.rur-2024-10.r1", "19"},
		{"sqlserver-se", "15.00.4415.2.v1", "15.00"},
		{"db2-se", "11.5.9.0.sb00000000.r1", "11.5"},
	} {
		assert.Equal(t, tt.want, lifecycle.MajorVersion(tt.engine, tt.version), "%s %s", tt.engine, tt.version)
	}
}
