package awsrdsreceiver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/awsconfig"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// regionClients builds the SDK clients of every configured region; calls and throttled
// retries are counted in the receiver's telemetry. It makes no network call.
func regionClients(ctx context.Context, cfg *Config, tb *metadata.TelemetryBuilder) ([]*awsconfig.Clients, error) {
	var out []*awsconfig.Clients
	for _, name := range cfg.regions() {
		clients, err := awsconfig.New(ctx, awsconfig.Settings{
			Region:      name,
			Profile:     cfg.Profile,
			RoleARN:     cfg.RoleARN,
			ExternalID:  cfg.ExternalID,
			Endpoints:   cfg.Endpoints,
			MaxAttempts: cfg.CloudWatch.MaxAttempts,
			MaxBackoff:  cfg.CloudWatch.MaxBackoff,
			OnThrottledRetry: func() {
				tb.ReceiverAwsrdsThrottledRetries.Add(context.Background(), 1)
			},
			OnCall: func(operation string, err error) {
				tb.ReceiverAwsrdsAPICalls.Add(context.Background(), 1, metric.WithAttributes(
					attribute.String("operation", operation), attribute.String("outcome", outcome(err))))
			},
		})
		if err != nil {
			return nil, err
		}
		out = append(out, clients)
	}
	return out, nil
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// discoverRegion returns the region's fleet, refreshed when due, and records the refresh.
// A failed refresh returns the last known fleet (empty if none) with an error to report
// as partial: collection goes on with what is known.
func discoverRegion(ctx context.Context, tb *metadata.TelemetryBuilder, logger *zap.Logger, region string, source *discovery.Source, now time.Time) (discovery.Fleet, bool, error) {
	fleet, refreshed, known, err := source.Fleet(ctx, now)
	if err != nil {
		tb.ReceiverAwsrdsDiscoveryRefreshes.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome(err))))
		if !known {
			return fleet, false, fmt.Errorf("region %s: discovery failed, nothing to collect yet: %w", region, err)
		}
		logger.Warn("Discovery refresh failed; keeping the last known fleet",
			zap.String("region", region), zap.Int("instances", len(fleet.Instances)),
			zap.Time("discovered_at", fleet.Refreshed), zap.Error(err))
		return fleet, false, fmt.Errorf("region %s: discovery refresh failed, keeping the %d instances discovered at %s: %w",
			region, len(fleet.Instances), fleet.Refreshed.Format(time.RFC3339), err)
	}
	if refreshed {
		tb.ReceiverAwsrdsDiscoveryRefreshes.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "success")))
		regionAttr := metric.WithAttributes(attribute.String("region", region))
		tb.ReceiverAwsrdsInstancesDiscovered.Record(ctx, int64(len(fleet.Instances)), regionAttr)
		tb.ReceiverAwsrdsClustersDiscovered.Record(ctx, int64(len(fleet.Clusters)), regionAttr)
	}
	return fleet, refreshed, nil
}
