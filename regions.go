package awsrdsreceiver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/otelcol-rds/awsrdsreceiver/internal/awsconfig"
	"github.com/otelcol-rds/awsrdsreceiver/internal/discovery"
	"github.com/otelcol-rds/awsrdsreceiver/internal/metadata"
)

// regionClients builds the SDK clients of every configured region; calls and retries (by
// operation and reason) are counted in the receiver's telemetry. It makes no network call.
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
			OnRetry: func(operation, reason string) {
				tb.ReceiverAwsrdsAPIRetries.Add(context.Background(), 1, metric.WithAttributes(
					attribute.String("operation", operation), attribute.String("reason", reason)))
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

// sharedSources gives the pipelines of one receiver (one *Config: the collector hands the
// same configuration to its metrics and logs pipelines) one discovery per region, so
// reading logs adds no Describe calls.
var sharedSources = struct {
	sync.Mutex
	m map[sourceKey]*sharedSource
}{m: map[sourceKey]*sharedSource{}}

type sourceKey struct {
	cfg    *Config
	region string
}

type sharedSource struct {
	source *discovery.Source
	refs   int
}

// fleetView is one pipeline's view of a region's shared discovery.
type fleetView struct {
	key    sourceKey
	source *discovery.Source
	seen   time.Time // Refreshed of the last fleet this pipeline took in
}

// openFleetView joins the discovery of cfg in the clients' region, creating it on first use.
func openFleetView(cfg *Config, clients *awsconfig.Clients, filter *discovery.Filter) *fleetView {
	key := sourceKey{cfg, clients.Region}
	sharedSources.Lock()
	defer sharedSources.Unlock()
	sh := sharedSources.m[key]
	if sh == nil {
		sh = &sharedSource{source: discovery.NewSource(clients.RDS, filter, cfg.Discovery.RefreshInterval)}
		sharedSources.m[key] = sh
	}
	sh.refs++
	return &fleetView{key: key, source: sh.source}
}

// close leaves the shared discovery; the last pipeline to leave drops it. Closing twice
// (a shutdown after a failed start and again) leaves once.
func (v *fleetView) close() {
	sharedSources.Lock()
	defer sharedSources.Unlock()
	if v.source == nil {
		return
	}
	v.source = nil
	if sh := sharedSources.m[v.key]; sh != nil {
		if sh.refs--; sh.refs == 0 {
			delete(sharedSources.m, v.key)
		}
	}
}

// fleet returns the region's fleet, refreshed when due, and whether it changed since this
// pipeline last looked (a refresh by the other pipeline counts). The refresh is recorded
// in the telemetry by the pipeline that made it. A failed refresh returns the last known
// fleet (empty if none) with an error to report as partial: collection goes on.
func (v *fleetView) fleet(ctx context.Context, tb *metadata.TelemetryBuilder, logger *zap.Logger, now time.Time) (discovery.Fleet, bool, error) {
	region := v.key.region
	fleet, refreshed, known, err := v.source.Fleet(ctx, now)
	if refreshed {
		tb.ReceiverAwsrdsDiscoveryRefreshes.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "success")))
		regionAttr := metric.WithAttributes(attribute.String("region", region))
		tb.ReceiverAwsrdsInstancesDiscovered.Record(ctx, int64(len(fleet.Instances)), regionAttr)
		tb.ReceiverAwsrdsClustersDiscovered.Record(ctx, int64(len(fleet.Clusters)), regionAttr)
		for _, w := range fleet.Warnings {
			logger.Warn("Discovery leaves a part of the fleet out until the collector restarts", zap.String("region", region), zap.String("reason", w))
		}
	}
	changed := known && !fleet.Refreshed.Equal(v.seen)
	v.seen = fleet.Refreshed
	if err == nil {
		return fleet, changed, nil
	}
	tb.ReceiverAwsrdsDiscoveryRefreshes.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", outcome(err))))
	if !known {
		return fleet, false, fmt.Errorf("region %s: discovery failed, nothing to collect yet: %w", region, err)
	}
	logger.Warn("Discovery refresh failed; keeping the last known fleet",
		zap.String("region", region), zap.Int("instances", len(fleet.Instances)),
		zap.Time("discovered_at", fleet.Refreshed), zap.Error(err))
	return fleet, changed, fmt.Errorf("region %s: discovery refresh failed, keeping the %d instances discovered at %s: %w",
		region, len(fleet.Instances), fleet.Refreshed.Format(time.RFC3339), err)
}
