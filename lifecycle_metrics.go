package awsrdsreceiver

import (
	"context"
	"fmt"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/scraper/scrapererror"

	"github.com/otelcol-rds/awsrdsreceiver/internal/awsconfig"
	"github.com/otelcol-rds/awsrdsreceiver/internal/lifecycle"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// lifecycleRegion holds a region's pending maintenance, engine support dates and quotas,
// fetched on every discovery refresh (three unbilled RDS calls) and recorded every scrape.
type lifecycleRegion struct {
	api  lifecycle.API
	info lifecycle.Info
}

// newLifecycleRegion returns nil when none of the metrics that need the calls is enabled.
func newLifecycleRegion(cfg *Config, clients *awsconfig.Clients) *lifecycleRegion {
	m := cfg.Metrics
	if !m.AwsRdsMaintenancePending.Enabled && !m.AwsRdsInstanceEngineStandardSupportEnd.Enabled &&
		!m.AwsRdsInstanceEngineExtendedSupportStart.Enabled && !m.AwsRdsAccountQuotaLimit.Enabled && !m.AwsRdsAccountQuotaUsed.Enabled {
		return nil
	}
	return &lifecycleRegion{api: clients.RDS}
}

// refreshLifecycle refetches after a discovery refresh; a failed call keeps its last answer.
func (s *rdsScraper) refreshLifecycle(ctx context.Context, r *region, errs *scrapererror.ScrapeErrors) {
	lr := r.lifecycle
	if lr == nil {
		return
	}
	info, err := lifecycle.Fetch(ctx, lr.api)
	if err != nil {
		errs.AddPartial(0, fmt.Errorf("region %s: %w", r.name, err))
	}
	if len(info.Maintenance) > 0 || err == nil {
		lr.info.Maintenance = info.Maintenance
	}
	if len(info.Support) > 0 || err == nil {
		lr.info.Support = info.Support
	}
	if len(info.Quotas) > 0 || err == nil {
		lr.info.Quotas = info.Quotas
	}
}

// recordLifecycle adds a resource's settings, certificate, maintenance and engine support
// metrics to its other metrics, before they are emitted.
func (s *rdsScraper) recordLifecycle(r *region, rp *resourcePlan, now pcommon.Timestamp) {
	arn := ""
	if in := rp.instance; in != nil {
		arn = in.ARN
		s.mb.RecordAwsRdsInstanceDeletionProtectionDataPoint(now, boolInt(in.DeletionProtection))
		s.mb.RecordAwsRdsInstanceIamAuthEnabledDataPoint(now, boolInt(in.IAMAuth))
		s.mb.RecordAwsRdsInstancePubliclyAccessibleDataPoint(now, boolInt(in.PubliclyAccessible))
		s.mb.RecordAwsRdsInstanceStorageEncryptedDataPoint(now, boolInt(in.StorageEncrypted))
		if !in.CertificateValidTill.IsZero() {
			s.mb.RecordAwsRdsInstanceCertificateExpirationDataPoint(now, in.CertificateValidTill.Unix(), in.CACertificate)
		}
		if r.lifecycle != nil {
			sup := r.lifecycle.info.Support[lifecycle.SupportKey(in.Engine, lifecycle.MajorVersion(in.Engine, in.EngineVersion))]
			if !sup.StandardEnd.IsZero() {
				s.mb.RecordAwsRdsInstanceEngineStandardSupportEndDataPoint(now, sup.StandardEnd.Unix())
			}
			if !sup.ExtendedStart.IsZero() {
				s.mb.RecordAwsRdsInstanceEngineExtendedSupportStartDataPoint(now, sup.ExtendedStart.Unix())
			}
		}
	} else if rp.cluster != nil {
		arn = rp.cluster.ARN
	}
	if r.lifecycle == nil {
		return
	}
	for _, a := range r.lifecycle.info.Maintenance[arn] {
		if !a.Earliest.IsZero() {
			s.mb.RecordAwsRdsMaintenancePendingDataPoint(now, a.Earliest.Unix(), a.Name, a.Forced)
		}
	}
}

// recordQuotas emits the region's account quotas under the account's resource.
func (s *rdsScraper) recordQuotas(r *region, now pcommon.Timestamp) {
	if r.lifecycle == nil || len(r.lifecycle.info.Quotas) == 0 || r.plan == nil {
		return
	}
	for _, q := range r.lifecycle.info.Quotas {
		s.mb.RecordAwsRdsAccountQuotaLimitDataPoint(now, q.Max, q.Name)
		s.mb.RecordAwsRdsAccountQuotaUsedDataPoint(now, q.Used, q.Name)
	}
	rb := s.mb.NewResourceBuilder()
	rb.SetCloudProvider("aws")
	setIf(rb.SetCloudRegion, r.name)
	setIf(rb.SetCloudAccountID, planAccount(r.plan))
	s.mb.EmitForResource(metadata.WithResource(rb.Emit()))
}

// planAccount is the account of the plan's resources, read from their ARNs.
func planAccount(p *queryPlan) string {
	for _, rp := range p.resources {
		var arn string
		switch {
		case rp.instance != nil:
			arn = rp.instance.ARN
		case rp.cluster != nil:
			arn = rp.cluster.ARN
		}
		if a := accountFromARN(arn); a != "" {
			return a
		}
	}
	return ""
}
